/*
 * The http adapter: each request is POSTed as JSON to the back office's
 * URL, over HTTP or HTTPS (OpenSSL through bufferevent_openssl: the
 * certificate must chain to the configured CA file, or to the system's
 * CAs, and name the URL's host).  The back office can tell the gateway's
 * requests from anyone's and turn replays away by three headers:
 *
 *	X-Asanigw-Idempotency-Key: the request's key, the same on a retry
 *	X-Asanigw-Timestamp:       unix seconds when it was sent
 *	X-Asanigw-Signature:       v1=hex(HMAC-SHA256(secret, TS "." BODY))
 *
 * Every call has a timeout.  2xx is success; 4xx other than 408 and 429
 * is the back office refusing the request (retrying cannot help); any
 * other answer, and no answer, may succeed later.
 *
 * Lookups are POSTed the same way, signed, to lookup_path on the same
 * server (without an idempotency key: asking twice changes nothing); the
 * answer is a JSON object, read by answer_decode().
 *
 * Calls share a pool of `connections` keep-alive connections, HTTP and
 * HTTPS alike: each carries one call at a time (libevent's client does
 * not pipeline), the rest wait in order for one to be free.  A connection
 * the back office closed, or that failed, is dropped and made anew when
 * a call needs it (libevent cannot reconnect a TLS bufferevent).  Over
 * HTTPS the last TLS session the back office gave is offered again by
 * every new connection, so it resumes instead of a full handshake.
 *
 * Its settings are declared in http_keys: the configuration refuses a
 * missing secret, a malformed URL, an unreadable CA file or a number out
 * of range before the daemon starts, so opening only takes them apart.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "adapter.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* A back office's answer larger than this is refused (a lookup's answer
 * is read whole). */
#define ANSWER_BODY_MAX	(64 * 1024)

/* One connection of the pool: NULL until a call needs it. */
struct http_slot {
	struct http_adapter	 *ha;
	struct evhttp_connection *conn;
	struct http_call	 *busy;		/* the call it carries */
	int			  nodelay;	/* set on conn's socket */
};

struct http_adapter {
	struct event_base	 *base;
	char			 *name;
	char			 *host;
	unsigned short		  port;
	char			 *path;		/* with its query */
	char			 *lookup_path;	/* NULL: no lookups */
	SSL_CTX			 *ssl;		/* NULL for plain HTTP */
	struct signer		 *signer;	/* under the secret */
	struct timeval		  timeout;
	SSL_SESSION		 *session;	/* to resume; NULL: none yet */
	int			  closing;	/* close asked for */
	unsigned		  inside;	/* callbacks running */
	struct http_slot	 *slots;
	unsigned		  nslots;
	LIST_HEAD(, http_call)	  calls;	/* in flight or waiting */
	TAILQ_HEAD(, http_call)	  waiting;	/* for a free connection */
};

struct http_call {
	struct http_adapter	 *ha;
	struct http_slot	 *slot;		/* the connection carrying it */
	struct evhttp_connection *conn;		/* that connection */
	struct evhttp_request	 *req;		/* while waiting */
	char			 *path;		/* while waiting */
	struct event		 *ev;		/* a failure before sending */
	adapter_cb		  cb;		/* a submit */
	adapter_answer_cb	  acb;		/* or a lookup */
	void			 *arg;
	char			  key[130];	/* or the query kind */
	LIST_ENTRY(http_call)	  entry;
	TAILQ_ENTRY(http_call)	  wentry;
	int			  queued;	/* in waiting */
	int			  broken;	/* no answer came */
};

static const struct adapter_key http_keys[] = {
	{ .name = "url", .kind = ADAPTER_URL, .required = 1 },
	{ .name = "secret", .kind = ADAPTER_SECRET, .required = 1 },
	{ .name = "ca_file", .kind = ADAPTER_FILE },	/* none: the system's */
	{ .name = "timeout_ms", .kind = ADAPTER_INT, .idef = 5000,
	    .min = 100, .max = 120000 },
	{ .name = "connections", .kind = ADAPTER_INT, .idef = 4,
	    .min = 1, .max = 256 },
	{ .name = "lookup_path", .kind = ADAPTER_URL_PATH },	/* none: no
								 * lookups */
	{ .name = NULL }
};

