/*
 * The Kannel transport (see ingress_kannel.h for the URLs smsbox calls).
 * It only translates: a request from smsbox becomes one hop for the
 * engine, or one text message for the SMS commands, and their answer
 * becomes the HTTP reply smsbox sends to the phone.  What a message means
 * — which menu, which language, which words — is the engine's: this file
 * never opens a menu, and even the "unreadable" answer is asked of it.
 *
 *	GET /kannel/mo ─▶ method, query, address and secret (else 405/400/403)
 *	    ─▶ from, smsc, id, text, coding checked (else 400: the get-url
 *	       is wrong, said loudly) ─▶ text decoded to UTF-8
 *	    ─▶ SMS smsc:  sms_handle()            ─▶ 200, the answer
 *	    ─▶ USSD smsc: meta-data read: op and session TLVs
 *	                  ─▶ begin, continue: engine_hop() ─▶ 200, the page,
 *	                     op and TLVs in X-Kannel-Meta-Data
 *	                  ─▶ abort, unknown op: 200, empty
 *	GET /kannel/dlr ─▶ store_dlr_report() ─▶ 200 (or 503: smsbox retries);
 *	    an id with no record (sendsms's "submitted") is logged, not
 *	    recorded or counted, and answered 200
 *
 * smsbox retries a get-url that fails, with the same %I: that id is the
 * hop id (USSD), or the message id (SMS), so the engine and the SMS
 * commands know a retry and answer it as before instead of stepping or
 * acting twice.  A USSD session's id is the smsc with the session TLV
 * the operator's profile names, so two sessions of one phone on two
 * links never mix.  A text that cannot be decoded is the subscriber's
 * problem, not the configuration's: it gets a polite "unreadable" in
 * the service's language (and ends a USSD session), never a 4xx.
 *
 * Every request is answered exactly once: by the engine's or the SMS
 * commands' callback, which fire once and never from inside the call, or
 * at once here.  A reload takes the routes down and sets them up again
 * (main.c), so ik->conf is always the configuration serving.
 */
#define _DEFAULT_SOURCE
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "access.h"
#include "conf.h"
#include "dial.h"
#include "engine.h"
#include "metrics.h"
#include "gsm.h"
#include "httpd.h"
#include "ingress_kannel.h"
#include "kannel_text.h"
#include "log.h"
#include "msisdn.h"
#include "sendsms.h"
#include "sms.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define HOP_ID_MAX		64
#define USSD_OP_TLV		"ussd_service_op"
#define SESSION_INFO_TLV	"its_session_info"

struct ingress_kannel {
	struct httpd		 *httpd;
	const struct conf	 *conf;
	const struct conf_kannel *k;
	struct engine		 *engine;
	struct store		 *store;
};

/* The query fields the gateway reads; others (e.g. ts=%T) are ignored. */
enum field { F_K, F_FROM, F_TO, F_TEXT, F_ID, F_SMSC, F_META, F_CODING,
	F_CHARSET, F_TYPE, F_SMSCID, NFIELDS };
static const char *const field_names[NFIELDS] = { "k", "from", "to", "text",
	"id", "smsc", "meta", "coding", "charset", "type", "smscid" };

/* Decoded query values, by enum field. */
struct kquery {
	struct kannel_field	 f[NFIELDS];
};

/* One USSD message in flight: what its reply must say, copied, so a
 * reload cannot pull the profile from under it. */
struct ussd_req {
	struct evhttp_request	*req;
	unsigned char		 op_continue, op_end;
	int			 has_info;
	unsigned char		 info[2];
	struct kannel_tlv	 vendor;	/* name NULL: none */
};

static void
query_free(struct kquery *q)
{
	kannel_query_free(q->f, NFIELDS);
}

/* A field as a string, "" when absent; NULL if it holds a NUL byte. */
static const char *
query_str(const struct kquery *q, enum field f)
{
	if (q->f[f].v == NULL)
		return "";
	return strlen(q->f[f].v) == q->f[f].len ? q->f[f].v : NULL;
}

