/*
 * Redis, asynchronously, with a deadline on everything.
 *
 * Each command is a struct call owned by the store until both its
 * verb's callback has fired (reply, error or timeout) and hiredis has let
 * go of it (reply, or NULL on disconnect).  A call that times out fires
 * its callback at once and is freed when hiredis hands it back.
 *
 * A call carries its verb's callback and a parse function that turns
 * the reply into the verb's typed result (store_int.h), so one call
 * machinery serves every verb; the verbs themselves live in this file
 * (sessions, delivery reports, counters), store_subscriber.c and
 * store_outbox.c, their keys in store_keys.c and their Lua in
 * store_scripts.c, loaded here on every connect.
 *
 * The connection goes through these states; with Sentinel
 * (store_sentinel.c) the address is asked first and the server checked:
 *
 *	DOWN ─▶ [ASKING the sentinels] ─▶ CONNECTING ─▶ [ROLE is master] ─▶ UP
 *	  ▲  backoff with jitter │ none answers     │ refused, timeout,    │
 *	  └──────────────────────┴───────────────────┴ a replica ───────────┘
 *	                                    lost, stuck, READONLY, +switch-master
 *
 * The connect timer runs from the connect to the ROLE answer, so a hung
 * server (SIGSTOP) costs one timeout.  Commands are refused at once
 * unless UP: a hop waiting for a failover hears "busy" in time.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>

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
#include "metrics.h"
#include "store.h"
#include "store_int.h"
#include "util.h"
#include "xmalloc.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000

struct call {
	struct store		*st;
	store_parse_fn		 parse;
	store_fn		 cb;		/* the verb's, for parse */
	void			*arg;
	struct event		*timer;		/* in the call's own block */
	const char		*early_err;	/* failed before it was sent */
	int			 fired;		/* user callback has run */
	int			 in_redis;	/* hiredis holds it */
	struct timespec		 t0;		/* made, for metrics */
	TAILQ_ENTRY(call)	 entry;		/* store's list */
};

/* Callers waiting for the same WAIT. */
struct waiter {
	store_done_cb		 cb;
	void			*arg;
	TAILQ_ENTRY(waiter)	 entry;
};
TAILQ_HEAD(waiters, waiter);

struct wait_batch {
	struct store	*st;
	unsigned	 replicas;
	struct waiters	 all;
};

enum store_state { ST_DOWN, ST_ASKING, ST_CONNECTING, ST_ROLE, ST_UP };

struct store {
	struct event_base	*base;
	char			*host;		/* the master's, with sentinels */
	unsigned short		 port;
	struct sentinel		*sentinel;	/* NULL: host and port fixed */
	char			*username;
	char			*password;
	int			 db;
	unsigned		 timeout_ms;

	redisAsyncContext	*ac;
	enum store_state	 state;
	struct event		*retry;		/* reconnect, or connect timeout */
	unsigned		 backoff_ms;
	struct timeval		 last_reply;	/* from Redis, any */
	TAILQ_HEAD(, call)	 calls;
	char			 sha[NSCRIPTS][41];	/* for EVALSHA */

	struct waiters		 next_wait;	/* for the WAIT after this */
	int			 waiting;	/* a WAIT is out */
	unsigned		 wait_replicas, wait_ms;
	char			 was_master[280];	/* host:port last up */
};

static void	store_connect(struct store *);
static void	store_auth_reply(redisAsyncContext *, void *, void *);
static void	store_drop(struct store *, const char *why);
static void	store_follow(void *, const char *, unsigned short);
static void	store_up(struct store *);
static void	store_set_state(struct store *, enum store_state);

static void
call_free(struct call *c)
{
	TAILQ_REMOVE(&c->st->calls, c, entry);
	event_del(c->timer);
	free(c);
}

/* Queued before any caller's command, so EVALSHA finds them. */
static void
store_load_scripts(struct store *st)
{
	for (size_t i = 0; i < NSCRIPTS; i++)
		redisAsyncCommand(st->ac, store_auth_reply, st,
		    "SCRIPT LOAD %s", store_scripts[i].src);
}

