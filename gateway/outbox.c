/*
 * One struct delivery per request this gateway holds, with an explicit
 * state; Redis and adapter callbacks record what happened and call
 * delivery_step().  The outbox itself polls the stream (XREADGROUP
 * without BLOCK, so the one Redis connection never stalls), claims what
 * dead consumers left, and keeps its own held entries fresh so no other
 * gateway claims them while they wait behind a subscriber's earlier one.
 * Once a second it also asks the store to re-drive the dead letters
 * whose cool-down is over (when redrive_after_ms is set): the move is one
 * script, so of several gateways asking at once each letter goes back
 * once, and the batch bounds how fast a pile of them comes back.
 * It speaks to Redis only through the store's outbox verbs
 * (store_outbox.c), in stream ids and requests, so this file is the
 * delivery logic alone.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "adapter.h"
#include "ledger.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define POLL_IDLE_MS	50
#define REDRIVE_MS	1000	/* between two re-drive passes */
#define ID_MAX		48

enum dstate {
	D_QUEUED,	/* behind an earlier request of the same subscriber */
	D_SEND,		/* to be handed to the back office */
	D_RECORDING,	/* into the ledger first */
	D_SENDING,
	D_ACK,		/* delivered: acknowledge */
	D_ACKING,	/* in the batch of acknowledgements to send */
	D_FAIL,		/* failed: count the attempt */
	D_WAIT_REDIS,
	D_BACKOFF,	/* wait, then claim it to itself and send again */
	D_SLEEP,
	D_RECLAIM,
	D_DONE,
};

/* The requests of one subscriber held here: one is handed out at a
 * time, the others wait in order. */
struct subject {
	char			 name[32];	/* msisdn_hash */
	unsigned		 active;	/* held and not queued */
	TAILQ_HEAD(, delivery)	 queued;	/* oldest first */
	LIST_ENTRY(subject)	 entry;
};

struct delivery {
	struct outbox	*ob;		/* NULL once the outbox is gone */
	enum dstate	 state;
	char		 id[ID_MAX];	/* first: the key in the id tree */
	char		*json;
	struct request	*req;		/* json decoded; NULL if it is not
					 * a request (err says why) */
	struct subject	*subj;		/* the ordering key; NULL once the
					 * outbox is gone */
	TAILQ_ENTRY(delivery) qentry;	/* in subj->queued */
	unsigned	 attempts;	/* known so far */
	int		 recorded;	/* in the ledger */
	char		*err;		/* of the last attempt */
	int		 final;
	struct event	*timer;
	TAILQ_ENTRY(delivery) entry;	/* the outbox's, newest first */
};

struct outbox {
	struct event_base	*base;
	struct store		*store;
	struct outbox_params	 p;
	char			*consumer;
	outbox_deliver_fn	 deliver;
	void			*ctx;
	struct event		*poll;
	struct event		*claim;
	struct event		*redrive;	/* NULL: re-drive off */
	int			 reading;	/* XREADGROUP pending */
	int			 claiming;
	int			 redriving;
	int			 group_ready;
	int			 own_done;	/* own pending re-read at start */
	char			 own_from[ID_MAX]; /* where that reading is */
	unsigned		 asked;		/* COUNT of the read pending */
	unsigned		 calls;		/* its own Redis calls pending */
	int			 closing;	/* freed once they come back */
	TAILQ_HEAD(, delivery)	 all;
	unsigned		 held;
	void			*ids;		/* tsearch tree of the held */
	void			*subjects;	/* tsearch tree by name */
	LIST_HEAD(, subject)	 subject_list;
	/* Delivered in this turn of the loop, acknowledged together by
	 * ack_ev in one script call. */
	struct delivery		**acks;
	size_t			 nacks, capacks;
	struct event		*ack_ev;
};

/* One batch of acknowledgements out to Redis. */
struct ack_batch {
	size_t			 n;
	struct delivery		*d[];
};

static void	delivery_step(struct delivery *);
static void	outbox_poll_soon(struct outbox *, unsigned ms);

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct delivery *)a)->id,
	    ((const struct delivery *)b)->id);
}

static int
subject_cmp(const void *a, const void *b)
{
	return strcmp(((const struct subject *)a)->name,
	    ((const struct subject *)b)->name);
}

static int
held(const struct outbox *ob, const char *id)
{
	struct delivery	 key;

	snprintf(key.id, sizeof key.id, "%s", id);
	return tfind(&key, &ob->ids, id_cmp) != NULL;
}

