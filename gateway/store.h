/*
 * The store: the one door to Redis, through hiredis' asynchronous API on
 * the event loop.  hiredis 0.14 has no command timeout, so every call has
 * its own timer: its callback fires exactly once, within the configured
 * timeout, with the typed result or an error — also when Redis is down
 * (at once), stuck (after the timeout) or when the store is freed.  The
 * store reconnects by itself with exponential backoff.
 *
 * Callers ask by verb and get typed results (enums, numbers, strings
 * valid during the callback); nothing outside the store's files builds a
 * Redis key or command, sees a reply object or holds a Lua script.  The
 * scripts live in store_scripts.c, each headed by its KEYS/ARGV contract;
 * all the keys of one script share one Redis Cluster hash slot (checked
 * by tests/unit/test_store_keys.c).
 *
 * What the gateway keeps in Redis — the one list of it:
 *
 *  key                          type    TTL           written by  read by
 *  asanigw:{MSISDN}:ussd:SID    string  session_ttl   engine      engine
 *    "VERSION|SESSION-JSON"; compare-and-set on VERSION (store_save)
 *  asanigw:{MSISDN}:pledges     hash    code_ttl+1d   sms         sms
 *    code -> pledge JSON: waiting for YES, or done with its ref
 *  asanigw:{MSISDN}:rate:pledge:HOUR                  sms         sms
 *                               counter 1 h
 *    pledges proposed in hour HOUR (ms since the epoch / 3600000)
 *  asanigw:{MSISDN}:rate:requests:SERVICE:DAY         engine      engine
 *                               counter 1 d
 *    USSD requests submitted on day DAY (ms / 86400000)
 *  asanigw:{MSISDN}:optout      string  none          sms         notify,
 *    "1", set by STOP, deleted by START                           admin
 *  asanigw:{MSISDN}:sms:ID      string  1 d           sms         sms
 *    the answer to message ID (Kannel's %I), for smsbox's retries; kept
 *    only for commands that change something (confirm, yes, no, stop,
 *    start): any other answer follows from the text, and costs no Redis
 *  asanigw:{MSISDN}:notify:KEY  string  notify        notify      notify
 *    a callback's idempotency   dedupe_ttl
 *    key claimed: "" while sending, then the message id
 *  asanigw:{MSISDN}:notify-sig:SIG                    notify      notify
 *                               string  660 s
 *    a callback's signature seen (a replay under another key)
 *  asanigw:{dlr}:MSGID          hash    dlr_ttl       sendsms,    operators
 *    state, final, STATE_ms, smsc_id                  ingress_kannel
 *  asanigw:{dlr}:counts         hash    none          the same    admin
 *    delivery state -> messages that reached it
 *  asanigw:{stats}:limited      hash    none          engine, sms admin
 *    limit -> refusals
 *  asanigw:{stats}:notify       hash    none          notify      admin
 *    reason -> notifications held back
 *  asanigw:{outbox}:requests    stream  none          outbox      outbox
 *    field r: a request's JSON; consumer group "asanigw"; entries
 *    are deleted once delivered or dead
 *  asanigw:{outbox}:seen:IKEY   string  outbox        outbox      outbox
 *    "1": request IKEY appended dedupe_ttl
 *  asanigw:{outbox}:attempts    hash    none          outbox      outbox
 *    stream id -> failed attempts so far
 *  asanigw:{outbox}:dead        stream  none          outbox      outbox
 *    fields r, id, attempts, error, redriven: dead letters, until
 *    replayed or re-driven (an entry of :requests re-driven carries
 *    field redriven too: how many times it was)
 *  asanigw:{outbox}:redrive     hash    none          outbox      outbox
 *    from: the re-drive's cursor in :dead (the letters before it have
 *    used up their re-drives), max: the redrive_max it holds for,
 *    count: letters re-driven so far
 *  asanigw:{ledger}:pending     stream  none          outbox,     ledger
 *    field r: a ledger entry waiting     notify      writer
 *    to be written to the ledger file
 *  asanigw:{ledger}:seen:KEY    string  outbox        outbox,     ledger
 *    "1": entry KEY recorded    dedupe_ttl  notify
 *  asanigw:{ledger}:head        string  none          ledger      operators
 *    "SEQ HASH": the last entry flushed to the file   writer
 *  asanigw:{ledger}:refs        hash    none          ledger      engine
 *    reference -> "SEQ HASH WHO" of the request's     writer      (VERIFY)
 *    entry
 *  (configured stream)          stream  MAXLEN ~      redis-stream adapter
 *    fields request, key; read by in-house consumers, on their Redis
 *
 * One subscriber's keys share the {MSISDN} hash tag, so the scripts that
 * touch several of them run on one Cluster node.
 */