/* Fires the verb's callback once: r is a reply, or NULL with err. */
static void
call_fire(struct call *c, const redisReply *r, const char *err)
{
	if (c->fired)
		return;
	c->fired = 1;
	metrics_redis(r != NULL ? elapsed_ms(&c->t0) / 1000 : -1, r != NULL &&
	    r->type == REDIS_REPLY_ERROR ? "error reply" : err);
	event_del(c->timer);
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		err = r->str;
		/* The script cache was flushed under us: load them again. */
		if (strncmp(err, "NOSCRIPT", 8) == 0 && c->st->ac != NULL)
			store_load_scripts(c->st);
		/* A master turned replica: find the new one. */
		if (strncmp(err, "READONLY", 8) == 0 && c->st->ac != NULL)
			store_drop(c->st, "the server is a replica now");
	}
	c->parse(err, err == NULL ? r : NULL, c->cb, c->arg);
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

/* Fails a call from the event loop, never from inside the caller. */
static void
call_fail_soon(struct call *c, const char *err)
{
	c->early_err = err;
	event_active(c->timer, EV_TIMEOUT, 1);
}

/*
 * The command in Redis's wire form (RESP), malloc'd, its length in *len
 * (lens NULL: the arguments are strings):
 * what redisAsyncCommandArgv() would send, made without its formatter,
 * which costs a hop more than the copying does.
 */
static char *
resp_format(int argc, const char **argv, const size_t *lens, size_t *len)
{
	size_t	 size = 16, n;
	char	*buf, *o;

	for (int i = 0; i < argc; i++)
		size += (lens != NULL ? lens[i] : strlen(argv[i])) + 32;
	o = buf = xmalloc(size);
	*o++ = '*';
	o = dec_put(o, (size_t)argc);
	for (int i = 0; i < argc; i++) {
		n = lens != NULL ? lens[i] : strlen(argv[i]);
		memcpy(o, "\r\n$", 3);
		o = dec_put(o + 3, n);
		memcpy(o, "\r\n", 2);
		memcpy(o + 2, argv[i], n);
		o += 2 + n;
	}
	memcpy(o, "\r\n", 2);
	*len = (size_t)(o + 2 - buf);
	return buf;
}

void
store_command(struct store *st, int argc, const char **argv,
    const size_t *lens, store_parse_fn parse, store_fn cb, void *arg)
{
	size_t		 head = align_max(sizeof(struct call));
	struct call	*c = xcalloc(1, head + event_room());
	struct timeval	 tv;
	char		*cmd;
	size_t		 len;

	c->st = st;
	c->parse = parse;
	c->cb = cb;
	c->arg = arg;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->timer = timer_in(c, head, st->base, call_timeout, c);
	tv = ms_to_tv(st->timeout_ms);
	evtimer_add(c->timer, &tv);
	TAILQ_INSERT_HEAD(&st->calls, c, entry);
	if (st->state != ST_UP) {
		call_fail_soon(c, "redis is not connected");
		return;
	}
	cmd = resp_format(argc, argv, lens, &len);
	if (redisAsyncFormattedCommand(st->ac, call_reply, c, cmd, len) !=
	    REDIS_OK) {
		free(cmd);
		call_fail_soon(c, "redis refused the command");
		return;
	}
	free(cmd);
	c->in_redis = 1;
}

/* Arguments of an EVALSHA held on the stack (more are allocated). */
#define EVAL_ARGS	16

void
store_eval(struct store *st, enum store_script script,
    const struct store_keyargs *ka, int argc, const char **argv,
    const size_t *lens, store_parse_fn parse, store_fn cb, void *arg)
{
	const struct store_script_def *def = &store_scripts[script];
	char		 *keys[SCRIPT_KEYS_MAX] = { NULL };
	const char	 *a_small[EVAL_ARGS], **a;
	size_t		  l_small[EVAL_ARGS], *l;
	char		  nk[21];
	int		  n = 0;

	def->keys(ka, keys);
	if ((size_t)(3 + def->nkeys + argc) <= EVAL_ARGS) {
		a = a_small;
		l = l_small;
	} else {
		a = xcalloc((size_t)(3 + def->nkeys + argc), sizeof *a);
		l = xcalloc((size_t)(3 + def->nkeys + argc), sizeof *l);
	}
	dec_str(nk, (unsigned)def->nkeys);
	a[n] = "EVALSHA";
	l[n++] = 7;
	a[n] = st->sha[script];
	l[n++] = 40;
	a[n] = nk;
	l[n++] = strlen(nk);
	for (int i = 0; i < def->nkeys; i++) {
		a[n] = keys[i];
		l[n++] = strlen(keys[i]);
	}
	for (int i = 0; i < argc; i++) {
		a[n] = argv[i];
		l[n++] = lens != NULL ? lens[i] : strlen(argv[i]);
	}
	store_command(st, n, a, l, parse, cb, arg);
	for (int i = 0; i < def->nkeys; i++)
		free(keys[i]);
	if (a != a_small) {
		free(a);
		free(l);
	}
}