/* The subject of that name, made if new. */
static struct subject *
subject_get(struct outbox *ob, const char *name)
{
	struct subject	 key, *sj, **found;

	snprintf(key.name, sizeof key.name, "%s", name);
	if ((found = tfind(&key, &ob->subjects, subject_cmp)) != NULL)
		return *found;
	sj = xcalloc(1, sizeof *sj);
	memcpy(sj->name, key.name, sizeof sj->name);
	TAILQ_INIT(&sj->queued);
	if (tsearch(sj, &ob->subjects, subject_cmp) == NULL)
		fatalx("out of memory");
	LIST_INSERT_HEAD(&ob->subject_list, sj, entry);
	return sj;
}

static void
delivery_free(struct delivery *d)
{
	struct outbox	*ob = d->ob;
	struct subject	*sj = d->subj;

	if (ob != NULL) {
		TAILQ_REMOVE(&ob->all, d, entry);
		tdelete(d, &ob->ids, id_cmp);
		ob->held--;
	}
	if (sj != NULL) {
		if (d->state == D_QUEUED)
			TAILQ_REMOVE(&sj->queued, d, qentry);
		else
			sj->active--;
		if (sj->active == 0 && TAILQ_EMPTY(&sj->queued)) {
			tdelete(sj, &ob->subjects, subject_cmp);
			LIST_REMOVE(sj, entry);
			free(sj);
		}
	}
	event_free(d->timer);
	free(d->json);
	request_free(d->req);
	free(d->err);
	free(d);
}

