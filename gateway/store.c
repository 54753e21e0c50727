/*
 * Redis, asynchronously, with a deadline on everything.
 *
 * Each command is a struct call owned by the store until both its user
 * callback has fired (reply, error or timeout) and hiredis has let go of
 * it (reply, or NULL on disconnect).  A call that times out fires its
 * callback at once and is freed when hiredis hands it back.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000

enum call_kind { CALL_GET, CALL_SET };

struct call {
	struct store		*st;
	enum call_kind		 kind;
	union {
		store_get_cb	 get;
		store_set_cb	 set;
	}			 cb;
	void			*arg;
	struct event		*timer;
	const char		*early_err;	/* failed before it was sent */
	int			 fired;		/* user callback has run */
	int			 in_redis;	/* hiredis holds it */
	struct call		*prev, *next;	/* store's list */
};

enum store_state { ST_DOWN, ST_CONNECTING, ST_UP };

struct store {
	struct event_base	*base;
	char			*host;
	unsigned short		 port;
	char			*password;
	int			 db;
	unsigned		 timeout_ms;

	redisAsyncContext	*ac;
	enum store_state	 state;
	struct event		*retry;		/* reconnect, or connect timeout */
	unsigned		 backoff_ms;
	struct timeval		 last_reply;	/* from Redis, any */
	struct call		*calls;
};

static void	store_connect(struct store *);
static void	store_drop(struct store *, const char *why);

static void
ms_to_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

static void
call_free(struct call *c)
{
	struct store	*st = c->st;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		st->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	event_free(c->timer);
	free(c);
}

/* Fires the user callback once: r is a reply, or NULL with err. */
static void
call_fire(struct call *c, const redisReply *r, const char *err)
{
	if (c->fired)
		return;
	c->fired = 1;
	event_del(c->timer);
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		err = r->str;
	if (c->kind == CALL_GET) {
		if (err != NULL)
			c->cb.get(err, NULL, 0, c->arg);
		else if (r->type == REDIS_REPLY_STRING)
			c->cb.get(NULL, r->str, (size_t)r->len, c->arg);
		else
			c->cb.get(NULL, NULL, 0, c->arg);
	} else
		c->cb.set(err, c->arg);
}

static void
call_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct call	*c = privdata;
	struct store	*st = c->st;

	(void)ac;
	c->in_redis = 0;
	if (reply != NULL)
		gettimeofday(&st->last_reply, NULL);
	call_fire(c, reply, reply == NULL ? "connection to redis lost" :
	    NULL);
	call_free(c);
}

static void
call_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct call	*c = arg;
	struct store	*st = c->st;
	struct timeval	 now, idle;

	(void)fd;
	(void)what;
	if (c->early_err != NULL) {
		call_fire(c, NULL, c->early_err);
		call_free(c);
		return;
	}
	call_fire(c, NULL, "redis did not answer in time");
	if (c->in_redis) {
		/* Nothing from Redis for a whole timeout while this waited:
		 * the connection is stuck, start a new one. */
		gettimeofday(&now, NULL);
		timersub(&now, &st->last_reply, &idle);
		if ((unsigned long long)idle.tv_sec * 1000 +
		    (unsigned long long)idle.tv_usec / 1000 >= st->timeout_ms)
			store_drop(st, "no answer within timeout");
		return;		/* freed when hiredis hands it back */
	}
	call_free(c);
}

static struct call *
call_new(struct store *st, enum call_kind kind, void *arg)
{
	struct call	*c = xcalloc(1, sizeof *c);
	struct timeval	 tv;

	c->st = st;
	c->kind = kind;
	c->arg = arg;
	c->timer = evtimer_new(st->base, call_timeout, c);
	ms_to_tv(st->timeout_ms, &tv);
	evtimer_add(c->timer, &tv);
	c->next = st->calls;
	if (st->calls != NULL)
		st->calls->prev = c;
	st->calls = c;
	return c;
}

/* Fails a call from the event loop, never from inside the caller. */
static void
call_fail_soon(struct call *c, const char *err)
{
	c->early_err = err;
	event_active(c->timer, EV_TIMEOUT, 1);
}

static void
call_send(struct call *c, int argc, const char **argv, const size_t *lens)
{
	struct store	*st = c->st;

	if (st->state != ST_UP) {
		call_fail_soon(c, "redis is not connected");
		return;
	}
	if (redisAsyncCommandArgv(st->ac, call_reply, c, argc, argv,
	    lens) != REDIS_OK) {
		call_fail_soon(c, "redis refused the command");
		return;
	}
	c->in_redis = 1;
}

void
store_get(struct store *st, const char *key, store_get_cb cb, void *arg)
{
	struct call	*c = call_new(st, CALL_GET, arg);
	const char	*argv[] = { "GET", key };
	size_t		 lens[] = { 3, strlen(key) };

	c->cb.get = cb;
	call_send(c, 2, argv, lens);
}

void
store_set(struct store *st, const char *key, const char *value, size_t len,
    unsigned ttl_s, store_set_cb cb, void *arg)
{
	struct call	*c = call_new(st, CALL_SET, arg);
	char		 ttl[16];
	const char	*argv[] = { "SET", key, value, "EX", ttl };
	size_t		 lens[5];

	snprintf(ttl, sizeof ttl, "%u", ttl_s);
	lens[0] = 3;
	lens[1] = strlen(key);
	lens[2] = len;
	lens[3] = 2;
	lens[4] = strlen(ttl);
	c->cb.set = cb;
	call_send(c, 5, argv, lens);
}

