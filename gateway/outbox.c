/*
 * One struct delivery per request this gateway holds, with an explicit
 * state; Redis and adapter callbacks record what happened and call
 * delivery_step().  The outbox itself polls the stream (XREADGROUP
 * without BLOCK, so the one Redis connection never stalls), claims what
 * dead consumers left, and keeps its own held entries fresh so no other
 * gateway claims them while they wait behind a subscriber's earlier one.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "log.h"
#include "outbox.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define STREAM_KEY	"asanigw:{outbox}:requests"
#define DEAD_KEY	"asanigw:{outbox}:dead"
#define ATTEMPTS_KEY	"asanigw:{outbox}:attempts"
#define SEEN_PREFIX	"asanigw:{outbox}:seen:"
#define GROUP		"asanigw"
#define POLL_IDLE_MS	50
#define ID_MAX		48

/* Appends once per idempotency key. */
static const char add_script[] =
    "if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then\n"
    "  return redis.call('XADD', KEYS[1], '*', 'r', ARGV[1])\n"
    "end\n"
    "return false\n";

/* Delivered: gone from the stream and the group. */
static const char ack_script[] =
    "redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "redis.call('HDEL', KEYS[2], ARGV[2])\n"
    "return 1\n";

/* Failed: one more attempt; a dead letter when refused or at the last.
 * Returns the attempts so far, negative once it is a dead letter. */
static const char fail_script[] =
    "local n = redis.call('HINCRBY', KEYS[2], ARGV[2], 1)\n"
    "if ARGV[5] == '1' or n >= tonumber(ARGV[3]) then\n"
    "  local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])\n"
    "  if #e > 0 then\n"
    "    redis.call('XADD', KEYS[3], '*', 'r', e[1][2][2], 'id', ARGV[2],\n"
    "      'attempts', n, 'error', ARGV[4])\n"
    "  end\n"
    "  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n"
    "  redis.call('XDEL', KEYS[1], ARGV[2])\n"
    "  redis.call('HDEL', KEYS[2], ARGV[2])\n"
    "  return -n\n"
    "end\n"
    "return n\n";

static const char stats_script[] =
    "local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)\n"
    "local oldest = ''\n"
    "if #first > 0 then oldest = first[1][1] end\n"
    "local p = 0\n"
    "local ok, r = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])\n"
    "if ok then p = r[1] end\n"
    "return { redis.call('XLEN', KEYS[1]), oldest, p,\n"
    "  redis.call('XLEN', KEYS[2]) }\n";

static const char replay_script[] =
    "local e = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', ARGV[1])\n"
    "for _, x in ipairs(e) do\n"
    "  local r = nil\n"
    "  for i = 1, #x[2], 2 do if x[2][i] == 'r' then r = x[2][i + 1] end end\n"
    "  if r then redis.call('XADD', KEYS[1], '*', 'r', r) end\n"
    "  redis.call('XDEL', KEYS[2], x[1])\n"
    "end\n"
    "return #e\n";

enum dstate {
	D_QUEUED,	/* behind an earlier request of the same subscriber */
	D_SEND,		/* to be handed to the back office */
	D_SENDING,
	D_ACK,		/* delivered: acknowledge */
	D_FAIL,		/* failed: count the attempt */
	D_WAIT_REDIS,
	D_BACKOFF,	/* wait, then claim it to itself and send again */
	D_SLEEP,
	D_RECLAIM,
	D_DONE,
};

struct delivery {
	struct outbox	*ob;		/* NULL once the outbox is gone */
	enum dstate	 state;
	char		 id[ID_MAX];
	char		*json;
	char		 subject[32];	/* msisdn_hash: the ordering key */
	unsigned	 attempts;	/* known so far */
	char		*err;		/* of the last attempt */
	int		 final;
	struct event	*timer;
	struct delivery	*prev, *next;
};

