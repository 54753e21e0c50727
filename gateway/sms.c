/*
 * Donors by SMS (see sms.h).  One message is one op, a small state
 * machine like a hop: callbacks only record what they got and call
 * op_step(), which decides what happens next.
 *
 *	SEEN? ─▶ (match, act) ─▶ LOOKUP                      ─▶ answer
 *	                         PROPOSE (─▶ PROPOSE again)
 *	                         TAKE ─▶ BOOK ─▶ SETTLE
 *	                         CANCEL
 *	                         OPTOUT
 *
 * Matching is pure (command.c).  The configuration generation the message
 * started in is held throughout, so a reload frees neither its menu nor
 * its adapters meanwhile.  Redis down, or a failed call, answers "service
 * busy" in the sender's language; nothing half-done is left behind (a
 * pledge is marked done only once the outbox holds its request).
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "adapter.h"
#include "command.h"
#include "engine.h"
#include "log.h"
#include "menu.h"
#include "menu_graph.h"
#include "outbox.h"
#include "refcode.h"
#include "session.h"
#include "sms.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define SEEN_TTL	86400		/* s an answer is kept for retries */
#define GRACE_S		86400		/* s an expired code still says so */
#define CODE_DIGITS	4

/* A pledge proposed: counts those waiting (and drops nothing), refuses
 * past the limits, stores it under a code not in use.  KEYS: pledges,
 * rate.  ARGV: code, pledge, now_ms, max waiting, max per hour (0: no
 * limit), TTL of the hash.  Returns ok, taken (code in use), pending or
 * rate (a limit). */
static const char propose_script[] =
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

/* YES: the pledge under a code.  KEYS: pledges.  ARGV: code, now_ms.
 * Returns {state, pledge}: ok, done, expired, or {wrong}. */
static const char take_script[] =
    "local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not v then return {'wrong'} end\n"
    "local p = cjson.decode(v)\n"
    "if p.state == 'done' then return {'done', v} end\n"
    "if p.expires_ms <= tonumber(ARGV[2]) then return {'expired', v} end\n"
    "return {'ok', v}\n";

/* NO: drops every pledge still waiting.  KEYS: pledges.  ARGV: now_ms.
 * Returns how many. */
static const char cancel_script[] =
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

struct sms {
	struct engine	*e;
	struct store	*store;
	struct outbox	*outbox;
	int		 s_propose, s_take, s_cancel;
	unsigned	 inflight;
};

enum op_state {
	OP_SEEN,	/* GET of a remembered answer pending */
	OP_LOOKUP,	/* the back office's answer pending */
	OP_PROPOSE,	/* propose script pending */
	OP_TAKE,	/* take script pending */
	OP_BOOK,	/* outbox add pending */
	OP_SETTLE,	/* marking the pledge done pending */
	OP_CANCEL,	/* cancel script pending */
	OP_OPTOUT,	/* SET or DEL of the opt-out pending */
};

struct op {
	struct sms			*sms;
	enum op_state			 state;
	struct gen			*gen;
	const struct menu		*menu;
	char				*service;
	char				*msisdn;
	char				 who[16];
	char				*id;
	char				*text;
	struct command_match		 cm;
	sms_reply_cb			 cb;
	void				*arg;
	char				 code[CODE_DIGITS + 1];
	int				 tries;
	json_t				*pledge;	/* taken by YES */
	char				 ref[REFCODE_LEN + 1];
	int				 remember;	/* the answer, for a
							 * retry */

	/* What the last call came back with. */
	char				*err;
	char				*result;	/* a script's word, or
							 * the remembered
							 * answer */
	long long			 count;		/* cancelled */
	int				 found;		/* lookup */
};

char *
sms_key(const char *msisdn, const char *what)
{
	char	*k;

	xasprintf(&k, "asanigw:{%s}:%s", msisdn, what);
	return k;
}

/* Where the answer to the op's message is remembered. */
static char *
seen_key(const struct op *op)
{
	char	*k;

	xasprintf(&k, "asanigw:{%s}:sms:%s", op->msisdn, op->id);
	return k;
}

static const char *
op_lang(const struct op *op)
{
	return menu_lang(op->menu, op->cm.lang);
}

