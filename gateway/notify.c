/*
 * Callbacks from the back office (see notify.h): checked, claimed once in
 * Redis (and refused for a subscriber who sent STOP), rendered from the
 * service's menu and handed to sendsms.  A failure to send lets the key
 * go again, so the back office's retry is not mistaken for a duplicate.
 */
#define _DEFAULT_SOURCE
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "access.h"
#include "adapter.h"
#include "conf.h"
#include "engine.h"
#include "httpd.h"
#include "ledger.h"
#include "msisdn.h"
#include "log.h"
#include "metrics.h"
#include "menu.h"
#include "notify.h"
#include "sendsms.h"
#include "session.h"
#include "store.h"
#include "xmalloc.h"


struct notify {
	struct httpd			*httpd;
	const struct conf_notify	*conf;
	struct engine			*engine;
	struct store			*store;
	struct sendsms			*sendsms;
	struct ledger			*ledger;	/* NULL: none */
	int				 routed;
};

/* One callback on its way. */
struct call {
	struct notify		*n;
	struct evhttp_request	*req;
	struct gen		*gen;
	char			 msisdn[16];
	char			 who[16];
	char			*key;		/* its idempotency key */
	char			*sig;		/* its signature */
	char			*event;
	char			*text;
	json_t			*body;		/* for the ledger */
};

static void
call_free(struct call *c)
{
	engine_release(c->gen);
	free(c->key);
	free(c->sig);
	free(c->event);
	free(c->text);
	json_decref(c->body);
	free(c);
}

static void
sent(const char *err, const char *id, void *arg)
{
	struct call	*c = arg;

	if (err != NULL) {
		/* Not sent: the back office may try again, the very same
		 * call too. */
		log_warnx("event=notify-failed msisdn=%s event_name=%s "
		    "error=\"%s\"", c->who, c->event, err);
		store_notify_release(c->n->store, c->msisdn, c->key, c->sig);
		metrics_count(METRICS_NOTIFY, "failed");
		httpd_reply_json(c->req, 502, "Bad Gateway",
		    json_pack("{s:b,s:s}", "sent", 0, "error", err));
		call_free(c);
		return;
	}
	log_info("event=notified msisdn=%s event_name=%s id=%s", c->who,
	    c->event, id);
	store_notify_sent(c->n->store, c->msisdn, c->key, id);
	metrics_count(METRICS_NOTIFY, "sent");
	httpd_reply_json(c->req, 200, "OK", json_pack("{s:b,s:s}", "sent", 1,
	    "id", id));
	call_free(c);
}

/* A status change the back office told, into the ledger once per key,
 * whether or not the subscriber hears of it. */
static void
ledger_status(struct call *c)
{
	const char	*service, *ref;
	char		*fields;

	if (c->n->ledger == NULL)
		return;
	service = json_string_value(json_object_get(c->body, "service"));
	ref = json_string_value(json_object_get(c->body, "ref"));
	fields = json_dumps(json_object_get(c->body, "fields"), JSON_COMPACT);
	ledger_record_status(c->n->ledger, c->key, service != NULL ? service :
	    gen_conf(c->gen)->services[0].code, ref, c->event, c->who, fields);
	free(fields);
}

static void
claimed(const char *err, enum store_claim claim, const char *sent_id,
    void *arg)
{
	struct call		*c = arg;
	struct sendsms_msg	 m = { 0 };

	if (err != NULL) {
		log_warnx("event=notify-store-failed what=claim error=\"%s\"",
		    err);
		httpd_reply_error(c->req, 503, "Service Unavailable",
		    "the store is not answering; try again");
		call_free(c);
		return;
	}
	if (claim == STORE_CLAIM_DUPLICATE) {
		log_info("event=notify-duplicate msisdn=%s event_name=%s",
		    c->who, c->event);
		metrics_count(METRICS_NOTIFY, "duplicate");
		httpd_reply_json(c->req, 200, "OK", json_pack("{s:b,s:b,s:s}",
		    "sent", 1, "duplicate", 1, "id", sent_id));
		call_free(c);
		return;
	}
	if (claim == STORE_CLAIM_REPLAYED) {
		log_warnx("event=forbidden path=%s reason=\"signature used "
		    "before\"", c->n->conf->path);
		metrics_count(METRICS_NOTIFY, "replayed");
		httpd_reply_error(c->req, 409, "Conflict", "this signature was "
		    "used before");
		call_free(c);
		return;
	}
	if (claim == STORE_CLAIMED || claim == STORE_CLAIM_OPTOUT)
		ledger_status(c);
	if (claim == STORE_CLAIM_OPTOUT) {
		log_info("event=notify-suppressed msisdn=%s event_name=%s "
		    "reason=stop", c->who, c->event);
		store_count(c->n->store, STORE_COUNT_NOTIFY, "suppressed");
		metrics_count(METRICS_NOTIFY, "suppressed");
		httpd_reply_json(c->req, 200, "OK", json_pack("{s:b,s:s}",
		    "sent", 0, "reason", "the subscriber sent STOP"));
		call_free(c);
		return;
	}
	m.to = c->msisdn;
	m.text = c->text;
	sendsms_send(c->n->sendsms, &m, sent, c);
}