struct outbox {
	struct event_base	*base;
	struct store		*store;
	struct outbox_params	 p;
	char			*consumer;
	outbox_deliver_fn	 deliver;
	void			*ctx;
	int			 s_add, s_ack, s_fail, s_stats, s_replay;
	struct event		*poll;
	struct event		*claim;
	int			 reading;	/* XREADGROUP pending */
	int			 claiming;
	int			 group_ready;
	int			 own_done;	/* own pending re-read at start */
	char			 own_from[ID_MAX]; /* where that reading is */
	unsigned		 asked;		/* COUNT of the read pending */
	unsigned		 calls;		/* its own Redis calls pending */
	int			 closing;	/* freed once they come back */
	struct delivery		*all;
	unsigned		 held;
};

static void	delivery_step(struct delivery *);
static void	outbox_poll_soon(struct outbox *, unsigned ms);

static struct delivery *
held(const struct outbox *ob, const char *id)
{
	for (struct delivery *d = ob->all; d != NULL; d = d->next)
		if (strcmp(d->id, id) == 0)
			return d;
	return NULL;
}

/* Another request of the same subscriber held before this one. */
static int
subject_busy(const struct outbox *ob, const struct delivery *self)
{
	for (struct delivery *d = ob->all; d != NULL; d = d->next)
		if (d != self && d->state != D_QUEUED &&
		    strcmp(d->subject, self->subject) == 0)
			return 1;
	return 0;
}

static void
delivery_free(struct delivery *d)
{
	struct outbox	*ob = d->ob;

	if (ob != NULL) {
		if (d->prev != NULL)
			d->prev->next = d->next;
		else
			ob->all = d->next;
		if (d->next != NULL)
			d->next->prev = d->prev;
		ob->held--;
	}
	event_free(d->timer);
	free(d->json);
	free(d->err);
	free(d);
}

/* The next request of a subscriber whose earlier one is done. */
static void
subject_next(struct outbox *ob, const char *subject)
{
	struct delivery	*d, *first = NULL;

	/* The list is newest first: the last match is the oldest. */
	for (d = ob->all; d != NULL; d = d->next)
		if (d->state == D_QUEUED && strcmp(d->subject, subject) == 0)
			first = d;
	if (first != NULL) {
		first->state = D_SEND;
		event_active(first->timer, EV_TIMEOUT, 1);
	}
}

static void
delivery_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	delivery_step(arg);
}

/* Takes one stream entry [id, [field, value, ...]] into memory. */
static void
delivery_take(struct outbox *ob, const redisReply *e)
{
	struct delivery	*d;
	const redisReply *f;
	const char	*json = NULL;
	json_t		*o;
	json_error_t	 jerr;

	if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[0]->len >= ID_MAX)
		return;
	if (held(ob, e->element[0]->str) != NULL)
		return;
	f = e->element[1];
	for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements;
	    i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, "r") == 0 &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING)
			json = f->element[i + 1]->str;
	d = xcalloc(1, sizeof *d);
	d->ob = ob;
	snprintf(d->id, sizeof d->id, "%s", e->element[0]->str);
	d->timer = evtimer_new(ob->base, delivery_timer, d);
	d->next = ob->all;
	if (ob->all != NULL)
		ob->all->prev = d;
	ob->all = d;
	ob->held++;
	if (json == NULL) {
		d->json = xstrdup("");
		d->err = xstrdup("the entry holds no request");
		d->final = 1;
		d->state = D_FAIL;
	} else {
		d->json = xstrdup(json);
		if ((o = json_loads(json, 0, &jerr)) != NULL) {
			snprintf(d->subject, sizeof d->subject, "%s",
			    json_string_value(json_object_get(o,
			    "msisdn_hash")) ? json_string_value(
			    json_object_get(o, "msisdn_hash")) : "");
			json_decref(o);
		}
		d->state = subject_busy(ob, d) ? D_QUEUED : D_SEND;
	}
	if (d->state != D_QUEUED)
		event_active(d->timer, EV_TIMEOUT, 1);
}

static void
delivered(const char *err, int final, void *arg)
{
	struct delivery	*d = arg;

	if (d->ob == NULL) {
		delivery_free(d);	/* the outbox is gone; Redis keeps it */
		return;
	}
	free(d->err);
	d->err = err ? xstrdup(err) : NULL;
	d->final = final;
	d->state = err == NULL ? D_ACK : D_FAIL;
	delivery_step(d);
}

