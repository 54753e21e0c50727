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
 * its adapters meanwhile; the engine that serves it is seen only through
 * the narrow struct sms_host (sms.h), so the two know nothing else of
 * each other.  Redis down, or a failed call, answers "service
 * busy" in the sender's language; nothing half-done is left behind (a
 * pledge is marked done only once the outbox holds its request).
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "adapter.h"
#include "command.h"
#include "conf.h"
#include "log.h"
#include "menu.h"
#include "menu_graph.h"
#include "metrics.h"
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

struct sms {
	struct sms_host	 host;
	struct store	*store;
	struct outbox	*outbox;
	unsigned	 inflight;
};

enum op_state {
	OP_SEEN,	/* GET of a remembered answer pending */
	OP_LOOKUP,	/* the back office's answer pending */
	OP_PROPOSE,	/* pledge proposal pending */
	OP_TAKE,	/* pledge taken by its code pending */
	OP_BOOK,	/* outbox add pending */
	OP_SETTLE,	/* marking the pledge done pending */
	OP_CANCEL,	/* cancelling the waiting pledges pending */
	OP_OPTOUT,	/* setting or clearing the opt-out pending */
};

struct op {
	struct sms			*sms;
	enum op_state			 state;
	struct gen			*gen;
	const struct conf		*conf;		/* gen's */
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
	char				*seen;		/* the remembered
							 * answer */
	enum store_proposed		 proposed;
	enum store_pledge		 taken;
	long long			 count;		/* cancelled */
	int				 found;		/* lookup */
};

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
	free(op->seen);
	op->sms->host.release(op->sms->host.ctx, op->gen);
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
	log_info("event=sms sid=%s msisdn=%s svc=%s command=%s outcome=%s",
	    op->id ? op->id : "-", op->who, op->service,
	    op->cm.cmd ? op->cm.cmd->id : "-", outcome);
	metrics_sms(op->service, op->cm.cmd ? op->cm.cmd->id : "", outcome);
	if (op->remember && strcmp(outcome, "busy") != 0 &&
	    strcmp(outcome, "failed") != 0)
		store_answer_put(op->sms->store, op->msisdn, op->id, text,
		    SEEN_TTL);
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
	store_count(op->sms->store, STORE_COUNT_LIMITED, kind);
	metrics_count(METRICS_LIMITED, kind);
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

/* Each store verb's callback records its result for op_step(). */
static void
stored(const char *err, void *arg)
{
	struct op	*op = arg;

	if (err != NULL)
		op_failed(op, err);
	op_step(op);
}

static void
seen_got(const char *err, const char *text, void *arg)
{
	struct op	*op = arg;

	if (err != NULL)
		op_failed(op, err);
	else if (text != NULL)
		op->seen = xstrdup(text);
	op_step(op);
}

static void
proposed(const char *err, enum store_proposed result, void *arg)
{
	struct op	*op = arg;

	if (err != NULL)
		op_failed(op, err);
	op->proposed = result;
	op_step(op);
}

static void
taken(const char *err, enum store_pledge state, const char *pledge,
    size_t len, void *arg)
{
	struct op	*op = arg;

	if (err != NULL)
		op_failed(op, err);
	op->taken = state;
	if (err == NULL && pledge != NULL &&
	    (op->pledge = json_loadb(pledge, len, 0, NULL)) == NULL)
		op_failed(op, "a pledge that is not JSON");
	op_step(op);
}

