/*
 * All the gateway's Lua, in one registry.  Each script runs atomically
 * in Redis, so a check and its write cannot be split by another gateway;
 * each is headed by its contract (KEYS, ARGV, what it returns) and names
 * the function that builds its KEYS, which is the only code that does
 * (the verbs pass what the keys are made of).  store.c loads them all on
 * every connect and calls them by SHA-1 (EVALSHA); a NOSCRIPT answer
 * loads them again.
 *
 * Every script's keys must share one hash tag, so that the script can
 * run on a Redis Cluster: tests/unit/test_store_keys.c checks this for
 * every entry of the registry.
 */
#include <stddef.h>

#include "store_int.h"
#include "xmalloc.h"

/*
 * A session saved by compare-and-set.  The record is "VERSION|VALUE".
 * KEYS: the session.  ARGV: the version expected (0: none may exist),
 * the record, its TTL in seconds.  Returns 1 when saved, the current
 * record on a conflict, and nil when a record was expected and is gone
 * (expired).
 */
static const char session_save[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if cur then\n"
    "  if string.match(cur, '^(%d+)|') ~= ARGV[1] then return cur end\n"
    "elseif ARGV[1] ~= '0' then\n"
    "  return false\n"
    "end\n"
    "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])\n"
    "return 1\n";

static void
session_save_keys(const struct store_keyargs *ka, char *k[])
{
	k[0] = xstrdup(ka->session_key);
}

/*
 * A delivery state of an outbound message.  The record keeps the latest
 * state unless a final one (delivered, failed, rejected) came first, and
 * when each state came; a state is counted once per message, so a report
 * Kannel repeats is not counted twice.  KEYS: the message's record, the
 * counts.  ARGV: state, final (1 or 0), now_ms, TTL in seconds, the
 * SMSC's message id ("" for none), 1 if the record must exist already
 * (an operator's report) or 0 (the gateway's own).  Returns 1 if the
 * state is new for the message, 0 if not, -1 (and writes nothing) for a
 * record that must exist and does not.
 */
static const char dlr_record[] =
    "if ARGV[6] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then\n"
    "  return -1\n"
    "end\n"
    "if redis.call('HGET', KEYS[1], 'final') ~= '1' then\n"
    "  redis.call('HSET', KEYS[1], 'state', ARGV[1])\n"
    "  if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'final', '1') end\n"
    "end\n"
    "local new = redis.call('HSETNX', KEYS[1], ARGV[1] .. '_ms', ARGV[3])\n"
    "if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'smsc_id', ARGV[5]) end\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
    "if new == 1 then redis.call('HINCRBY', KEYS[2], ARGV[1], 1) end\n"
    "return new\n";

static void
dlr_record_keys(const struct store_keyargs *ka, char *k[])
{
	k[0] = store_key_dlr(ka->msgid);
	k[1] = xstrdup(STORE_KEY_DLR_COUNTS);
}

/*
 * A USSD request counted against a daily limit.  KEYS: the day's
 * counter.  ARGV: the limit.  Returns 1 if it may go, 0 (and counts
 * nothing) if not.
 */
static const char requests_count[] =
    "local n = redis.call('INCR', KEYS[1])\n"
    "if n == 1 then redis.call('EXPIRE', KEYS[1], 86400) end\n"
    "if n > tonumber(ARGV[1]) then\n"
    "  redis.call('DECR', KEYS[1])\n"
    "  return 0\n"
    "end\n"
    "return 1\n";

static void
requests_count_keys(const struct store_keyargs *ka, char *k[])
{
	k[0] = store_key_request_rate(ka->msisdn, ka->service, ka->now_ms);
}

/*
 * A pledge proposed: counts those waiting (and drops nothing), refuses
 * past the limits, stores it under a code not in use.  KEYS: pledges,
 * the hour's rate.  ARGV: code, pledge, now_ms, max waiting, max per
 * hour (0: no limit), TTL of the hash.  Returns ok, taken (code in use),
 * pending or rate (a limit).
 */
static const char pledge_propose[] =
    "local n = 0\n"
    "for _, v in ipairs(redis.call('HVALS', KEYS[1])) do\n"
    "  local p = cjson.decode(v)\n"
    "  if p.state == 'pending' and p.expires_ms > tonumber(ARGV[3]) then\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "if n >= tonumber(ARGV[4]) then return 'pending' end\n"
    "local max = tonumber(ARGV[5])\n"
    "if max > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= max\n"
    "then return 'rate' end\n"
    "if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then\n"
    "  return 'taken'\n"
    "end\n"
    "redis.call('INCR', KEYS[2])\n"
    "redis.call('EXPIRE', KEYS[2], 3600)\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[6])\n"
    "return 'ok'\n";

static void
pledge_propose_keys(const struct store_keyargs *ka, char *k[])
{
	k[0] = store_key_pledges(ka->msisdn);
	k[1] = store_key_pledge_rate(ka->msisdn, ka->now_ms);
}

/*
 * YES: the pledge under a code.  KEYS: pledges.  ARGV: code, now_ms.
 * Returns {state, pledge} with state ok, done or expired; or {wrong}.
 */
static const char pledge_take[] =
    "local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not v then return {'wrong'} end\n"
    "local p = cjson.decode(v)\n"
    "if p.state == 'done' then return {'done', v} end\n"
    "if p.expires_ms <= tonumber(ARGV[2]) then return {'expired', v} end\n"
    "return {'ok', v}\n";

/*
 * NO: drops every pledge still waiting.  KEYS: pledges.  ARGV: now_ms.
 * Returns how many.
 */
static const char pledge_cancel[] =
    "local n = 0\n"
    "local all = redis.call('HGETALL', KEYS[1])\n"
    "for i = 1, #all, 2 do\n"
    "  local p = cjson.decode(all[i + 1])\n"
    "  if p.state == 'pending' and p.expires_ms > tonumber(ARGV[1]) then\n"
    "    redis.call('HDEL', KEYS[1], all[i])\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

static void
pledges_keys(const struct store_keyargs *ka, char *k[])
{
	k[0] = store_key_pledges(ka->msisdn);
}

/*
 * A back-office callback claimed.  KEYS: the subscriber's opt-out, the
 * claim of the idempotency key, the signature's.  ARGV: TTL of the
 * claim, of the signature.  Returns {duplicate, id} (the key was claimed
 * before), replayed (the signature was seen before, under another key:
 * the key is not signed), optout, or ok (claimed).
 */
static const char notify_claim[] =
    "local v = redis.call('GET', KEYS[2])\n"
    "if v then return {'duplicate', v} end\n"
    "if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) then\n"
    "  return 'replayed'\n"
    "end\n"
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 'optout' end\n"
    "redis.call('SET', KEYS[2], '', 'EX', ARGV[1])\n"
    "return 'ok'\n";

static void
notify_claim_keys(const struct store_keyargs *ka, char *k[])
{
	k[0] = store_key_optout(ka->msisdn);
	k[1] = store_key_notify_claim(ka->msisdn, ka->ikey);
	k[2] = store_key_notify_sig(ka->msisdn, ka->sig);
}

/*
 * A request into the outbox, once per idempotency key.  KEYS: the
 * stream, the key's mark.  ARGV: the request, the mark's TTL.  Returns
 * the entry's id, or nil if the key was seen before.  A key seen before
 * has its mark's TTL renewed: a write, so that a WAIT after a retried
 * add waits for the replicas to hold the entry the first add wrote.
 */
static const char outbox_add[] =
    "if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then\n"
    "  return redis.call('XADD', KEYS[1], '*', 'r', ARGV[1])\n"
    "end\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[2])\n"
    "return false\n";

static void
outbox_add_keys(const struct store_keyargs *ka, char *k[])
{
	k[0] = xstrdup(STORE_KEY_OUTBOX);
	k[1] = store_key_outbox_seen(ka->ikey);
}

/*
 * Delivered: gone from the stream and the group.  KEYS: the stream, the
 * attempts.  ARGV: the group, then the ids of one or more entries (a
 * batch: one call for what a turn of the loop delivered).  Returns how
 * many ids it was given.
 */
static const char outbox_ack[] =
    "redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))\n"
    "redis.call('XDEL', KEYS[1], unpack(ARGV, 2))\n"
    "redis.call('HDEL', KEYS[2], unpack(ARGV, 2))\n"
    "return #ARGV - 1\n";

static void
outbox_ack_keys(const struct store_keyargs *ka, char *k[])
{
	(void)ka;
	k[0] = xstrdup(STORE_KEY_OUTBOX);
	k[1] = xstrdup(STORE_KEY_OUTBOX_TRIES);
}

/*
 * Failed: one more attempt; a dead letter when refused or at the last.
 * KEYS: the stream, the attempts, the dead letters.  ARGV: the group,
 * the entry's id, the attempts allowed, the error, final (1: refused).
 * The dead letter keeps how many times the request was re-driven.
 * Returns the attempts so far, negative once it is a dead letter.
 */
static const char outbox_fail[] =
    "local n = redis.call('HINCRBY', KEYS[2], ARGV[2], 1)\n"
    "if ARGV[5] == '1' or n >= tonumber(ARGV[3]) then\n"
    "  local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])\n"
    "  if #e > 0 then\n"
    "    local f, d = e[1][2], '0'\n"
    "    for i = 1, #f - 1, 2 do\n"
    "      if f[i] == 'redriven' then d = f[i + 1] end\n"
    "    end\n"
    "    redis.call('XADD', KEYS[3], '*', 'r', f[2], 'id', ARGV[2],\n"
    "      'attempts', n, 'error', ARGV[4], 'redriven', d)\n"
    "  end\n"
    "  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "  redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "  redis.call('HDEL', KEYS[2], ARGV[2])\n"
    "  return -n\n"
    "end\n"
    "return n\n";

static void
outbox_fail_keys(const struct store_keyargs *ka, char *k[])
{
	(void)ka;
	k[0] = xstrdup(STORE_KEY_OUTBOX);
	k[1] = xstrdup(STORE_KEY_OUTBOX_TRIES);
	k[2] = xstrdup(STORE_KEY_OUTBOX_DEAD);
}

/*
 * For operators.  KEYS: the stream, the dead letters, the re-drive's
 * hash.  ARGV: the group.  Returns {entries, id of the oldest ("" for
 * none), pending in the group (0 without a group), dead letters,
 * letters re-driven}.
 */
static const char outbox_stats[] =
    "local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)\n"
    "local oldest = ''\n"
    "if #first > 0 then oldest = first[1][1] end\n"
    "local p = 0\n"
    "local ok, r = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])\n"
    "if ok then p = r[1] end\n"
    "return { redis.call('XLEN', KEYS[1]), oldest, p,\n"
    "  redis.call('XLEN', KEYS[2]),\n"
    "  tonumber(redis.call('HGET', KEYS[3], 'count') or '0') }\n";

/*
 * Dead letters back into the stream, oldest first.  KEYS: the stream,
 * the dead letters.  ARGV: how many at most.  Returns how many.
 */
static const char outbox_replay[] =
    "local e = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', ARGV[1])\n"
    "for _, x in ipairs(e) do\n"
    "  local r = nil\n"
    "  for i = 1, #x[2], 2 do if x[2][i] == 'r' then r = x[2][i + 1] end end\n"
    "  if r then redis.call('XADD', KEYS[1], '*', 'r', r) end\n"
    "  redis.call('XDEL', KEYS[2], x[1])\n"
    "end\n"
    "return #e\n";

static void
outbox_dead_keys(const struct store_keyargs *ka, char *k[])
{
	(void)ka;
	k[0] = xstrdup(STORE_KEY_OUTBOX);
	k[1] = xstrdup(STORE_KEY_OUTBOX_DEAD);
}

/*
 * Dead letters back into the stream by themselves, oldest first: those
 * dead for the cool-down (by Redis' clock, so gateways with skewed
 * clocks agree) and re-driven fewer than the most allowed, each with
 * its count one higher.  The others stay for a person; a cursor in the
 * re-drive's hash steps past them, so they never block the letters
 * behind them (it starts again when the most allowed changes).  KEYS:
 * the stream, the dead letters, the re-drive's hash.  ARGV: the
 * cool-down in ms, the most re-drives, how many letters to look at.
 * Returns how many went back.
 */
static const char outbox_redrive[] =
    "local t = redis.call('TIME')\n"
    "local cut = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "  - tonumber(ARGV[1])\n"
    "if cut <= 0 then return 0 end\n"
    "local from = '-'\n"
    "if redis.call('HGET', KEYS[3], 'max') == ARGV[2] then\n"
    "  from = redis.call('HGET', KEYS[3], 'from') or '-'\n"
    "end\n"
    "local e = redis.call('XRANGE', KEYS[2], from,\n"
    "  string.format('%d', cut), 'COUNT', ARGV[3])\n"
    "local n = 0\n"
    "for _, x in ipairs(e) do\n"
    "  local r, d = nil, 0\n"
    "  for i = 1, #x[2] - 1, 2 do\n"
    "    if x[2][i] == 'r' then r = x[2][i + 1] end\n"
    "    if x[2][i] == 'redriven' then d = tonumber(x[2][i + 1]) or 0 end\n"
    "  end\n"
    "  if r and d < tonumber(ARGV[2]) then\n"
    "    redis.call('XADD', KEYS[1], '*', 'r', r, 'redriven', d + 1)\n"
    "    redis.call('XDEL', KEYS[2], x[1])\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "if #e > 0 then\n"
    "  redis.call('HSET', KEYS[3], 'from', '(' .. e[#e][1], 'max', ARGV[2])\n"
    "end\n"
    "if n > 0 then redis.call('HINCRBY', KEYS[3], 'count', n) end\n"
    "return n\n";

static void
outbox_redrive_keys(const struct store_keyargs *ka, char *k[])
{
	(void)ka;
	k[0] = xstrdup(STORE_KEY_OUTBOX);
	k[1] = xstrdup(STORE_KEY_OUTBOX_DEAD);
	k[2] = xstrdup(STORE_KEY_OUTBOX_REDRIVE);
}

/*
 * An entry for the ledger, once per request: recorded during delivery,
 * never on the subscriber's hop.  KEYS: the pending stream, the key's
 * mark.  ARGV: the entry (JSON), the mark's TTL.  Returns the stream
 * id, or nil when the key was recorded before.
 */
static const char ledger_record[] =
    "if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then\n"
    "  return redis.call('XADD', KEYS[1], '*', 'r', ARGV[1])\n"
    "end\n"
    "return false\n";

static void
ledger_record_keys(const struct store_keyargs *ka, char *k[])
{
	k[0] = xstrdup(STORE_KEY_LEDGER_PENDING);
	k[1] = store_key_ledger_seen(ka->ikey);
}

/*
 * Pending entries written to the ledger file and flushed: gone from the
 * stream, the head moved on (never back: a late commit of a writer that
 * died must not undo a newer one), and each request's reference found
 * by VERIFY.  KEYS: the pending stream, the head, the references.
 * ARGV: the head's sequence number, the head ("SEQ HASH"), how many
 * stream ids follow, the ids, then pairs of reference and "SEQ HASH
 * WHO".  Returns 1.
 */
static const char ledger_commit[] =
    "local n = tonumber(ARGV[3])\n"
    "for i = 4, 3 + n do redis.call('XDEL', KEYS[1], ARGV[i]) end\n"
    "local cur = redis.call('GET', KEYS[2])\n"
    "local seq = cur and tonumber(string.match(cur, '^(%d+)')) or 0\n"
    "if tonumber(ARGV[1]) > seq then redis.call('SET', KEYS[2], ARGV[2]) end\n"
    "for i = 4 + n, #ARGV - 1, 2 do\n"
    "  redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + 1])\n"
    "end\n"
    "return 1\n";

static void
ledger_commit_keys(const struct store_keyargs *ka, char *k[])
{
	(void)ka;
	k[0] = xstrdup(STORE_KEY_LEDGER_PENDING);
	k[1] = xstrdup(STORE_KEY_LEDGER_HEAD);
	k[2] = xstrdup(STORE_KEY_LEDGER_REFS);
}

const struct store_script_def store_scripts[NSCRIPTS] = {
	[SCRIPT_SESSION_SAVE] = { "session_save", session_save, 1,
	    session_save_keys },
	[SCRIPT_DLR_RECORD] = { "dlr_record", dlr_record, 2,
	    dlr_record_keys },
	[SCRIPT_REQUESTS_COUNT] = { "requests_count", requests_count, 1,
	    requests_count_keys },
	[SCRIPT_PLEDGE_PROPOSE] = { "pledge_propose", pledge_propose, 2,
	    pledge_propose_keys },
	[SCRIPT_PLEDGE_TAKE] = { "pledge_take", pledge_take, 1,
	    pledges_keys },
	[SCRIPT_PLEDGE_CANCEL] = { "pledge_cancel", pledge_cancel, 1,
	    pledges_keys },
	[SCRIPT_NOTIFY_CLAIM] = { "notify_claim", notify_claim, 3,
	    notify_claim_keys },
	[SCRIPT_OUTBOX_ADD] = { "outbox_add", outbox_add, 2,
	    outbox_add_keys },
	[SCRIPT_OUTBOX_ACK] = { "outbox_ack", outbox_ack, 2,
	    outbox_ack_keys },
	[SCRIPT_OUTBOX_FAIL] = { "outbox_fail", outbox_fail, 3,
	    outbox_fail_keys },
	[SCRIPT_OUTBOX_STATS] = { "outbox_stats", outbox_stats, 3,
	    outbox_redrive_keys },
	[SCRIPT_OUTBOX_REPLAY] = { "outbox_replay", outbox_replay, 2,
	    outbox_dead_keys },
	[SCRIPT_OUTBOX_REDRIVE] = { "outbox_redrive", outbox_redrive, 3,
	    outbox_redrive_keys },
	[SCRIPT_LEDGER_RECORD] = { "ledger_record", ledger_record, 2,
	    ledger_record_keys },
	[SCRIPT_LEDGER_COMMIT] = { "ledger_commit", ledger_commit, 3,
	    ledger_commit_keys },
};