static void
redis_done(const char *err, const redisReply *r, void *arg)
{
	struct delivery	*d = arg;
	struct outbox	*ob = d->ob;
	long long	 n;

	if (ob == NULL) {
		delivery_free(d);
		return;
	}
	if (d->err != NULL && !(d->final && err == NULL)) {
		/* A failed attempt, counted (or not, Redis being away). */
		n = err == NULL && r->type == REDIS_REPLY_INTEGER ? r->integer :
		    (long long)d->attempts + 1;
		if (n < 0) {
			log_warnx("event=dead-letter id=%s attempts=%lld "
			    "error=\"%s\"", d->id, -n, d->err);
			d->state = D_DONE;
		} else {
			d->attempts = (unsigned)n;
			d->state = D_BACKOFF;
		}
	} else if (d->err != NULL) {
		log_warnx("event=dead-letter id=%s error=\"%s\"", d->id,
		    d->err);
		d->state = D_DONE;
	} else {
		if (err != NULL)
			log_warnx("event=outbox-ack-failed id=%s error=\"%s\"",
			    d->id, err);
		d->state = D_DONE;
	}
	delivery_step(d);
}

static void
reclaimed(const char *err, const redisReply *r, void *arg)
{
	struct delivery	*d = arg;

	if (d->ob == NULL) {
		delivery_free(d);
		return;
	}
	if (err != NULL) {
		d->state = D_BACKOFF;	/* Redis away: wait again */
	} else if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		d->state = D_SEND;
	} else {
		/* No longer pending here: delivered or taken elsewhere. */
		d->state = D_DONE;
	}
	delivery_step(d);
}

static unsigned
backoff_ms(const struct outbox *ob, unsigned attempts)
{
	/* Jittered, so retries of many requests spread out. */
	return backoff_delay_ms(ob->p.backoff_min_ms, ob->p.backoff_max_ms,
	    attempts);
}

static void
delivery_step(struct delivery *d)
{
	struct outbox	*ob = d->ob;
	char		 max[16], subject[sizeof d->subject];
	struct timeval	 tv;
	unsigned	 wait;

	switch (d->state) {
	case D_QUEUED:
	case D_SENDING:
	case D_WAIT_REDIS:
	case D_RECLAIM:
		return;
	case D_SEND:
		d->state = D_SENDING;
		ob->deliver(ob->ctx, d->json, delivered, d);
		return;
	case D_ACK: {
		const char *argv[] = { STREAM_KEY, ATTEMPTS_KEY, GROUP, d->id };

		d->state = D_WAIT_REDIS;
		store_eval(ob->store, ob->s_ack, 2, 4, argv, NULL, redis_done,
		    d);
		return;
	}
	case D_FAIL: {
		const char *argv[] = { STREAM_KEY, ATTEMPTS_KEY, DEAD_KEY,
		    GROUP, d->id, max, d->err, d->final ? "1" : "0" };

		snprintf(max, sizeof max, "%u", ob->p.attempts);
		d->state = D_WAIT_REDIS;
		store_eval(ob->store, ob->s_fail, 3, 8, argv, NULL, redis_done,
		    d);
		return;
	}
	case D_BACKOFF:
		wait = backoff_ms(ob, d->attempts);
		log_info("event=delivery-retry id=%s attempts=%u in_ms=%u "
		    "error=\"%s\"", d->id, d->attempts, wait,
		    d->err ? d->err : "redis");
		tv = ms_to_tv(wait);
		d->state = D_SLEEP;
		evtimer_add(d->timer, &tv);
		return;
	case D_SLEEP: {
		/* Ours again (idle time reset), unless it went meanwhile. */
		const char *argv[] = { "XCLAIM", STREAM_KEY, GROUP,
		    ob->consumer, "0", d->id, "JUSTID" };

		d->state = D_RECLAIM;
		store_command(ob->store, 7, argv, NULL, reclaimed, d);
		return;
	}
	case D_DONE:
		break;
	}
	memcpy(subject, d->subject, sizeof subject);
	delivery_free(d);
	subject_next(ob, subject);
	outbox_poll_soon(ob, 0);
}

