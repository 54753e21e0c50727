/*
 * The outbox's stream verbs (outbox.h says how delivery uses them) and
 * the redis-stream adapter's append.  Stream replies are nested arrays
 * ([id, [field, value, ...]]); they are read here into store_entry
 * arrays, valid during the callback, so the outbox deals in ids and
 * requests only.  Everything lives under the {outbox} hash tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "store.h"
#include "store_int.h"
#include "util.h"
#include "xmalloc.h"

void
store_add_once(struct store *st, enum store_script script, const char *ikey,
    const char *json, unsigned ttl_s, store_parse_fn parse, store_fn cb,
    void *arg)
{
	struct store_keyargs ka = { .ikey = ikey };
	char		 ttl[16];
	const char	*argv[] = { json, ttl };

	snprintf(ttl, sizeof ttl, "%u", ttl_s);
	store_eval(st, script, &ka, 2, argv, NULL, parse, cb, arg);
}

/* Appended, or was already. */
void
store_outbox_add(struct store *st, const char *ikey, const char *json,
    unsigned ttl_s, store_done_cb cb, void *arg)
{
	store_add_once(st, SCRIPT_OUTBOX_ADD, ikey, json, ttl_s,
	    store_parse_done, (store_fn)cb, arg);
}

struct replicated {
	struct store	*st;
	unsigned	 replicas, wait_ms;
	store_done_cb	 cb;
	void		*arg;
};

/* In on the master: now on the replicas. */
static void
parse_added(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	struct replicated	*rp = arg;

	(void)r;
	(void)cb;
	if (err != NULL)
		rp->cb(err, rp->arg);
	else
		store_replicated(rp->st, rp->replicas, rp->wait_ms, rp->cb,
		    rp->arg);
	free(rp);
}

void
store_outbox_add_replicated(struct store *st, const char *ikey,
    const char *json, unsigned ttl_s, unsigned replicas, unsigned wait_ms,
    store_done_cb cb, void *arg)
{
	struct replicated *rp = xcalloc(1, sizeof *rp);

	*rp = (struct replicated){ st, replicas, wait_ms, cb, arg };
	store_add_once(st, SCRIPT_OUTBOX_ADD, ikey, json, ttl_s, parse_added,
	    NULL, rp);
}

static void
parse_group(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	(void)r;
	if (err != NULL && strncmp(err, "BUSYGROUP", 9) == 0)
		err = NULL;	/* it was there */
	((store_done_cb)cb)(err, arg);
}

void
store_outbox_group(struct store *st, store_done_cb cb, void *arg)
{
	const char	*argv[] = { "XGROUP", "CREATE", STORE_KEY_OUTBOX,
			    STORE_OUTBOX_GROUP, "0", "MKSTREAM" };

	store_command(st, 6, argv, NULL, parse_group, (store_fn)cb, arg);
}

/*
 * Entries [[id, [field, value, ...]], ...] to the callback: the request
 * is field r.  Anything that is not an entry with an id is skipped.
 */
void
store_entries_fire(store_entries_cb cb, const redisReply *list, void *arg)
{
	struct store_entry	*e;
	const redisReply	*x, *f;
	size_t			 n = 0;

	if (list == NULL || list->type != REDIS_REPLY_ARRAY) {
		cb(NULL, 0, NULL, 0, arg);
		return;
	}
	e = xcalloc(list->elements + 1, sizeof *e);
	for (size_t i = 0; i < list->elements; i++) {
		x = list->element[i];
		if (x == NULL || x->type != REDIS_REPLY_ARRAY ||
		    x->elements < 2 || x->element[0]->type !=
		    REDIS_REPLY_STRING)
			continue;
		e[n].id = x->element[0]->str;
		f = x->element[1];
		for (size_t j = 0; f->type == REDIS_REPLY_ARRAY &&
		    j + 1 < f->elements; j += 2)
			if (f->element[j]->type == REDIS_REPLY_STRING &&
			    strcmp(f->element[j]->str, "r") == 0 &&
			    f->element[j + 1]->type == REDIS_REPLY_STRING)
				e[n].json = f->element[j + 1]->str;
		n++;
	}
	cb(NULL, 0, e, n, arg);
	free(e);
}