static int
hop_id_valid(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > HOP_ID_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

/* The caller is an allowed Kannel host with the secret; else a 403. */
static int
kannel_allowed(struct ingress_kannel *ik, struct evhttp_request *req,
    const struct kquery *q)
{
	const char		 *why = NULL;

	if (!httpd_client_allowed(req, ik->k->allow, ik->k->nallow))
		why = "address not allowed";
	else if (!access_secret_equal(query_str(q, F_K), ik->k->secret))
		why = "wrong or missing secret";
	if (why == NULL)
		return 1;
	metrics_count(METRICS_KANNEL_REFUSED, why);
	log_warnx("event=forbidden path=%s reason=\"%s\"",
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)), why);
	httpd_reply_text(req, 403, "Forbidden", "forbidden");
	return 0;
}

static void
bad_request(struct evhttp_request *req, const char *why)
{
	log_errorx("event=bad-request path=%s reason=\"%s\"",
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)), why);
	httpd_reply_text(req, 400, "Bad Request", why);
}

/* What every smsbox call goes through: GET, a query that parses, an
 * allowed caller.  Fills q (the caller frees it) and returns 0; or
 * answers and returns -1. */
static int
kannel_query(struct ingress_kannel *ik, struct evhttp_request *req,
    struct kquery *q)
{
	char	 err[128];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET");
		httpd_reply_text(req, 405, "Method Not Allowed",
		    "smsbox calls with GET");
		return -1;
	}
	if (kannel_query_parse(evhttp_uri_get_query(
	    evhttp_request_get_evhttp_uri(req)), field_names, NFIELDS, q->f,
	    err, sizeof err) == -1) {
		bad_request(req, err);
		return -1;
	}
	if (!kannel_allowed(ik, req, q)) {
		query_free(q);
		return -1;
	}
	return 0;
}

/* A 200 whose body smsbox sends to the phone: UCS-2 when the text needs
 * it, which smsbox does only when told with both headers. */
static void
reply_body(struct evhttp_request *req, const char *text)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf = evbuffer_new();
	struct text_size	 ts;

	text_measure(text, strlen(text), &ts);
	evhttp_add_header(h, "Content-Type", "text/plain; charset=UTF-8");
	if (ts.coding == CODING_UCS2)
		evhttp_add_header(h, "X-Kannel-Coding", "2");
	evbuffer_add(buf, text, strlen(text));
	httpd_send(req, 200, "OK", buf);
	evbuffer_free(buf);
}

static void
ussd_req_free(struct ussd_req *u)
{
	free(u->vendor.name);
	free(u->vendor.value);
	free(u);
}

/* The reply to a USSD message: the op says whether the session goes on,
 * and the session's TLVs go back, the end bit set on the last. */
static void
ussd_reply(const char *text, int end, void *arg)
{
	struct ussd_req		*u = arg;
	struct kannel_tlv	 tlvs[3];
	unsigned char		 op = end ? u->op_end : u->op_continue;
	unsigned char		 info[2];
	size_t			 n = 0;
	char			*meta;

	tlvs[n++] = (struct kannel_tlv){ USSD_OP_TLV, &op, 1 };
	if (u->has_info) {
		info[0] = u->info[0];
		info[1] = (unsigned char)((u->info[1] & 0xfe) | (end ? 1 : 0));
		tlvs[n++] = (struct kannel_tlv){ SESSION_INFO_TLV, info, 2 };
	}
	if (u->vendor.name != NULL)
		tlvs[n++] = u->vendor;
	meta = kannel_meta_build(tlvs, n);
	evhttp_add_header(evhttp_request_get_output_headers(u->req),
	    "X-Kannel-Meta-Data", meta);
	free(meta);
	reply_body(u->req, text);
	ussd_req_free(u);
}

/* The "unreadable" answer, in the language of the service the smsc's
 * messages go to. */