static void
op_free(struct op *op)
{
	op->sms->inflight--;
	command_match_clear(&op->cm);
	json_decref(op->pledge);
	free(op->err);
	free(op->result);
	engine_release(op->gen);
	free(op->service);
	free(op->msisdn);
	free(op->id);
	free(op->text);
	free(op);
}

/* Whether doing it twice would do more than doing it once (or answer
 * differently): such a message's answer is remembered for smsbox's
 * retries.  Every other answer follows from the text alone. */
static int
changes_state(enum command_action a)
{
	return a == ACTION_CONFIRM || a == ACTION_YES || a == ACTION_NO ||
	    a == ACTION_STOP || a == ACTION_START;
}

/* Answers, remembers the answer for a retry of the same message (unless
 * it only says to try again), and ends the op. */
static void
op_answer(struct op *op, const char *text, const char *outcome)
{
	const char	*argv[5];
	char		*key, ttl[16];

	log_info("event=sms sid=%s msisdn=%s svc=%s command=%s outcome=%s",
	    op->id ? op->id : "-", op->who, op->service,
	    op->cm.cmd ? op->cm.cmd->id : "-", outcome);
	if (op->remember && strcmp(outcome, "busy") != 0 &&
	    strcmp(outcome, "failed") != 0) {
		key = seen_key(op);
		snprintf(ttl, sizeof ttl, "%d", SEEN_TTL);
		argv[0] = "SET";
		argv[1] = key;
		argv[2] = text;
		argv[3] = "EX";
		argv[4] = ttl;
		store_command(op->sms->store, 5, argv, NULL, store_ignore,
		    "answer");
		free(key);
	}
	op->cb(text, op->arg);
	op_free(op);
}

/* A text of the menu in the op's language, with the op's variables. */
static void
op_answer_text(struct op *op, const struct menu_text *t, const char *outcome)
{
	char	*s = menu_render(op->menu, op->cm.vars, op->cm.lang, t);

	op_answer(op, s, outcome);
	free(s);
}

static void
op_answer_message(struct op *op, const char *name, const char *outcome)
{
	op_answer(op, menu_message(op->menu, name, op_lang(op)), outcome);
}

/* Counts a refusal by a limit, for operators. */
static void
op_limited(struct op *op, const char *kind)
{
	log_info("event=limited kind=%s msisdn=%s svc=%s", kind, op->who,
	    op->service);
	store_count(op->sms->store, STORE_LIMITED_KEY, kind);
	op_answer_message(op, "limited", "limited");
}

/* --- what calls come back with ---------------------------------------- */

static void	op_step(struct op *);

static void
op_failed(struct op *op, const char *err)
{
	free(op->err);
	op->err = xstrdup(err);
}

/* Every Redis call of an op: records the reply for the state it is in. */
static void
redis_done(const char *err, const redisReply *r, void *arg)
{
	struct op	*op = arg;

	if (err != NULL) {
		op_failed(op, err);
		op_step(op);
		return;
	}
	free(op->result);
	op->result = NULL;
	switch (op->state) {
	case OP_SEEN:
		if (r->type == REDIS_REPLY_STRING)
			op->result = xstrdup(r->str);
		break;
	case OP_PROPOSE:
		if (r->type == REDIS_REPLY_STATUS ||
		    r->type == REDIS_REPLY_STRING)
			op->result = xstrdup(r->str);
		else
			op_failed(op, "unexpected reply");
		break;
	case OP_TAKE:
		if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    (r->elements > 1 &&
		    r->element[1]->type != REDIS_REPLY_STRING))
			op_failed(op, "unexpected reply");
		else {
			op->result = xstrdup(r->element[0]->str);
			if (r->elements > 1 && (op->pledge = json_loads(
			    r->element[1]->str, 0, NULL)) == NULL)
				op_failed(op, "a pledge that is not JSON");
		}
		break;
	case OP_CANCEL:
		if (r->type == REDIS_REPLY_INTEGER)
			op->count = r->integer;
		else
			op_failed(op, "unexpected reply");
		break;
	default:
		break;
	}
	op_step(op);
}

static void
answered(const char *err, const struct answer *a, void *arg)
{
	struct op	*op = arg;

	if (err != NULL)
		op_failed(op, err);
	else if ((op->found = a->found))
		for (size_t i = 0; i < a->nfields; i++)
			session_set(op->cm.vars, a->names[i], a->values[i]);
	op_step(op);
}

