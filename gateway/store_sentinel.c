/*
 * Where the Redis master is, according to Redis Sentinel.  Failover is
 * the sentinels' job; the store only follows it:
 *
 *	ask:   sentinel 1 ──no answer──▶ sentinel 2 ──▶ ... ──▶ error
 *	         │ SENTINEL get-master-addr-by-name NAME
 *	         └▶ host, port  (the store then checks ROLE itself)
 *
 *	watch: SUBSCRIBE +switch-master on one sentinel; a switch of our
 *	       master names the new address at once; a dropped watch is
 *	       reported (the store asks again) and moves to the next
 *	       sentinel after a jittered backoff.
 *
 * Each question goes to one sentinel at a time, on its own short-lived
 * connection, with a timer: a sentinel that is down, or hangs, costs one
 * timeout and the next one is asked.  The one that answered last is
 * asked first next time.  Part of the store, the only door to Redis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "conf.h"
#include "log.h"
#include "store_int.h"
#include "util.h"
#include "xmalloc.h"

#define WATCH_BACKOFF_MIN_MS	100
#define WATCH_BACKOFF_MAX_MS	5000

struct sentinel_addr {
	char		 host[256];
	unsigned short	 port;
};

/* One question to one sentinel. */
struct probe {
	struct sentinel		*sn;
	redisAsyncContext	*ac;		/* NULL once let go */
	struct event		*timer;
	size_t			 tried;		/* sentinels asked so far */
};

struct sentinel {
	struct event_base	*base;
	struct sentinel_addr	*addrs;
	size_t			 naddrs;
	char			*name;
	unsigned		 timeout_ms;
	sentinel_switch_fn	 on_switch;
	void			*arg;

	size_t			 first;		/* answered last */
	struct probe		*probe;		/* the question in flight */
	sentinel_master_cb	 cb;
	void			*cb_arg;

	redisAsyncContext	*watch;
	size_t			 watch_at;	/* the sentinel watched */
	struct event		*watch_retry;
	unsigned		 watch_backoff_ms;
};

static void	probe_start(struct sentinel *, size_t tried);
static void	watch_connect(struct sentinel *);

/* Ends the question with its result; the callback fires once. */
static void
ask_done(struct sentinel *sn, const char *err, const char *host,
    unsigned short port)
{
	sentinel_master_cb	 cb = sn->cb;
	void			*arg = sn->cb_arg;

	sn->cb = NULL;
	sn->cb_arg = NULL;
	if (cb != NULL)
		cb(err, host, port, arg);
}

/* Lets go of a probe's connection: hiredis frees it (at once, or after
 * the callback running now); its callbacks find no probe. */
static void
probe_free(struct probe *p)
{
	if (p->ac != NULL) {
		p->ac->data = NULL;
		redisAsyncFree(p->ac);
	}
	event_free(p->timer);
	if (p->sn->probe == p)
		p->sn->probe = NULL;
	free(p);
}

/* This sentinel did not tell: ask the next, or give up. */
static void
probe_next(struct probe *p, const char *why)
{
	struct sentinel		*sn = p->sn;
	struct sentinel_addr	*a = &sn->addrs[(sn->first + p->tried) %
				    sn->naddrs];
	size_t			 tried = p->tried + 1;

	log_warnx("sentinel=%s:%u master=%s event=no-answer reason=\"%s\"",
	    a->host, a->port, sn->name, why);
	probe_free(p);
	if (tried < sn->naddrs)
		probe_start(sn, tried);
	else
		ask_done(sn, "no sentinel named the master", NULL, 0);
}

static void
probe_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct probe	*p = ac->data;
	redisReply	*r = reply;
	struct sentinel	*sn;
	char		 host[256];
	long		 port;

	(void)privdata;
	if (p == NULL)
		return;		/* let go already */
	if (r == NULL) {
		/* hiredis is freeing the connection: leave it to it. */
		ac->data = NULL;
		p->ac = NULL;
	}
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		probe_next(p, r == NULL ? "connection lost" :
		    r->type == REDIS_REPLY_ERROR ? r->str :
		    "it does not know the master");
		return;
	}
	port = strtol(r->element[1]->str, NULL, 10);
	if (port < 1 || port > 65535 || r->element[0]->len >= sizeof host) {
		probe_next(p, "malformed address");
		return;
	}
	snprintf(host, sizeof host, "%s", r->element[0]->str);
	sn = p->sn;
	sn->first = (sn->first + p->tried) % sn->naddrs;
	probe_free(p);
	ask_done(sn, NULL, host, (unsigned short)port);
}