static const char *
unreadable(const struct ingress_kannel *ik, const struct conf_smsc *sc)
{
	return engine_message(ik->engine, sc->service[0] != '\0' ?
	    sc->service : NULL, "unreadable");
}

/* The service a USSD session opens: the code dialled (NULL: the text
 * was no USSD string), else the number the message went to. */
static const char *
ussd_service(const struct ingress_kannel *ik, const char *code,
    const char *text, const char *to, char *buf, size_t len)
{
	if (code != NULL && conf_service(ik->conf, code) != NULL)
		return code;
	if (to[0] != '\0' && conf_service(ik->conf, to) != NULL)
		return to;
	snprintf(buf, len, "*%s#", to);
	if (to[0] != '\0' && conf_service(ik->conf, buf) != NULL)
		return buf;
	return code != NULL ? code : text;
}

/* A USSD message; text NULL when it could not be decoded, which ends
 * the session politely. */
static void
handle_ussd(struct ingress_kannel *ik, struct evhttp_request *req,
    const struct conf_smsc *sc, const struct kquery *q, const char *msisdn,
    const char *text)
{
	const struct conf_ussd_profile *p = sc->profile;
	struct ussd_req		*u = xcalloc(1, sizeof *u);
	struct kannel_meta	 meta = { 0 };
	const struct kannel_tlv	*t;
	const char		*service = NULL, *m;
	char			 err[128], sid[128], code[40], to[40], vid[72];
	char			 who[16], *inputs = NULL;
	int			 op = -1, begin;
	struct hop_in		 in;

	u->req = req;
	u->op_continue = p->reply_continue;
	u->op_end = p->reply_end;
	m = query_str(q, F_META);
	if (m == NULL || kannel_meta_parse(m, &meta, err, sizeof err) == -1) {
		log_warnx("event=unreadable smsc=%s msisdn=%s reason=\"meta-data: "
		    "%s\"", sc->id, log_msisdn(msisdn, who, sizeof who),
		    m == NULL ? "holds a NUL byte" : err);
		text = NULL;
	}
	if ((t = kannel_meta_get(&meta, USSD_OP_TLV)) != NULL && t->len == 1)
		op = t->value[0];
	snprintf(sid, sizeof sid, "kannel.%s", sc->id);
	if (p->session_info && (t = kannel_meta_get(&meta,
	    SESSION_INFO_TLV)) != NULL && t->len == 2) {
		u->has_info = 1;
		memcpy(u->info, t->value, 2);
		snprintf(sid, sizeof sid, "kannel.%s.%u", sc->id, t->value[0]);
	}
	if (p->session_tlv[0] != '\0' && (t = kannel_meta_get(&meta,
	    p->session_tlv)) != NULL && t->len > 0 && t->len <= 32) {
		u->vendor.name = xstrdup(t->name);
		u->vendor.value = xmalloc(t->len);
		memcpy(u->vendor.value, t->value, t->len);
		u->vendor.len = t->len;
		hex_encode(t->value, t->len, vid, sizeof vid);
		snprintf(sid, sizeof sid, "kannel.%s.v%s", sc->id, vid);
	}
	kannel_meta_free(&meta);
	if (text == NULL) {
		ussd_reply(unreadable(ik, sc), 1, u);
		return;
	}

	if (dial_split(text, code, sizeof code, &inputs) == -1)
		inputs = NULL;
	if (op == -1)		/* no op: a USSD string opens a session */
		begin = inputs != NULL;
	else if (ussd_op_in(p->begin, p->nbegin, op))
		begin = 1;
	else if (ussd_op_in(p->cont, p->ncont, op))
		begin = 0;
	else {
		if (ussd_op_in(p->abort, p->nabort, op)) {
			metrics_count(METRICS_ABORTED, sc->id);
			log_info("event=ussd-abort smsc=%s sid=%s msisdn=%s "
			    "op=%d", sc->id, sid, log_msisdn(msisdn, who,
			    sizeof who), op);
		} else
			log_warnx("event=ussd-unknown-op smsc=%s sid=%s "
			    "msisdn=%s op=%d", sc->id, sid,
			    log_msisdn(msisdn, who, sizeof who), op);
		/* Nothing to send (the service has omit-empty). */
		reply_body(req, "");
		ussd_req_free(u);
		free(inputs);
		return;
	}
	if (begin)
		service = ussd_service(ik, inputs != NULL ? code : NULL, text,
		    query_str(q, F_TO), to, sizeof to);
	in = (struct hop_in){
		.service = service,
		.msisdn = msisdn,
		.session_id = sid,
		/* A dial "*786*1*2#" opens at the screen "1*2" names. */
		.text = !begin ? text : inputs != NULL ? inputs : "",
		.mode = TEXT_LATEST,
		.budget = sc->budget,
		.hop_id = query_str(q, F_ID),
		.begin = begin,
		.transport = "kannel",
	};
	engine_hop(ik->engine, &in, ussd_reply, u);
	free(inputs);
}