static void
pledge_added(const char *err, void *arg)
{
	struct op	*op = arg;

	if (err != NULL)
		op_failed(op, err);
	op_step(op);
}

/* --- what an op starts --------------------------------------------------- */

/* Asks the service's back office, for as long as a hop would wait. */
static void
op_lookup(struct op *op)
{
	const struct menu_command	*cmd = op->cm.cmd;
	const struct conf		*c = gen_conf(op->gen);
	const char			**names, **values, *v;
	struct query			 q;

	names = xcalloc(cmd->nfields + 1, sizeof *names);
	values = xcalloc(cmd->nfields + 1, sizeof *values);
	for (size_t i = 0; i < cmd->nfields; i++) {
		v = session_get(op->cm.vars, cmd->fields[i]);
		names[i] = cmd->fields[i];
		values[i] = v != NULL ? v : "";
	}
	q = (struct query){
		.kind = cmd->query,
		.service = op->service,
		.msisdn = op->msisdn,
		.msisdn_hash = op->who,
		.lang = op_lang(op),
		.names = names,
		.values = values,
		.nparams = cmd->nfields,
	};
	op->state = OP_LOOKUP;
	engine_lookup(op->sms->e, op->gen, op->service, &q,
	    c->hop_deadline_ms - c->redis_timeout_ms, answered, op);
	free(names);
	free(values);
}

/* A random code of CODE_DIGITS digits, without modulo bias. */
static void
new_code(char *buf)
{
	unsigned char	 b[2];
	unsigned	 v;

	do {
		if (RAND_bytes(b, sizeof b) != 1)
			fatalx("RAND_bytes failed");
		v = (unsigned)b[0] << 8 | b[1];
	} while (v >= 60000);		/* 6 x 10000 */
	snprintf(buf, CODE_DIGITS + 1, "%04u", v % 10000);
}

/* A pledge proposed: kept under a fresh code, within the limits. */
static void
op_propose(struct op *op)
{
	const struct conf	*c = gen_conf(op->gen);
	const struct menu_command *cmd = op->cm.cmd;
	json_t			*p, *vars;
	char			*pledges, *rate, *json, now[24], pend[16],
				 per_hour[16], ttl[16], what[48];
	const char		*argv[8];
	long long		 t = now_ms();

	new_code(op->code);
	vars = json_object();
	for (size_t i = 0; i < op->cm.vars->nvars; i++)
		json_object_set_new(vars, op->cm.vars->vars[i].name,
		    json_string(op->cm.vars->vars[i].value));
	p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}",
	    "state", "pending", "command", cmd->id, "request", cmd->request,
	    "lang", op_lang(op), "created_ms", (json_int_t)t,
	    "expires_ms", (json_int_t)(t + (long long)c->sms.code_ttl * 1000),
	    "vars", vars);
	json = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	pledges = sms_key(op->msisdn, "pledges");
	snprintf(what, sizeof what, "rate:pledge:%lld", t / 3600000);
	rate = sms_key(op->msisdn, what);
	snprintf(now, sizeof now, "%lld", t);
	snprintf(pend, sizeof pend, "%u", c->sms.pending_pledges);
	snprintf(per_hour, sizeof per_hour, "%u", c->sms.pledges_per_hour);
	snprintf(ttl, sizeof ttl, "%u", c->sms.code_ttl + GRACE_S);
	argv[0] = pledges;
	argv[1] = rate;
	argv[2] = op->code;
	argv[3] = json;
	argv[4] = now;
	argv[5] = pend;
	argv[6] = per_hour;
	argv[7] = ttl;
	op->state = OP_PROPOSE;
	store_eval(op->sms->store, op->sms->s_propose, 2, 8, argv, NULL,
	    redis_done, op);
	free(pledges);
	free(rate);
	free(json);
}

