/*
 * backoffice: a back office for the integration tests and the demo to
 * point the gateway at.  It checks that every call is signed as the
 * gateway promises, records each request once per idempotency key,
 * answers lookups from what it recorded, and fails on demand so the
 * tests can watch the gateway retry, give up or time out.  Everything
 * lives in memory and is gone when it exits.
 *
 *	backoffice -p port [-a address] -s secret [-w window]
 *	    [-c cert.pem -k key.pem]
 *
 * Listens on a numeric address (127.0.0.1 unless -a; "::1" for IPv6) and
 * port (-p 0 picks a free one).  -s is the shared HMAC secret, -w the
 * most seconds a timestamp may be off from our clock (300 unless -w).
 * With -c (a PEM certificate chain, the server's first) and -k (its PEM
 * private key) it speaks HTTPS only, TLS 1.2 or later; nothing is ever
 * served in clear on that port.  Keep-alive works as HTTP/1.1 says; a
 * connection idle for 60 seconds is closed.  SIGINT and SIGTERM exit 0
 * at once.
 *
 * A signed call carries
 *	X-Asanigw-Timestamp: T		unix seconds, decimal
 *	X-Asanigw-Signature: v1=HEX	HMAC-SHA256(secret, T "." body),
 *					64 lower-case hex digits
 *	X-Asanigw-Idempotency-Key: K	1 to 128 of [A-Za-z0-9._:-]
 * It is genuine if the signature matches (compared in constant time) and
 * T is at most the window away from now.  The signature is checked
 * first, so "stale timestamp" means a genuine call that came too late or
 * too early (a replay, or a clock off, or milliseconds sent for seconds).
 * A missing, non-decimal or longer than 18-digit T, and a missing or
 * malformed signature, are a "bad signature".
 *
 * POST /requests	a request to record (signed; the key is required).
 *	In this order: a failure injected (see /control) is acted on and
 *	nothing recorded; 401 {"error":"bad signature"} or
 *	{"error":"stale timestamp"}; 400 {"error":"body is not a JSON
 *	object"}; 400 {"error":"no idempotency key"} or {"error":"bad
 *	idempotency key"}, or {"error":"idempotency key does not match the
 *	body's"} when the body has an "idempotency_key" (signed, unlike the
 *	header) that differs.  Then a key not seen before is recorded with the
 *	body, its number in order of arrival (from 1) and the time it was
 *	received: 200 {"status":"recorded"}.  A key seen before is
 *	counted as a duplicate and nothing changes: 200
 *	{"status":"duplicate"}.
 * POST /lookup		a query (signed; the key is optional and ignored).
 *	{"kind":"complaint_status","msisdn":M,"params":{"ref":"K7MX3Q"}}
 *	answers 200 {"found":true,"ref":"K7MX3Q","status":"received",
 *	"department":D,"district":X,"category":C} when the first request
 *	recorded with "ref":"K7MX3Q" is a "complaint" from MSISDN M, D, X
 *	and C being its "fields" of those names (left out if it has none)
 *	and the status "received" unless /control set another; else 200
 *	{"found":false,"ref":"K7MX3Q"}.  Kind "request_status" answers the
 *	same way for any other request kind.  Kind "needs_near" with
 *	"params"."district" answers three needs, {"found":true,"district":
 *	D,"needs":[{"id":"N12","category":"food","amount":3000},..]}, for
 *	any district but "nowhere" (found false).  Another kind is
 *	404 {"error":"unknown kind"}; a body without a string "kind", or
 *	without a string "params"."ref", is 400 {"error":"bad lookup"}.  It
 *	is checked (injection, signature, body) as /requests is.
 * GET /requests	200, every recorded request in order of arrival:
 *	[{"n":1,"key":"..","received_ms":MS,"body":{..}},..]; MS is unix
 *	milliseconds and the body is the bytes that came, as they came.
 * GET /stats		200 {"received":N,"recorded":N,"duplicates":N,
 *	"bad_signature":N,"stale":N,"injected":N,"lookups":N,
 *	"connections":N,"tls_handshakes":N,"tls_resumed":N}: received
 *	counts every POST /requests and lookups every POST /lookup, whatever
 *	came of them; bad_signature and stale count both; injected counts
 *	the calls a failure was injected into, slow ones included;
 *	connections counts the TCP connections accepted (the stats call's
 *	own too), tls_handshakes the TLS handshakes completed in full and
 *	tls_resumed those that resumed an earlier session.
 * POST /control	not signed: a test's remote control.  A JSON object of
 *	"fail"		"500", "503", "429", "408" or "400": answer that
 *			status, {"error":"injected"}; "slow": wait
 *			slow_ms, then handle the call as usual, recording
 *			it even if the client has gone; "drop": close the
 *			connection without a byte of answer; "none": stop.
 *	"for_ms"	for how long; 0 (the default) until changed.
 *	"ratio"		the share of calls affected, 0 to 1, each drawn at
 *			random; 1 by default.
 *	"slow_ms"	the delay of "slow"; 2000 by default.
 *	"set_status"	{"ref":R,"status":S}: lookups of R say S from now
 *			on (whether R is recorded yet or not).
 *	"close_every"	N: from now on every Nth call to POST /requests or
 *			POST /lookup is answered with "Connection: close"
 *			and its connection closed after the answer (the
 *			client must connect again); 0 stops it.
 *	A "fail" replaces whatever was injected before, with the defaults
 *	for what it leaves out; injection touches POST /requests and POST
 *	/lookup only.  200 {"ok":true}, or 400 {"error":".."} and no change
 *	for an unknown field, a bad value, for_ms, ratio or slow_ms without
 *	fail, or none of fail, set_status and close_every.
 * Any other path is 404 {"error":"not found"}; another method on these is
 * 405 {"error":"method not allowed"} with Allow.  A body over 1 MiB gets
 * libevent's 413 and the connection closes.  Every answer is
 * application/json.
 *
 * stdout: one JSON object per line, each flushed before backoffice next
 * waits for input.
 *	{"event":"ready","port":N}			listening
 *	{"event":"request","key":K,"status":"recorded","n":N,"ref":R}
 *	{"event":"request","key":K,"status":"duplicate","n":N,
 *	    "same_body":B}	n is the first one's; B whether the bodies
 *				are equal as JSON
 *	{"event":"request","key":K,"status":"rejected","code":C,
 *	    "reason":".."}	reason is the error answered; a stale one
 *				adds "skew_s", our clock less T
 *	{"event":"request","key":K,"status":"injected","fail":F}
 *	{"event":"lookup","kind":K,"ref":R,"outcome":O}	O is "found",
 *	    "not_found", "unknown_kind", "rejected" (with "code" and
 *	    "reason") or "injected" (with "fail")
 *	{"event":"control",..}		the control as applied
 *	{"event":"error","message":".."}
 * K and R are null when the call has none, and in an injected lookup.  A
 * slow call has its "injected" line when it comes, and its usual line
 * when it is handled; that is also when it is numbered and timed.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>

#include "emit.h"

#define MAX_BODY	(1024 * 1024)
#define MAX_HEADERS	(64 * 1024)
#define IDLE_TIMEOUT_S	60
#define BACKLOG		1024
#define WINDOW_S	300
#define SLOW_MS		2000
#define KEY_MAX		128
#define TS_DIGITS	18		/* more cannot be seconds */
#define MAC_LEN		32		/* SHA-256 */
#define SIG_PREFIX	"v1="