static void	outbox_destroy(struct outbox *);

/* A Redis call of the outbox's own came back: 1 if the outbox is going
 * away (and maybe gone now), so the caller must not touch it. */
static int
outbox_call_back(struct outbox *ob)
{
	ob->calls--;
	if (!ob->closing)
		return 0;
	if (ob->calls == 0)
		outbox_destroy(ob);
	return 1;
}

static void
outbox_call(struct outbox *ob, int argc, const char **argv,
    store_reply_cb cb)
{
	ob->calls++;
	store_command(ob->store, argc, argv, NULL, cb, ob);
}

/* Entries [[id, fields], ...] into memory. */
static void
take_entries(struct outbox *ob, const redisReply *list)
{
	if (list == NULL || list->type != REDIS_REPLY_ARRAY)
		return;
	/* Oldest first, so a subscriber's requests queue in order. */
	for (size_t i = 0; i < list->elements; i++)
		delivery_take(ob, list->element[i]);
}

static void
group_created(const char *err, const redisReply *r, void *arg)
{
	struct outbox	*ob = arg;

	(void)r;
	if (outbox_call_back(ob))
		return;
	if (err == NULL || strncmp(err, "BUSYGROUP", 9) == 0)
		ob->group_ready = 1;
	else
		log_warnx("event=outbox-group-failed error=\"%s\"", err);
	outbox_poll_soon(ob, err == NULL || ob->group_ready ? 0 : 1000);
}

static void
read_done(const char *err, const redisReply *r, void *arg)
{
	struct outbox	*ob = arg;
	size_t		 got = 0;

	if (outbox_call_back(ob))
		return;
	ob->reading = 0;
	if (err != NULL) {
		if (strncmp(err, "NOGROUP", 7) == 0)
			ob->group_ready = 0;
		outbox_poll_soon(ob, 500);
		return;
	}
	/* [[stream, [[id, fields], ...]]] or nil */
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2) {
		const redisReply *list = r->element[0]->element[1];

		got = list->type == REDIS_REPLY_ARRAY ? list->elements : 0;
		take_entries(ob, list);
	}
	if (!ob->own_done) {
		/* What this consumer held when it stopped, read in pages from
		 * where the last page ended, until a page is not full. */
		if (got > 0) {
			const redisReply *list = r->element[0]->element[1];
			const redisReply *last = list->element[got - 1];

			if (last->type == REDIS_REPLY_ARRAY &&
			    last->elements > 0 &&
			    last->element[0]->type == REDIS_REPLY_STRING)
				snprintf(ob->own_from, sizeof ob->own_from,
				    "%s", last->element[0]->str);
		}
		if (got < ob->asked)
			ob->own_done = 1;
		outbox_poll_soon(ob, 0);
		return;
	}
	outbox_poll_soon(ob, got > 0 ? 0 : POLL_IDLE_MS);
}

static void
outbox_read(struct outbox *ob)
{
	char		 count[16];
	unsigned	 room;

	if (ob->reading || !store_connected(ob->store))
		return;
	if (!ob->group_ready) {
		const char *argv[] = { "XGROUP", "CREATE", STREAM_KEY, GROUP,
		    "0", "MKSTREAM" };

		outbox_call(ob, 6, argv, group_created);
		return;
	}
	room = ob->held < ob->p.inflight ? ob->p.inflight - ob->held : 0;
	if (room == 0)
		return;		/* a delivery ending polls again */
	if (room > ob->p.batch)
		room = ob->p.batch;
	snprintf(count, sizeof count, "%u", room);
	{
		/* An id: this consumer's own pending after it, read once
		 * after a restart; then ">": new entries. */
		const char *argv[] = { "XREADGROUP", "GROUP", GROUP,
		    ob->consumer, "COUNT", count, "STREAMS", STREAM_KEY,
		    ob->own_done ? ">" : ob->own_from };

		ob->asked = room;
		ob->reading = 1;
		outbox_call(ob, 9, argv, read_done);
	}
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	*ob = arg;

	(void)fd;
	(void)what;
	outbox_read(ob);
	if (!ob->reading && !store_connected(ob->store))
		outbox_poll_soon(ob, 500);
}

