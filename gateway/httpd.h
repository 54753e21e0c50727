/*
 * The HTTP listener that every HTTP transport shares: the aggregators'
 * POST endpoints now, Kannel's smsbox later.  It owns the evhttp server
 * and the listening socket, answers GET /health, and stops accepting new
 * connections on shutdown while in-flight requests finish.
 */
#ifndef ASANIGW_HTTPD_H
#define ASANIGW_HTTPD_H

#include <stddef.h>

struct event_base;
struct evhttp;
struct evhttp_request;
struct httpd;

/* Binds address:port now (so errors show before daemonising); returns
 * the socket or -1 with a sentence in err. */
int		 httpd_bind(const char *address, unsigned short port,
		    char *err, size_t errlen);

/* Serves on fd, taking ownership of it. */
struct httpd	*httpd_new(struct event_base *, int fd);
void		 httpd_free(struct httpd *);
/* Stops accepting; connections already open are served to the end. */
void		 httpd_stop_accepting(struct httpd *);

typedef void (*httpd_handler)(struct evhttp_request *, void *arg);
/* Routes an exact path to a handler; -1 if the path is taken. */
int		 httpd_route(struct httpd *, const char *path, httpd_handler,
		    void *arg);

/* Stops routing a path (to 404). */
void		 httpd_unroute(struct httpd *, const char *path);

/* Answers with a JSON body (taken), application/json. */
struct json_t;
void		 httpd_reply_json(struct evhttp_request *, int code,
		    const char *reason, struct json_t *body);
/* {"error": why} */
void		 httpd_reply_error(struct evhttp_request *, int code,
		    const char *reason, const char *why);
/* 1 if the request's method is want; else answers 405 with Allow. */
int		 httpd_method_is(struct evhttp_request *, int want,
		    const char *allow);

/* Answers with a text/plain body; a newline is added. */
void		 httpd_reply_text(struct evhttp_request *, int code,
		    const char *reason, const char *body);

#endif