/* YES: the pledge under the code given. */
static void
op_take(struct op *op)
{
	const char	*argv[3];
	char		*pledges, now[24];
	const char	*code = session_get(op->cm.vars,
			    op->cm.cmd->args[0].var);

	snprintf(op->code, sizeof op->code, "%.*s", CODE_DIGITS, code);
	pledges = sms_key(op->msisdn, "pledges");
	snprintf(now, sizeof now, "%lld", now_ms());
	argv[0] = pledges;
	argv[1] = code;
	argv[2] = now;
	op->state = OP_TAKE;
	store_eval(op->sms->store, op->sms->s_take, 1, 3, argv, NULL,
	    redis_done, op);
	free(pledges);
}

/* The pledge's variables back into the op, for its texts. */
static void
pledge_vars(struct op *op)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(json_object_get(op->pledge, "vars"), k, v)
		if (json_is_string(v))
			session_set(op->cm.vars, k, json_string_value(v));
	session_set(op->cm.vars, "code", op->code);
}

/* The command a pledge was proposed by, in this generation's menu. */
static const struct menu_command *
pledge_command(const struct op *op)
{
	const char	*id = json_string_value(json_object_get(op->pledge,
			    "command"));

	for (size_t i = 0; id != NULL && i < menu_ncommands(op->menu); i++)
		if (strcmp(menu_command(op->menu, i)->id, id) == 0)
			return menu_command(op->menu, i);
	return NULL;
}

/*
 * The request of a pledge into the outbox.  Its key and reference come
 * from the pledge itself, so a YES repeated meanwhile books it once under
 * the same reference.  -1 if it cannot be made.
 */
static int
op_book(struct op *op)
{
	const struct menu_command	*cmd = pledge_command(op);
	const char			**names, **values, *v;
	unsigned char			 md[SHA256_DIGEST_LENGTH];
	char				 ikey[33], *in, *json;
	struct request			 req;
	size_t				 n = 0;
	json_t				*vars = json_object_get(op->pledge,
					    "vars");

	xasprintf(&in, "%s|%s|%s|%lld", op->service, op->msisdn, op->code,
	    (long long)json_integer_value(json_object_get(op->pledge,
	    "created_ms")));
	SHA256((const unsigned char *)in, strlen(in), md);
	free(in);
	hex_encode(md, 16, ikey, sizeof ikey);
	refcode_from(md + 16, op->ref, sizeof op->ref);

	names = xcalloc(json_object_size(vars) + 1, sizeof *names);
	values = xcalloc(json_object_size(vars) + 1, sizeof *values);
	for (size_t i = 0; cmd != NULL && i < cmd->nfields; i++) {
		v = json_string_value(json_object_get(vars, cmd->fields[i]));
		names[n] = cmd->fields[i];
		values[n++] = v != NULL ? v : "";
	}
	req = (struct request){
		.idempotency_key = ikey,
		.ref = op->ref,
		.service = op->service,
		.kind = json_string_value(json_object_get(op->pledge,
		    "request")),
		.msisdn = op->msisdn,
		.msisdn_hash = op->who,
		.lang = op_lang(op),
		.ts_ms = now_ms(),
		.names = names,
		.values = values,
		.nfields = n,
	};
	json = req.kind != NULL ? request_json(&req) : NULL;
	free(names);
	free(values);
	if (json == NULL)
		return -1;
	op->state = OP_BOOK;
	outbox_add(op->sms->outbox, ikey, json, pledge_added, op);
	free(json);
	return 0;
}

/* The pledge booked: marked done with its reference. */
static void
op_settle(struct op *op)
{
	const char	*argv[4];
	char		*pledges, *json;

	log_info("event=queued msisdn=%s ref=%s request=%s", op->who, op->ref,
	    json_string_value(json_object_get(op->pledge, "request")));
	json_object_set_new(op->pledge, "state", json_string("done"));
	json_object_set_new(op->pledge, "ref", json_string(op->ref));
	json = json_dumps(op->pledge, JSON_COMPACT);
	pledges = sms_key(op->msisdn, "pledges");
	argv[0] = "HSET";
	argv[1] = pledges;
	argv[2] = op->code;
	argv[3] = json;
	op->state = OP_SETTLE;
	store_command(op->sms->store, 4, argv, NULL, redis_done, op);
	free(pledges);
	free(json);
}