static void
outbox_poll_soon(struct outbox *ob, unsigned ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	if (evtimer_pending(ob->poll, NULL) && ms > 0)
		return;
	evtimer_del(ob->poll);
	evtimer_add(ob->poll, &tv);
}

static void
claim_done(const char *err, const redisReply *r, void *arg)
{
	struct outbox	*ob = arg;

	if (outbox_call_back(ob))
		return;
	ob->claiming = 0;
	/* [next-id, [[id, fields], ...], [deleted ids]] */
	if (err == NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 2)
		take_entries(ob, r->element[1]);
	else if (err != NULL && strncmp(err, "NOGROUP", 7) != 0)
		log_warnx("event=outbox-claim-failed error=\"%s\"", err);
}

static void
touched(const char *err, const redisReply *r, void *arg)
{
	(void)r;
	(void)arg;
	if (err != NULL)
		log_warnx("event=outbox-touch-failed error=\"%s\"", err);
}

/*
 * Every half claim_idle_ms: keep what this gateway holds from looking
 * idle (XCLAIM to itself resets the idle time), and take over what a
 * dead gateway left idle longer than claim_idle_ms.
 */
static void
claim_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	*ob = arg;
	const char	**argv;
	char		 idle[16], count[16];
	size_t		 n = 0;

	(void)fd;
	(void)what;
	if (!store_connected(ob->store) || !ob->group_ready)
		return;
	if (ob->held > 0) {
		argv = xcalloc(ob->held + 6, sizeof *argv);
		argv[n++] = "XCLAIM";
		argv[n++] = STREAM_KEY;
		argv[n++] = GROUP;
		argv[n++] = ob->consumer;
		argv[n++] = "0";
		for (struct delivery *d = ob->all; d != NULL; d = d->next)
			argv[n++] = d->id;
		argv[n++] = "JUSTID";
		store_command(ob->store, (int)n, argv, NULL, touched, ob);
		free(argv);
	}
	if (ob->claiming || ob->held >= ob->p.inflight)
		return;
	snprintf(idle, sizeof idle, "%u", ob->p.claim_idle_ms);
	snprintf(count, sizeof count, "%u", ob->p.batch);
	{
		const char *a[] = { "XAUTOCLAIM", STREAM_KEY, GROUP,
		    ob->consumer, idle, "0-0", "COUNT", count };

		ob->claiming = 1;
		outbox_call(ob, 8, a, claim_done);
	}
}

struct add_req {
	outbox_added_cb	 cb;
	void		*arg;
};

/* The outbox may be gone when Redis answers (the store answers its
 * calls when it is freed): nothing here touches it. */
static void
added(const char *err, const redisReply *r, void *arg)
{
	struct add_req	*a = arg;

	(void)r;
	a->cb(err, a->arg);
	free(a);
}

void
outbox_add(struct outbox *ob, const char *key, const char *json,
    outbox_added_cb cb, void *arg)
{
	struct add_req	*a = xcalloc(1, sizeof *a);
	char		*seen, ttl[16];
	const char	*argv[4];

	a->cb = cb;
	a->arg = arg;
	xasprintf(&seen, SEEN_PREFIX "%s", key);
	snprintf(ttl, sizeof ttl, "%u", ob->p.dedupe_ttl);
	argv[0] = STREAM_KEY;
	argv[1] = seen;
	argv[2] = json;
	argv[3] = ttl;
	store_eval(ob->store, ob->s_add, 2, 4, argv, NULL, added, a);
	free(seen);
	outbox_poll_soon(ob, 1);	/* read it soon after it is in */
}

struct stats_req {
	outbox_stats_cb	 cb;
	void		*arg;
};