#define H_KEY		"X-Asanigw-Idempotency-Key"
#define H_TS		"X-Asanigw-Timestamp"
#define H_SIG		"X-Asanigw-Signature"

enum verdict { GENUINE, BAD_SIGNATURE, STALE };

enum fail { FAIL_NONE, FAIL_STATUS, FAIL_SLOW, FAIL_DROP };

static const struct {
	const char	*name;
	enum fail	 fail;
	int		 code;
} fails[] = {
	{ "none", FAIL_NONE, 0 },
	{ "500", FAIL_STATUS, 500 },
	{ "503", FAIL_STATUS, 503 },
	{ "429", FAIL_STATUS, 429 },
	{ "408", FAIL_STATUS, 408 },
	{ "400", FAIL_STATUS, 400 },
	{ "slow", FAIL_SLOW, 0 },
	{ "drop", FAIL_DROP, 0 },
};

/* One slot of a map; key NULL is a free one. */
struct slot {
	uint64_t	 hash;
	char		*key;
	void		*val;
};

/*
 * Strings to pointers, by open addressing on a 64-bit FNV-1a hash with
 * linear probing, kept at most 3/4 full; { 0 } is empty.  Nothing is ever
 * removed, so no tombstones.
 */
struct map {
	struct slot	*slots;
	size_t		 cap;		/* 0 or a power of two */
	size_t		 len;
};

/*
 * A recorded request, in one allocation with its key and body.  The body
 * is kept as it came, not parsed: a parsed one is ten times the size, and
 * only the rare duplicate or lookup needs to look inside.
 */
struct record {
	unsigned long	 n;
	long long	 received_ms;
	char		*key;		/* both NUL-terminated, after */
	char		*body;		/*  the struct */
	size_t		 bodylen;
};

/* The failure in force. */
struct inject {
	enum fail	 fail;
	int		 code;		/* FAIL_STATUS */
	const char	*name;		/* as in fails[] */
	double		 ratio;
	long long	 until_ms;	/* monotonic; 0: until changed */
	long long	 slow_ms;
};

struct bo;
typedef void (*handler)(struct bo *, struct evhttp_request *);

/* A call that "slow" holds back; the reaper frees it once fired. */
struct held {
	TAILQ_ENTRY(held)	 entry;
	struct bo		*bo;
	struct evhttp_request	*req;	/* libevent's until answered */
	struct event		*ev;
	handler			 fn;
	int			 fired;
};

struct stats {
	unsigned long	 received, recorded, duplicates, bad_signature;
	unsigned long	 stale, injected, lookups;
	unsigned long	 connections, tls_handshakes, tls_resumed;
};

struct bo {
	struct event_base	*base;
	struct evhttp		*http;
	SSL_CTX			*tls;		/* NULL: plain HTTP */
	EVP_MAC_CTX		*mac;		/* keyed; copied per call */
	struct event		*ev_int, *ev_term, *ev_reap;
	long long		 window_s;
	struct record		**records;	/* in order of arrival */
	size_t			 nrecords, caprecords;
	struct map		 keys;		/* key -> struct record */
	struct map		 refs;		/* ref -> first record */
	struct map		 statuses;	/* ref -> char *, set_status */
	struct inject		 inj;
	TAILQ_HEAD(, held)	 held;
	struct stats		 st;
	uint64_t		 rng;
	unsigned long		 close_every, calls;	/* close_every */
};

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		abort();
	return p;
}

static long long
clock_ms(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: enough to spread "ratio", and no libc state to share. */
static double
rng_next(struct bo *bo)
{
	uint64_t	 x = bo->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	bo->rng = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) * 0x1.0p-53;
}

