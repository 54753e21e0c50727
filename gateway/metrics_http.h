/*
 * GET /metrics (the path is metrics.path): every metric of metrics.h in
 * the Prometheus text exposition format, version 0.0.4, for the
 * addresses metrics.allow lets in and, when metrics.token is set, with
 * "Authorization: Bearer <token>" (Prometheus sends it from its
 * authorization setting).
 */
#ifndef ASANIGW_METRICS_HTTP_H
#define ASANIGW_METRICS_HTTP_H

#include <stddef.h>

struct conf;
struct httpd;
struct metrics_http;

/* Routes the path when metrics.enabled (else does nothing); c is
 * borrowed until metrics_http_free().  NULL with a sentence in err if
 * the path is taken. */
struct metrics_http *metrics_http_new(struct httpd *, const struct conf *c,
		    char *err, size_t errlen);
void		 metrics_http_free(struct metrics_http *);

#endif