#ifndef ASANIGW_STORE_H
#define ASANIGW_STORE_H

#include <stddef.h>

struct event_base;
struct store;

/*
 * Where Redis is: host and port, or (nsentinels > 0) the master named
 * master_name that the sentinels point at.  With sentinels the store
 * asks them for the master, checks with ROLE that the server it reached
 * is the master, and follows a failover: at once on +switch-master, and
 * by asking again whenever its connection drops, a command meets
 * READONLY or the sentinel it watches goes away.  Until a master is
 * connected every verb fails at once ("redis is not connected").
 */
struct store_params {
	const char	*host;
	unsigned short	 port;
	const char		*const *sentinels;	/* "host:port" */
	size_t		 nsentinels;
	const char	*master_name;
	const char	*username;	/* "" or NULL: AUTH password */
	const char	*password;	/* "" for none */
	int		 db;
	unsigned	 timeout_ms;	/* per command, and per connect */
};

struct store	*store_new(struct event_base *, const struct store_params *);
/* Fires every pending callback with an error, then frees. */
void		 store_free(struct store *);
/* Connected to a master (with sentinels: one ROLE said is the master). */
int		 store_connected(const struct store *);

/* The callback of a verb whose only result is whether it worked. */
typedef void (*store_done_cb)(const char *err, void *arg);
/* The callback of a verb whose result is a number. */
typedef void (*store_number_cb)(const char *err, long long n, void *arg);

/*
 * USSD sessions.  A session record is a version (the number of hops
 * saved, 0 = none) and an opaque value.  store_load() reads it;
 * store_save() writes it only if the stored version is still the one the
 * caller stepped from — a compare-and-set in one round trip (a Lua
 * script) — so two hops of one session, on one gateway or on two, can
 * never both be saved.
 */

/* err NULL on success; version 0 and data NULL when there is no record.
 * data is valid only during the callback. */
typedef void (*store_load_cb)(const char *err, unsigned version,
    const char *data, size_t len, void *arg);

enum store_saved {
	STORE_SAVED,		/* written */
	STORE_CONFLICT,		/* another hop saved first: current given */
	STORE_GONE,		/* the record expected is not there */
};

/* err NULL on success; with STORE_CONFLICT, version and data are the
 * record as it now stands. */
typedef void (*store_save_cb)(const char *err, enum store_saved,
    unsigned version, const char *data, size_t len, void *arg);

/* The name of a USSD session for store_load() and store_save(), opaque
 * to the caller.  Returns a malloc'd string. */
char		*store_session_key(const char *msisdn, const char *session_id);

void		 store_load(struct store *, const char *key, store_load_cb,
		    void *arg);
/* Saves value as version `version` with a TTL, if the stored version is
 * `expected` (0: no record may exist). */
void		 store_save(struct store *, const char *key, unsigned expected,
		    unsigned version, const char *value, size_t len,
		    unsigned ttl_s, store_save_cb, void *arg);

/*
 * Per-subscriber state of the SMS commands (store_subscriber.c).
 */

/* STOP (out 1) or START (out 0). */
void		 store_optout_set(struct store *, const char *msisdn, int out,
		    store_done_cb, void *arg);
/* Whether the subscriber sent STOP (and no START since). */
typedef void (*store_optout_cb)(const char *err, int out, void *arg);
void		 store_optout_get(struct store *, const char *msisdn,
		    store_optout_cb, void *arg);