static void
sms_replied(const char *text, void *arg)
{
	reply_body(arg, text);
}

/* A text message: one of the service's SMS commands, answered in the
 * HTTP reply (smsbox sends it back to the sender, concatenated if long). */
static void
handle_sms(struct ingress_kannel *ik, struct evhttp_request *req,
    const struct conf_smsc *sc, const char *msisdn, const char *text,
    const char *id)
{
	struct sms_in	 in = {
		.service = sc->service[0] != '\0' ? sc->service :
		    ik->conf->services[0].code,
		.msisdn = msisdn,
		.text = text,
		.id = id,
	};

	sms_handle(engine_sms(ik->engine), &in, sms_replied, req);
}

static void
handle_mo(struct evhttp_request *req, void *arg)
{
	struct ingress_kannel	*ik = arg;
	struct kquery		 q;
	const char		*from, *smsc, *id, *coding, *why = NULL;
	char			 err[128], msisdn[MSISDN_SIZE], who[16], *text;
	const struct conf_smsc	*sc = NULL;
	int			 c = -1;

	if (kannel_query(ik, req, &q) == -1)
		return;
	from = query_str(&q, F_FROM);
	smsc = query_str(&q, F_SMSC);
	id = query_str(&q, F_ID);
	coding = query_str(&q, F_CODING);
	/* These are the get-url's own, not the subscriber's: wrong ones are
	 * a configuration to fix, said loudly. */
	if (from == NULL || msisdn_normalize(from, msisdn, sizeof msisdn) == -1)
		why = "from (%p) is not an MSISDN";
	else if (smsc == NULL || smsc[0] == '\0')
		why = "smsc (%i) is missing";
	else if ((sc = conf_smsc(ik->k, smsc)) == NULL)
		why = "smsc is not in kannel.smsc";
	else if (id == NULL || !hop_id_valid(id))
		why = "id (%I) is missing or not an id";
	else if (q.f[F_TEXT].v == NULL)
		why = "text (%b) is missing";
	else if (coding == NULL || (coding[0] != '\0' &&
	    (strlen(coding) != 1 || !isdigit((unsigned char)coding[0]))))
		why = "coding (%c) is not a number";
	if (why != NULL) {
		query_free(&q);
		bad_request(req, why);
		return;
	}
	metrics_kannel_mo(sc->id, sc->kind == SMSC_SMS ? "sms" : "ussd");
	if (coding[0] != '\0')
		c = coding[0] - '0';
	text = kannel_text_decode(q.f[F_TEXT].v, q.f[F_TEXT].len, c,
	    query_str(&q, F_CHARSET), NULL, err, sizeof err);
	if (text == NULL) {
		/* The subscriber's message, not the configuration: a polite
		 * answer, and a line to say why. */
		log_warnx("event=unreadable smsc=%s msisdn=%s coding=%d "
		    "reason=\"%s\"", sc->id, log_msisdn(msisdn, who, sizeof who),
		    c, err);
		if (sc->kind == SMSC_SMS) {
			reply_body(req, unreadable(ik, sc));
			query_free(&q);
			return;
		}
	}
	if (sc->kind == SMSC_SMS)
		handle_sms(ik, req, sc, msisdn, text, id);
	else
		handle_ussd(ik, req, sc, &q, msisdn, text);
	free(text);
	query_free(&q);
}

