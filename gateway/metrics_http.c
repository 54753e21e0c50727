/*
 * The /metrics endpoint of metrics_http.h.  The exposition is rendered
 * whole into one buffer per scrape: a few hundred series for a deployment
 * of a few menus, written in one go, and nothing kept between scrapes.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "access.h"
#include "conf.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "store.h"
#include "xmalloc.h"

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct httpd			*httpd;
	const struct conf_metrics	*conf;
	struct store			*store;
};

/* An allowed address, and the token when one is set; else answered
 * 403 (401 when a token is needed and none came). */
static int
scraper_allowed(const struct metrics_http *mh, struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char		 *auth;

	if (!access_allowed(mh->conf->allow, mh->conf->nallow,
	    conn ? evhttp_connection_get_addr(conn) : NULL)) {
		log_warnx("event=forbidden path=%s reason=\"address not "
		    "allowed\"", mh->conf->path);
		httpd_reply_text(req, 403, "Forbidden", "forbidden");
		return 0;
	}
	if (mh->conf->token[0] == '\0')
		return 1;
	auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		httpd_reply_text(req, 401, "Unauthorized",
		    "a bearer token is needed");
		return 0;
	}
	if (!access_secret_equal(auth + 7, mh->conf->token)) {
		log_warnx("event=forbidden path=%s reason=\"wrong token\"",
		    mh->conf->path);
		httpd_reply_text(req, 403, "Forbidden", "forbidden");
		return 0;
	}
	return 1;
}

/* The outbox's figures are in: the whole exposition, at last. */
static void
outbox_read(const char *err, const struct store_outbox_stats *s, void *arg)
{
	struct evhttp_request	*req = arg;
	struct evbuffer		*b;

	metrics_outbox(err == NULL ? s->waiting : -1, s ? s->pending : 0,
	    s ? s->dead : 0, s ? s->oldest_ms : 0);
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	metrics_render(b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", CONTENT_TYPE);
	httpd_send(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
handle_metrics(struct evhttp_request *req, void *arg)
{
	struct metrics_http	*mh = arg;

	if (!httpd_method_is(req, EVHTTP_REQ_GET, "GET") ||
	    !scraper_allowed(mh, req))
		return;
	store_outbox_stats(mh->store, outbox_read, req);
}

struct metrics_http *
metrics_http_new(struct httpd *httpd, const struct conf *c,
    struct store *store, char *err, size_t errlen)
{
	struct metrics_http	*mh = xcalloc(1, sizeof *mh);

	mh->httpd = httpd;
	mh->store = store;
	mh->conf = &c->metrics;
	if (!mh->conf->enabled)
		return mh;
	if (httpd_route(httpd, mh->conf->path, handle_metrics, mh) == -1) {
		snprintf(err, errlen, "metrics.path %s is taken",
		    mh->conf->path);
		free(mh);
		return NULL;
	}
	return mh;
}

void
metrics_http_free(struct metrics_http *mh)
{
	if (mh == NULL)
		return;
	if (mh->conf->enabled)
		httpd_unroute(mh->httpd, mh->conf->path);
	free(mh);
}