/* NO: the sender's waiting pledges dropped. */
static void
op_cancel(struct op *op)
{
	const char	*argv[2];
	char		*pledges, now[24];

	pledges = sms_key(op->msisdn, "pledges");
	snprintf(now, sizeof now, "%lld", now_ms());
	argv[0] = pledges;
	argv[1] = now;
	op->state = OP_CANCEL;
	store_eval(op->sms->store, op->sms->s_cancel, 1, 2, argv, NULL,
	    redis_done, op);
	free(pledges);
}

/* STOP (out) or START. */
static void
op_optout(struct op *op, int out)
{
	const char	*argv[3];
	char		*key = sms_key(op->msisdn, "optout");

	argv[0] = out ? "SET" : "DEL";
	argv[1] = key;
	argv[2] = "1";
	op->state = OP_OPTOUT;
	store_command(op->sms->store, out ? 3 : 2, argv, NULL, redis_done,
	    op);
	free(key);
}

/* --- deciding ------------------------------------------------------------ */

/* The pledge's `done` text with its reference. */
static void
op_confirmed(struct op *op)
{
	const struct menu_command	*cmd = pledge_command(op);

	session_set(op->cm.vars, "ref", op->ref);
	if (cmd == NULL || cmd->done.tr == NULL)
		op_answer(op, op->ref, "confirmed");
	else
		op_answer_text(op, &cmd->done, "confirmed");
}

/* The message matched: its command carried out, or answered at once. */
static void
op_act(struct op *op)
{
	const struct menu_command	*cmd = op->cm.cmd, *help;

	if (op->cm.kind == MATCH_UNKNOWN) {
		help = menu_command_by_action(op->menu, ACTION_HELP);
		if (help != NULL)
			op_answer_text(op, &help->reply, "unknown");
		else
			op_answer_message(op, "sms", "unknown");
		return;
	}
	if (op->cm.kind == MATCH_USAGE) {
		op_answer_text(op, &cmd->usage, "usage");
		return;
	}
	switch (cmd->action) {
	case ACTION_REPLY:
	case ACTION_HELP:
		op_answer_text(op, &cmd->reply, "reply");
		break;
	case ACTION_LOOKUP:
		op_lookup(op);
		break;
	case ACTION_CONFIRM:
		op_propose(op);
		break;
	case ACTION_YES:
		op_take(op);
		break;
	case ACTION_NO:
		op_cancel(op);
		break;
	case ACTION_STOP:
	case ACTION_START:
		op_optout(op, cmd->action == ACTION_STOP);
		break;
	}
}

