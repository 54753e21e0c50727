/*
 * The aggregator transport of ingress_aggregator.h.  Each configured path
 * is one route.  A POST is served in three steps, each of which may be
 * the last:
 *
 *	caller   the peer address in the profile's allowlist, then the
 *	         secret (header or k) when the profile has one	-> 403
 *	form     the strict form reader (form.h), then field by field:
 *	         a missing or malformed field			-> 400
 *	hop      one hop_in for the engine, whose reply is written
 *	         back as "CON page" or "END page"
 *
 * The caller is checked before the body is read, so a stranger learns
 * nothing of the form and touches nothing in Redis; a 400 stores nothing
 * either.  Logs name the configured path, never the request's URI: its
 * query may hold the secret.  The transport knows no menu: how a text is
 * read ("path" or "latest") and how much a page holds are the
 * aggregator's configuration, handed to the engine with the hop.
 */
#define _DEFAULT_SOURCE
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "access.h"
#include "conf.h"
#include "engine.h"
#include "errlist.h"
#include "gsm.h"
#include "httpd.h"
#include "ingress_aggregator.h"
#include "log.h"
#include "xmalloc.h"

#define SESSION_ID_MAX	100
#define SERVICE_MAX	32

struct route {
	struct ingress_aggregator	*ia;
	const struct conf_aggregator	*agg;
};

struct ingress_aggregator {
	struct httpd		*httpd;
	const struct conf	*conf;
	struct engine		*engine;
	struct route		*routes;
	size_t			 nroutes;
};

static int
session_id_valid(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > SESSION_ID_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.:", *s) == NULL)
			return 0;
	return 1;
}

/* A short code as phones dial it: "*786#", "*786*1#", "+786". */
static int
service_code_valid(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= SERVICE_MAX &&
	    strspn(s, "0123456789*#+") == n;
}

int
ingress_aggregator_read(const char *body, size_t len, const char *ct,
    struct aggregator_form *out, char *why, size_t whylen)
{
	static const char *const required[] = { "sessionId", "serviceCode",
		"phoneNumber", "text" };
	const char	*f[4], *bad = NULL;

	memset(out, 0, sizeof *out);
	if (form_read(body, len, ct, &out->form, why, whylen) == -1)
		return -1;
	for (size_t i = 0; i < 4; i++)
		if ((f[i] = form_get(&out->form, required[i])) == NULL) {
			err_set(why, whylen, "missing field: %s", required[i]);
			ingress_aggregator_form_clear(out);
			return -1;
		}
	if (!session_id_valid(f[0]))
		bad = "invalid sessionId";
	else if (!service_code_valid(f[1]))
		bad = "invalid serviceCode: digits, *, # and + only";
	else if (msisdn_normalize(f[2], out->msisdn, sizeof out->msisdn) ==
	    -1)
		bad = "invalid phoneNumber: not an MSISDN";
	else if (!utf8_valid(f[3], strlen(f[3])))
		bad = "text is not valid UTF-8";
	if (bad != NULL) {
		err_set(why, whylen, "%s", bad);
		ingress_aggregator_form_clear(out);
		return -1;
	}
	out->session_id = f[0];
	out->service_code = f[1];
	out->text = f[3];
	return 0;
}

void
ingress_aggregator_form_clear(struct aggregator_form *af)
{
	form_clear(&af->form);
	af->session_id = af->service_code = af->text = NULL;
	af->msisdn[0] = '\0';
}

/* The secret as the caller gave it: the header, else k in the query
 * (read strictly: a query that does not parse gives none). */
static int
secret_given(struct evhttp_request *req, const char *secret)
{
	const char	*h, *query;
	struct form	 q;
	char		 why[128];
	int		 ok;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    AGGREGATOR_SECRET_HEADER);
	if (h != NULL)
		return access_secret_equal(h, secret);
	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (query == NULL ||
	    form_parse(query, strlen(query), &q, why, sizeof why) == -1)
		return 0;
	ok = access_secret_equal(form_get(&q, "k"), secret);
	form_clear(&q);
	return ok;
}