static void
rng_seed(struct bo *bo)
{
	struct timespec	 ts;
	uint64_t	 z;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* splitmix64 of the time and pid: never the all-zero state. */
	z = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
	    (uint64_t)getpid() << 32;
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	bo->rng = z != 0 ? z : 1;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
map_grow(struct map *m)
{
	struct slot	*old = m->slots;
	size_t		 oldcap = m->cap, i, j, mask;

	m->cap = oldcap != 0 ? oldcap * 2 : 64;
	mask = m->cap - 1;
	if ((m->slots = calloc(m->cap, sizeof *m->slots)) == NULL)
		abort();
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		for (j = old[i].hash & mask; m->slots[j].key != NULL;
		    j = (j + 1) & mask)
			;
		m->slots[j] = old[i];
	}
	free(old);
}

/*
 * The slot of key.  If there is none: NULL, or with create a new one
 * holding a copy of key and val NULL.  A slot is valid until the next
 * create.
 */
static struct slot *
map_slot(struct map *m, const char *key, int create)
{
	uint64_t	 h;
	size_t		 i, mask;

	if (create && (m->len + 1) * 4 > m->cap * 3)
		map_grow(m);
	if (m->cap == 0)
		return NULL;
	h = fnv1a(key);
	mask = m->cap - 1;
	for (i = h & mask; m->slots[i].key != NULL; i = (i + 1) & mask)
		if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
			return &m->slots[i];
	if (!create)
		return NULL;
	m->slots[i].hash = h;
	m->slots[i].key = xstrdup(key);
	m->slots[i].val = NULL;
	m->len++;
	return &m->slots[i];
}

static void *
map_get(struct map *m, const char *key)
{
	struct slot	*s;

	return (s = map_slot(m, key, 0)) != NULL ? s->val : NULL;
}

/* Frees every key, and every value too if free_vals. */
static void
map_clear(struct map *m, int free_vals)
{
	size_t	 i;

	for (i = 0; i < m->cap; i++) {
		free(m->slots[i].key);
		if (free_vals)
			free(m->slots[i].val);
	}
	free(m->slots);
	memset(m, 0, sizeof *m);
}

/* A JSON string of s, or null; bytes that are not UTF-8 become '?'. */
static json_t *
jstr_or_null(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	copy = xstrdup(s);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static const char *
header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

/* The body, contiguous; "" when empty. */
static const char *
body_of(struct evhttp_request *req, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	unsigned char	*p;

	*len = evbuffer_get_length(in);
	if (*len == 0 || (p = evbuffer_pullup(in, -1)) == NULL) {
		*len = 0;
		return "";
	}
	return (const char *)p;
}

/* Answers req with o, which it takes; libevent supplies the reason. */
static void
reply(struct evhttp_request *req, int code, json_t *o)
{
	struct evbuffer	*buf;
	char		*s;

	if ((s = json_dumps(o, JSON_COMPACT)) == NULL ||
	    (buf = evbuffer_new()) == NULL)
		abort();
	json_decref(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add(buf, s, strlen(s));
	free(s);
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
}

static void
reply_error(struct evhttp_request *req, int code, const char *msg)
{
	reply(req, code, json_pack("{s:s}", "error", msg));
}

static void
reply_405(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	reply_error(req, 405, "method not allowed");
}

/*
 * Ends the connection with no answer.  Freeing it here, inside a
 * callback libevent is running for it, would pull it from under
 * libevent; so the socket is shut down and an answer sent that can never
 * be written: the failed write makes libevent free the connection and
 * the request in its usual way.
 */
static void
drop(struct evhttp_request *req)
{
	struct evhttp_connection	*conn;
	struct bufferevent		*bev;

	if ((conn = evhttp_request_get_connection(req)) != NULL &&
	    (bev = evhttp_connection_get_bufferevent(conn)) != NULL)
		shutdown(bufferevent_getfd(bev), SHUT_RDWR);
	evhttp_send_reply(req, 500, NULL, NULL);
}

static EVP_MAC_CTX *
mac_new(const char *secret)
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx = NULL;
	OSSL_PARAM	 params[2];
	char		 digest[] = "SHA256";

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		abort();
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
	    params) != 1)
		abort();
	return ctx;
}

/* hex = lower-case HMAC-SHA256(secret, ts "." body), NUL-terminated. */
static void
sign(struct bo *bo, const char *ts, const char *body, size_t len,
    char hex[2 * MAC_LEN + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	size_t			 mdlen = 0, i;
	EVP_MAC_CTX		*ctx;

	if ((ctx = EVP_MAC_CTX_dup(bo->mac)) == NULL ||
	    EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)body, len) != 1 ||
	    EVP_MAC_final(ctx, md, &mdlen, sizeof md) != 1 ||
	    mdlen != MAC_LEN)
		abort();
	EVP_MAC_CTX_free(ctx);
	for (i = 0; i < MAC_LEN; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[2 * MAC_LEN] = '\0';
}

/* Decimal seconds, 1 to TS_DIGITS digits: 0, else -1. */
static int
parse_ts(const char *s, long long *v)
{
	size_t	 n;

	*v = 0;
	for (n = 0; s[n] != '\0'; n++) {
		if (s[n] < '0' || s[n] > '9' || n == TS_DIGITS)
			return -1;
		*v = *v * 10 + (s[n] - '0');
	}
	return n > 0 ? 0 : -1;
}

/* Whether the call is genuine; *skew is our clock less its timestamp. */
static enum verdict
verify(struct bo *bo, struct evhttp_request *req, const char *body,
    size_t len, long long *skew)
{
	const char	*ts = header(req, H_TS), *sig = header(req, H_SIG);
	const size_t	 plen = sizeof SIG_PREFIX - 1;
	char		 want[2 * MAC_LEN + 1];
	long long	 t;

	*skew = 0;
	if (ts == NULL || sig == NULL || parse_ts(ts, &t) == -1 ||
	    strlen(sig) != plen + 2 * MAC_LEN ||
	    strncmp(sig, SIG_PREFIX, plen) != 0)
		return BAD_SIGNATURE;
	sign(bo, ts, body, len, want);
	if (CRYPTO_memcmp(want, sig + plen, 2 * MAC_LEN) != 0)
		return BAD_SIGNATURE;
	*skew = (long long)time(NULL) - t;
	if (*skew > bo->window_s || -*skew > bo->window_s)
		return STALE;
	return GENUINE;
}

