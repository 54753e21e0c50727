/*
 * What the gateway keeps per subscriber, under the {MSISDN} hash tag:
 * opt-out, remembered SMS answers, the daily request limit, pledges and
 * back-office callback claims.  Each verb is one command or one script
 * (store_scripts.c) and a parse function that turns the reply into the
 * verb's typed result; the words the scripts answer with are read here
 * and nowhere else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "store.h"
#include "store_int.h"
#include "util.h"
#include "xmalloc.h"

/* A reply that is one word (a Lua string comes as a bulk string). */
static int
reply_is(const redisReply *r, const char *word)
{
	return (r->type == REDIS_REPLY_STATUS ||
	    r->type == REDIS_REPLY_STRING) && strcmp(r->str, word) == 0;
}

/* Opt-out. */

void
store_optout_set(struct store *st, const char *msisdn, int out,
    store_done_cb cb, void *arg)
{
	char		*key = store_key_optout(msisdn);
	const char	*argv[] = { out ? "SET" : "DEL", key, "1" };

	store_command(st, out ? 3 : 2, argv, NULL, store_parse_done,
	    (store_fn)cb, arg);
	free(key);
}

static void
parse_optout(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	((store_optout_cb)cb)(err, err == NULL &&
	    r->type == REDIS_REPLY_STRING, arg);
}

void
store_optout_get(struct store *st, const char *msisdn, store_optout_cb cb,
    void *arg)
{
	char		*key = store_key_optout(msisdn);
	const char	*argv[] = { "GET", key };

	store_command(st, 2, argv, NULL, parse_optout, (store_fn)cb, arg);
	free(key);
}

/* Remembered answers. */

void
store_answer_put(struct store *st, const char *msisdn, const char *id,
    const char *text, unsigned ttl_s)
{
	char		*key = store_key_answer(msisdn, id), ttl[16];
	const char	*argv[] = { "SET", key, text, "EX", ttl };

	snprintf(ttl, sizeof ttl, "%u", ttl_s);
	store_command(st, 5, argv, NULL, store_parse_ignore, NULL, "answer");
	free(key);
}

static void
parse_answer(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	((store_answer_cb)cb)(err, err == NULL &&
	    r->type == REDIS_REPLY_STRING ? r->str : NULL, arg);
}

void
store_answer_get(struct store *st, const char *msisdn, const char *id,
    store_answer_cb cb, void *arg)
{
	char		*key = store_key_answer(msisdn, id);
	const char	*argv[] = { "GET", key };

	store_command(st, 2, argv, NULL, parse_answer, (store_fn)cb, arg);
	free(key);
}

/* The daily request limit. */

static void
parse_limit(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	((store_limit_cb)cb)(err, err == NULL &&
	    r->type == REDIS_REPLY_INTEGER && r->integer == 0 ? STORE_OVER :
	    STORE_WITHIN, arg);
}

void
store_requests_count(struct store *st, const char *msisdn,
    const char *service, unsigned max, store_limit_cb cb, void *arg)
{
	struct store_keyargs ka = { .msisdn = msisdn, .service = service,
	    .now_ms = now_ms() };

	store_eval_number(st, SCRIPT_REQUESTS_COUNT, &ka, max, parse_limit,
	    (store_fn)cb, arg);
}

/* Pledges. */

static void
parse_proposed(const char *err, const redisReply *r, store_fn cb,
    void *arg)
{
	store_proposed_cb	 proposed = (store_proposed_cb)cb;

	if (err != NULL)
		proposed(err, STORE_PROPOSED, arg);
	else if (reply_is(r, "ok"))
		proposed(NULL, STORE_PROPOSED, arg);
	else if (reply_is(r, "taken"))
		proposed(NULL, STORE_CODE_TAKEN, arg);
	else if (reply_is(r, "pending"))
		proposed(NULL, STORE_TOO_MANY_PENDING, arg);
	else if (reply_is(r, "rate"))
		proposed(NULL, STORE_TOO_MANY_PER_HOUR, arg);
	else
		proposed("unexpected reply", STORE_PROPOSED, arg);
}

void
store_pledge_propose(struct store *st, const char *msisdn,
    const struct store_proposal *p, store_proposed_cb cb, void *arg)
{
	struct store_keyargs ka = { .msisdn = msisdn, .now_ms = p->now_ms };
	char		 now[24], pend[16], per_hour[16], ttl[16];
	const char	*argv[] = { p->code, p->pledge, now, pend, per_hour,
			    ttl };

	snprintf(now, sizeof now, "%lld", p->now_ms);
	snprintf(pend, sizeof pend, "%u", p->max_pending);
	snprintf(per_hour, sizeof per_hour, "%u", p->per_hour);
	snprintf(ttl, sizeof ttl, "%u", p->ttl_s);
	store_eval(st, SCRIPT_PLEDGE_PROPOSE, &ka, 6, argv, NULL,
	    parse_proposed, (store_fn)cb, arg);
}

