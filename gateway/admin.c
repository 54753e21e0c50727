/*
 * The operators' endpoints of admin.h.  Each request is checked first
 * (allowlist, then bearer token compared in constant time), then served
 * by asking the module that owns the answer: sendsms for /admin/send,
 * the store for DLR and limit counts, the outbox for its queue.  Nothing
 * here keeps state between requests.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "access.h"
#include "admin.h"
#include "conf.h"
#include "engine.h"
#include "errlist.h"
#include "gsm.h"
#include "httpd.h"
#include "log.h"
#include "outbox.h"
#include "msisdn.h"
#include "sendsms.h"
#include "store.h"
#include "xmalloc.h"

#define SEND_PATH	"/admin/send"
#define STATS_PATH	"/admin/stats"
#define OUTBOX_PATH	"/admin/outbox"
#define REPLAY_PATH	"/admin/outbox/replay"
#define TEXT_MAX	1600	/* bytes: ten concatenated parts and more */

struct admin {
	struct httpd		*httpd;
	const struct conf_admin	*conf;
	struct engine		*engine;
	struct store		*store;
	struct sendsms		*sendsms;
	int			 routed;
};

int
admin_request_allowed(const struct conf_admin *conf,
    struct evhttp_request *req, const char *given)
{
	const char		 *auth, *path;

	/* Logs name the path, never the query: it may carry a token. */
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL)
		path = "";
	auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0)
		given = auth + 7;
	if (!httpd_client_allowed(req, conf->allow, conf->nallow)) {
		log_warnx("event=forbidden path=%s reason=\"address not "
		    "allowed\"", path);
		httpd_reply_error(req, 403, "Forbidden", "forbidden");
		return 0;
	}
	if (given == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		httpd_reply_error(req, 401, "Unauthorized", "a bearer token is "
		    "needed");
		return 0;
	}
	if (!access_secret_equal(given, conf->token)) {
		log_warnx("event=forbidden path=%s reason=\"wrong token\"",
		    path);
		httpd_reply_error(req, 403, "Forbidden", "forbidden");
		return 0;
	}
	return 1;
}

static int
admin_allowed(struct admin *a, struct evhttp_request *req)
{
	return admin_request_allowed(a->conf, req, NULL);
}

static void
sent(const char *err, const char *id, void *arg)
{
	struct evhttp_request	*req = arg;

	if (err != NULL)
		httpd_reply_json(req, 502, "Bad Gateway", json_pack("{s:s,s:s}",
		    "id", id, "error", err));
	else
		httpd_reply_json(req, 202, "Accepted", json_pack("{s:s}", "id",
		    id));
}

/* An SMS waiting for the subscriber's opt-out to be checked. */
struct pending_send {
	struct admin		*a;
	struct evhttp_request	*req;
	struct sendsms_msg	 m;
	char			*to, *text, *smsc;
};

static void
optout_checked(const char *err, int out, void *arg)
{
	struct pending_send	*ps = arg;

	if (err != NULL)
		httpd_reply_error(ps->req, 503, "Service Unavailable", err);
	else if (out)
		httpd_reply_json(ps->req, 409, "Conflict", json_pack(
		    "{s:b,s:s}", "sent", 0, "error", "the subscriber sent STOP"));
	else
		sendsms_send(ps->a->sendsms, &ps->m, sent, ps->req);
	free(ps->to);
	free(ps->text);
	free(ps->smsc);
	free(ps);
}

/* Every SMS respects STOP (sms.h): checked first. */
static void
send_unless_stopped(struct admin *a, struct evhttp_request *req,
    const struct sendsms_msg *m, const char *msisdn)
{
	struct pending_send	*ps = xcalloc(1, sizeof *ps);

	ps->a = a;
	ps->req = req;
	ps->to = xstrdup(m->to);
	ps->text = xstrdup(m->text);
	ps->smsc = m->smsc != NULL ? xstrdup(m->smsc) : NULL;
	ps->m = (struct sendsms_msg){ .to = ps->to, .text = ps->text,
	    .smsc = ps->smsc };
	store_optout_get(a->store, msisdn, optout_checked, ps);
}