static void
probe_connected(const redisAsyncContext *ac, int status)
{
	struct probe	*p = ac->data;

	if (p == NULL || status == REDIS_OK)
		return;
	/* hiredis frees it after this callback. */
	((redisAsyncContext *)ac)->data = NULL;
	p->ac = NULL;
	probe_next(p, ac->errstr);
}

static void
probe_disconnected(const redisAsyncContext *ac, int status)
{
	struct probe	*p = ac->data;

	(void)status;
	if (p != NULL)
		p->ac = NULL;	/* hiredis frees it; the reply said why */
}

static void
probe_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	probe_next(arg, "no answer within timeout");
}

/* Asks the tried-th sentinel after the one that answered last. */
static void
probe_start(struct sentinel *sn, size_t tried)
{
	struct sentinel_addr	*a = &sn->addrs[(sn->first + tried) %
				    sn->naddrs];
	struct probe		*p = xcalloc(1, sizeof *p);
	struct timeval		 tv = ms_to_tv(sn->timeout_ms);

	p->sn = sn;
	p->tried = tried;
	p->timer = evtimer_new(sn->base, probe_timeout, p);
	sn->probe = p;
	evtimer_add(p->timer, &tv);
	p->ac = redisAsyncConnect(a->host, a->port);
	if (p->ac == NULL || p->ac->err) {
		/* From the loop, not from inside the caller. */
		if (p->ac != NULL)
			redisAsyncFree(p->ac);
		p->ac = NULL;
		event_active(p->timer, EV_TIMEOUT, 1);
		return;
	}
	p->ac->data = p;
	redisLibeventAttach(p->ac, sn->base);
	redisAsyncSetConnectCallback(p->ac, probe_connected);
	redisAsyncSetDisconnectCallback(p->ac, probe_disconnected);
	redisAsyncCommand(p->ac, probe_reply, NULL,
	    "SENTINEL get-master-addr-by-name %s", sn->name);
}

void
sentinel_ask(struct sentinel *sn, sentinel_master_cb cb, void *arg)
{
	if (sn->probe != NULL)
		probe_free(sn->probe);
	ask_done(sn, "asked again", NULL, 0);
	sn->cb = cb;
	sn->cb_arg = arg;
	probe_start(sn, 0);
}

/* The watch: +switch-master on one sentinel. */

static void
watch_lost(struct sentinel *sn, const char *why)
{
	struct sentinel_addr	*a = &sn->addrs[sn->watch_at];
	struct timeval		 tv;

	log_warnx("sentinel=%s:%u master=%s event=watch-lost reason=\"%s\"",
	    a->host, a->port, sn->name, why);
	sn->watch = NULL;
	sn->watch_at = (sn->watch_at + 1) % sn->naddrs;
	tv = ms_to_tv(jitter_ms(sn->watch_backoff_ms));
	evtimer_add(sn->watch_retry, &tv);
	sn->watch_backoff_ms = sn->watch_backoff_ms * 2 > WATCH_BACKOFF_MAX_MS ?
	    WATCH_BACKOFF_MAX_MS : sn->watch_backoff_ms * 2;
	/* A switch may have passed unseen: the store asks again. */
	sn->on_switch(sn->arg, NULL, 0);
}