/*
 * Checks req's signature; on failure counts it, answers 401 and returns
 * an event (to which the caller adds its fields), else returns NULL.
 */
static json_t *
reject_unsigned(struct bo *bo, struct evhttp_request *req, const char *body,
    size_t len)
{
	enum verdict	 v;
	const char	*why;
	long long	 skew;
	json_t		*ev;

	if ((v = verify(bo, req, body, len, &skew)) == GENUINE)
		return NULL;
	if (v == STALE) {
		bo->st.stale++;
		why = "stale timestamp";
	} else {
		bo->st.bad_signature++;
		why = "bad signature";
	}
	reply_error(req, 401, why);
	ev = json_pack("{s:i,s:s}", "code", 401, "reason", why);
	if (v == STALE)
		json_object_set_new(ev, "skew_s", json_integer(skew));
	return ev;
}

static int
key_valid(const char *k)
{
	size_t	 n;

	for (n = 0; k[n] != '\0'; n++)
		if (n == KEY_MAX || (strchr("._:-", k[n]) == NULL &&
		    !(k[n] >= 'A' && k[n] <= 'Z') &&
		    !(k[n] >= 'a' && k[n] <= 'z') &&
		    !(k[n] >= '0' && k[n] <= '9')))
			return 0;
	return n > 0;
}