int
admin_send_read(const char *body, size_t len, const char *ct,
    struct admin_send *out, char *why, size_t whylen)
{
	const char	*op, *bad = NULL;

	memset(out, 0, sizeof *out);
	if (form_read(body, len, ct, &out->form, why, whylen) == -1)
		return -1;
	out->to = form_get(&out->form, "to");
	out->text = form_get(&out->form, "text");
	out->smsc = form_get(&out->form, "smsc");
	op = form_get(&out->form, "ussd_op");
	if (out->to == NULL || out->text == NULL)
		bad = "to and text are needed";
	else if (out->text[0] == '\0')
		bad = "text is empty";
	else if (strlen(out->text) > TEXT_MAX)
		bad = "text is too long";
	else if (!utf8_valid(out->text, strlen(out->text)))
		bad = "text is not valid UTF-8";
	else if (op != NULL && strcmp(op, "2") != 0 && strcmp(op, "3") != 0)
		bad = "ussd_op must be 2 or 3";
	else if (msisdn_normalize(out->to, out->msisdn, sizeof out->msisdn) ==
	    -1)
		bad = "to is not an MSISDN";
	if (bad != NULL) {
		err_set(why, whylen, "%s", bad);
		admin_send_clear(out);
		return -1;
	}
	out->ussd_op = op != NULL ? op[0] - '0' : 0;
	return 0;
}

void
admin_send_clear(struct admin_send *as)
{
	form_clear(&as->form);
	as->to = as->text = as->smsc = NULL;
	as->msisdn[0] = '\0';
}