static void
stats_done(const char *err, const redisReply *r, void *arg)
{
	struct stats_req *sr = arg;
	long long	 oldest = -1;

	if (err == NULL && (r->type != REDIS_REPLY_ARRAY || r->elements != 4))
		err = "unexpected answer";
	if (err != NULL) {
		sr->cb(err, 0, 0, 0, 0, sr->arg);
		free(sr);
		return;
	}
	if (r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[1]->len > 0)
		oldest = now_ms() - strtoll(r->element[1]->str, NULL, 10);
	sr->cb(NULL, r->element[0]->integer, oldest, r->element[2]->integer,
	    r->element[3]->integer, sr->arg);
	free(sr);
}

void
outbox_stats(struct outbox *ob, outbox_stats_cb cb, void *arg)
{
	struct stats_req *sr = xcalloc(1, sizeof *sr);
	const char	*argv[] = { STREAM_KEY, DEAD_KEY, GROUP };

	sr->cb = cb;
	sr->arg = arg;
	store_eval(ob->store, ob->s_stats, 2, 3, argv, NULL, stats_done, sr);
}

struct replay_req {
	outbox_replayed_cb cb;
	void		*arg;
};

static void
replay_done(const char *err, const redisReply *r, void *arg)
{
	struct replay_req *rr = arg;

	if (err == NULL && r->type != REDIS_REPLY_INTEGER)
		err = "unexpected answer";
	rr->cb(err, err == NULL ? r->integer : 0, rr->arg);
	if (err == NULL)
		log_info("event=outbox-replay count=%lld", r->integer);
	free(rr);
}

void
outbox_replay(struct outbox *ob, unsigned n, outbox_replayed_cb cb, void *arg)
{
	struct replay_req *rr = xcalloc(1, sizeof *rr);
	char		 count[16];
	const char	*argv[] = { STREAM_KEY, DEAD_KEY, count };

	rr->cb = cb;
	rr->arg = arg;
	snprintf(count, sizeof count, "%u", n);
	store_eval(ob->store, ob->s_replay, 2, 3, argv, NULL, replay_done, rr);
}

struct outbox *
outbox_new(struct event_base *base, struct store *store,
    const struct outbox_params *p, outbox_deliver_fn deliver, void *ctx)
{
	struct outbox	*ob = xcalloc(1, sizeof *ob);
	struct timeval	 tv;

	ob->base = base;
	ob->store = store;
	ob->p = *p;
	ob->consumer = xstrdup(p->consumer);
	snprintf(ob->own_from, sizeof ob->own_from, "0");
	ob->p.consumer = ob->consumer;
	ob->deliver = deliver;
	ob->ctx = ctx;
	ob->s_add = store_script_add(store, add_script);
	ob->s_ack = store_script_add(store, ack_script);
	ob->s_fail = store_script_add(store, fail_script);
	ob->s_stats = store_script_add(store, stats_script);
	ob->s_replay = store_script_add(store, replay_script);
	ob->poll = evtimer_new(base, poll_cb, ob);
	ob->claim = event_new(base, -1, EV_PERSIST, claim_cb, ob);
	tv = ms_to_tv(p->claim_idle_ms / 2);
	event_add(ob->claim, &tv);
	outbox_poll_soon(ob, 0);
	return ob;
}

static void
outbox_destroy(struct outbox *ob)
{
	free(ob->consumer);
	free(ob);
}

void
outbox_free(struct outbox *ob)
{
	struct delivery	*d, *next;

	if (ob == NULL)
		return;
	/* Deliveries waiting on a callback are let go: the callback frees
	 * them.  The rest go now.  Their entries stay pending in Redis. */
	for (d = ob->all; d != NULL; d = next) {
		next = d->next;
		d->prev = d->next = NULL;
		if (d->state == D_SENDING || d->state == D_WAIT_REDIS ||
		    d->state == D_RECLAIM) {
			d->ob = NULL;
			continue;
		}
		d->ob = NULL;
		delivery_free(d);
	}
	ob->all = NULL;
	event_free(ob->poll);
	event_free(ob->claim);
	ob->poll = ob->claim = NULL;
	/* Its own Redis calls still pending hold it until they are back. */
	ob->closing = 1;
	if (ob->calls == 0)
		outbox_destroy(ob);
}