/* Parses the body as a JSON object: NULL if it is not one. */
static json_t *
body_json(const char *body, size_t len)
{
	json_t	*o;

	if ((o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Records body (len bytes, the JSON object o) under key. */
static struct record *
record_add(struct bo *bo, const char *key, const char *body, size_t len,
    json_t *o)
{
	struct record	*r;
	const char	*ref;
	size_t		 klen = strlen(key);

	if (bo->nrecords == bo->caprecords) {
		bo->caprecords = bo->caprecords ? bo->caprecords * 2 : 1024;
		bo->records = realloc(bo->records,
		    bo->caprecords * sizeof *bo->records);
		if (bo->records == NULL)
			abort();
	}
	if ((r = malloc(sizeof *r + klen + 1 + len + 1)) == NULL)
		abort();
	r->n = bo->nrecords + 1;
	r->received_ms = clock_ms(CLOCK_REALTIME);
	r->key = (char *)(r + 1);
	memcpy(r->key, key, klen + 1);
	r->body = r->key + klen + 1;
	memcpy(r->body, body, len);
	r->body[len] = '\0';
	r->bodylen = len;
	bo->records[bo->nrecords++] = r;
	map_slot(&bo->keys, key, 1)->val = r;
	ref = json_string_value(json_object_get(o, "ref"));
	if (ref != NULL && map_get(&bo->refs, ref) == NULL)
		map_slot(&bo->refs, ref, 1)->val = r;
	return r;
}

/* Whether r's body and o are equal as JSON. */
static int
record_same(const struct record *r, json_t *o)
{
	json_t	*was;
	int	 same;

	was = json_loadb(r->body, r->bodylen, 0, NULL);
	same = json_equal(was, o);
	json_decref(was);
	return same;
}

/* Emits a request event, adding fields (taken; may be NULL). */
static void
emit_request(const char *key, const char *status, json_t *fields)
{
	json_t	*ev;

	ev = json_pack("{s:s,s:o,s:s}", "event", "request", "key",
	    jstr_or_null(key), "status", status);
	if (fields != NULL) {
		json_object_update(ev, fields);
		json_decref(fields);
	}
	emit(ev);
}

/* POST /requests once past injection. */
static void
do_request(struct bo *bo, struct evhttp_request *req)
{
	const char	*key = header(req, H_KEY), *body, *why = NULL;
	struct record	*r;
	size_t		 len;
	json_t		*o, *rej, *ref;

	body = body_of(req, &len);
	if ((rej = reject_unsigned(bo, req, body, len)) != NULL) {
		emit_request(key, "rejected", rej);
		return;
	}
	if ((o = body_json(body, len)) == NULL)
		why = "body is not a JSON object";
	else if (key == NULL)
		why = "no idempotency key";
	else if (!key_valid(key))
		why = "bad idempotency key";
	else if (json_is_string(json_object_get(o, "idempotency_key")) &&
	    strcmp(json_string_value(json_object_get(o, "idempotency_key")),
	    key) != 0)
		/* The header is not signed; the body is. */
		why = "idempotency key does not match the body's";
	if (why != NULL) {
		json_decref(o);
		reply_error(req, 400, why);
		emit_request(key, "rejected", json_pack("{s:i,s:s}", "code",
		    400, "reason", why));
		return;
	}
	if ((r = map_get(&bo->keys, key)) != NULL) {
		bo->st.duplicates++;
		emit_request(key, "duplicate", json_pack("{s:I,s:b}", "n",
		    (json_int_t)r->n, "same_body", record_same(r, o)));
		json_decref(o);
		reply(req, 200, json_pack("{s:s}", "status", "duplicate"));
		return;
	}
	r = record_add(bo, key, body, len, o);
	bo->st.recorded++;
	ref = json_object_get(o, "ref");
	emit_request(key, "recorded", json_pack("{s:I,s:O}", "n",
	    (json_int_t)r->n, "ref", json_is_string(ref) ? ref : json_null()));
	json_decref(o);
	reply(req, 200, json_pack("{s:s}", "status", "recorded"));
}

static void
emit_lookup(const char *kind, const char *ref, const char *outcome,
    json_t *fields)
{
	json_t	*ev;

	ev = json_pack("{s:s,s:o,s:o,s:s}", "event", "lookup", "kind",
	    jstr_or_null(kind), "ref", jstr_or_null(ref), "outcome", outcome);
	if (fields != NULL) {
		json_object_update(ev, fields);
		json_decref(fields);
	}
	emit(ev);
}

/* Whether a recorded request answers a lookup of this kind from this
 * MSISDN: complaint_status finds complaints, request_status any other
 * request, and only the asker's own. */
static int
lookup_matches(const json_t *body, const char *kind, const char *msisdn)
{
	const char	*req, *own;

	req = json_string_value(json_object_get(body, "request"));
	own = json_string_value(json_object_get(body, "msisdn"));
	if (req == NULL || own == NULL || msisdn == NULL ||
	    strcmp(own, msisdn) != 0)
		return 0;
	return (strcmp(req, "complaint") == 0) ==
	    (strcmp(kind, "complaint_status") == 0);
}

/* needs_near: three anonymised needs anywhere but "nowhere". */
static void
needs_near(struct evhttp_request *req, const char *district)
{
	if (district == NULL) {
		reply_error(req, 400, "bad lookup");
		emit_lookup("needs_near", NULL, "rejected",
		    json_pack("{s:i,s:s}", "code", 400, "reason",
		    "bad lookup"));
		return;
	}
	if (strcasecmp(district, "nowhere") == 0) {
		reply(req, 200, json_pack("{s:b}", "found", 0));
		emit_lookup("needs_near", NULL, "not_found", NULL);
		return;
	}
	reply(req, 200, json_pack("{s:b,s:s,s:[{s:s,s:s,s:i},{s:s,s:s,s:i},"
	    "{s:s,s:s,s:i}]}", "found", 1, "district", district, "needs",
	    "id", "N12", "category", "food", "amount", 3000,
	    "id", "N17", "category", "healthcare", "amount", 12000,
	    "id", "N31", "category", "education", "amount", 4500));
	emit_lookup("needs_near", NULL, "found", NULL);
}

/* POST /lookup once past injection. */
static void
do_lookup(struct bo *bo, struct evhttp_request *req)
{
	const char	*body, *kind, *ref, *status, *msisdn;
	struct record	*r;
	size_t		 len;
	json_t		*o, *rej, *rb = NULL, *f;

	body = body_of(req, &len);
	if ((rej = reject_unsigned(bo, req, body, len)) != NULL) {
		emit_lookup(NULL, NULL, "rejected", rej);
		return;
	}
	o = body_json(body, len);
	kind = json_string_value(json_object_get(o, "kind"));
	ref = json_string_value(json_object_get(json_object_get(o, "params"),
	    "ref"));
	msisdn = json_string_value(json_object_get(o, "msisdn"));
	if (kind != NULL && strcmp(kind, "needs_near") == 0) {
		needs_near(req, json_string_value(json_object_get(
		    json_object_get(o, "params"), "district")));
		json_decref(o);
		return;
	}
	if (kind != NULL && strcmp(kind, "complaint_status") != 0 &&
	    strcmp(kind, "request_status") != 0) {
		reply_error(req, 404, "unknown kind");
		emit_lookup(kind, ref, "unknown_kind", NULL);
	} else if (kind == NULL || ref == NULL) {
		reply_error(req, 400, "bad lookup");
		emit_lookup(kind, ref, "rejected", json_pack("{s:i,s:s}",
		    "code", 400, "reason", "bad lookup"));
	} else if ((r = map_get(&bo->refs, ref)) == NULL ||
	    (rb = json_loadb(r->body, r->bodylen, 0, NULL)) == NULL ||
	    !lookup_matches(rb, kind, msisdn)) {
		reply(req, 200, json_pack("{s:b,s:s}", "found", 0, "ref", ref));
		emit_lookup(kind, ref, "not_found", NULL);
	} else {
		if ((status = map_get(&bo->statuses, ref)) == NULL)
			status = "received";
		f = json_object_get(rb, "fields");
		reply(req, 200, json_pack("{s:b,s:s,s:s,s:O*,s:O*,s:O*}",
		    "found", 1, "ref", ref, "status", status,
		    "department", json_object_get(f, "department"),
		    "district", json_object_get(f, "district"),
		    "category", json_object_get(f, "category")));
		emit_lookup(kind, ref, "found", NULL);
	}
	json_decref(rb);
	json_decref(o);
}

/* Whether a failure is to be injected into this call. */
static int
inject_now(struct bo *bo)
{
	struct inject	*inj = &bo->inj;

	if (inj->fail == FAIL_NONE)
		return 0;
	if (inj->until_ms != 0 && clock_ms(CLOCK_MONOTONIC) >= inj->until_ms) {
		inj->fail = FAIL_NONE;
		return 0;
	}
	return inj->ratio >= 1.0 || rng_next(bo) < inj->ratio;
}

static void
on_held(evutil_socket_t fd, short what, void *arg)
{
	struct held	*h = arg;

	(void)fd;
	(void)what;
	h->fired = 1;
	event_active(h->bo->ev_reap, 0, 0);
	h->fn(h->bo, h->req);		/* which answers, and so frees it */
	h->req = NULL;
}

/* Handles req by fn after slow_ms. */
static void
hold(struct bo *bo, struct evhttp_request *req, handler fn)
{
	struct timeval	 tv;
	struct held	*h;

	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (h->ev = evtimer_new(bo->base, on_held, h)) == NULL)
		abort();
	h->bo = bo;
	h->req = req;
	h->fn = fn;
	tv.tv_sec = bo->inj.slow_ms / 1000;
	tv.tv_usec = bo->inj.slow_ms % 1000 * 1000;
	evtimer_add(h->ev, &tv);
	TAILQ_INSERT_TAIL(&bo->held, h, entry);
}

/*
 * Acts on the failure in force, if it is to touch this call: returns 1
 * if it did (the call is answered, dropped or held for fn), else 0.
 */
static int
inject(struct bo *bo, struct evhttp_request *req, handler fn, json_t **ev)
{
	/* The answer, whatever it is, closes the connection after it. */
	if (bo->close_every > 0 && ++bo->calls % bo->close_every == 0)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
	if (!inject_now(bo))
		return 0;
	bo->st.injected++;
	*ev = json_pack("{s:s}", "fail", bo->inj.name);
	switch (bo->inj.fail) {
	case FAIL_STATUS:
		reply_error(req, bo->inj.code, "injected");
		break;
	case FAIL_DROP:
		drop(req);
		break;
	case FAIL_SLOW:
		hold(bo, req, fn);
		break;
	case FAIL_NONE:
		break;
	}
	return 1;
}

/*
 * GET /requests.  Written out by hand: a key needs no escaping (its
 * characters are checked) and a body is a JSON object as it came.
 */
static void
list_requests(struct bo *bo, struct evhttp_request *req)
{
	struct evbuffer	*buf;
	struct record	*r;
	size_t		 i;

	if ((buf = evbuffer_new()) == NULL)
		abort();
	evbuffer_add(buf, "[", 1);
	for (i = 0; i < bo->nrecords; i++) {
		r = bo->records[i];
		evbuffer_add_printf(buf, "%s{\"n\":%lu,\"key\":\"%s\","
		    "\"received_ms\":%lld,\"body\":", i > 0 ? "," : "", r->n,
		    r->key, r->received_ms);
		evbuffer_add(buf, r->body, r->bodylen);
		evbuffer_add(buf, "}", 1);
	}
	evbuffer_add(buf, "]", 1);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, 200, NULL, buf);
	evbuffer_free(buf);
}

static void
on_requests(struct evhttp_request *req, void *arg)
{
	struct bo	*bo = arg;
	json_t		*ev;

	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_POST:
		bo->st.received++;
		if (inject(bo, req, do_request, &ev))
			emit_request(header(req, H_KEY), "injected", ev);
		else
			do_request(bo, req);
		break;
	case EVHTTP_REQ_GET:
		list_requests(bo, req);
		break;
	default:
		reply_405(req, "GET, POST");
		break;
	}
}