/* The answer given to message id, remembered for ttl_s seconds for
 * smsbox's retries; fire and forget (a failure is logged). */
void		 store_answer_put(struct store *, const char *msisdn,
		    const char *id, const char *text, unsigned ttl_s);
/* text NULL when none is remembered; valid during the callback. */
typedef void (*store_answer_cb)(const char *err, const char *text,
    void *arg);
void		 store_answer_get(struct store *, const char *msisdn,
		    const char *id, store_answer_cb, void *arg);

/* A USSD request counted against the subscriber's daily limit max for
 * the service; one over the limit is not counted. */
enum store_limit {
	STORE_WITHIN,		/* counted: it may go */
	STORE_OVER,		/* the limit is reached: refuse it */
};
typedef void (*store_limit_cb)(const char *err, enum store_limit,
    void *arg);
void		 store_requests_count(struct store *, const char *msisdn,
		    const char *service, unsigned max, store_limit_cb,
		    void *arg);

/* Pledges by SMS: proposed under a one-time code, taken by YES <code>,
 * cancelled by NO, settled (marked done with a reference) once booked. */
struct store_proposal {
	const char	*code;
	const char	*pledge;	/* JSON with state, expires_ms */
	long long	 now_ms;	/* also the hour of the rate limit */
	unsigned	 max_pending;	/* waiting pledges allowed */
	unsigned	 per_hour;	/* pledges proposed per hour; 0: any */
	unsigned	 ttl_s;		/* of all the subscriber's pledges */
};
enum store_proposed {
	STORE_PROPOSED,		/* kept under the code */
	STORE_CODE_TAKEN,	/* the code is in use: draw another */
	STORE_TOO_MANY_PENDING,	/* max_pending already waiting */
	STORE_TOO_MANY_PER_HOUR,	/* per_hour reached */
};
typedef void (*store_proposed_cb)(const char *err, enum store_proposed,
    void *arg);
void		 store_pledge_propose(struct store *, const char *msisdn,
		    const struct store_proposal *, store_proposed_cb,
		    void *arg);

enum store_pledge {
	STORE_PLEDGE_WAITING,	/* waiting for YES, and not expired */
	STORE_PLEDGE_DONE,	/* settled before */
	STORE_PLEDGE_EXPIRED,
	STORE_PLEDGE_UNKNOWN,	/* no pledge under that code */
};
/* pledge (its JSON, valid during the callback) NULL with
 * STORE_PLEDGE_UNKNOWN. */
typedef void (*store_pledge_cb)(const char *err, enum store_pledge,
    const char *pledge, size_t len, void *arg);
void		 store_pledge_take(struct store *, const char *msisdn,
		    const char *code, long long now_ms, store_pledge_cb,
		    void *arg);
/* Drops every pledge still waiting; n is how many. */
void		 store_pledge_cancel(struct store *, const char *msisdn,
		    long long now_ms, store_number_cb, void *arg);
/* Replaces the pledge under code (with its state done and its ref). */
void		 store_pledge_settle(struct store *, const char *msisdn,
		    const char *code, const char *pledge, store_done_cb,
		    void *arg);

/*
 * Back-office callbacks (notify.c): claimed once per idempotency key,
 * refused for a replayed signature or a subscriber who sent STOP.  The
 * claim is kept ttl_s seconds, the signature window_s.
 */
enum store_claim {
	STORE_CLAIMED,		/* ours to send */
	STORE_CLAIM_DUPLICATE,	/* claimed before: sent_id is its id */
	STORE_CLAIM_REPLAYED,	/* the signature was seen under another key */
	STORE_CLAIM_OPTOUT,	/* the subscriber sent STOP */
};
typedef void (*store_claim_cb)(const char *err, enum store_claim,
    const char *sent_id, void *arg);
void		 store_notify_claim(struct store *, const char *msisdn,
		    const char *key, const char *sig, unsigned ttl_s,
		    unsigned window_s, store_claim_cb, void *arg);
/* Sent as message id: a duplicate is answered with it.  Fire and
 * forget. */