int
notify_check(const char *secret, const char *ts, const char *sig,
    const char *key, const char *body, size_t len, struct notify_in *in,
    const char **why)
{
	const char	*msisdn;

	memset(in, 0, sizeof *in);
	if (len > NOTIFY_BODY_MAX) {
		*why = "the body is too large";
		return 413;
	}
	if (!adapter_verify(secret, ts, body != NULL ? body : "", len, sig,
	    NOTIFY_WINDOW_S)) {
		*why = "bad or old signature";
		return 401;
	}
	if (key == NULL || *key == '\0' || strlen(key) > 128) {
		*why = "an X-Asanigw-Idempotency-Key of 1 to 128 characters "
		    "is needed";
		return 400;
	}
	in->body = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	msisdn = json_string_value(json_object_get(in->body, "msisdn"));
	in->event = json_string_value(json_object_get(in->body, "event"));
	if (!json_is_object(in->body))
		*why = "the body is not a JSON object";
	else if (msisdn == NULL ||
	    msisdn_normalize(msisdn, in->msisdn, sizeof in->msisdn) == -1)
		*why = "msisdn is missing or not an MSISDN";
	else if (in->event == NULL)
		*why = "event is missing";
	else
		return 0;
	notify_in_clear(in);
	return 400;
}

void
notify_in_clear(struct notify_in *in)
{
	json_decref(in->body);
	memset(in, 0, sizeof *in);
}

/* The text for the callback's event, in its language; NULL with a reason
 * in why. */
static char *
render(struct call *c, json_t *o, const char **why)
{
	const struct conf_service	*svc;
	const struct menu_text		*t;
	const char			*service, *lang, *k, *ref;
	struct session			*vars;
	json_t				*v;
	char				*text;
	int				 l;

	service = json_string_value(json_object_get(o, "service"));
	if (service == NULL)
		service = gen_conf(c->gen)->services[0].code;
	if ((svc = conf_service(gen_conf(c->gen), service)) == NULL) {
		*why = "unknown service";
		return NULL;
	}
	if ((t = menu_notification(svc->menu, c->event)) == NULL) {
		*why = "the service's menu has no such notification";
		return NULL;
	}
	lang = json_string_value(json_object_get(o, "lang"));
	if ((l = menu_lang_index(svc->menu, lang)) == -1)
		l = menu_lang_index(svc->menu, menu_default_lang(svc->menu));
	vars = session_new();
	json_object_foreach(json_object_get(o, "fields"), k, v)
		if (json_is_string(v))
			session_set(vars, k, json_string_value(v));
	if ((ref = json_string_value(json_object_get(o, "ref"))) != NULL)
		session_set(vars, "ref", ref);
	text = menu_render(svc->menu, vars, l, t);
	session_free(vars);
	return text;
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct notify		*n = arg;
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evbuffer		*buf = evhttp_request_get_input_buffer(req);
	size_t			 len = evbuffer_get_length(buf);
	const char		*body = NULL, *why = NULL;
	struct notify_in	 in;
	struct call		*c;
	int			 status;

	if (!httpd_method_is(req, EVHTTP_REQ_POST, "POST"))
		return;
	if (!httpd_client_allowed(req, n->conf->allow, n->conf->nallow)) {
		log_warnx("event=forbidden path=%s reason=\"address not "
		    "allowed\"", n->conf->path);
		httpd_reply_error(req, 403, "Forbidden", "forbidden");
		return;
	}
	if (len <= NOTIFY_BODY_MAX)
		body = (const char *)evbuffer_pullup(buf, -1);
	status = notify_check(n->conf->secret, evhttp_find_header(h,
	    "X-Asanigw-Timestamp"), evhttp_find_header(h,
	    "X-Asanigw-Signature"), evhttp_find_header(h,
	    "X-Asanigw-Idempotency-Key"), body, len, &in, &why);
	if (status == 413) {
		httpd_reply_error(req, 413, "Payload Too Large", why);
		return;
	}
	if (status == 401) {
		log_warnx("event=forbidden path=%s reason=\"%s\"",
		    n->conf->path, why);
		httpd_reply_error(req, 401, "Unauthorized", why);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->n = n;
	c->req = req;
	c->gen = engine_hold(n->engine);
	if (status == 0) {
		memcpy(c->msisdn, in.msisdn, sizeof c->msisdn);
		c->event = xstrdup(in.event);
		c->text = render(c, in.body, &why);
		c->body = json_incref(in.body);
	}
	notify_in_clear(&in);
	if (why != NULL) {
		log_info("event=notify-refused reason=\"%s\"", why);
		metrics_count(METRICS_NOTIFY, "refused");
		httpd_reply_error(req, 400, "Bad Request", why);
		call_free(c);
		return;
	}
	log_msisdn(c->msisdn, c->who, sizeof c->who);
	c->key = xstrdup(evhttp_find_header(h, "X-Asanigw-Idempotency-Key"));
	c->sig = xstrdup(evhttp_find_header(h, "X-Asanigw-Signature"));
	/* The signature is remembered long enough to outlive its own
	 * validity either way. */
	store_notify_claim(n->store, c->msisdn, c->key, c->sig,
	    n->conf->dedupe_ttl, 2 * NOTIFY_WINDOW_S + 60, claimed, c);
}

struct notify *
notify_new(struct httpd *h, const struct conf *conf, struct engine *engine,
    struct store *store, struct sendsms *ss, char *err, size_t errlen)
{
	struct notify	*n = xcalloc(1, sizeof *n);

	n->httpd = h;
	n->conf = conf->notify;
	n->engine = engine;
	n->store = store;
	n->sendsms = ss;
	if (n->conf == NULL)
		return n;
	if (ss == NULL) {
		err_set(err, errlen, "notify needs kannel.sendsms to send "
		    "with");
		free(n);
		return NULL;
	}
	if (httpd_route(h, n->conf->path, handle, n) == -1) {
		err_set(err, errlen, "%s is already served", n->conf->path);
		free(n);
		return NULL;
	}
	n->routed = 1;
	return n;
}

void
notify_set_ledger(struct notify *n, struct ledger *l)
{
	if (n != NULL)
		n->ledger = l;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->routed)
		httpd_unroute(n->httpd, n->conf->path);
	free(n);
}