/* A session the back office gave (with the handshake or, in TLS 1.3,
 * after it): the one new connections offer to resume. */
static int
http_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct http_adapter	*ha = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	SSL_SESSION		*copy;

	/* A copy: the connection's own is marked not resumable should the
	 * connection end in a fatal alert (see slot_offer_session()). */
	if ((copy = SSL_SESSION_dup(sess)) == NULL)
		return 0;
	if (ha->session != NULL)
		SSL_SESSION_free(ha->session);
	ha->session = copy;
	return 0;	/* sess stays OpenSSL's */
}

static SSL_CTX *
http_ssl_ctx(struct http_adapter *ha, const char *name, const char *ca_file,
    char *err, size_t errlen)
{
	SSL_CTX	*ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "adapter %s: cannot make a TLS context",
		    name);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_app_data(ctx, ha);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, http_new_session);
	if ((ca_file != NULL && *ca_file != '\0') ?
	    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1 :
	    SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "adapter %s: cannot load CA %s: %s",
		    name, ca_file ? ca_file : "(system)",
		    ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The adapter and what it holds; its calls must have ended. */
static void
http_free(struct http_adapter *ha)
{
	for (unsigned i = 0; i < ha->nslots; i++)
		if (ha->slots[i].conn != NULL) {
			evhttp_connection_set_closecb(ha->slots[i].conn, NULL,
			    NULL);
			evhttp_connection_free(ha->slots[i].conn);
		}
	free(ha->slots);
	if (ha->session != NULL)
		SSL_SESSION_free(ha->session);
	if (ha->ssl != NULL)
		SSL_CTX_free(ha->ssl);
	free(ha->name);
	free(ha->host);
	free(ha->path);
	free(ha->lookup_path);
	signer_free(ha->signer);
	free(ha);
}

static void *
http_open(struct event_base *base, const char *name,
    const struct adapter_settings *set, char *err, size_t errlen)
{
	const char		*url = adapter_setting_str(set, "url");
	const char		*lp = adapter_setting_str(set, "lookup_path");
	long long		 ms = adapter_setting_int(set, "timeout_ms");
	struct evhttp_uri	*u;
	struct http_adapter	*ha;
	const char		*scheme, *path, *query;
	int			 port, https;

	/* The configuration checked the URL: this only takes it apart. */
	if ((u = evhttp_uri_parse(url)) == NULL) {
		snprintf(err, errlen, "adapter %s: cannot parse url %s", name,
		    url);
		return NULL;
	}
	scheme = evhttp_uri_get_scheme(u);
	https = scheme != NULL && strcmp(scheme, "https") == 0;
	ha = xcalloc(1, sizeof *ha);
	LIST_INIT(&ha->calls);
	TAILQ_INIT(&ha->waiting);
	ha->base = base;
	ha->name = xstrdup(name);
	ha->host = xstrdup(evhttp_uri_get_host(u));
	port = evhttp_uri_get_port(u);
	path = evhttp_uri_get_path(u);
	query = evhttp_uri_get_query(u);
	xasprintf(&ha->path, "%s%s%s", path && *path ? path : "/",
	    query ? "?" : "", query ? query : "");
	evhttp_uri_free(u);
	ha->lookup_path = lp != NULL ? xstrdup(lp) : NULL;
	ha->signer = signer_new(adapter_setting_str(set, "secret"));
	ha->timeout = ms_to_tv((unsigned)ms);
	ha->nslots = (unsigned)adapter_setting_int(set, "connections");
	ha->slots = xcalloc(ha->nslots, sizeof *ha->slots);
	for (unsigned i = 0; i < ha->nslots; i++)
		ha->slots[i].ha = ha;
	ha->port = (unsigned short)(port > 0 ? port : https ? 443 : 80);
	if (https && (ha->ssl = http_ssl_ctx(ha, name,
	    adapter_setting_str(set, "ca_file"), err, errlen)) == NULL) {
		http_free(ha);
		return NULL;
	}
	return ha;
}

static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evhttp_connection_free(arg);
}