void		 store_notify_sent(struct store *, const char *msisdn,
		    const char *key, const char *id);
/* Not sent: the key and the signature may be used again.  Fire and
 * forget. */
void		 store_notify_release(struct store *, const char *msisdn,
		    const char *key, const char *sig);

/* Delivery reports of the messages the gateway sends. */

/* Records that message msgid reached state (e.g. "delivered"; final
 * when no later report may change it), kept ttl_s seconds after the last
 * report, and counts the state once per message.  Creates the record:
 * for the gateway's own "submitted". */
void		 store_dlr_record(struct store *, const char *msgid,
		    const char *state, int final, const char *smsc_msgid,
		    unsigned ttl_s, store_done_cb, void *arg);

enum store_dlr {
	STORE_DLR_RECORDED,	/* a state new for the message, counted */
	STORE_DLR_REPEATED,	/* a state it had already, not counted again */
	STORE_DLR_UNKNOWN,	/* no record: not an id the gateway issued,
				 * or its record expired; nothing written */
};
typedef void (*store_dlr_cb)(const char *err, enum store_dlr, void *arg);
/* The same for an operator's report (smsbox's dlr-url): recorded only
 * if the gateway recorded msgid first. */
void		 store_dlr_report(struct store *, const char *msgid,
		    const char *state, int final, const char *smsc_msgid,
		    unsigned ttl_s, store_dlr_cb, void *arg);

/* Counters for operators, each a set of name -> count. */
enum store_counter {
	STORE_COUNT_DLR,	/* messages by delivery state */
	STORE_COUNT_LIMITED,	/* refusals by a per-MSISDN limit, by limit */
	STORE_COUNT_NOTIFY,	/* notifications held back, by reason */
};
/* Adds one to a counter's name; fire and forget. */
void		 store_count(struct store *, enum store_counter,
		    const char *name);
/* Every name and count of a counter, valid during the callback. */
typedef void (*store_counts_cb)(const char *err, const char *const *names,
    const long long *counts, size_t n, void *arg);
void		 store_counts(struct store *, enum store_counter,
		    store_counts_cb, void *arg);

/*
 * The outbox's stream and its consumer group (store_outbox.c; outbox.h
 * says how delivery uses them).  Entries are handed over as id and
 * request JSON, valid during the callback.
 */
struct store_entry {
	const char	*id;
	const char	*json;		/* NULL: the entry holds no request */
};

/* Appends a request once per idempotency key (remembered ttl_s);
 * err NULL once it is in (or was already). */
void		 store_outbox_add(struct store *, const char *idempotency_key,
		    const char *json, unsigned ttl_s, store_done_cb,
		    void *arg);
/*
 * The same, then "received means replicated": err NULL only once
 * `replicas` replicas hold it (WAIT, at most wait_ms), else an error
 * saying how many did.  WAIT blocks the connection it is sent on and
 * only covers that connection's writes, so give this a store of its own
 * (the same params, timeout_ms above wait_ms): the adds that come while
 * a WAIT is out share the next one.  A retry of a request added before
 * waits for that entry again; the idempotency key keeps it single.
 */
void		 store_outbox_add_replicated(struct store *,
		    const char *idempotency_key, const char *json,
		    unsigned ttl_s, unsigned replicas, unsigned wait_ms,
		    store_done_cb, void *arg);
/* Makes the consumer group (and the stream); err NULL also when it was
 * there. */
void		 store_outbox_group(struct store *, store_done_cb, void *arg);
/* no_group: the error is that the group is missing (make it again). */
typedef void (*store_entries_cb)(const char *err, int no_group,
    const struct store_entry *, size_t n, void *arg);
/* Up to count entries for consumer: its own pending ones after id
 * `after`, or new ones when after is NULL. */
void		 store_outbox_read(struct store *, const char *consumer,
		    unsigned count, const char *after, store_entries_cb,
		    void *arg);
/* Up to count entries of other consumers idle for idle_ms, now the
 * consumer's. */