_Static_assert(KANNEL_DLR_ID_LEN == SENDSMS_ID_LEN,
    "a delivery report's id is a sendsms message id");

struct dlr_req {
	struct evhttp_request	*req;
	char			 id[SENDSMS_ID_LEN + 1];
	const char		*state;
};

/* An unknown id is answered 200 all the same: smsbox would otherwise
 * retry a report the gateway will never want. */
static void
dlr_recorded(const char *err, enum store_dlr r, void *arg)
{
	struct dlr_req	*d = arg;

	if (err != NULL) {
		/* smsbox may try again (http-request-retry). */
		log_warnx("event=dlr-record-failed id=%s state=%s "
		    "error=\"%s\"", d->id, d->state, err);
		httpd_reply_text(d->req, 503, "Service Unavailable",
		    "not recorded");
	} else if (r == STORE_DLR_UNKNOWN) {
		log_warnx("event=dlr-unknown id=%s state=%s reason=\"not an "
		    "id this gateway issued, or its record expired\"", d->id,
		    d->state);
		httpd_reply_text(d->req, 200, "OK", "unknown id");
	} else {
		if (r == STORE_DLR_RECORDED)
			metrics_count(METRICS_DLR, d->state);
		log_info("event=dlr id=%s state=%s%s", d->id, d->state,
		    r == STORE_DLR_REPEATED ? " repeated=1" : "");
		httpd_reply_text(d->req, 200, "OK", "recorded");
	}
	free(d);
}

static void
handle_dlr(struct evhttp_request *req, void *arg)
{
	struct ingress_kannel	*ik = arg;
	struct kquery		 q;
	struct kannel_dlr	 r;
	struct dlr_req		*d;
	char			 err[128];

	if (kannel_query(ik, req, &q) == -1)
		return;
	if (kannel_dlr_parse(&q.f[F_ID], &q.f[F_TYPE], &q.f[F_SMSCID], &r,
	    err, sizeof err) == -1) {
		bad_request(req, err);
	} else {
		d = xcalloc(1, sizeof *d);
		d->req = req;
		memcpy(d->id, r.id, sizeof d->id);
		d->state = r.state;
		store_dlr_report(ik->store, d->id, r.state, r.final, r.smsc_id,
		    ik->k->dlr_ttl, dlr_recorded, d);
	}
	query_free(&q);
}

struct ingress_kannel *
ingress_kannel_new(struct httpd *h, const struct conf *conf,
    struct engine *engine, struct store *store, char *err, size_t errlen)
{
	struct ingress_kannel	*ik = xcalloc(1, sizeof *ik);

	ik->httpd = h;
	ik->conf = conf;
	ik->k = conf->kannel;
	ik->engine = engine;
	ik->store = store;
	if (ik->k == NULL)
		return ik;
	if (httpd_route(h, ik->k->path, handle_mo, ik) == -1) {
		err_set(err, errlen, "path %s is already served", ik->k->path);
		free(ik);
		return NULL;
	}
	if (httpd_route(h, ik->k->dlr_path, handle_dlr, ik) == -1) {
		err_set(err, errlen, "path %s is already served",
		    ik->k->dlr_path);
		httpd_unroute(h, ik->k->path);
		free(ik);
		return NULL;
	}
	return ik;
}

void
ingress_kannel_free(struct ingress_kannel *ik)
{
	if (ik == NULL)
		return;
	if (ik->k != NULL) {
		httpd_unroute(ik->httpd, ik->k->path);
		httpd_unroute(ik->httpd, ik->k->dlr_path);
	}
	free(ik);
}