void
store_eval_number(struct store *st, enum store_script script,
    const struct store_keyargs *ka, long long n, store_parse_fn parse,
    store_fn cb, void *arg)
{
	char		 num[24];
	const char	*argv[] = { num };

	snprintf(num, sizeof num, "%lld", n);
	store_eval(st, script, ka, 1, argv, NULL, parse, cb, arg);
}

void
store_parse_number(const char *err, const redisReply *r, store_fn cb,
    void *arg)
{
	if (err == NULL && r->type != REDIS_REPLY_INTEGER)
		err = "unexpected reply";
	((store_number_cb)cb)(err, err == NULL ? r->integer : 0, arg);
}

void
store_parse_done(const char *err, const redisReply *r, store_fn cb,
    void *arg)
{
	(void)r;
	((store_done_cb)cb)(err, arg);
}

void
store_parse_ignore(const char *err, const redisReply *r, store_fn cb,
    void *what)
{
	(void)r;
	(void)cb;
	if (err != NULL)
		log_warnx("event=store-failed what=%s error=\"%s\"",
		    (const char *)what, err);
}

/* Received means replicated: one WAIT for every caller come so far. */

static void	wait_send(struct store *);

static void
parse_waited(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	struct wait_batch	*b = arg;
	struct store		*st = b->st;
	struct waiter		*w;
	char			 msg[96];

	(void)cb;
	if (err == NULL && r->type != REDIS_REPLY_INTEGER)
		err = "unexpected reply to WAIT";
	else if (err == NULL && r->integer < (long long)b->replicas) {
		snprintf(msg, sizeof msg, "%lld of %u replicas confirmed in "
		    "time", r->integer, b->replicas);
		err = msg;
	}
	st->waiting = 0;
	while ((w = TAILQ_FIRST(&b->all)) != NULL) {
		TAILQ_REMOVE(&b->all, w, entry);
		w->cb(err, w->arg);
		free(w);
	}
	free(b);
	if (!TAILQ_EMPTY(&st->next_wait))
		wait_send(st);
}

static void
wait_send(struct store *st)
{
	struct wait_batch	*b = xcalloc(1, sizeof *b);
	char			 n[16], ms[16];
	const char		*argv[] = { "WAIT", n, ms };

	b->st = st;
	b->replicas = st->wait_replicas;
	TAILQ_INIT(&b->all);
	TAILQ_CONCAT(&b->all, &st->next_wait, entry);
	snprintf(n, sizeof n, "%u", st->wait_replicas);
	snprintf(ms, sizeof ms, "%u", st->wait_ms);
	st->waiting = 1;
	store_command(st, 3, argv, NULL, parse_waited, NULL, b);
}

void
store_replicated(struct store *st, unsigned replicas, unsigned wait_ms,
    store_done_cb cb, void *arg)
{
	struct waiter	*w = xcalloc(1, sizeof *w);

	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&st->next_wait, w, entry);
	st->wait_replicas = replicas;
	st->wait_ms = wait_ms;
	if (!st->waiting)
		wait_send(st);
}

/* The SHA-1 Redis names a script by, for EVALSHA. */
static void
store_script_sha(const char *script, char out[41])
{
	unsigned char	 md[SHA_DIGEST_LENGTH];

	SHA1((const unsigned char *)script, strlen(script), md);
	hex_encode(md, sizeof md, out, 41);
}

/* Sessions. */

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

/* A reply that is a record into its parts; err set when malformed. */
static const char *
record_of(const char *err, const redisReply *r, unsigned *version,
    const char **value, size_t *vlen)
{
	*version = 0;
	*value = NULL;
	*vlen = 0;
	if (err == NULL && r->type == REDIS_REPLY_STRING &&
	    record_parse(r->str, (size_t)r->len, version, value, vlen) == -1)
		err = "malformed session record";
	return err;
}