static void
watch_message(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct sentinel	*sn = ac->data;
	redisReply	*r = reply, *m;
	char		 name[256], oldh[256], newh[256];
	unsigned	 oldp, newp;

	(void)privdata;
	if (sn == NULL || r == NULL || r->type != REDIS_REPLY_ARRAY ||
	    r->elements != 3)
		return;
	m = r->element[2];
	if (m->type == REDIS_REPLY_INTEGER) {
		/* Subscribed: the watch holds. */
		sn->watch_backoff_ms = WATCH_BACKOFF_MIN_MS;
		log_info("sentinel=%s:%u master=%s event=watching",
		    sn->addrs[sn->watch_at].host, sn->addrs[sn->watch_at].port,
		    sn->name);
		return;
	}
	/* "NAME OLDHOST OLDPORT NEWHOST NEWPORT" */
	if (m->type != REDIS_REPLY_STRING || sscanf(m->str,
	    "%255s %255s %u %255s %u", name, oldh, &oldp, newh, &newp) != 5 ||
	    strcmp(name, sn->name) != 0 || newp < 1 || newp > 65535)
		return;
	log_info("sentinel=%s:%u master=%s event=switch-master from=%s:%u "
	    "to=%s:%u", sn->addrs[sn->watch_at].host,
	    sn->addrs[sn->watch_at].port, sn->name, oldh, oldp, newh, newp);
	sn->on_switch(sn->arg, newh, (unsigned short)newp);
}

static void
watch_connected(const redisAsyncContext *ac, int status)
{
	struct sentinel	*sn = ac->data;

	if (sn == NULL || status == REDIS_OK)
		return;
	((redisAsyncContext *)ac)->data = NULL;	/* hiredis frees it */
	watch_lost(sn, ac->errstr);
}

static void
watch_disconnected(const redisAsyncContext *ac, int status)
{
	struct sentinel	*sn = ac->data;

	if (sn == NULL)
		return;		/* freed by us */
	((redisAsyncContext *)ac)->data = NULL;	/* hiredis frees it */
	watch_lost(sn, status == REDIS_OK ? "closed" : ac->errstr);
}

static void
watch_connect(struct sentinel *sn)
{
	struct sentinel_addr	*a = &sn->addrs[sn->watch_at];
	redisAsyncContext	*ac = redisAsyncConnect(a->host, a->port);

	if (ac == NULL || ac->err) {
		if (ac != NULL)
			redisAsyncFree(ac);
		sn->watch = NULL;
		watch_lost(sn, "cannot connect");
		return;
	}
	ac->data = sn;
	sn->watch = ac;
	redisLibeventAttach(ac, sn->base);
	redisAsyncSetConnectCallback(ac, watch_connected);
	redisAsyncSetDisconnectCallback(ac, watch_disconnected);
	redisAsyncCommand(ac, watch_message, NULL, "SUBSCRIBE +switch-master");
}

static void
watch_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	watch_connect(arg);
}

struct sentinel *
sentinel_new(struct event_base *base, const char *const *addrs, size_t n,
    const char *name, unsigned timeout_ms, sentinel_switch_fn on_switch,
    void *arg)
{
	struct sentinel	*sn = xcalloc(1, sizeof *sn);

	sn->base = base;
	sn->addrs = xcalloc(n, sizeof *sn->addrs);
	for (size_t i = 0; i < n; i++)
		if (conf_hostport(addrs[i], sn->addrs[sn->naddrs].host,
		    sizeof sn->addrs[0].host,
		    &sn->addrs[sn->naddrs].port) == 0)
			sn->naddrs++;
	if (sn->naddrs == 0)
		fatalx("sentinel: no address in host:port form");
	sn->name = xstrdup(name);
	sn->timeout_ms = timeout_ms;
	sn->on_switch = on_switch;
	sn->arg = arg;
	sn->watch_backoff_ms = WATCH_BACKOFF_MIN_MS;
	sn->watch_retry = evtimer_new(base, watch_retry_cb, sn);
	watch_connect(sn);
	return sn;
}

void
sentinel_free(struct sentinel *sn)
{
	redisAsyncContext	*ac;

	if (sn == NULL)
		return;
	if (sn->probe != NULL)
		probe_free(sn->probe);
	ask_done(sn, "store closed", NULL, 0);
	if ((ac = sn->watch) != NULL) {
		ac->data = NULL;
		sn->watch = NULL;
		redisAsyncFree(ac);
	}
	event_free(sn->watch_retry);
	free(sn->addrs);
	free(sn->name);
	free(sn);
}