/* The next request of a subscriber whose earlier one is done. */
static void
subject_next(struct subject *sj)
{
	struct delivery	*first = TAILQ_FIRST(&sj->queued);

	if (first != NULL) {
		TAILQ_REMOVE(&sj->queued, first, qentry);
		sj->active++;
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

/* Takes one stream entry into memory. */
static void
delivery_take(struct outbox *ob, const struct store_entry *e)
{
	struct delivery	*d;
	char		 err[200];

	if (strlen(e->id) >= ID_MAX || held(ob, e->id))
		return;
	d = xcalloc(1, sizeof *d);
	d->ob = ob;
	snprintf(d->id, sizeof d->id, "%s", e->id);
	d->timer = evtimer_new(ob->base, delivery_timer, d);
	TAILQ_INSERT_HEAD(&ob->all, d, entry);
	if (tsearch(d, &ob->ids, id_cmp) == NULL)
		fatalx("out of memory");
	ob->held++;
	/* Read once, here: its subscriber orders it, and every attempt
	 * hands the same request to the back office. */
	d->json = xstrdup(e->json != NULL ? e->json : "");
	if (e->json == NULL)
		snprintf(err, sizeof err, "the entry holds no request");
	else
		d->req = request_decode(e->json, err, sizeof err);
	d->subj = subject_get(ob, d->req != NULL ? d->req->msisdn_hash : "");
	if (d->req == NULL) {
		/* Nothing any retry could change. */
		d->err = xstrdup(err);
		d->final = 1;
		d->state = D_FAIL;
		d->subj->active++;
	} else {
		if (d->subj->active > 0) {
			d->state = D_QUEUED;
			TAILQ_INSERT_TAIL(&d->subj->queued, d, qentry);
		} else {
			d->subj->active++;
			d->state = D_SEND;
		}
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
ledger_recorded(const char *err, void *arg)
{
	struct delivery	*d = arg;

	if (d->ob == NULL) {
		delivery_free(d);
		return;
	}
	if (err != NULL) {
		/* Redis away: the back office waits for the ledger. */
		free(d->err);
		xasprintf(&d->err, "ledger: %s", err);
		d->state = D_BACKOFF;
	} else {
		d->recorded = 1;
		d->state = D_SEND;
	}
	delivery_step(d);
}

static void
acked(const char *err, void *arg)
{
	struct delivery	*d = arg;

	if (d->ob == NULL) {
		delivery_free(d);
		return;
	}
	if (err != NULL)
		log_warnx("event=outbox-ack-failed id=%s error=\"%s\"", d->id,
		    err);
	d->state = D_DONE;
	delivery_step(d);
}

/* A failed attempt, counted (or not, Redis being away). */
static void
failed(const char *err, unsigned attempts, int dead, void *arg)
{
	struct delivery	*d = arg;

	if (d->ob == NULL) {
		delivery_free(d);
		return;
	}
	if (err == NULL && d->final) {
		log_warnx("event=dead-letter id=%s error=\"%s\"", d->id,
		    d->err);
		d->state = D_DONE;
	} else if (err == NULL && dead) {
		log_warnx("event=dead-letter id=%s attempts=%u error=\"%s\"",
		    d->id, attempts, d->err);
		d->state = D_DONE;
	} else {
		d->attempts = err == NULL ? attempts : d->attempts + 1;
		d->state = D_BACKOFF;
	}
	delivery_step(d);
}

static void
reclaimed(const char *err, int still_held, void *arg)
{
	struct delivery	*d = arg;

	if (d->ob == NULL) {
		delivery_free(d);
		return;
	}
	if (err != NULL) {
		d->state = D_BACKOFF;	/* Redis away: wait again */
	} else if (still_held) {
		d->state = D_SEND;
	} else {
		/* No longer pending here: delivered or taken elsewhere. */
		d->state = D_DONE;
	}
	delivery_step(d);
}

/* The acknowledgements of a batch came back: each delivery hears. */
static void
acks_done(const char *err, void *arg)
{
	struct ack_batch	*b = arg;

	for (size_t i = 0; i < b->n; i++)
		acked(err, b->d[i]);
	free(b);
}

/* Once a turn of the loop: what was delivered in it, acknowledged in
 * batches of at most STORE_OUTBOX_ACK_MAX. */
static void
acks_flush(evutil_socket_t fd, short what, void *arg)
{
	struct outbox		*ob = arg;
	struct ack_batch	*b;
	const char		**ids;
	size_t			  n, off = 0;

	(void)fd;
	(void)what;
	ids = xcalloc(ob->nacks > STORE_OUTBOX_ACK_MAX ?
	    STORE_OUTBOX_ACK_MAX : ob->nacks, sizeof *ids);
	while (off < ob->nacks) {
		n = ob->nacks - off;
		if (n > STORE_OUTBOX_ACK_MAX)
			n = STORE_OUTBOX_ACK_MAX;
		b = xmalloc(sizeof *b + n * sizeof b->d[0]);
		b->n = n;
		for (size_t i = 0; i < n; i++) {
			b->d[i] = ob->acks[off + i];
			b->d[i]->state = D_WAIT_REDIS;
			ids[i] = b->d[i]->id;
		}
		store_outbox_ack_many(ob->store, ids, n, acks_done, b);
		off += n;
	}
	free(ids);
	ob->nacks = 0;
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
	struct subject	*sj;
	struct timeval	 tv;
	unsigned	 wait;

	switch (d->state) {
	case D_QUEUED:
	case D_RECORDING:
	case D_SENDING:
	case D_ACKING:
	case D_WAIT_REDIS:
	case D_RECLAIM:
		return;
	case D_SEND:
		if (ob->p.ledger != NULL && !d->recorded) {
			d->state = D_RECORDING;
			if (ledger_record_request(ob->p.ledger, d->json,
			    ledger_recorded, d) == 0)
				return;
			log_warnx("event=ledger-unreadable id=%s", d->id);
			d->recorded = 1;
		}
		d->state = D_SENDING;
		ob->deliver(ob->ctx, d->req, delivered, d);
		return;
	case D_ACK:
		d->state = D_ACKING;
		if (ob->nacks == ob->capacks) {
			ob->capacks = ob->capacks ? ob->capacks * 2 : 64;
			ob->acks = xreallocarray(ob->acks, ob->capacks,
			    sizeof *ob->acks);
		}
		ob->acks[ob->nacks++] = d;
		if (ob->nacks == 1)
			event_active(ob->ack_ev, EV_TIMEOUT, 1);
		return;
	case D_FAIL:
		d->state = D_WAIT_REDIS;
		store_outbox_fail(ob->store, d->id, ob->p.attempts, d->err,
		    d->final, failed, d);
		return;
	case D_BACKOFF:
		wait = backoff_ms(ob, d->attempts);
		log_info("event=delivery-retry id=%s attempts=%u in_ms=%u "
		    "error=\"%s\"", d->id, d->attempts, wait,
		    d->err ? d->err : "redis");
		tv = ms_to_tv(wait);
		d->state = D_SLEEP;
		evtimer_add(d->timer, &tv);
		return;
	case D_SLEEP:
		/* Ours again (idle time reset), unless it went meanwhile. */
		d->state = D_RECLAIM;
		store_outbox_reclaim(ob->store, ob->consumer, d->id, reclaimed,
		    d);
		return;
	case D_DONE:
		break;
	}
	/* Its subject lives on while another of its requests is held. */
	sj = d->subj->active > 1 || !TAILQ_EMPTY(&d->subj->queued) ?
	    d->subj : NULL;
	delivery_free(d);
	if (sj != NULL)
		subject_next(sj);
	outbox_poll_soon(ob, 0);
}

static void	outbox_destroy(struct outbox *);

/*
 * A Redis call of the outbox's own came back: 1 if the outbox is going
 * away (and maybe gone now), so the caller must not touch it.  Each of
 * them counts itself in ob->calls when it is made.
 */
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

/* Entries into memory, oldest first, so a subscriber's requests queue
 * in order. */
static void
take_entries(struct outbox *ob, const struct store_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		delivery_take(ob, &e[i]);
}

static void
group_created(const char *err, void *arg)
{
	struct outbox	*ob = arg;

	if (outbox_call_back(ob))
		return;
	if (err == NULL)
		ob->group_ready = 1;
	else
		log_warnx("event=outbox-group-failed error=\"%s\"", err);
	outbox_poll_soon(ob, err == NULL ? 0 : 1000);
}

static void
read_done(const char *err, int no_group, const struct store_entry *e,
    size_t got, void *arg)
{
	struct outbox	*ob = arg;

	if (outbox_call_back(ob))
		return;
	ob->reading = 0;
	if (err != NULL) {
		if (no_group)
			ob->group_ready = 0;
		outbox_poll_soon(ob, 500);
		return;
	}
	take_entries(ob, e, got);
	if (!ob->own_done) {
		/* What this consumer held when it stopped, read in pages from
		 * where the last page ended, until a page is not full. */
		if (got > 0)
			snprintf(ob->own_from, sizeof ob->own_from, "%s",
			    e[got - 1].id);
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
	unsigned	 room;

	if (ob->reading || !store_connected(ob->store))
		return;
	if (!ob->group_ready) {
		ob->calls++;
		store_outbox_group(ob->store, group_created, ob);
		return;
	}
	room = ob->held < ob->p.inflight ? ob->p.inflight - ob->held : 0;
	if (room == 0)
		return;		/* a delivery ending polls again */
	if (room > ob->p.batch)
		room = ob->p.batch;
	ob->asked = room;
	ob->reading = 1;
	ob->calls++;
	/* This consumer's own pending after own_from, read once after a
	 * restart; then new entries. */
	store_outbox_read(ob->store, ob->consumer, room, ob->own_done ? NULL :
	    ob->own_from, read_done, ob);
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
claim_done(const char *err, int no_group, const struct store_entry *e,
    size_t n, void *arg)
{
	struct outbox	*ob = arg;

	if (outbox_call_back(ob))
		return;
	ob->claiming = 0;
	if (err == NULL)
		take_entries(ob, e, n);
	else if (!no_group)
		log_warnx("event=outbox-claim-failed error=\"%s\"", err);
}

static void
touched(const char *err, void *arg)
{
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
	struct delivery	*d;
	const char	**ids;
	size_t		  n = 0;

	(void)fd;
	(void)what;
	if (!store_connected(ob->store) || !ob->group_ready)
		return;
	if (ob->held > 0) {
		ids = xcalloc(ob->held, sizeof *ids);
		TAILQ_FOREACH(d, &ob->all, entry)
			ids[n++] = d->id;
		store_outbox_touch(ob->store, ob->consumer, ids, n, touched,
		    ob);
		free(ids);
	}
	if (ob->claiming || ob->held >= ob->p.inflight)
		return;
	ob->claiming = 1;
	ob->calls++;
	store_outbox_autoclaim(ob->store, ob->consumer, ob->p.claim_idle_ms,
	    ob->p.batch, claim_done, ob);
}

static void
redriven(const char *err, long long n, void *arg)
{
	struct outbox	*ob = arg;

	if (outbox_call_back(ob))
		return;
	ob->redriving = 0;
	if (err != NULL) {
		log_warnx("event=redrive-failed error=\"%s\"", err);
		return;
	}
	if (n > 0) {
		log_info("event=redrive count=%lld after_ms=%u max=%u", n,
		    ob->p.redrive_after_ms, ob->p.redrive_max);
		outbox_poll_soon(ob, 0);
	}
}

/* Once a second: dead letters whose cool-down is over, back in. */
static void
redrive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox	*ob = arg;

	(void)fd;
	(void)what;
	if (ob->redriving || !store_connected(ob->store))
		return;
	ob->redriving = 1;
	ob->calls++;
	store_outbox_redrive(ob->store, ob->p.redrive_after_ms,
	    ob->p.redrive_max, ob->p.redrive_batch, redriven, ob);
}

/* The outbox may be gone when Redis answers (the store answers its
 * calls when it is freed): the store calls cb directly. */
void
outbox_add(struct outbox *ob, const char *key, const char *json,
    outbox_added_cb cb, void *arg)
{
	if (ob->p.replicas > 0)
		store_outbox_add_replicated(ob->p.durable, key, json,
		    ob->p.dedupe_ttl, ob->p.replicas, ob->p.replica_wait_ms,
		    cb, arg);
	else
		store_outbox_add(ob->store, key, json, ob->p.dedupe_ttl, cb,
		    arg);
	outbox_poll_soon(ob, 1);	/* read it soon after it is in */
}

int
outbox_running(const struct outbox *ob)
{
	return ob->group_ready && !ob->closing && store_connected(ob->store);
}

struct stats_req {
	outbox_stats_cb	 cb;
	void		*arg;
};

static void
stats_done(const char *err, const struct store_outbox_stats *s, void *arg)
{
	struct stats_req *sr = arg;

	if (err != NULL)
		sr->cb(err, 0, 0, 0, 0, 0, sr->arg);
	else
		sr->cb(NULL, s->waiting, s->oldest_ms, s->pending, s->dead,
		    s->redriven, sr->arg);
	free(sr);
}

void
outbox_stats(struct outbox *ob, outbox_stats_cb cb, void *arg)
{
	struct stats_req *sr = xcalloc(1, sizeof *sr);

	sr->cb = cb;
	sr->arg = arg;
	store_outbox_stats(ob->store, stats_done, sr);
}

struct replay_req {
	outbox_replayed_cb cb;
	void		*arg;
};

static void
replay_done(const char *err, long long n, void *arg)
{
	struct replay_req *rr = arg;

	rr->cb(err, n, rr->arg);
	if (err == NULL)
		log_info("event=outbox-replay count=%lld", n);
	free(rr);
}

void
outbox_replay(struct outbox *ob, unsigned n, outbox_replayed_cb cb, void *arg)
{
	struct replay_req *rr = xcalloc(1, sizeof *rr);

	rr->cb = cb;
	rr->arg = arg;
	store_outbox_replay(ob->store, n, replay_done, rr);
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
	TAILQ_INIT(&ob->all);
	LIST_INIT(&ob->subject_list);
	ob->ack_ev = event_new(base, -1, 0, acks_flush, ob);
	ob->poll = evtimer_new(base, poll_cb, ob);
	ob->claim = event_new(base, -1, EV_PERSIST, claim_cb, ob);
	tv = ms_to_tv(p->claim_idle_ms / 2);
	event_add(ob->claim, &tv);
	if (p->redrive_after_ms > 0 && p->redrive_max > 0) {
		ob->redrive = event_new(base, -1, EV_PERSIST, redrive_cb, ob);
		tv = ms_to_tv(REDRIVE_MS);
		event_add(ob->redrive, &tv);
	}
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
	struct delivery	*d;
	struct subject	*sj;

	if (ob == NULL)
		return;
	/* Deliveries waiting on a callback are let go: the callback frees
	 * them.  The rest go now.  Their entries stay pending in Redis. */
	while ((d = TAILQ_FIRST(&ob->all)) != NULL) {
		TAILQ_REMOVE(&ob->all, d, entry);
		tdelete(d, &ob->ids, id_cmp);
		d->ob = NULL;
		d->subj = NULL;
		if (d->state != D_SENDING && d->state != D_WAIT_REDIS &&
		    d->state != D_RECLAIM && d->state != D_RECORDING)
			delivery_free(d);
	}
	while ((sj = LIST_FIRST(&ob->subject_list)) != NULL) {
		LIST_REMOVE(sj, entry);
		tdelete(sj, &ob->subjects, subject_cmp);
		free(sj);
	}
	/* Those waiting for their batch went too: not acknowledged, they
	 * are delivered again later. */
	free(ob->acks);
	event_free(ob->ack_ev);
	event_free(ob->poll);
	event_free(ob->claim);
	if (ob->redrive != NULL)
		event_free(ob->redrive);
	ob->poll = ob->claim = ob->redrive = NULL;
	/* Its own Redis calls still pending hold it until they are back. */
	ob->closing = 1;
	if (ob->calls == 0)
		outbox_destroy(ob);
}