static void
parse_load(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	unsigned	 version;
	const char	*value;
	size_t		 vlen;

	if ((err = record_of(err, r, &version, &value, &vlen)) != NULL)
		((store_load_cb)cb)(err, 0, NULL, 0, arg);
	else
		((store_load_cb)cb)(NULL, version, value, vlen, arg);
}

static void
parse_save(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	store_save_cb	 save = (store_save_cb)cb;
	unsigned	 version;
	const char	*value;
	size_t		 vlen;

	if ((err = record_of(err, r, &version, &value, &vlen)) != NULL)
		save(err, STORE_SAVED, 0, NULL, 0, arg);
	else if (r->type == REDIS_REPLY_INTEGER)
		save(NULL, STORE_SAVED, 0, NULL, 0, arg);
	else if (r->type == REDIS_REPLY_STRING)
		save(NULL, STORE_CONFLICT, version, value, vlen, arg);
	else
		save(NULL, STORE_GONE, 0, NULL, 0, arg);
}

void
store_load(struct store *st, const char *key, store_load_cb cb, void *arg)
{
	const char	*argv[] = { "GET", key };

	store_command(st, 2, argv, NULL, parse_load, (store_fn)cb, arg);
}

void
store_save(struct store *st, const char *key, unsigned expected,
    unsigned version, const char *value, size_t len, unsigned ttl_s,
    store_save_cb cb, void *arg)
{
	struct store_keyargs ka = { .session_key = key };
	char		 exp[24], ttl[24], *rec, *o;
	const char	*argv[3];
	size_t		 lens[3];

	rec = xmalloc(24 + len);
	o = dec_put(rec, version);
	*o++ = '|';
	memcpy(o, value, len);
	argv[0] = exp;		lens[0] = (size_t)(dec_put(exp, expected) - exp);
	argv[1] = rec;		lens[1] = (size_t)(o + len - rec);
	argv[2] = ttl;		lens[2] = (size_t)(dec_put(ttl, ttl_s) - ttl);
	store_eval(st, SCRIPT_SESSION_SAVE, &ka, 3, argv, lens, parse_save,
	    (store_fn)cb, arg);
	free(rec);
}

/* Delivery reports and counters. */

static void
dlr_eval(struct store *st, const char *msgid, const char *state, int final,
    const char *smsc_msgid, unsigned ttl_s, int known_only, store_parse_fn p,
    store_fn cb, void *arg)
{
	struct store_keyargs ka = { .msgid = msgid };
	char		 ms[24], ttl[16];
	const char	*argv[6];

	snprintf(ms, sizeof ms, "%lld", now_ms());
	snprintf(ttl, sizeof ttl, "%u", ttl_s);
	argv[0] = state;
	argv[1] = final ? "1" : "0";
	argv[2] = ms;
	argv[3] = ttl;
	argv[4] = smsc_msgid != NULL ? smsc_msgid : "";
	argv[5] = known_only ? "1" : "0";
	store_eval(st, SCRIPT_DLR_RECORD, &ka, 6, argv, NULL, p, cb, arg);
}

void
store_dlr_record(struct store *st, const char *msgid, const char *state,
    int final, const char *smsc_msgid, unsigned ttl_s, store_done_cb cb,
    void *arg)
{
	dlr_eval(st, msgid, state, final, smsc_msgid, ttl_s, 0,
	    store_parse_done, (store_fn)cb, arg);
}

static void
parse_dlr(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	store_dlr_cb	 done = (store_dlr_cb)cb;

	if (err == NULL && r->type != REDIS_REPLY_INTEGER)
		err = "unexpected reply to the delivery report";
	if (err != NULL)
		done(err, STORE_DLR_UNKNOWN, arg);
	else if (r->integer == -1)
		done(NULL, STORE_DLR_UNKNOWN, arg);
	else
		done(NULL, r->integer == 1 ? STORE_DLR_RECORDED :
		    STORE_DLR_REPEATED, arg);
}

void
store_dlr_report(struct store *st, const char *msgid, const char *state,
    int final, const char *smsc_msgid, unsigned ttl_s, store_dlr_cb cb,
    void *arg)
{
	dlr_eval(st, msgid, state, final, smsc_msgid, ttl_s, 1, parse_dlr,
	    (store_fn)cb, arg);
}