/* The caller is in the allowlist with the secret; else a 403. */
static int
aggregator_allowed(const struct conf_aggregator *agg,
    struct evhttp_request *req)
{
	const char		 *why = NULL;

	if (!httpd_client_allowed(req, agg->allow, agg->nallow))
		why = "address not allowed";
	else if (agg->secret[0] != '\0' && !secret_given(req, agg->secret))
		why = "wrong or missing secret";
	if (why == NULL)
		return 1;
	log_warnx("event=forbidden path=%s reason=\"%s\"", agg->path, why);
	httpd_reply_text(req, 403, "Forbidden", "forbidden");
	return 0;
}

static void
bad_request(const struct conf_aggregator *agg, struct evhttp_request *req,
    const char *why)
{
	log_info("event=bad-request path=%s reason=\"%s\"", agg->path, why);
	httpd_reply_text(req, 400, "Bad Request", why);
}

static void
aggregator_reply(const char *text, int end, void *arg)
{
	struct evhttp_request	*req = arg;
	struct evbuffer		*buf = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evbuffer_add(buf, end ? "END " : "CON ", 4);
	evbuffer_add(buf, text, strlen(text));
	httpd_send(req, 200, "OK", buf);
	evbuffer_free(buf);
}

static void
aggregator_handle(struct evhttp_request *req, void *arg)
{
	struct route			*rt = arg;
	const struct conf_aggregator	*agg = rt->agg;
	struct evbuffer			*body;
	struct aggregator_form		 af;
	struct hop_in			 in;
	size_t				 len;
	char				 why[128];
	int				 rc;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		httpd_reply_text(req, 405, "Method Not Allowed",
		    "use POST with a form body");
		return;
	}
	if (!aggregator_allowed(agg, req))
		return;
	body = evhttp_request_get_input_buffer(req);
	if ((len = evbuffer_get_length(body)) > rt->ia->conf->max_body) {
		bad_request(agg, req, "request body too large");
		return;
	}
	rc = ingress_aggregator_read(len > 0 ?
	    (const char *)evbuffer_pullup(body, -1) : "", len,
	    evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type"), &af, why, sizeof why);
	if (rc == -1) {
		bad_request(agg, req, why);
		return;
	}
	in = (struct hop_in){
		.service = af.service_code,
		.msisdn = af.msisdn,
		.session_id = af.session_id,
		.text = af.text,
		.mode = agg->text,
		.budget = agg->budget,
		.retry_window_ms = agg->retry_window_ms,
		.transport = "aggregator",
	};
	engine_hop(rt->ia->engine, &in, aggregator_reply, req);
	ingress_aggregator_form_clear(&af);
}

struct ingress_aggregator *
ingress_aggregator_new(struct httpd *h, const struct conf *conf,
    struct engine *engine, char *err, size_t errlen)
{
	struct ingress_aggregator	*ia = xcalloc(1, sizeof *ia);

	ia->httpd = h;
	ia->conf = conf;
	ia->engine = engine;
	ia->nroutes = conf->naggregators;
	ia->routes = xcalloc(ia->nroutes, sizeof *ia->routes);
	for (size_t i = 0; i < ia->nroutes; i++) {
		ia->routes[i].ia = ia;
		ia->routes[i].agg = &conf->aggregators[i];
		if (httpd_route(h, conf->aggregators[i].path,
		    aggregator_handle, &ia->routes[i]) == -1) {
			snprintf(err, errlen, "path %s is already served",
			    conf->aggregators[i].path);
			ia->nroutes = i;	/* unroute only what is ours */
			ingress_aggregator_free(ia);
			return NULL;
		}
	}
	return ia;
}

void
ingress_aggregator_free(struct ingress_aggregator *ia)
{
	if (ia == NULL)
		return;
	for (size_t i = 0; i < ia->nroutes; i++)
		httpd_unroute(ia->httpd, ia->routes[i].agg->path);
	free(ia->routes);
	free(ia);
}
