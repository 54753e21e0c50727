/*
 * One struct call per message, with an explicit state and one step():
 * the HTTP answer, the retry timer and the DLR "submitted" record only
 * record what happened and call call_step().
 *
 *	SEND ─▶ (WAIT_HTTP) ─▶ RECORD ─▶ (WAIT_STORE) ─▶ DONE
 *	  ▲          │
 *	  └─ BACKOFF ◀┘  (connection error, timeout, 5xx)
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>

#include "conf.h"
#include "gsm.h"
#include "kannel_text.h"
#include "log.h"
#include "metrics.h"
#include "sendsms.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define BACKOFF_FIRST_MS	200
#define BACKOFF_MAX_MS		10000

enum call_state { CALL_SEND, CALL_WAIT_HTTP, CALL_BACKOFF, CALL_RECORD,
	CALL_WAIT_STORE, CALL_DONE };

struct call {
	struct sendsms		*ss;
	enum call_state		 state;
	char			 id[SENDSMS_ID_LEN + 1];
	char			 who[16];	/* keyed hash of to */
	char			*uri;		/* path and query */
	unsigned		 attempt;
	unsigned		 backoff_ms;
	int			 status;	/* last HTTP status, 0: none */
	const char		*why;		/* last failure */
	const char		*err;		/* the outcome, NULL: sent */
	struct evhttp_request	*req;		/* in flight */
	struct event		*timer;
	sendsms_cb		 cb;
	void			*arg;
	LIST_ENTRY(call)	 entry;		/* in the sender's calls, until
						 * the sender goes away */
};

struct sendsms {
	struct event_base	 *base;
	struct store		 *store;
	struct evhttp_connection **conns;
	unsigned		  nconns;
	unsigned		  next_conn;
	char			 *host;
	char			 *path;		/* with the fixed query */
	char			 *dlr_base;	/* dlr-url up to id= */
	char			 *smsc;
	unsigned		  attempts;
	unsigned		  dlr_mask;
	unsigned		  dlr_ttl;
	LIST_HEAD(, call)	  calls;
};

static void	call_step(struct call *);

/* URL-encoded copy of s, every byte outside [A-Za-z0-9-._~] escaped. */
static char *
enc(const char *s)
{
	char	*e = evhttp_uriencode(s, -1, 0);

	if (e == NULL)
		fatalx("sendsms: out of memory");
	return e;
}

struct sendsms *
sendsms_new(struct event_base *base, const struct conf_kannel *k,
    struct store *store, char *err, size_t errlen)
{
	struct sendsms		*ss;
	struct evhttp_uri	*u;
	const char		*path, *query;
	char			*user, *pass, *from, *secret, *dlr, *dlr_enc;
	int			 port;
	struct timeval		 tv;

	if (k->sendsms_url == NULL || k->sendsms_url[0] == '\0') {
		err_set(err, errlen, "kannel.sendsms.url is not set");
		return NULL;
	}
	if ((u = evhttp_uri_parse(k->sendsms_url)) == NULL ||
	    evhttp_uri_get_host(u) == NULL) {
		if (u != NULL)
			evhttp_uri_free(u);
		err_set(err, errlen, "kannel.sendsms.url \"%s\" is not a URL",
		    k->sendsms_url);
		return NULL;
	}
	ss = xcalloc(1, sizeof *ss);
	LIST_INIT(&ss->calls);
	ss->base = base;
	ss->store = store;
	ss->host = xstrdup(evhttp_uri_get_host(u));
	port = evhttp_uri_get_port(u);
	path = evhttp_uri_get_path(u);
	query = evhttp_uri_get_query(u);
	user = enc(k->sendsms_username);
	pass = enc(k->sendsms_password);
	from = enc(k->sendsms_from);
	xasprintf(&ss->path, "%s?%s%susername=%s&password=%s%s%s",
	    path != NULL && path[0] != '\0' ? path : "/", query ? query : "",
	    query ? "&" : "", user, pass, from[0] ? "&from=" : "", from);
	free(user);
	free(pass);
	free(from);

	/* Kannel fills in %d (the report type), %F (the SMSC's id of the
	 * message) and %T; the id is the gateway's own. */
	secret = enc(k->secret);
	xasprintf(&dlr, "%s%s?k=%s&type=%%d&smscid=%%F&ts=%%T&id=",
	    k->gateway_url, k->dlr_path, secret);
	dlr_enc = enc(dlr);
	ss->dlr_base = dlr_enc;
	free(dlr);
	free(secret);