/* The slot's connection is done with (closed by the back office, or
 * failed): freed from the loop, libevent may still be using it; the
 * next call on the slot makes a new one. */
static void
slot_drop(struct http_slot *s)
{
	if (s->conn == NULL)
		return;
	evhttp_connection_set_closecb(s->conn, NULL, NULL);
	defer_call(s->ha->base, conn_free_cb, s->conn);
	s->conn = NULL;
}

static void
slot_closed(struct evhttp_connection *conn, void *arg)
{
	struct http_slot	*s = arg;

	if (s->conn == conn)
		slot_drop(s);
}

static void	pool_dispatch(struct http_adapter *);

/* Ends a call: its callback, then the call; its connection is free for
 * the next one waiting.  answer is a lookup's. */
static void
call_end(struct http_call *c, const char *err, int final,
    const struct answer *answer)
{
	struct http_adapter	*ha = c->ha;

	LIST_REMOVE(c, entry);
	if (c->queued)
		TAILQ_REMOVE(&ha->waiting, c, wentry);
	if (c->req != NULL)
		evhttp_request_free(c->req);
	free(c->path);
	if (c->slot != NULL) {
		/* No answer: the connection cannot be trusted again. */
		if (c->broken && c->slot->conn == c->conn)
			slot_drop(c->slot);
		c->slot->busy = NULL;
	}
	if (c->ev != NULL)
		event_free(c->ev);
	/* The callback may close the adapter (a reload's last reference
	 * going): then the adapter is freed once no callback is running. */
	ha->inside++;
	if (c->acb != NULL)
		c->acb(err, answer, c->arg);
	else
		c->cb(err, final, c->arg);
	free(c);
	ha->inside--;
	if (!ha->closing)
		pool_dispatch(ha);
	else if (ha->inside == 0)
		http_free(ha);
}

/* Why the TLS connection of an HTTPS call failed, into buf; 0 if it
 * did not (or the call is plain HTTP). */
static int
call_tls_error(const struct http_call *c, char *buf, size_t len)
{
	struct bufferevent	*bev;
	SSL			*ssl;
	unsigned long		 e, last = 0;
	long			 v;

	if (c->conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(c->conn)) == NULL)
		return 0;
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		last = e;
	ssl = bufferevent_openssl_get_ssl(bev);
	if (ssl != NULL && (v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(buf, len, "certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
		return 1;
	}
	if (last == 0)
		return 0;
	ERR_error_string_n(last, buf, len);
	return 1;
}

/* A lookup's 2xx: its body is the answer. */
static void
call_answered(struct http_call *c, struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(in);
	struct answer	 a;
	char		 err[200];
	const char	*body = (const char *)evbuffer_pullup(in, -1);

	if (answer_decode(body != NULL ? body : "", len, &a, err,
	    sizeof err) == -1) {
		log_warnx("adapter=%s event=lookup-failed query=%s "
		    "error=\"%s\"", c->ha->name, c->key, err);
		call_end(c, err, 1, NULL);
		return;
	}
	call_end(c, NULL, 0, &a);
	answer_clear(&a);
}

static void
call_done(struct evhttp_request *req, void *arg)
{
	struct http_call	*c = arg;
	struct http_adapter	*ha = c->ha;
	int			 code = req ? evhttp_request_get_response_code(req) :
				    0;
	char			 err[320], tls[256];

	c->broken = code == 0;
	if (code >= 200 && code < 300 && c->acb != NULL) {
		call_answered(c, req);
		return;
	}
	if (code >= 200 && code < 300) {
		call_end(c, NULL, 0, NULL);
		return;
	}
	if (code == 0 && call_tls_error(c, tls, sizeof tls))
		snprintf(err, sizeof err, "TLS with %s:%u failed: %s", ha->host,
		    ha->port, tls);
	else if (code == 0)
		snprintf(err, sizeof err, "%s:%u did not answer", ha->host,
		    ha->port);
	else if (code >= 400 && code < 500 && code != 408 && code != 429)
		snprintf(err, sizeof err, "back office refused the request "
		    "(HTTP %d)", code);
	else
		snprintf(err, sizeof err, "back office failed (HTTP %d)", code);
	log_warnx("adapter=%s event=%s-failed %s=%s status=%d "
	    "error=\"%s\"", ha->name, c->acb ? "lookup" : "submit",
	    c->acb ? "query" : "key", c->key, code, err);
	call_end(c, err, code >= 400 && code < 500 && code != 408 &&
	    code != 429, NULL);
}

static void
call_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	call_end(arg, "cannot send the request", 0, NULL);
}

