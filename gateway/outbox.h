/*
 * The durable outbox.  A confirmed request is appended to a Redis stream
 * (with its idempotency key remembered, so the same request is never
 * appended twice) before the subscriber is told it was received; the
 * delivery workers of every gateway then read the stream through one
 * consumer group and hand each request to its back office:
 *
 *	XADD ─▶ XREADGROUP ─▶ deliver ─▶ XACK + XDEL
 *	                         │ failed: attempts + 1, retry after a
 *	                         │ backoff with jitter (XCLAIM to itself)
 *	                         └ refused, or too many attempts: dead letters
 *
 * A gateway that dies leaves its requests pending in the group: when it
 * comes back under the same consumer name it delivers them first, and
 * any other gateway takes over those idle for claim_idle_ms (XAUTOCLAIM).
 * Requests of one subscriber are delivered one at a time, in order, by
 * the gateway that holds them.  Delivery is at least once: the back
 * office books by idempotency key.
 *
 * Dead letters wait for a person (outbox_replay()), or, when
 * redrive_after_ms is set, go back into the stream by themselves once
 * they have been dead that long, a batch per second at most, each at
 * most redrive_max times: an outage longer than the retry window costs
 * a delay, not a phone call.  A re-driven request is the same request
 * (same idempotency key), tried attempts times again.
 */
#ifndef ASANIGW_OUTBOX_H
#define ASANIGW_OUTBOX_H

#include <stddef.h>

struct event_base;
struct ledger;
struct outbox;
struct store;

struct outbox_params {
	const char	*consumer;	/* this gateway's name in the group */
	unsigned	 attempts;	/* before a request is a dead letter */
	unsigned	 backoff_min_ms, backoff_max_ms;
	unsigned	 claim_idle_ms;	/* others' pending taken over after */
	unsigned	 batch;		/* entries read at once */
	unsigned	 inflight;	/* requests held at once */
	unsigned	 dedupe_ttl;	/* seconds a key is remembered */
	/* Received means replicated: with replicas > 0, outbox_add()
	 * succeeds only once that many replicas hold the request, waited
	 * for (at most wait_ms) on `durable`, a store of its own. */
	unsigned	 replicas;
	unsigned	 replica_wait_ms;
	struct store	*durable;
	unsigned	 redrive_after_ms; /* dead that long: again; 0: never */
	unsigned	 redrive_max;	/* times one request is re-driven */
	unsigned	 redrive_batch;	/* letters looked at per pass */
	struct ledger	*ledger;	/* NULL: none; borrowed */
};

/* Hands one request to its back office; done fires once with err NULL
 * on success, or err and final (1: trying again cannot help).  The
 * request stays valid until then. */
struct request;
typedef void (*outbox_done_cb)(const char *err, int final, void *arg);
typedef void (*outbox_deliver_fn)(void *ctx, const struct request *,
    outbox_done_cb done, void *arg);

struct outbox	*outbox_new(struct event_base *, struct store *,
		    const struct outbox_params *, outbox_deliver_fn,
		    void *ctx);
/* Stops delivering; deliveries in flight are let go (their requests stay
 * pending in Redis and are delivered again later). */
void		 outbox_free(struct outbox *);

/* Whether the delivery workers run: the consumer group is there and
 * Redis connected (for /ready). */
int		 outbox_running(const struct outbox *);

/* Appends a request; err NULL once it is in Redis (or was already) and,
 * with replicas set, on that many replicas. */
typedef void (*outbox_added_cb)(const char *err, void *arg);
void		 outbox_add(struct outbox *, const char *idempotency_key,
		    const char *json, outbox_added_cb, void *arg);

/* For operators: requests waiting (not yet delivered), the age of the
 * oldest in ms, those handed out and not acknowledged, dead letters,
 * and how many dead letters were re-driven so far. */
typedef void (*outbox_stats_cb)(const char *err, long long waiting,
    long long oldest_ms, long long pending, long long dead,
    long long redriven, void *arg);
void		 outbox_stats(struct outbox *, outbox_stats_cb, void *arg);

/* Moves up to n dead letters back into the stream, oldest first. */
typedef void (*outbox_replayed_cb)(const char *err, long long n, void *arg);
void		 outbox_replay(struct outbox *, unsigned n, outbox_replayed_cb,
		    void *arg);

#endif
