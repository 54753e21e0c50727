/*
 * GET /metrics (the path is metrics.path): every metric of metrics.h in
 * the Prometheus text exposition format, version 0.0.4, for the
 * addresses metrics.allow lets in and, when metrics.token is set, with
 * "Authorization: Bearer <token>" (Prometheus sends it from its
 * authorization setting).  The outbox's gauges are read from the store
 * at each scrape, so every gateway of a deployment reports the same
 * shared queue; the answer waits for them (at most redis.timeout_ms, and
 * then goes without them).
 */
#ifndef ASANIGW_METRICS_HTTP_H
#define ASANIGW_METRICS_HTTP_H

#include <stddef.h>

struct conf;
struct httpd;
struct metrics_http;
struct store;

/* Routes the path when metrics.enabled (else does nothing); c is
 * borrowed until metrics_http_free(), the store (asked for the outbox's
 * figures at each scrape) for as long as the daemon serves.  NULL with a
 * sentence in err if the path is taken. */
struct metrics_http *metrics_http_new(struct httpd *, const struct conf *c,
		    struct store *, char *err, size_t errlen);
void		 metrics_http_free(struct metrics_http *);

#endif