/*
 * Offers the last session the back office gave, as a copy of its own:
 * a connection that ends in a fatal alert (a back office that closes
 * without close_notify, before its new ticket came) marks the session
 * it holds not resumable, and the next connection would then make a
 * full handshake.
 */
static void
slot_offer_session(SSL *ssl, const SSL_SESSION *last)
{
	SSL_SESSION	*copy;

	if (last == NULL || (copy = SSL_SESSION_dup(last)) == NULL)
		return;
	SSL_set_session(ssl, copy);
	SSL_SESSION_free(copy);		/* ssl holds its own reference */
}

/* A new connection for the slot; NULL if it cannot be made. */
static struct evhttp_connection *
slot_connect(struct http_slot *sl)
{
	struct http_adapter	 *ha = sl->ha;
	struct evhttp_connection *conn;
	struct bufferevent	 *bev;
	SSL			 *ssl;

	if (ha->ssl == NULL) {
		conn = evhttp_connection_base_new(ha->base, NULL, ha->host,
		    ha->port);
	} else {
		if ((ssl = SSL_new(ha->ssl)) == NULL)
			return NULL;
		/* The certificate must name the host, which SNI also asks
		 * for. */
		SSL_set_tlsext_host_name(ssl, ha->host);
		SSL_set1_host(ssl, ha->host);
		slot_offer_session(ssl, ha->session);
		bev = bufferevent_openssl_socket_new(ha->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
		    BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(ssl);
			return NULL;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		conn = evhttp_connection_base_bufferevent_new(ha->base, NULL,
		    bev, ha->host, ha->port);
	}
	if (conn == NULL)
		return NULL;
	evhttp_connection_set_timeout_tv(conn, &ha->timeout);
	evhttp_connection_set_retries(conn, 0);
	evhttp_connection_set_max_body_size(conn, ANSWER_BODY_MAX);
	evhttp_connection_set_closecb(conn, slot_closed, sl);
	sl->nodelay = 0;
	return sl->conn = conn;
}

/*
 * The socket, made by the first request on a connection: requests go
 * out at once (over TLS a request is several records, which Nagle would
 * hold back for the back office's delayed ACK).
 */
static void
slot_nodelay(struct http_slot *sl)
{
	struct bufferevent	*bev = evhttp_connection_get_bufferevent(sl->conn);
	evutil_socket_t		 fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	int			 one = 1;

	if (fd == -1)
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	sl->nodelay = 1;
}

static void
call_fail_soon(struct http_call *c)
{
	c->ev = event_new(c->ha->base, -1, 0, call_fail_cb, c);
	event_active(c->ev, EV_TIMEOUT, 1);
}

/* A free slot, one whose connection is open before one that would
 * connect again; NULL if all are busy. */
static struct http_slot *
pool_free_slot(struct http_adapter *ha)
{
	struct http_slot	*unconnected = NULL;

	for (unsigned i = 0; i < ha->nslots; i++) {
		struct http_slot	*sl = &ha->slots[i];

		if (sl->busy != NULL)
			continue;
		if (sl->conn != NULL)
			return sl;
		if (unconnected == NULL)
			unconnected = sl;
	}
	return unconnected;
}

/* Calls waiting, in order, onto the connections that are free. */
static void
pool_dispatch(struct http_adapter *ha)
{
	struct http_call	*c;
	struct http_slot	*sl;
	struct evhttp_request	*req;

	while (!ha->closing && (c = TAILQ_FIRST(&ha->waiting)) != NULL &&
	    (sl = pool_free_slot(ha)) != NULL) {
		TAILQ_REMOVE(&ha->waiting, c, wentry);
		c->queued = 0;
		if (sl->conn == NULL && slot_connect(sl) == NULL) {
			call_fail_soon(c);
			continue;
		}
		sl->busy = c;
		c->slot = sl;
		c->conn = sl->conn;
		req = c->req;
		c->req = NULL;
		if (evhttp_make_request(sl->conn, req, EVHTTP_REQ_POST,
		    c->path) == -1) {
			/* libevent freed the request. */
			c->broken = 1;
			call_fail_soon(c);
		} else if (!sl->nodelay) {
			slot_nodelay(sl);
		}
	}
}

/* Starts a call (c filled but for its adapter): body, signed, POSTed to
 * path once a connection is free.  The body is copied; NULL fails the
 * call, from the loop. */
static void
call_start(struct http_adapter *ha, struct http_call *c, const char *path,
    const char *body, const char *ikey)
{
	struct evkeyvalq	 *h;
	char			  ts[24], sig[ADAPTER_SIG_LEN];
	size_t			  len;

	c->ha = ha;
	LIST_INSERT_HEAD(&ha->calls, c, entry);
	if (body == NULL) {
		call_fail_soon(c);
		return;
	}
	/* Signed as sent, byte for byte. */
	len = strlen(body);
	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
	signer_sign(ha->signer, ts, body, len, sig);
	c->req = evhttp_request_new(call_done, c);
	h = evhttp_request_get_output_headers(c->req);
	evhttp_add_header(h, "Host", ha->host);
	evhttp_add_header(h, "Content-Type", "application/json");
	if (ikey != NULL)
		evhttp_add_header(h, "X-Asanigw-Idempotency-Key", ikey);
	evhttp_add_header(h, "X-Asanigw-Timestamp", ts);
	evhttp_add_header(h, "X-Asanigw-Signature", sig);
	evbuffer_add(evhttp_request_get_output_buffer(c->req), body, len);
	c->path = xstrdup(path);
	TAILQ_INSERT_TAIL(&ha->waiting, c, wentry);
	c->queued = 1;
	pool_dispatch(ha);
}

static void
http_submit(void *impl, const struct request *r, adapter_cb cb, void *arg)
{
	struct http_adapter	*ha = impl;
	struct http_call	*c = xcalloc(1, sizeof *c);
	char			*made;

	c->cb = cb;
	c->arg = arg;
	snprintf(c->key, sizeof c->key, "%s", r->idempotency_key);
	call_start(ha, c, ha->path, request_text(r, &made),
	    r->idempotency_key);
	free(made);
}

static void
http_lookup(void *impl, const struct query *q, adapter_answer_cb cb,
    void *arg)
{
	struct http_adapter	*ha = impl;
	struct http_call	*c = xcalloc(1, sizeof *c);
	char			*body;

	c->acb = cb;
	c->arg = arg;
	snprintf(c->key, sizeof c->key, "%s", q->kind);
	if (ha->lookup_path == NULL) {
		/* Fails from the loop, as a call that cannot be sent. */
		log_warnx("adapter=%s event=lookup-failed query=%s "
		    "error=\"no lookup_path is configured\"", ha->name,
		    q->kind);
		call_start(ha, c, NULL, NULL, NULL);
		return;
	}
	body = query_json(q);
	call_start(ha, c, ha->lookup_path, body, NULL);
	free(body);
}

static void
http_close(void *impl)
{
	struct http_adapter	*ha = impl;

	/* Calls in flight or waiting hear back now, with an error; their
	 * requests go with the connections, without callbacks. */
	ha->closing = 1;
	ha->inside++;
	while (!LIST_EMPTY(&ha->calls)) {
		struct http_call	*c = LIST_FIRST(&ha->calls);

		c->slot = NULL;
		call_end(c, "adapter closed", 0, NULL);
	}
	if (--ha->inside == 0)
		http_free(ha);
}

const struct adapter_ops adapter_http_ops = {
	.type = "http",
	.keys = http_keys,
	.open = http_open,
	.submit = http_submit,
	.lookup = http_lookup,
	.close = http_close,
};