static void
cancelled(const char *err, long long n, void *arg)
{
	struct op	*op = arg;

	if (err != NULL)
		op_failed(op, err);
	op->count = n;
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

/* --- what an op starts --------------------------------------------------- */

/* Asks the service's back office, for as long as a hop would wait. */
static void
op_lookup(struct op *op)
{
	const struct menu_command	*cmd = op->cm.cmd;
	const struct conf		*c = op->conf;
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
	op->sms->host.lookup(op->sms->host.ctx, op->gen, op->service, &q,
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
	const struct conf	*c = op->conf;
	const struct menu_command *cmd = op->cm.cmd;
	json_t			*p, *vars;
	char			*json;
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
	op->state = OP_PROPOSE;
	store_pledge_propose(op->sms->store, op->msisdn,
	    &(struct store_proposal){
		.code = op->code,
		.pledge = json,
		.now_ms = t,
		.max_pending = c->sms.pending_pledges,
		.per_hour = c->sms.pledges_per_hour,
		.ttl_s = c->sms.code_ttl + GRACE_S,
	    }, proposed, op);
	free(json);
}

/* YES: the pledge under the code given. */
static void
op_take(struct op *op)
{
	const char	*code = session_get(op->cm.vars,
			    op->cm.cmd->args[0].var);

	snprintf(op->code, sizeof op->code, "%.*s", CODE_DIGITS, code);
	op->state = OP_TAKE;
	store_pledge_take(op->sms->store, op->msisdn, code, now_ms(), taken,
	    op);
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
	outbox_add(op->sms->outbox, ikey, json, stored, op);
	free(json);
	return 0;
}

/* The pledge booked: marked done with its reference. */
static void
op_settle(struct op *op)
{
	char	*json;

	log_info("event=queued msisdn=%s ref=%s request=%s", op->who, op->ref,
	    json_string_value(json_object_get(op->pledge, "request")));
	json_object_set_new(op->pledge, "state", json_string("done"));
	json_object_set_new(op->pledge, "ref", json_string(op->ref));
	json = json_dumps(op->pledge, JSON_COMPACT);
	op->state = OP_SETTLE;
	store_pledge_settle(op->sms->store, op->msisdn, op->code, json,
	    stored, op);
	free(json);
}

/* NO: the sender's waiting pledges dropped. */
static void
op_cancel(struct op *op)
{
	op->state = OP_CANCEL;
	store_pledge_cancel(op->sms->store, op->msisdn, now_ms(), cancelled,
	    op);
}

/* STOP (out) or START. */
static void
op_optout(struct op *op, int out)
{
	op->state = OP_OPTOUT;
	store_optout_set(op->sms->store, op->msisdn, out, stored, op);
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
		if (op->seen == NULL) {
			op_act(op);
			break;
		}
		/* A retry: the answer it got, nothing done again. */
		log_info("event=sms sid=%s msisdn=%s svc=%s outcome=retry",
		    op->id, op->who, op->service);
		op->cb(op->seen, op->arg);
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
		switch (op->proposed) {
		case STORE_PROPOSED:
			session_set(op->cm.vars, "code", op->code);
			op_answer_text(op, &cmd->reply, "proposed");
			break;
		case STORE_CODE_TAKEN:
			if (++op->tries < 5)
				op_propose(op);
			else
				op_answer_message(op, "busy", "busy");
			break;
		case STORE_TOO_MANY_PENDING:
			op_limited(op, "pending_pledges");
			break;
		case STORE_TOO_MANY_PER_HOUR:
			op_limited(op, "pledges_per_hour");
			break;
		}
		break;
	case OP_TAKE:
		if (op->taken == STORE_PLEDGE_UNKNOWN) {
			op_answer_text(op, &cmd->wrong, "wrong_code");
			break;
		}
		if (op->pledge == NULL) {
			op_answer_message(op, "busy", "busy");
			break;
		}
		pledge_vars(op);
		if (op->taken == STORE_PLEDGE_EXPIRED)
			op_answer_text(op, &cmd->expired, "expired_code");
		else if (op->taken == STORE_PLEDGE_DONE &&
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

	(void)fd;
	(void)what;
	command_match(op->menu, op->text, &op->cm);
	op->remember = op->id != NULL && op->cm.kind == MATCH_OK &&
	    changes_state(op->cm.cmd->action);
	if (!op->remember) {
		op_act(op);
		return;
	}
	op->state = OP_SEEN;
	store_answer_get(op->sms->store, op->msisdn, op->id, seen_got, op);
}

void
sms_handle(struct sms *sms, const struct sms_in *in, sms_reply_cb cb,
    void *arg)
{
	struct op			*op = xcalloc(1, sizeof *op);
	const struct conf_service	*svc;

	op->sms = sms;
	op->gen = sms->host.hold(sms->host.ctx, &op->conf);
	op->service = xstrdup(in->service);
	op->msisdn = xstrdup(in->msisdn);
	op->id = in->id != NULL ? xstrdup(in->id) : NULL;
	op->text = xstrdup(in->text);
	op->cb = cb;
	op->arg = arg;
	log_msisdn(op->msisdn, op->who, sizeof op->who);
	if ((svc = conf_service(op->conf, in->service)) == NULL)
		svc = &op->conf->services[0];
	op->menu = svc->menu;
	op->cm.lang = menu_lang_index(op->menu, menu_default_lang(op->menu));
	sms->inflight++;
	/* From the loop, so the answer never comes from inside this call. */
	defer_call(sms->host.base, op_start, op);
}

struct sms *
sms_new(const struct sms_host *host, struct store *store,
    struct outbox *outbox)
{
	struct sms	*sms = xcalloc(1, sizeof *sms);

	sms->host = *host;
	sms->store = store;
	sms->outbox = outbox;
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