char *
store_session_key(const char *msisdn, const char *session_id)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:ussd:%s", msisdn, session_id);
	return key;
}

/* Connection management. */

static void
store_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store	*st = arg;

	(void)fd;
	(void)what;
	if (st->state == ST_CONNECTING)
		store_drop(st, "connect timed out");
	else
		store_connect(st);
}

static void
store_schedule(struct store *st)
{
	struct timeval	 tv;
	unsigned	 ms;

	/* Full jitter keeps a fleet of gateways from reconnecting in step. */
	ms = st->backoff_ms / 2 + (unsigned)random() % (st->backoff_ms / 2 + 1);
	ms_to_tv(ms, &tv);
	evtimer_add(st->retry, &tv);
	if (st->backoff_ms < BACKOFF_MAX_MS)
		st->backoff_ms *= 2;
	if (st->backoff_ms > BACKOFF_MAX_MS)
		st->backoff_ms = BACKOFF_MAX_MS;
}

/* Gives up on the current connection (stuck, or never came up). */
static void
store_drop(struct store *st, const char *why)
{
	redisAsyncContext	*ac = st->ac;

	if (ac == NULL)
		return;
	log_warnx("redis=%s:%u event=drop reason=\"%s\"", st->host, st->port,
	    why);
	st->ac = NULL;
	st->state = ST_DOWN;
	evtimer_del(st->retry);
	redisAsyncFree(ac);	/* pending calls get NULL replies */
	store_schedule(st);
}

static void
store_auth_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	redisReply	*r = reply;
	struct store	*st = privdata;

	(void)ac;
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warnx("redis=%s:%u event=setup-failed error=\"%s\"",
		    st->host, st->port, r->str);
}

static void
store_on_connect(const redisAsyncContext *ac, int status)
{
	struct store	*st = ac->data;
	char		 db[16];

	if (st == NULL || ac != st->ac)
		return;
	evtimer_del(st->retry);
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback. */
		log_warnx("redis=%s:%u event=connect-failed error=\"%s\"",
		    st->host, st->port, ac->errstr);
		st->ac = NULL;
		st->state = ST_DOWN;
		store_schedule(st);
		return;
	}
	log_info("redis=%s:%u event=connected", st->host, st->port);
	st->state = ST_UP;
	st->backoff_ms = BACKOFF_MIN_MS;
	gettimeofday(&st->last_reply, NULL);
	if (st->password[0] != '\0')
		redisAsyncCommand(st->ac, store_auth_reply, st, "AUTH %s",
		    st->password);
	if (st->db != 0) {
		snprintf(db, sizeof db, "%d", st->db);
		redisAsyncCommand(st->ac, store_auth_reply, st, "SELECT %s",
		    db);
	}
}

static void
store_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct store	*st = ac->data;

	if (st == NULL || ac != st->ac)
		return;		/* one we dropped ourselves */
	log_warnx("redis=%s:%u event=disconnected error=\"%s\"", st->host,
	    st->port, status == REDIS_OK ? "closed" : ac->errstr);
	st->ac = NULL;
	st->state = ST_DOWN;
	store_schedule(st);
}

static void
store_connect(struct store *st)
{
	redisAsyncContext	*ac;
	struct timeval		 tv;

	ac = redisAsyncConnect(st->host, st->port);
	if (ac == NULL || ac->err) {
		log_warnx("redis=%s:%u event=connect-failed error=\"%s\"",
		    st->host, st->port, ac ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		store_schedule(st);
		return;
	}
	ac->data = st;
	st->ac = ac;
	st->state = ST_CONNECTING;
	redisLibeventAttach(ac, st->base);
	redisAsyncSetConnectCallback(ac, store_on_connect);
	redisAsyncSetDisconnectCallback(ac, store_on_disconnect);
	ms_to_tv(st->timeout_ms, &tv);
	evtimer_add(st->retry, &tv);	/* connect timeout */
}

struct store *
store_new(struct event_base *base, const struct store_params *p)
{
	struct store	*st = xcalloc(1, sizeof *st);

	st->base = base;
	st->host = xstrdup(p->host);
	st->port = p->port;
	st->password = xstrdup(p->password ? p->password : "");
	st->db = p->db;
	st->timeout_ms = p->timeout_ms;
	st->backoff_ms = BACKOFF_MIN_MS;
	st->retry = evtimer_new(base, store_retry_cb, st);
	store_connect(st);
	return st;
}

int
store_connected(const struct store *st)
{
	return st->state == ST_UP;
}

void
store_free(struct store *st)
{
	redisAsyncContext	*ac;

	if (st == NULL)
		return;
	ac = st->ac;
	st->ac = NULL;
	if (ac != NULL)
		redisAsyncFree(ac);	/* in-flight calls fire with errors */
	while (st->calls != NULL) {
		struct call *c = st->calls;

		call_fire(c, NULL, "store closed");
		call_free(c);
	}
	event_free(st->retry);
	free(st->host);
	free(st->password);
	free(st);
}