static void
on_lookup(struct evhttp_request *req, void *arg)
{
	struct bo	*bo = arg;
	json_t		*ev;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply_405(req, "POST");
		return;
	}
	bo->st.lookups++;
	if (inject(bo, req, do_lookup, &ev))
		emit_lookup(NULL, NULL, "injected", ev);
	else
		do_lookup(bo, req);
}

static void
on_stats(struct evhttp_request *req, void *arg)
{
	struct bo	*bo = arg;
	struct stats	*st = &bo->st;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		reply_405(req, "GET");
		return;
	}
	reply(req, 200, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "received", (json_int_t)st->received,
	    "recorded", (json_int_t)st->recorded,
	    "duplicates", (json_int_t)st->duplicates,
	    "bad_signature", (json_int_t)st->bad_signature,
	    "stale", (json_int_t)st->stale,
	    "injected", (json_int_t)st->injected,
	    "lookups", (json_int_t)st->lookups,
	    "connections", (json_int_t)st->connections,
	    "tls_handshakes", (json_int_t)st->tls_handshakes,
	    "tls_resumed", (json_int_t)st->tls_resumed));
}

/* The index in fails[] of name (NULL: none), or -1. */
static int
fail_find(const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < sizeof fails / sizeof fails[0]; i++)
		if (strcmp(name, fails[i].name) == 0)
			return (int)i;
	return -1;
}

/* A JSON integer 0..max into *v: 0, else -1. */
static int
json_ms(json_t *j, long long max, long long *v)
{
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    json_integer_value(j) > max)
		return -1;
	*v = json_integer_value(j);
	return 0;
}

/*
 * Reads a control into *inj (when it has "fail", then *have_fail is set)
 * and *ref, *status (when it has "set_status"), *close_every (-1 when
 * absent).  Returns 0, or -1 with a
 * sentence in err and nothing applied.
 */