	ss->smsc = xstrdup(k->sendsms_smsc);
	ss->attempts = k->sendsms_attempts;
	ss->dlr_mask = k->dlr_mask;
	ss->dlr_ttl = k->dlr_ttl;
	ss->nconns = k->sendsms_connections;
	ss->conns = xcalloc(ss->nconns, sizeof *ss->conns);
	tv = ms_to_tv(k->sendsms_timeout_ms);
	for (unsigned i = 0; i < ss->nconns; i++) {
		ss->conns[i] = evhttp_connection_base_new(base, NULL, ss->host,
		    (unsigned short)(port > 0 ? port : 80));
		if (ss->conns[i] == NULL)
			fatalx("sendsms: cannot make an HTTP connection");
		evhttp_connection_set_timeout_tv(ss->conns[i], &tv);
		evhttp_connection_set_retries(ss->conns[i], 0);
	}
	evhttp_uri_free(u);
	return ss;
}

static void
call_free(struct call *c)
{
	if (c->ss != NULL)
		LIST_REMOVE(c, entry);
	event_free(c->timer);
	free(c->uri);
	free(c);
}

void
sendsms_free(struct sendsms *ss)
{
	if (ss == NULL)
		return;
	/* libevent drops queued requests without their callbacks: fire ours
	 * first, then let the connections go. */
	while (!LIST_EMPTY(&ss->calls)) {
		struct call *c = LIST_FIRST(&ss->calls);

		if (c->state != CALL_WAIT_STORE) {
			c->cb("gateway shutting down", c->id, c->arg);
			call_free(c);
			continue;
		}
		/* smsbox took it; only its record is pending, and the store
		 * hands the call back (to be freed) when it answers. */
		c->cb(NULL, c->id, c->arg);
		LIST_REMOVE(c, entry);
		c->ss = NULL;
	}
	for (unsigned i = 0; i < ss->nconns; i++)
		evhttp_connection_free(ss->conns[i]);
	free(ss->conns);
	free(ss->host);
	free(ss->path);
	free(ss->dlr_base);
	free(ss->smsc);
	free(ss);
}

static void
call_http_done(struct evhttp_request *req, void *arg)
{
	struct call	*c = arg;

	c->req = NULL;
	c->status = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (c->status >= 200 && c->status < 300) {
		c->state = CALL_RECORD;
	} else if (c->status == 0 || c->status >= 500) {
		c->why = c->status == 0 ? "no answer from smsbox" :
		    "smsbox failed";
		c->state = c->attempt < c->ss->attempts ? CALL_BACKOFF :
		    CALL_DONE;
		if (c->state == CALL_DONE)
			c->err = c->why;
	} else {
		c->err = c->status == 403 ? "smsbox refused the credentials" :
		    "smsbox refused the message";
		c->state = CALL_DONE;
	}
	call_step(c);
}

static void
call_timer(evutil_socket_t fd, short what, void *arg)
{
	struct call	*c = arg;

	(void)fd;
	(void)what;
	call_step(c);
}

static void
call_recorded(const char *err, void *arg)
{
	struct call	*c = arg;

	if (c->ss == NULL) {
		/* The sender went away first; it already told the caller. */
		call_free(c);
		return;
	}
	if (err != NULL)
		log_warnx("event=dlr-record-failed id=%s error=\"%s\"", c->id,
		    err);
	c->state = CALL_DONE;
	call_step(c);
}

static void
call_send_http(struct call *c)
{
	struct sendsms		 *ss = c->ss;
	struct evhttp_connection *conn = ss->conns[ss->next_conn++ %
				    ss->nconns];
	struct evhttp_request	 *req;

	c->attempt++;
	req = evhttp_request_new(call_http_done, c);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    ss->host);
	c->state = CALL_WAIT_HTTP;
	c->req = req;
	if (evhttp_make_request(conn, req, EVHTTP_REQ_GET, c->uri) == -1) {
		/* The request is freed by libevent; retry from the loop. */
		c->req = NULL;
		c->why = "cannot make the request";
		c->state = CALL_BACKOFF;
		event_active(c->timer, EV_TIMEOUT, 1);
	}
}