void		 store_outbox_autoclaim(struct store *, const char *consumer,
		    unsigned idle_ms, unsigned count, store_entries_cb,
		    void *arg);
/* Resets the idle time of entries the consumer holds. */
void		 store_outbox_touch(struct store *, const char *consumer,
		    const char *const *ids, size_t n, store_done_cb,
		    void *arg);
/* Takes entry id (back) for the consumer: held 0 when it is no longer
 * pending (delivered, or gone). */
typedef void (*store_held_cb)(const char *err, int held, void *arg);
void		 store_outbox_reclaim(struct store *, const char *consumer,
		    const char *id, store_held_cb, void *arg);
/* Delivered: gone from the stream and the group. */
void		 store_outbox_ack(struct store *, const char *id,
		    store_done_cb, void *arg);
/* The same for n entries at once (1 to STORE_OUTBOX_ACK_MAX): one
 * script call. */
#define STORE_OUTBOX_ACK_MAX	1024
void		 store_outbox_ack_many(struct store *, const char *const *ids,
		    size_t n, store_done_cb, void *arg);
/* A failed attempt counted: a dead letter (dead 1) when final or at the
 * max_attempts-th; attempts is how many so far. */
typedef void (*store_failed_cb)(const char *err, unsigned attempts,
    int dead, void *arg);
void		 store_outbox_fail(struct store *, const char *id,
		    unsigned max_attempts, const char *error, int final,
		    store_failed_cb, void *arg);
struct store_outbox_stats {
	long long	 waiting;	/* entries in the stream */
	long long	 oldest_ms;	/* age of the oldest; -1: none */
	long long	 pending;	/* handed out, not acknowledged */
	long long	 dead;		/* dead letters */
	long long	 redriven;	/* letters re-driven, ever */
};
typedef void (*store_stats_cb)(const char *err,
    const struct store_outbox_stats *, void *arg);
void		 store_outbox_stats(struct store *, store_stats_cb,
		    void *arg);
/* Moves up to max dead letters back into the stream, oldest first; n
 * is how many. */
void		 store_outbox_replay(struct store *, unsigned max,
		    store_number_cb, void *arg);
/* Moves back into the stream up to batch dead letters that died at
 * least after_ms ago (by Redis' clock) and were re-driven fewer than
 * max times, oldest first, in one script: of several gateways calling
 * at once, each letter goes back once.  n is how many. */
void		 store_outbox_redrive(struct store *, unsigned after_ms,
		    unsigned max, unsigned batch, store_number_cb,
		    void *arg);

/*
 * The ledger (ledger.h): entries recorded into a pending stream during
 * delivery, then written to the ledger file, in stream order, by the
 * one gateway holding the file's lock.
 */
/* Records an entry once per key (remembered ttl_s); err NULL once it is
 * in (or was already). */
void		 store_ledger_record(struct store *, const char *key,
		    const char *entry, unsigned ttl_s, store_done_cb,
		    void *arg);
/* Up to count pending entries, oldest first (entries' json: the
 * entry). */
void		 store_ledger_pending(struct store *, unsigned count,
		    store_entries_cb, void *arg);
/* Entries written and flushed: ids leave the stream, the head becomes
 * "seq hash" (unless a later one is there), refs[i] (pairs: reference,
 * "SEQ HASH WHO") are kept for VERIFY. */
void		 store_ledger_commit(struct store *, const char *const *ids,
		    size_t nids, long long seq, const char *hash,
		    const char *const *refs, size_t nrefs, store_done_cb,
		    void *arg);
/* The "SEQ HASH WHO" of reference ref (NULL: none), valid during the
 * callback. */
typedef void (*store_string_cb)(const char *err, const char *value,
    void *arg);
void		 store_ledger_find(struct store *, const char *ref,
		    store_string_cb, void *arg);

/* The redis-stream adapter: appends a request to a stream of its own
 * choosing, trimmed to about maxlen entries ("" or NULL: not trimmed). */
void		 store_stream_add(struct store *, const char *stream,
		    const char *maxlen, const char *json,
		    const char *idempotency_key, store_done_cb, void *arg);

#endif
