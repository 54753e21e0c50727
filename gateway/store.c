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
#include <openssl/sha.h>

#include "log.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000

enum call_kind { CALL_LOAD, CALL_SAVE, CALL_DONE, CALL_COUNTS, CALL_REPLY };

/*
 * The record is stored as "VERSION|VALUE".  The save script sets it only
 * if the stored version is the expected one; it answers 1 when saved,
 * the current record on a conflict, and nil when a record was expected
 * and is gone (expired).
 */
static const char save_script[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if cur then\n"
    "  if string.match(cur, '^(%d+)|') ~= ARGV[1] then return cur end\n"
    "elseif ARGV[1] ~= '0' then\n"
    "  return false\n"
    "end\n"
    "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])\n"
    "return 1\n";

/*
 * A delivery state of an outbound message.  The record keeps the latest
 * state unless a final one (delivered, failed, rejected) came first, and
 * when each state came; a state is counted once per message, so a report
 * Kannel repeats is not counted twice.
 */
static const char dlr_script[] =
    "if redis.call('HGET', KEYS[1], 'final') ~= '1' then\n"
    "  redis.call('HSET', KEYS[1], 'state', ARGV[1])\n"
    "  if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'final', '1') end\n"
    "end\n"
    "local new = redis.call('HSETNX', KEYS[1], ARGV[1] .. '_ms', ARGV[3])\n"
    "if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'smsc_id', ARGV[5]) end\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
    "if new == 1 then redis.call('HINCRBY', KEYS[2], ARGV[1], 1) end\n"
    "return new\n";

enum { SCRIPT_SAVE, SCRIPT_DLR, NSCRIPTS };
static const char *const scripts[NSCRIPTS] = { save_script, dlr_script };
#define EXTRA_SCRIPTS	16	/* other modules' (store_script_add) */

#define DLR_COUNTS_KEY	"asanigw:{dlr}:counts"

struct call {
	struct store		*st;
	enum call_kind		 kind;
	union {
		store_load_cb	 load;
		store_save_cb	 save;
		store_done_cb	 done;
		store_counts_cb	 counts;
		store_reply_cb	 reply;
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
	char			 sha[NSCRIPTS][41];	/* for EVALSHA */
	const char		*extra[EXTRA_SCRIPTS];	/* borrowed */
	char			 extra_sha[EXTRA_SCRIPTS][41];
	int			 nextra;
};

static void	store_connect(struct store *);
static void	store_auth_reply(redisAsyncContext *, void *, void *);
static void	store_drop(struct store *, const char *why);

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

/* Splits "VERSION|VALUE"; returns -1 when it is not that. */
static int
record_parse(const char *rec, size_t len, unsigned *version,
    const char **value, size_t *vlen)
{
	const char	*bar = memchr(rec, '|', len);
	unsigned long	 v = 0;

	if (bar == NULL || bar == rec || bar - rec > 9)
		return -1;
	for (const char *p = rec; p < bar; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*version = (unsigned)v;
	*value = bar + 1;
	*vlen = len - (size_t)(bar + 1 - rec);
	return 0;
}

/* Queued before any caller's command, so EVALSHA finds them. */
static void
store_load_scripts(struct store *st)
{
	for (size_t i = 0; i < NSCRIPTS; i++)
		redisAsyncCommand(st->ac, store_auth_reply, st,
		    "SCRIPT LOAD %s", scripts[i]);
	for (int i = 0; i < st->nextra; i++)
		redisAsyncCommand(st->ac, store_auth_reply, st,
		    "SCRIPT LOAD %s", st->extra[i]);
}

/* An HGETALL reply of counts to the user callback. */
static void
call_fire_counts(struct call *c, const redisReply *r, const char *err)
{
	const char	**names;
	long long	 *values;
	size_t		  n = 0;

	if (err == NULL && r->type != REDIS_REPLY_ARRAY)
		err = "unexpected reply to HGETALL";
	if (err != NULL) {
		c->cb.counts(err, NULL, NULL, 0, c->arg);
		return;
	}
	names = xcalloc(r->elements / 2 + 1, sizeof *names);
	values = xcalloc(r->elements / 2 + 1, sizeof *values);
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		names[n] = r->element[i]->str;
		values[n++] = strtoll(r->element[i + 1]->str, NULL, 10);
	}
	c->cb.counts(NULL, names, values, n, c->arg);
	free(names);
	free(values);
}

/* Fires the user callback once: r is a reply, or NULL with err. */
static void
call_fire(struct call *c, const redisReply *r, const char *err)
{
	unsigned	 version = 0;
	const char	*value = NULL;
	size_t		 vlen = 0;

	if (c->fired)
		return;
	c->fired = 1;
	event_del(c->timer);
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		err = r->str;
		/* The script cache was flushed under us: load them again. */
		if (strncmp(err, "NOSCRIPT", 8) == 0 && c->st->ac != NULL)
			store_load_scripts(c->st);
	}
	if (c->kind == CALL_DONE) {
		c->cb.done(err, c->arg);
		return;
	}
	if (c->kind == CALL_REPLY) {
		c->cb.reply(err, err == NULL ? r : NULL, c->arg);
		return;
	}
	if (c->kind == CALL_COUNTS) {
		call_fire_counts(c, r, err);
		return;
	}
	if (err == NULL && r->type == REDIS_REPLY_STRING &&
	    record_parse(r->str, (size_t)r->len, &version, &value,
	    &vlen) == -1)
		err = "malformed session record";
	if (c->kind == CALL_LOAD) {
		if (err != NULL)
			c->cb.load(err, 0, NULL, 0, c->arg);
		else
			c->cb.load(NULL, version, value, vlen, c->arg);
	} else if (err != NULL)
		c->cb.save(err, STORE_SAVED, 0, NULL, 0, c->arg);
	else if (r->type == REDIS_REPLY_INTEGER)
		c->cb.save(NULL, STORE_SAVED, 0, NULL, 0, c->arg);
	else if (r->type == REDIS_REPLY_STRING)
		c->cb.save(NULL, STORE_CONFLICT, version, value, vlen, c->arg);
	else
		c->cb.save(NULL, STORE_GONE, 0, NULL, 0, c->arg);
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
	tv = ms_to_tv(st->timeout_ms);
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
store_load(struct store *st, const char *key, store_load_cb cb, void *arg)
{
	struct call	*c = call_new(st, CALL_LOAD, arg);
	const char	*argv[] = { "GET", key };
	size_t		 lens[] = { 3, strlen(key) };

	c->cb.load = cb;
	call_send(c, 2, argv, lens);
}

void
store_save(struct store *st, const char *key, unsigned expected,
    unsigned version, const char *value, size_t len, unsigned ttl_s,
    store_save_cb cb, void *arg)
{
	struct call	*c = call_new(st, CALL_SAVE, arg);
	char		 exp[16], ttl[16], head[16], *rec;
	const char	*argv[7];
	size_t		 lens[7], hlen;

	snprintf(exp, sizeof exp, "%u", expected);
	snprintf(ttl, sizeof ttl, "%u", ttl_s);
	hlen = (size_t)snprintf(head, sizeof head, "%u|", version);
	rec = xmalloc(hlen + len);
	memcpy(rec, head, hlen);
	memcpy(rec + hlen, value, len);
	argv[0] = "EVALSHA";	lens[0] = 7;
	argv[1] = st->sha[SCRIPT_SAVE]; lens[1] = 40;
	argv[2] = "1";		lens[2] = 1;
	argv[3] = key;		lens[3] = strlen(key);
	argv[4] = exp;		lens[4] = strlen(exp);
	argv[5] = rec;		lens[5] = hlen + len;
	argv[6] = ttl;		lens[6] = strlen(ttl);
	c->cb.save = cb;
	call_send(c, 7, argv, lens);
	free(rec);
}

char *
store_session_key(const char *msisdn, const char *session_id)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:ussd:%s", msisdn, session_id);
	return key;
}

void
store_dlr_record(struct store *st, const char *msgid, const char *state,
    int final, const char *smsc_msgid, unsigned ttl_s, store_done_cb cb,
    void *arg)
{
	struct call	*c = call_new(st, CALL_DONE, arg);
	char		*key, ms[24], ttl[16];
	const char	*argv[10];
	size_t		 lens[10];
	struct timeval	 now;

	gettimeofday(&now, NULL);
	snprintf(ms, sizeof ms, "%lld", (long long)now.tv_sec * 1000 +
	    now.tv_usec / 1000);
	snprintf(ttl, sizeof ttl, "%u", ttl_s);
	xasprintf(&key, "asanigw:{dlr}:%s", msgid);
	argv[0] = "EVALSHA";
	argv[1] = st->sha[SCRIPT_DLR];
	argv[2] = "2";
	argv[3] = key;
	argv[4] = DLR_COUNTS_KEY;
	argv[5] = state;
	argv[6] = final ? "1" : "0";
	argv[7] = ms;
	argv[8] = ttl;
	argv[9] = smsc_msgid != NULL ? smsc_msgid : "";
	for (size_t i = 0; i < 10; i++)
		lens[i] = strlen(argv[i]);
	c->cb.done = cb;
	call_send(c, 10, argv, lens);
	free(key);
}

void
store_counts(struct store *st, const char *key, store_counts_cb cb,
    void *arg)
{
	struct call	*c = call_new(st, CALL_COUNTS, arg);
	const char	*argv[] = { "HGETALL", key };
	size_t		 lens[] = { 7, strlen(key) };

	c->cb.counts = cb;
	call_send(c, 2, argv, lens);
}

void
store_dlr_counts(struct store *st, store_counts_cb cb, void *arg)
{
	store_counts(st, DLR_COUNTS_KEY, cb, arg);
}

void
store_count(struct store *st, const char *key, const char *name)
{
	const char	*argv[] = { "HINCRBY", key, name, "1" };

	store_command(st, 4, argv, NULL, store_ignore, (void *)key);
}

static void	store_script_sha(const char *, char[41]);

void
store_command(struct store *st, int argc, const char **argv,
    const size_t *lens, store_reply_cb cb, void *arg)
{
	struct call	*c = call_new(st, CALL_REPLY, arg);

	c->cb.reply = cb;
	call_send(c, argc, argv, lens);
}

void
store_ignore(const char *err, const redisReply *r, void *what)
{
	(void)r;
	if (err != NULL)
		log_warnx("event=store-failed what=%s error=\"%s\"",
		    (const char *)what, err);
}

int
store_script_add(struct store *st, const char *src)
{
	for (int i = 0; i < st->nextra; i++)
		if (st->extra[i] == src)
			return i;
	if (st->nextra == EXTRA_SCRIPTS)
		fatalx("store: too many scripts");
	st->extra[st->nextra] = src;
	store_script_sha(src, st->extra_sha[st->nextra]);
	if (st->state == ST_UP)
		redisAsyncCommand(st->ac, store_auth_reply, st,
		    "SCRIPT LOAD %s", src);
	return st->nextra++;
}

void
store_eval(struct store *st, int script, int nkeys, int argc,
    const char **argv, const size_t *lens, store_reply_cb cb, void *arg)
{
	const char	**a = xcalloc((size_t)argc + 3, sizeof *a);
	size_t		 *l = xcalloc((size_t)argc + 3, sizeof *l);
	char		  nk[16];

	snprintf(nk, sizeof nk, "%d", nkeys);
	a[0] = "EVALSHA";
	l[0] = 7;
	a[1] = st->extra_sha[script];
	l[1] = 40;
	a[2] = nk;
	l[2] = strlen(nk);
	for (int i = 0; i < argc; i++) {
		a[i + 3] = argv[i];
		l[i + 3] = lens != NULL ? lens[i] : strlen(argv[i]);
	}
	store_command(st, argc + 3, a, l, cb, arg);
	free(a);
	free(l);
}

/* The SHA-1 Redis names a script by, for EVALSHA. */
static void
store_script_sha(const char *script, char out[41])
{
	unsigned char	 md[SHA_DIGEST_LENGTH];

	SHA1((const unsigned char *)script, strlen(script), md);
	hex_encode(md, sizeof md, out, 41);
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

	/* Jitter keeps a fleet of gateways from reconnecting in step. */
	ms = jitter_ms(st->backoff_ms);
	tv = ms_to_tv(ms);
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
	store_load_scripts(st);
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
	tv = ms_to_tv(st->timeout_ms);
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
	for (size_t i = 0; i < NSCRIPTS; i++)
		store_script_sha(scripts[i], st->sha[i]);
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