static void
call_step(struct call *c)
{
	struct timeval	 tv;
	unsigned	 ms;

	switch (c->state) {
	case CALL_SEND:
		call_send_http(c);
		return;
	case CALL_WAIT_HTTP:
	case CALL_WAIT_STORE:
		return;
	case CALL_BACKOFF:
		log_warnx("event=sendsms-retry id=%s to=%s attempt=%u "
		    "status=%d reason=\"%s\"", c->id, c->who, c->attempt,
		    c->status, c->why);
		/* Jitter: senders that failed together do not come back
		 * together. */
		ms = jitter_ms(c->backoff_ms);
		if (c->backoff_ms < BACKOFF_MAX_MS)
			c->backoff_ms *= 2;
		tv = ms_to_tv(ms);
		c->state = CALL_SEND;
		evtimer_add(c->timer, &tv);
		return;
	case CALL_RECORD:
		c->state = CALL_WAIT_STORE;
		store_dlr_record(c->ss->store, c->id, "submitted", 0, NULL,
		    c->ss->dlr_ttl, call_recorded, c);
		return;
	case CALL_DONE:
		break;
	}
	if (c->err != NULL)
		log_warnx("event=sendsms-failed id=%s to=%s attempts=%u "
		    "status=%d error=\"%s\"", c->id, c->who, c->attempt,
		    c->status, c->err);
	else
		log_info("event=sendsms id=%s to=%s attempts=%u", c->id,
		    c->who, c->attempt);
	metrics_count(METRICS_SENDSMS, c->err != NULL ? "failed" :
	    "ok");
	c->cb(c->err, c->id, c->arg);
	call_free(c);
}

/* The query of one message, after the fixed part. */
static char *
call_uri(const struct sendsms *ss, const struct sendsms_msg *m,
    const char *id)
{
	struct text_size	 ts;
	const char		*smsc = m->smsc ? m->smsc : ss->smsc;
	char			*to, *text, *sm, *meta = NULL, *uri;
	char			 mask[32] = "";

	text_measure(m->text, strlen(m->text), &ts);
	to = enc(m->to);
	text = enc(m->text);
	sm = enc(smsc);
	if (m->ussd_op != 0) {
		unsigned char		 op = (unsigned char)m->ussd_op;
		struct kannel_tlv	 tlv = { "ussd_service_op", &op, 1 };
		char			*raw = kannel_meta_build(&tlv, 1);

		meta = enc(raw);
		free(raw);
	}
	if (ss->dlr_mask != 0)
		snprintf(mask, sizeof mask, "&dlr-mask=%u", ss->dlr_mask);
	xasprintf(&uri, "%s&to=%s&text=%s&charset=UTF-8&coding=%d%s%s%s%s%s"
	    "%s%s%s", ss->path, to, text, ts.coding == CODING_UCS2 ? 2 : 0,
	    sm[0] ? "&smsc=" : "", sm, meta ? "&meta-data=" : "",
	    meta ? meta : "", mask, ss->dlr_mask ? "&dlr-url=" : "",
	    ss->dlr_mask ? ss->dlr_base : "", ss->dlr_mask ? id : "");
	free(to);
	free(text);
	free(sm);
	free(meta);
	return uri;
}

void
sendsms_send(struct sendsms *ss, const struct sendsms_msg *m, sendsms_cb cb,
    void *arg)
{
	struct call	*c = xcalloc(1, sizeof *c);
	unsigned char	 rnd[SENDSMS_ID_LEN / 2];

	c->ss = ss;
	c->cb = cb;
	c->arg = arg;
	c->backoff_ms = BACKOFF_FIRST_MS;
	c->timer = evtimer_new(ss->base, call_timer, c);
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		fatalx("RAND_bytes failed");
	hex_encode(rnd, sizeof rnd, c->id, sizeof c->id);
	log_msisdn(m->to[0] == '+' ? m->to + 1 : m->to, c->who,
	    sizeof c->who);
	LIST_INSERT_HEAD(&ss->calls, c, entry);

	if (!utf8_valid(m->text, strlen(m->text)) || m->to[0] == '\0' ||
	    (m->ussd_op != 0 && m->ussd_op != 2 && m->ussd_op != 3)) {
		c->err = m->to[0] == '\0' ? "no recipient" :
		    m->ussd_op != 0 && m->ussd_op != 2 && m->ussd_op != 3 ?
		    "a pushed USSD message is op 2 or 3" :
		    "text is not valid UTF-8";
		c->state = CALL_DONE;
	} else {
		c->uri = call_uri(ss, m, c->id);
		c->state = CALL_SEND;
	}
	/* Never from inside the caller. */
	event_active(c->timer, EV_TIMEOUT, 1);
}