static int
control_parse(json_t *o, struct inject *inj, int *have_fail,
    const char **ref, const char **status, long long *close_every,
    char *err, size_t errlen)
{
	const char	*k;
	json_t		*v;
	int		 f, tuned = 0;

	*have_fail = 0;
	*close_every = -1;
	*ref = *status = NULL;
	memset(inj, 0, sizeof *inj);
	inj->ratio = 1.0;
	inj->slow_ms = SLOW_MS;
	json_object_foreach(o, k, v) {
		if (strcmp(k, "fail") == 0) {
			if ((f = fail_find(json_string_value(v))) == -1) {
				snprintf(err, errlen, "fail is one of 500, "
				    "503, 429, 408, 400, slow, drop, none");
				return -1;
			}
			inj->fail = fails[f].fail;
			inj->code = fails[f].code;
			inj->name = fails[f].name;
			*have_fail = 1;
		} else if (strcmp(k, "for_ms") == 0) {
			if (json_ms(v, LLONG_MAX / 4, &inj->until_ms) == -1) {
				snprintf(err, errlen, "for_ms is an integer "
				    ">= 0");
				return -1;
			}
			tuned = 1;
		} else if (strcmp(k, "slow_ms") == 0) {
			if (json_ms(v, 86400000, &inj->slow_ms) == -1) {
				snprintf(err, errlen, "slow_ms is an integer "
				    "from 0 to 86400000");
				return -1;
			}
			tuned = 1;
		} else if (strcmp(k, "ratio") == 0) {
			if (!json_is_number(v) || json_number_value(v) < 0 ||
			    json_number_value(v) > 1) {
				snprintf(err, errlen, "ratio is a number from "
				    "0 to 1");
				return -1;
			}
			inj->ratio = json_number_value(v);
			tuned = 1;
		} else if (strcmp(k, "close_every") == 0) {
			if (json_ms(v, 1000000000, close_every) == -1) {
				snprintf(err, errlen, "close_every is an "
				    "integer from 0 to 1000000000");
				return -1;
			}
		} else if (strcmp(k, "set_status") == 0) {
			*ref = json_string_value(json_object_get(v, "ref"));
			*status = json_string_value(json_object_get(v,
			    "status"));
			if (!json_is_object(v) || json_object_size(v) != 2 ||
			    *ref == NULL || *status == NULL) {
				snprintf(err, errlen, "set_status is "
				    "{\"ref\":\"..\",\"status\":\"..\"}");
				return -1;
			}
		} else {
			snprintf(err, errlen, "unknown field %.64s", k);
			return -1;
		}
	}
	if (tuned && !*have_fail) {
		snprintf(err, errlen, "for_ms, ratio and slow_ms go with fail");
		return -1;
	}
	if (!*have_fail && *ref == NULL && *close_every == -1) {
		snprintf(err, errlen, "a control has fail, set_status or "
		    "close_every");
		return -1;
	}
	return 0;
}

static void
on_control(struct evhttp_request *req, void *arg)
{
	struct bo	*bo = arg;
	struct inject	 inj;
	struct slot	*s;
	const char	*body, *ref, *status;
	char		 err[128];
	size_t		 len;
	long long	 close_every;
	int		 have_fail;
	json_t		*o, *ev;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply_405(req, "POST");
		return;
	}
	body = body_of(req, &len);
	if ((o = body_json(body, len)) == NULL) {
		reply_error(req, 400, "body is not a JSON object");
		return;
	}
	if (control_parse(o, &inj, &have_fail, &ref, &status, &close_every,
	    err, sizeof err) == -1) {
		reply_error(req, 400, err);
		json_decref(o);
		return;
	}
	if (have_fail) {
		if (inj.until_ms != 0)
			inj.until_ms += clock_ms(CLOCK_MONOTONIC);
		bo->inj = inj;
	}
	if (close_every != -1) {
		bo->close_every = (unsigned long)close_every;
		bo->calls = 0;
	}
	if (ref != NULL) {
		s = map_slot(&bo->statuses, ref, 1);
		free(s->val);
		s->val = xstrdup(status);
	}
	ev = json_pack("{s:s}", "event", "control");
	json_object_update(ev, o);
	emit(ev);
	json_decref(o);
	reply(req, 200, json_pack("{s:b}", "ok", 1));
}

static void
on_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	reply_error(req, 404, "not found");
}

/*
 * Each connection's bufferevent, counted; over TLS when serving HTTPS.
 * Never a plain one then: libevent would serve in clear.
 */