/* An HGETALL reply of counts to the user callback. */
static void
parse_counts(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	store_counts_cb	  counts = (store_counts_cb)cb;
	const char	**names;
	long long	 *values;
	size_t		  n = 0;

	if (err == NULL && r->type != REDIS_REPLY_ARRAY)
		err = "unexpected reply to HGETALL";
	if (err != NULL) {
		counts(err, NULL, NULL, 0, arg);
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
	counts(NULL, names, values, n, arg);
	free(names);
	free(values);
}

void
store_counts(struct store *st, enum store_counter counter,
    store_counts_cb cb, void *arg)
{
	const char	*argv[] = { "HGETALL", store_key_counter(counter) };

	store_command(st, 2, argv, NULL, parse_counts, (store_fn)cb, arg);
}

void
store_count(struct store *st, enum store_counter counter, const char *name)
{
	const char	*key = store_key_counter(counter);
	const char	*argv[] = { "HINCRBY", key, name, "1" };

	store_command(st, 4, argv, NULL, store_parse_ignore, NULL,
	    (void *)key);
}

/* Connection management. */

static void
store_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store	*st = arg;

	(void)fd;
	(void)what;
	if (st->state == ST_CONNECTING || st->state == ST_ROLE)
		store_drop(st, "connect timed out");
	else if (st->state == ST_DOWN)
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
	ac->data = NULL;	/* its callbacks are not ours any more */
	st->ac = NULL;
	store_set_state(st, ST_DOWN);
	evtimer_del(st->retry);
	redisAsyncFree(ac);	/* pending calls get NULL replies */
	store_schedule(st);
}

/* Every change of state goes here, so the metrics of the connection
 * (up or not; the master changed since it was last up) follow it. */
static void
store_set_state(struct store *st, enum store_state state)
{
	char	 addr[sizeof st->was_master];

	if (st->state == ST_UP && state != ST_UP)
		metrics_redis_up(-1);
	else if (st->state != ST_UP && state == ST_UP) {
		metrics_redis_up(1);
		snprintf(addr, sizeof addr, "%s:%u", st->host, st->port);
		if (st->was_master[0] != '\0' &&
		    strcmp(addr, st->was_master) != 0)
			metrics_redis_master_changed();
		memcpy(st->was_master, addr, sizeof addr);
	}
	st->state = state;
}

/* Connected to the master: commands may go. */
static void
store_up(struct store *st)
{
	evtimer_del(st->retry);
	log_info("redis=%s:%u event=connected", st->host, st->port);
	store_set_state(st, ST_UP);
	st->backoff_ms = BACKOFF_MIN_MS;
	gettimeofday(&st->last_reply, NULL);
	store_load_scripts(st);
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

/* The answer to ROLE: a master is served, anything else dropped. */
static void
store_role_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	redisReply	*r = reply;
	struct store	*st = privdata;

	if (r == NULL || ac != st->ac || st->state != ST_ROLE)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "master") != 0) {
		store_drop(st, r->type == REDIS_REPLY_ERROR ? r->str :
		    "not the master");
		return;
	}
	store_up(st);
}

static void
store_on_connect(const redisAsyncContext *ac, int status)
{
	struct store	*st = ac->data;
	char		 db[16];

	if (st == NULL || ac != st->ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback. */
		evtimer_del(st->retry);
		log_warnx("redis=%s:%u event=connect-failed error=\"%s\"",
		    st->host, st->port, ac->errstr);
		st->ac = NULL;
		store_set_state(st, ST_DOWN);
		store_schedule(st);
		return;
	}
	if (st->password[0] != '\0' && st->username[0] != '\0')
		redisAsyncCommand(st->ac, store_auth_reply, st, "AUTH %s %s",
		    st->username, st->password);
	else if (st->password[0] != '\0')
		redisAsyncCommand(st->ac, store_auth_reply, st, "AUTH %s",
		    st->password);
	if (st->db != 0) {
		snprintf(db, sizeof db, "%d", st->db);
		redisAsyncCommand(st->ac, store_auth_reply, st, "SELECT %s",
		    db);
	}
	if (st->sentinel == NULL) {
		evtimer_del(st->retry);
		store_up(st);
		return;
	}
	/* The connect timer still runs: a server that does not answer
	 * ROLE is as good as none. */
	store_set_state(st, ST_ROLE);
	redisAsyncCommand(st->ac, store_role_reply, st, "ROLE");
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
	store_set_state(st, ST_DOWN);
	store_schedule(st);
}

