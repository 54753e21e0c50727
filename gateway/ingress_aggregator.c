/*
 * The aggregator transport of ingress_aggregator.h.  Each configured path
 * is one route; a POST is read as a form, checked field by field (a
 * missing or malformed field is a 400 with a one-line reason, and nothing
 * is stored), turned into one hop_in for the engine, and the engine's
 * reply written back as "CON page" or "END page".  The transport knows no
 * menu: how a text is read ("path" or "latest") and how much a page holds
 * are the aggregator's configuration, handed to the engine with the hop.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "conf.h"
#include "engine.h"
#include "gsm.h"
#include "httpd.h"
#include "ingress_aggregator.h"
#include "log.h"
#include "msisdn.h"
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

static void
bad_request(struct evhttp_request *req, const char *why)
{
	log_info("event=bad-request path=%s reason=\"%s\"",
	    evhttp_request_get_uri(req), why);
	httpd_reply_text(req, 400, "Bad Request", why);
}

static void
aggregator_reply(const char *text, int end, void *arg)
{
	struct evhttp_request	*req = arg;
	struct evbuffer		*buf = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evbuffer_add_printf(buf, "%s %s", end ? "END" : "CON", text);
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

/* Reads the form body into q; returns NULL or the reason it is bad. */
static const char *
read_form(struct evhttp_request *req, size_t max, struct evkeyvalq *q)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(in);
	const char	*ct;
	char		*body;
	int		 rc;

	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded",
	    33) != 0)
		return "Content-Type must be application/x-www-form-urlencoded";
	if (len > max)
		return "request body too large";
	body = xmalloc(len + 1);
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	if (strlen(body) != len) {
		free(body);
		return "request body contains a NUL byte";
	}
	rc = evhttp_parse_query_str(body, q);
	free(body);
	return rc == 0 ? NULL : "malformed form body";
}

static void
aggregator_handle(struct evhttp_request *req, void *arg)
{
	static const char *const required[] = { "sessionId", "serviceCode",
		"phoneNumber", "text" };
	struct route			*rt = arg;
	const struct conf_aggregator	*agg = rt->agg;
	struct evkeyvalq		 q;
	const char			*f[4], *why;
	char				 msisdn[MSISDN_SIZE], reason[64];
	struct hop_in			 in;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		httpd_reply_text(req, 405, "Method Not Allowed",
		    "use POST with a form body");
		return;
	}
	TAILQ_INIT(&q);
	if ((why = read_form(req, rt->ia->conf->max_body, &q)) != NULL) {
		evhttp_clear_headers(&q);
		bad_request(req, why);
		return;
	}
	for (size_t i = 0; i < 4; i++)
		if ((f[i] = evhttp_find_header(&q, required[i])) == NULL) {
			snprintf(reason, sizeof reason, "missing field: %s",
			    required[i]);
			evhttp_clear_headers(&q);
			bad_request(req, reason);
			return;
		}
	if (!session_id_valid(f[0]))
		why = "invalid sessionId";
	else if (f[1][0] == '\0' || strlen(f[1]) > SERVICE_MAX)
		why = "invalid serviceCode";
	else if (msisdn_normalize(f[2], msisdn, sizeof msisdn) == -1)
		why = "invalid phoneNumber: not an MSISDN";
	else if (!utf8_valid(f[3], strlen(f[3])) ||
	    !utf8_valid(f[1], strlen(f[1])))
		why = "text is not valid UTF-8";
	if (why != NULL) {
		evhttp_clear_headers(&q);
		bad_request(req, why);
		return;
	}

	in = (struct hop_in){
		.service = f[1],
		.msisdn = msisdn,
		.session_id = f[0],
		.text = f[3],
		.mode = agg->text,
		.budget = agg->budget,
		.retry_window_ms = agg->retry_window_ms,
		.transport = "aggregator",
	};
	engine_hop(rt->ia->engine, &in, aggregator_reply, req);
	evhttp_clear_headers(&q);
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