static struct bufferevent *
conn_bev(struct event_base *base, void *arg)
{
	struct bo		*bo = arg;
	struct bufferevent	*bev;
	SSL			*ssl;

	bo->st.connections++;
	if (bo->tls == NULL) {
		if ((bev = bufferevent_socket_new(base, -1,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			abort();
		return bev;
	}
	if ((ssl = SSL_new(bo->tls)) == NULL ||
	    (bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		abort();
	/* A client that just closes is done, not in error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* A handshake done, counted once per connection (in TLS 1.3 the
 * callback comes again when session tickets go out). */
static void
tls_info(const SSL *ssl, int where, int ret)
{
	struct bo	*bo = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_DONE) ||
	    SSL_get_app_data((SSL *)ssl) != NULL)
		return;
	SSL_set_app_data((SSL *)ssl, bo);
	if (SSL_session_reused((SSL *)ssl))
		bo->st.tls_resumed++;
	else
		bo->st.tls_handshakes++;
}

static SSL_CTX *
tls_new(struct bo *bo, const char *cert, const char *key)
{
	SSL_CTX		*ctx;
	const char	*what = NULL;
	char		 buf[256];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		abort();
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		what = "TLS 1.2";
	else if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		what = cert;
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		what = key;
	else if (SSL_CTX_check_private_key(ctx) != 1)
		what = "the key and certificate";
	if (what == NULL) {
		SSL_CTX_set_app_data(ctx, bo);
		SSL_CTX_set_info_callback(ctx, tls_info);
		return ctx;
	}
	ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
	fprintf(stderr, "backoffice: %s: %s\n", what, buf);
	SSL_CTX_free(ctx);
	return NULL;
}

static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	emit_error("accept: %s", strerror(errno));
}

static int
bo_listen(struct bo *bo, const char *addr, const char *port)
{
	struct evconnlistener	*l;
	struct addrinfo		 hints, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	int			 rc, one = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(addr, port, &hints, &ai)) != 0) {
		fprintf(stderr, "backoffice: %s port %s: %s\n", addr, port,
		    gai_strerror(rc));
		return -1;
	}
	l = evconnlistener_new_bind(bo->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (l == NULL) {
		fprintf(stderr, "backoffice: listen on %s port %s: %s\n", addr,
		    port, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(l, on_accept_error);
	/*
	 * Over TLS an answer leaves as several records, and Nagle would hold
	 * the last back for the client's delayed ACK: 40 ms a call.  evhttp
	 * never shows us an accepted socket, but accepted sockets inherit
	 * TCP_NODELAY from the listening one.
	 */
	if (setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY,
	    &one, sizeof one) == -1 ||
	    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss,
	    &sslen) == -1) {
		fprintf(stderr, "backoffice: listening socket: %s\n",
		    strerror(errno));
		evconnlistener_free(l);
		return -1;
	}
	/* From here evhttp_free() frees l. */
	if (evhttp_bind_listener(bo->http, l) == NULL) {
		fprintf(stderr, "backoffice: evhttp_bind_listener failed\n");
		evconnlistener_free(l);
		return -1;
	}
	emit(json_pack("{s:s,s:i}", "event", "ready", "port",
	    ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port)));
	return 0;
}

static void
reap(evutil_socket_t fd, short what, void *arg)
{
	struct bo	*bo = arg;
	struct held	*h, *next;

	(void)fd;
	(void)what;
	for (h = TAILQ_FIRST(&bo->held); h != NULL; h = next) {
		next = TAILQ_NEXT(h, entry);
		if (!h->fired)
			continue;
		TAILQ_REMOVE(&bo->held, h, entry);
		event_free(h->ev);
		free(h);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct bo	*bo = arg;

	(void)sig;
	(void)what;
	event_base_loopbreak(bo->base);
}

static void
bo_free(struct bo *bo)
{
	struct held	*h;
	size_t		 i;

	/* A call still held is answered, so that libevent frees it. */
	while ((h = TAILQ_FIRST(&bo->held)) != NULL) {
		TAILQ_REMOVE(&bo->held, h, entry);
		if (!h->fired)
			reply_error(h->req, 503, "shutting down");
		event_free(h->ev);
		free(h);
	}
	if (bo->http != NULL)
		evhttp_free(bo->http);
	for (i = 0; i < bo->nrecords; i++)
		free(bo->records[i]);
	free(bo->records);
	map_clear(&bo->keys, 0);
	map_clear(&bo->refs, 0);
	map_clear(&bo->statuses, 1);
	if (bo->tls != NULL)
		SSL_CTX_free(bo->tls);
	EVP_MAC_CTX_free(bo->mac);
	emit_flush_per_turn(NULL);
	event_free(bo->ev_int);
	event_free(bo->ev_term);
	event_free(bo->ev_reap);
	event_base_free(bo->base);
}

/* A decimal number up to max: 0, or -1 if s is not one. */
static int
parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	*v = 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		*v = *v * 10 + (unsigned long long)(*s - '0');
		if (*v > max)
			return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: backoffice -p port [-a address] -s secret "
	    "[-w window] [-c cert.pem -k key.pem]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct bo		 bo;
	struct event_config	*cfg;
	const char		*addr = "127.0.0.1", *port = NULL;
	const char		*secret = NULL, *cert = NULL, *key = NULL;
	unsigned long long	 v;
	int			 ch;

	memset(&bo, 0, sizeof bo);
	TAILQ_INIT(&bo.held);
	bo.window_s = WINDOW_S;
	while ((ch = getopt(argc, argv, "a:c:k:p:s:w:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 's':
			secret = optarg;
			break;
		case 'w':
			if (parse_uint(optarg, LLONG_MAX / 4, &v) == -1)
				usage();
			bo.window_s = (long long)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port == NULL || parse_uint(port, 65535, &v) ==
	    -1 || secret == NULL || *secret == '\0' || (cert == NULL) !=
	    (key == NULL))
		usage();

	/* A peer that goes away must not kill us in the middle of a write. */
	signal(SIGPIPE, SIG_IGN);
	rng_seed(&bo);
	bo.mac = mac_new(secret);
	if (cert != NULL && (bo.tls = tls_new(&bo, cert, key)) == NULL) {
		EVP_MAC_CTX_free(bo.mac);
		return 1;
	}
	/*
	 * evhttp turns reading and writing off and on around every call;
	 * the changelist folds that into one epoll_ctl or none per turn of
	 * the loop.  (It is unsafe only with dup()ed descriptors.)
	 */
	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) ==
	    -1 || (bo.base = event_base_new_with_config(cfg)) == NULL ||
	    (bo.http = evhttp_new(bo.base)) == NULL)
		abort();
	event_config_free(cfg);
	bo.ev_int = evsignal_new(bo.base, SIGINT, on_signal, &bo);
	bo.ev_term = evsignal_new(bo.base, SIGTERM, on_signal, &bo);
	bo.ev_reap = event_new(bo.base, -1, 0, reap, &bo);
	if (bo.ev_int == NULL || bo.ev_term == NULL || bo.ev_reap == NULL)
		abort();
	evhttp_set_max_body_size(bo.http, MAX_BODY);
	evhttp_set_max_headers_size(bo.http, MAX_HEADERS);
	evhttp_set_timeout(bo.http, IDLE_TIMEOUT_S);
	/* Every method reaches us, so that a wrong one gets our 405. */
	evhttp_set_allowed_methods(bo.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_bevcb(bo.http, conn_bev, &bo);
	evhttp_set_cb(bo.http, "/requests", on_requests, &bo);
	evhttp_set_cb(bo.http, "/lookup", on_lookup, &bo);
	evhttp_set_cb(bo.http, "/stats", on_stats, &bo);
	evhttp_set_cb(bo.http, "/control", on_control, &bo);
	evhttp_set_gencb(bo.http, on_other, &bo);
	if (bo_listen(&bo, addr, port) == -1) {
		bo_free(&bo);
		return 1;
	}
	evsignal_add(bo.ev_int, NULL);
	evsignal_add(bo.ev_term, NULL);
	emit_flush_per_turn(bo.base);
	event_base_dispatch(bo.base);
	bo_free(&bo);
	return 0;
}