/* A call came back (its result recorded): what next. */
static void
op_step(struct op *op)
{
	const struct menu_command	*cmd = op->cm.cmd;
	char				*list;

	if (op->err != NULL && op->state != OP_LOOKUP &&
	    op->state != OP_SETTLE) {
		log_warnx("event=sms-failed msisdn=%s state=%d error=\"%s\"",
		    op->who, (int)op->state, op->err);
		op_answer_message(op, op->state == OP_BOOK ? "failed" :
		    "busy", op->state == OP_BOOK ? "failed" : "busy");
		return;
	}
	switch (op->state) {
	case OP_SEEN:
		if (op->result == NULL) {
			op_act(op);
			break;
		}
		/* A retry: the answer it got, nothing done again. */
		log_info("event=sms sid=%s msisdn=%s svc=%s outcome=retry",
		    op->id, op->who, op->service);
		op->cb(op->result, op->arg);
		op_free(op);
		break;
	case OP_LOOKUP:
		if (op->err != NULL) {
			log_warnx("event=lookup-failed msisdn=%s query=%s "
			    "error=\"%s\"", op->who, cmd->query, op->err);
			op_answer_text(op, &cmd->fallback, "fallback");
		} else if (!op->found)
			op_answer_text(op, cmd->not_found.tr != NULL ?
			    &cmd->not_found : &cmd->reply, "not_found");
		else {
			if (cmd->list != NULL) {
				list = command_list(op->menu, cmd,
				    op->cm.lang, op->cm.vars);
				session_set(op->cm.vars, cmd->list, list);
				free(list);
			}
			op_answer_text(op, &cmd->reply, "found");
		}
		break;
	case OP_PROPOSE:
		if (strcmp(op->result, "ok") == 0) {
			session_set(op->cm.vars, "code", op->code);
			op_answer_text(op, &cmd->reply, "proposed");
		} else if (strcmp(op->result, "taken") == 0 && ++op->tries < 5)
			op_propose(op);
		else if (strcmp(op->result, "pending") == 0)
			op_limited(op, "pending_pledges");
		else if (strcmp(op->result, "rate") == 0)
			op_limited(op, "pledges_per_hour");
		else
			op_answer_message(op, "busy", "busy");
		break;
	case OP_TAKE:
		if (strcmp(op->result, "wrong") == 0) {
			op_answer_text(op, &cmd->wrong, "wrong_code");
			break;
		}
		if (op->pledge == NULL) {
			op_answer_message(op, "busy", "busy");
			break;
		}
		pledge_vars(op);
		if (strcmp(op->result, "expired") == 0)
			op_answer_text(op, &cmd->expired, "expired_code");
		else if (strcmp(op->result, "done") == 0 &&
		    json_is_string(json_object_get(op->pledge, "ref"))) {
			snprintf(op->ref, sizeof op->ref, "%s",
			    json_string_value(json_object_get(op->pledge,
			    "ref")));
			op_confirmed(op);
		} else if (op_book(op) == -1)
			op_answer_message(op, "failed", "failed");
		break;
	case OP_BOOK:
		op_settle(op);
		break;
	case OP_SETTLE:
		/* The request is in the outbox: a YES again is booked once
		 * (same key) and answered the same. */
		if (op->err != NULL)
			log_warnx("event=sms-failed msisdn=%s what=settle "
			    "error=\"%s\"", op->who, op->err);
		op_confirmed(op);
		break;
	case OP_CANCEL:
		op_answer_text(op, op->count > 0 ? &cmd->reply : &cmd->none,
		    op->count > 0 ? "cancelled" : "none");
		break;
	case OP_OPTOUT:
		log_info("event=%s msisdn=%s", cmd->action == ACTION_STOP ?
		    "opt-out" : "opt-in", op->who);
		op_answer_text(op, &cmd->reply, cmd->action == ACTION_STOP ?
		    "stopped" : "started");
		break;
	}
}

static void
op_start(evutil_socket_t fd, short what, void *arg)
{
	struct op	*op = arg;
	const char	*argv[2];
	char		*key;

	(void)fd;
	(void)what;
	command_match(op->menu, op->text, &op->cm);
	op->remember = op->id != NULL && op->cm.kind == MATCH_OK &&
	    changes_state(op->cm.cmd->action);
	if (!op->remember) {
		op_act(op);
		return;
	}
	key = seen_key(op);
	argv[0] = "GET";
	argv[1] = key;
	op->state = OP_SEEN;
	store_command(op->sms->store, 2, argv, NULL, redis_done, op);
	free(key);
}

void
sms_handle(struct sms *sms, const struct sms_in *in, sms_reply_cb cb,
    void *arg)
{
	struct op			*op = xcalloc(1, sizeof *op);
	const struct conf_service	*svc;

	op->sms = sms;
	op->gen = engine_hold(sms->e);
	op->service = xstrdup(in->service);
	op->msisdn = xstrdup(in->msisdn);
	op->id = in->id != NULL ? xstrdup(in->id) : NULL;
	op->text = xstrdup(in->text);
	op->cb = cb;
	op->arg = arg;
	log_msisdn(op->msisdn, op->who, sizeof op->who);
	if ((svc = conf_service(gen_conf(op->gen), in->service)) == NULL)
		svc = &gen_conf(op->gen)->services[0];
	op->menu = svc->menu;
	op->cm.lang = menu_lang_index(op->menu, menu_default_lang(op->menu));
	sms->inflight++;
	/* From the loop, so the answer never comes from inside this call. */
	defer_call(engine_base(sms->e), op_start, op);
}

struct sms *
sms_new(struct engine *e, struct store *store, struct outbox *outbox)
{
	struct sms	*sms = xcalloc(1, sizeof *sms);

	sms->e = e;
	sms->store = store;
	sms->outbox = outbox;
	sms->s_propose = store_script_add(store, propose_script);
	sms->s_take = store_script_add(store, take_script);
	sms->s_cancel = store_script_add(store, cancel_script);
	return sms;
}

void
sms_free(struct sms *sms)
{
	free(sms);
}

unsigned
sms_inflight(const struct sms *sms)
{
	return sms->inflight;
}