static void
entries_failed(store_entries_cb cb, const char *err, void *arg)
{
	cb(err, strncmp(err, "NOGROUP", 7) == 0, NULL, 0, arg);
}

/* [[stream, [[id, fields], ...]]], or nil when nothing came. */
static void
parse_read(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	store_entries_cb	 read = (store_entries_cb)cb;

	if (err != NULL)
		entries_failed(read, err, arg);
	else if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2)
		store_entries_fire(read, r->element[0]->element[1], arg);
	else
		store_entries_fire(read, NULL, arg);
}

void
store_outbox_read(struct store *st, const char *consumer, unsigned count,
    const char *after, store_entries_cb cb, void *arg)
{
	char		 n[16];
	const char	*argv[] = { "XREADGROUP", "GROUP", STORE_OUTBOX_GROUP,
			    consumer, "COUNT", n, "STREAMS", STORE_KEY_OUTBOX,
			    after != NULL ? after : ">" };

	snprintf(n, sizeof n, "%u", count);
	store_command(st, 9, argv, NULL, parse_read, (store_fn)cb, arg);
}

/* [next-id, [[id, fields], ...], [deleted ids]] */
static void
parse_autoclaim(const char *err, const redisReply *r, store_fn cb,
    void *arg)
{
	store_entries_cb	 claimed = (store_entries_cb)cb;

	if (err == NULL && (r->type != REDIS_REPLY_ARRAY || r->elements < 2))
		err = "unexpected reply to XAUTOCLAIM";
	if (err != NULL)
		entries_failed(claimed, err, arg);
	else
		store_entries_fire(claimed, r->element[1], arg);
}

void
store_outbox_autoclaim(struct store *st, const char *consumer,
    unsigned idle_ms, unsigned count, store_entries_cb cb, void *arg)
{
	char		 idle[16], n[16];
	const char	*argv[] = { "XAUTOCLAIM", STORE_KEY_OUTBOX,
			    STORE_OUTBOX_GROUP, consumer, idle, "0-0", "COUNT",
			    n };

	snprintf(idle, sizeof idle, "%u", idle_ms);
	snprintf(n, sizeof n, "%u", count);
	store_command(st, 8, argv, NULL, parse_autoclaim, (store_fn)cb, arg);
}

void
store_outbox_touch(struct store *st, const char *consumer,
    const char *const *ids, size_t nids, store_done_cb cb, void *arg)
{
	const char	**argv = xcalloc(nids + 6, sizeof *argv);
	size_t		  n = 0;

	argv[n++] = "XCLAIM";
	argv[n++] = STORE_KEY_OUTBOX;
	argv[n++] = STORE_OUTBOX_GROUP;
	argv[n++] = consumer;
	argv[n++] = "0";
	for (size_t i = 0; i < nids; i++)
		argv[n++] = ids[i];
	argv[n++] = "JUSTID";
	store_command(st, (int)n, argv, NULL, store_parse_done, (store_fn)cb,
	    arg);
	free(argv);
}

static void
parse_held(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	((store_held_cb)cb)(err, err == NULL &&
	    r->type == REDIS_REPLY_ARRAY && r->elements > 0, arg);
}

void
store_outbox_reclaim(struct store *st, const char *consumer, const char *id,
    store_held_cb cb, void *arg)
{
	const char	*argv[] = { "XCLAIM", STORE_KEY_OUTBOX,
			    STORE_OUTBOX_GROUP, consumer, "0", id, "JUSTID" };

	store_command(st, 7, argv, NULL, parse_held, (store_fn)cb, arg);
}

void
store_outbox_ack_many(struct store *st, const char *const *ids, size_t n,
    store_done_cb cb, void *arg)
{
	struct store_keyargs ka = { 0 };
	const char	**argv = xcalloc(n + 1, sizeof *argv);

	argv[0] = STORE_OUTBOX_GROUP;
	memcpy(argv + 1, ids, n * sizeof *ids);
	store_eval(st, SCRIPT_OUTBOX_ACK, &ka, (int)n + 1, argv, NULL,
	    store_parse_done, (store_fn)cb, arg);
	free(argv);
}