static void
store_connect_to(struct store *st)
{
	redisAsyncContext	*ac;
	struct timeval		 tv;

	ac = redisAsyncConnect(st->host, st->port);
	if (ac == NULL || ac->err) {
		log_warnx("redis=%s:%u event=connect-failed error=\"%s\"",
		    st->host, st->port, ac ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		store_set_state(st, ST_DOWN);
		store_schedule(st);
		return;
	}
	ac->data = st;
	st->ac = ac;
	store_set_state(st, ST_CONNECTING);
	redisLibeventAttach(ac, st->base);
	redisAsyncSetConnectCallback(ac, store_on_connect);
	redisAsyncSetDisconnectCallback(ac, store_on_disconnect);
	tv = ms_to_tv(st->timeout_ms);
	evtimer_add(st->retry, &tv);	/* connect timeout */
}

/* The sentinels named the master (or none did). */
static void
store_master_found(const char *err, const char *host, unsigned short port,
    void *arg)
{
	struct store	*st = arg;

	if (st->state != ST_ASKING)
		return;		/* closing, or asked again */
	if (err != NULL) {
		log_warnx("redis=sentinel event=no-master error=\"%s\"", err);
		store_set_state(st, ST_DOWN);
		store_schedule(st);
		return;
	}
	free(st->host);
	st->host = xstrdup(host);
	st->port = port;
	store_connect_to(st);
}

static void
store_connect(struct store *st)
{
	if (st->sentinel == NULL) {
		store_connect_to(st);
		return;
	}
	store_set_state(st, ST_ASKING);
	sentinel_ask(st->sentinel, store_master_found, st);
}

/*
 * The sentinels moved the master (host set), or the watch was lost
 * (host NULL): leave a connection to anything but the master named, and
 * connect again at once.
 */
static void
store_follow(void *arg, const char *host, unsigned short port)
{
	struct store	*st = arg;

	if (host != NULL && st->state == ST_UP && st->port == port &&
	    strcmp(st->host, host) == 0)
		return;		/* already there */
	if (host == NULL && st->state == ST_UP)
		return;		/* ROLE said master; READONLY would tell */
	if (st->ac != NULL)
		store_drop(st, "the sentinels moved the master");
	if (st->state == ST_ASKING)
		return;		/* the answer is on its way */
	evtimer_del(st->retry);
	store_set_state(st, ST_DOWN);
	st->backoff_ms = BACKOFF_MIN_MS;
	store_connect(st);
}

struct store *
store_new(struct event_base *base, const struct store_params *p)
{
	struct store	*st = xcalloc(1, sizeof *st);

	st->base = base;
	st->host = xstrdup(p->nsentinels > 0 ? "sentinel" : p->host);
	st->port = p->nsentinels > 0 ? 0 : p->port;
	st->username = xstrdup(p->username ? p->username : "");
	st->password = xstrdup(p->password ? p->password : "");
	st->db = p->db;
	st->timeout_ms = p->timeout_ms;
	st->backoff_ms = BACKOFF_MIN_MS;
	st->retry = evtimer_new(base, store_retry_cb, st);
	TAILQ_INIT(&st->calls);
	TAILQ_INIT(&st->next_wait);
	for (size_t i = 0; i < NSCRIPTS; i++)
		store_script_sha(store_scripts[i].src, st->sha[i]);
	if (p->nsentinels > 0)
		st->sentinel = sentinel_new(base, p->sentinels, p->nsentinels,
		    p->master_name, p->timeout_ms, store_follow, st);
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
	struct call		*c;

	if (st == NULL)
		return;
	ac = st->ac;
	st->ac = NULL;
	store_set_state(st, ST_DOWN);
	sentinel_free(st->sentinel);	/* its answer finds us not asking */
	if (ac != NULL)
		redisAsyncFree(ac);	/* in-flight calls fire with errors */
	while ((c = TAILQ_FIRST(&st->calls)) != NULL) {
		call_fire(c, NULL, "store closed");
		call_free(c);
	}
	event_free(st->retry);
	free(st->host);
	free(st->username);
	free(st->password);
	free(st);
}