static void
handle_send(struct evhttp_request *req, void *arg)
{
	struct admin		*a = arg;
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	size_t			 len = evbuffer_get_length(in);
	struct admin_send	 as;
	struct sendsms_msg	 m;
	char			 why[128];

	if (!httpd_method_is(req, EVHTTP_REQ_POST, "POST") ||
	    !admin_allowed(a, req))
		return;
	if (admin_send_read(len > 0 ? (const char *)evbuffer_pullup(in, -1) :
	    "", len, evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type"), &as, why, sizeof why) == -1) {
		httpd_reply_error(req, 400, "Bad Request", why);
		return;
	}
	m = (struct sendsms_msg){ .to = as.to, .text = as.text,
	    .smsc = as.smsc, .ussd_op = as.ussd_op };
	if (a->sendsms == NULL)
		httpd_reply_error(req, 503, "Service Unavailable",
		    "kannel.sendsms is not configured");
	else if (m.ussd_op != 0)
		/* A push into a USSD session the subscriber is in. */
		sendsms_send(a->sendsms, &m, sent, req);
	else
		send_unless_stopped(a, req, &m, as.msisdn);
	admin_send_clear(&as);
}

/* GET /admin/stats gathers three counters, one after another. */
static const struct {
	const char		*name;		/* in the answer */
	enum store_counter	 counter;
} stats_groups[] = {
	{ "dlr", STORE_COUNT_DLR },
	{ "limited", STORE_COUNT_LIMITED },
	{ "notify", STORE_COUNT_NOTIFY },
};
#define NSTATS	(sizeof stats_groups / sizeof stats_groups[0])

struct stats_req {
	struct evhttp_request	*req;
	struct store		*store;
	json_t			*out;
	size_t			 next;		/* group being read */
};

static void
stats_counted(const char *err, const char *const *names,
    const long long *counts, size_t n, void *arg)
{
	struct stats_req	*sr = arg;
	json_t			*group = json_object();

	if (err != NULL) {
		httpd_reply_error(sr->req, 503, "Service Unavailable", err);
		json_decref(group);
		json_decref(sr->out);
		free(sr);
		return;
	}
	for (size_t i = 0; i < n; i++)
		json_object_set_new(group, names[i], json_integer(counts[i]));
	json_object_set_new(sr->out, stats_groups[sr->next].name, group);
	if (++sr->next < NSTATS) {
		store_counts(sr->store, stats_groups[sr->next].counter,
		    stats_counted, sr);
		return;
	}
	httpd_reply_json(sr->req, 200, "OK", sr->out);
	free(sr);
}

static void
handle_stats(struct evhttp_request *req, void *arg)
{
	struct admin		*a = arg;
	struct stats_req	*sr;

	if (!httpd_method_is(req, EVHTTP_REQ_GET, "GET") ||
	    !admin_allowed(a, req))
		return;
	sr = xcalloc(1, sizeof *sr);
	sr->req = req;
	sr->store = a->store;
	sr->out = json_pack("{s:I}", "inflight",
	    (json_int_t)engine_inflight(a->engine));
	store_counts(a->store, stats_groups[0].counter, stats_counted, sr);
}

static void
outbox_counted(const char *err, long long waiting, long long oldest_ms,
    long long pending, long long dead, long long redriven, void *arg)
{
	struct evhttp_request	*req = arg;

	if (err != NULL) {
		httpd_reply_error(req, 503, "Service Unavailable", err);
		return;
	}
	httpd_reply_json(req, 200, "OK", json_pack("{s:I,s:I,s:I,s:I,s:I}",
	    "waiting", (json_int_t)waiting, "oldest_ms", (json_int_t)oldest_ms,
	    "pending", (json_int_t)pending, "dead", (json_int_t)dead,
	    "redriven", (json_int_t)redriven));
}

static void
handle_outbox(struct evhttp_request *req, void *arg)
{
	struct admin	*a = arg;

	if (!httpd_method_is(req, EVHTTP_REQ_GET, "GET") ||
	    !admin_allowed(a, req))
		return;
	outbox_stats(engine_outbox(a->engine), outbox_counted, req);
}

static void
replayed(const char *err, long long n, void *arg)
{
	struct evhttp_request	*req = arg;

	if (err != NULL)
		httpd_reply_error(req, 503, "Service Unavailable", err);
	else
		httpd_reply_json(req, 200, "OK", json_pack("{s:I}", "replayed",
		    (json_int_t)n));
}

/* POST /admin/outbox/replay[?count=N]: dead letters back to delivery. */
static void
handle_replay(struct evhttp_request *req, void *arg)
{
	struct admin		*a = arg;
	struct evkeyvalq	 q;
	const char		*count;
	long			 n = 100;

	if (!httpd_method_is(req, EVHTTP_REQ_POST, "POST") ||
	    !admin_allowed(a, req))
		return;
	TAILQ_INIT(&q);
	evhttp_parse_query(evhttp_request_get_uri(req), &q);
	if ((count = evhttp_find_header(&q, "count")) != NULL)
		n = strtol(count, NULL, 10);
	evhttp_clear_headers(&q);
	if (n < 1 || n > 100000) {
		httpd_reply_error(req, 400, "Bad Request",
		    "count must be 1 to 100000");
		return;
	}
	outbox_replay(engine_outbox(a->engine), (unsigned)n, replayed, req);
}

struct admin *
admin_new(struct httpd *h, const struct conf *conf, struct engine *engine,
    struct store *store, struct sendsms *ss, char *err, size_t errlen)
{
	struct admin	*a = xcalloc(1, sizeof *a);

	a->httpd = h;
	a->conf = conf->admin;
	a->engine = engine;
	a->store = store;
	a->sendsms = ss;
	if (a->conf == NULL)
		return a;
	if (httpd_route(h, SEND_PATH, handle_send, a) == -1 ||
	    httpd_route(h, STATS_PATH, handle_stats, a) == -1 ||
	    httpd_route(h, OUTBOX_PATH, handle_outbox, a) == -1 ||
	    httpd_route(h, REPLAY_PATH, handle_replay, a) == -1) {
		httpd_unroute(h, SEND_PATH);
		httpd_unroute(h, STATS_PATH);
		httpd_unroute(h, OUTBOX_PATH);
		err_set(err, errlen, "the /admin/ paths are already served");
		free(a);
		return NULL;
	}
	a->routed = 1;
	return a;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	if (a->routed) {
		httpd_unroute(a->httpd, SEND_PATH);
		httpd_unroute(a->httpd, STATS_PATH);
		httpd_unroute(a->httpd, OUTBOX_PATH);
		httpd_unroute(a->httpd, REPLAY_PATH);
	}
	free(a);
}