static void
parse_pledge(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	store_pledge_cb		 taken = (store_pledge_cb)cb;
	const redisReply	*w, *p;
	enum store_pledge	 state;

	if (err == NULL && (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    (r->elements > 1 && r->element[1]->type != REDIS_REPLY_STRING)))
		err = "unexpected reply";
	if (err != NULL) {
		taken(err, STORE_PLEDGE_UNKNOWN, NULL, 0, arg);
		return;
	}
	w = r->element[0];
	p = r->elements > 1 ? r->element[1] : NULL;
	if (reply_is(w, "wrong"))
		state = STORE_PLEDGE_UNKNOWN;
	else if (reply_is(w, "done"))
		state = STORE_PLEDGE_DONE;
	else if (reply_is(w, "expired"))
		state = STORE_PLEDGE_EXPIRED;
	else
		state = STORE_PLEDGE_WAITING;
	if (state == STORE_PLEDGE_UNKNOWN || p == NULL)
		taken(NULL, state, NULL, 0, arg);
	else
		taken(NULL, state, p->str, (size_t)p->len, arg);
}

void
store_pledge_take(struct store *st, const char *msisdn, const char *code,
    long long now, store_pledge_cb cb, void *arg)
{
	struct store_keyargs ka = { .msisdn = msisdn };
	char		 t[24];
	const char	*argv[] = { code, t };

	snprintf(t, sizeof t, "%lld", now);
	store_eval(st, SCRIPT_PLEDGE_TAKE, &ka, 2, argv, NULL, parse_pledge,
	    (store_fn)cb, arg);
}

void
store_pledge_cancel(struct store *st, const char *msisdn, long long now,
    store_number_cb cb, void *arg)
{
	struct store_keyargs ka = { .msisdn = msisdn };

	store_eval_number(st, SCRIPT_PLEDGE_CANCEL, &ka, now,
	    store_parse_number, (store_fn)cb, arg);
}

void
store_pledge_settle(struct store *st, const char *msisdn, const char *code,
    const char *pledge, store_done_cb cb, void *arg)
{
	char		*key = store_key_pledges(msisdn);
	const char	*argv[] = { "HSET", key, code, pledge };

	store_command(st, 4, argv, NULL, store_parse_done, (store_fn)cb, arg);
	free(key);
}

/* Back-office callbacks. */

static void
parse_claim(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	store_claim_cb	 claimed = (store_claim_cb)cb;

	if (err != NULL)
		claimed(err, STORE_CLAIMED, NULL, arg);
	else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING)
		claimed(NULL, STORE_CLAIM_DUPLICATE, r->element[1]->str, arg);
	else if (reply_is(r, "replayed"))
		claimed(NULL, STORE_CLAIM_REPLAYED, NULL, arg);
	else if (reply_is(r, "optout"))
		claimed(NULL, STORE_CLAIM_OPTOUT, NULL, arg);
	else
		claimed(NULL, STORE_CLAIMED, NULL, arg);
}

void
store_notify_claim(struct store *st, const char *msisdn, const char *key,
    const char *sig, unsigned ttl_s, unsigned window_s, store_claim_cb cb,
    void *arg)
{
	struct store_keyargs ka = { .msisdn = msisdn, .ikey = key,
	    .sig = sig };
	char		 ttl[16], window[16];
	const char	*argv[] = { ttl, window };

	snprintf(ttl, sizeof ttl, "%u", ttl_s);
	snprintf(window, sizeof window, "%u", window_s);
	store_eval(st, SCRIPT_NOTIFY_CLAIM, &ka, 2, argv, NULL, parse_claim,
	    (store_fn)cb, arg);
}

void
store_notify_sent(struct store *st, const char *msisdn, const char *key,
    const char *id)
{
	char		*claim = store_key_notify_claim(msisdn, key);
	const char	*argv[] = { "SET", claim, id, "KEEPTTL" };

	store_command(st, 4, argv, NULL, store_parse_ignore, NULL, "sent");
	free(claim);
}

void
store_notify_release(struct store *st, const char *msisdn, const char *key,
    const char *sig)
{
	char		*claim = store_key_notify_claim(msisdn, key);
	char		*seen = store_key_notify_sig(msisdn, sig);
	const char	*argv[] = { "DEL", claim, seen };

	store_command(st, 3, argv, NULL, store_parse_ignore, NULL, "release");
	free(claim);
	free(seen);
}