void
store_outbox_ack(struct store *st, const char *id, store_done_cb cb,
    void *arg)
{
	store_outbox_ack_many(st, &id, 1, cb, arg);
}

static void
parse_failed(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	store_failed_cb	 failed = (store_failed_cb)cb;

	if (err == NULL && r->type != REDIS_REPLY_INTEGER)
		err = "unexpected reply";
	if (err != NULL)
		failed(err, 0, 0, arg);
	else if (r->integer < 0)
		failed(NULL, (unsigned)-r->integer, 1, arg);
	else
		failed(NULL, (unsigned)r->integer, 0, arg);
}

void
store_outbox_fail(struct store *st, const char *id, unsigned max_attempts,
    const char *error, int final, store_failed_cb cb, void *arg)
{
	struct store_keyargs ka = { 0 };
	char		 max[16];
	const char	*argv[] = { STORE_OUTBOX_GROUP, id, max, error,
			    final ? "1" : "0" };

	snprintf(max, sizeof max, "%u", max_attempts);
	store_eval(st, SCRIPT_OUTBOX_FAIL, &ka, 5, argv, NULL, parse_failed,
	    (store_fn)cb, arg);
}

static long long
integer_of(const redisReply *r)
{
	return r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

static void
parse_stats(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	struct store_outbox_stats s = { .oldest_ms = -1 };

	if (err == NULL && (r->type != REDIS_REPLY_ARRAY || r->elements != 5))
		err = "unexpected answer";
	if (err != NULL) {
		((store_stats_cb)cb)(err, NULL, arg);
		return;
	}
	s.waiting = integer_of(r->element[0]);
	/* A stream id starts with its time in ms. */
	if (r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[1]->len > 0)
		s.oldest_ms = now_ms() - strtoll(r->element[1]->str, NULL, 10);
	s.pending = integer_of(r->element[2]);
	s.dead = integer_of(r->element[3]);
	s.redriven = integer_of(r->element[4]);
	((store_stats_cb)cb)(NULL, &s, arg);
}

void
store_outbox_stats(struct store *st, store_stats_cb cb, void *arg)
{
	struct store_keyargs ka = { 0 };
	const char	*argv[] = { STORE_OUTBOX_GROUP };

	store_eval(st, SCRIPT_OUTBOX_STATS, &ka, 1, argv, NULL, parse_stats,
	    (store_fn)cb, arg);
}

void
store_outbox_replay(struct store *st, unsigned max, store_number_cb cb,
    void *arg)
{
	struct store_keyargs ka = { 0 };

	store_eval_number(st, SCRIPT_OUTBOX_REPLAY, &ka, max,
	    store_parse_number, (store_fn)cb, arg);
}

void
store_outbox_redrive(struct store *st, unsigned after_ms, unsigned max,
    unsigned batch, store_number_cb cb, void *arg)
{
	struct store_keyargs ka = { 0 };
	char		 a[16], m[16], b[16];
	const char	*argv[] = { a, m, b };

	snprintf(a, sizeof a, "%u", after_ms);
	snprintf(m, sizeof m, "%u", max);
	snprintf(b, sizeof b, "%u", batch);
	store_eval(st, SCRIPT_OUTBOX_REDRIVE, &ka, 3, argv, NULL,
	    store_parse_number, (store_fn)cb, arg);
}

void
store_stream_add(struct store *st, const char *stream, const char *maxlen,
    const char *json, const char *ikey, store_done_cb cb, void *arg)
{
	const char	*argv[10];
	int		 n = 0;

	argv[n++] = "XADD";
	argv[n++] = stream;
	if (maxlen != NULL && maxlen[0] != '\0') {
		argv[n++] = "MAXLEN";
		argv[n++] = "~";
		argv[n++] = maxlen;
	}
	argv[n++] = "*";
	argv[n++] = "request";
	argv[n++] = json;
	argv[n++] = "key";
	argv[n++] = ikey;
	store_command(st, n, argv, NULL, store_parse_done, (store_fn)cb,
	    arg);
}
