/*
 * The HTTP listener that every HTTP transport shares: the aggregators'
 * POST endpoints, Kannel's smsbox, the back offices' callbacks and the
 * operators' endpoints.  It owns the evhttp server and the listening
 * socket, answers GET /health, and stops accepting new connections on
 * shutdown while in-flight requests finish.
 *
 * It also keeps the process alive on a hostile network: what one
 * connection may make the gateway hold is bounded (its unread input, and
 * the time it may take to send a whole request), so are the connections
 * open at once, in total and from one address, and running out of
 * descriptors pauses accepting instead of spinning.
 */
#ifndef ASANIGW_HTTPD_H
#define ASANIGW_HTTPD_H

#include <stddef.h>

struct access_net;
struct event_base;
struct evhttp;
struct evhttp_request;
struct httpd;

/* Binds address:port now (so errors show before daemonising); returns
 * the socket or -1 with a sentence in err. */
int		 httpd_bind(const char *address, unsigned short port,
		    char *err, size_t errlen);

/* What one client, and all of them, may hold; 0 in a field: its
 * default. */
struct httpd_limits {
	unsigned	 max_connections;	/* open at once; default: what
						 * the descriptor limit allows */
	unsigned	 max_per_address;	/* open at once from one
						 * address (1024) */
	unsigned	 request_ms;		/* from accept until the first
						 * request is read whole
						 * (10 000) */
	unsigned	 keepalive_ms;		/* from a request until the
						 * next is read whole
						 * (30 000) */
	const struct access_net *proxies;	/* whose X-Forwarded-For is
						 * believed (copied) */
	size_t		 nproxies;
};

/* Serves on fd, taking ownership of it, with the default limits. */
struct httpd	*httpd_new(struct event_base *, int fd);
/* Applies limits (copied) to connections from now on. */
void		 httpd_set_limits(struct httpd *,
		    const struct httpd_limits *);
/* Raises the soft descriptor limit to the hard one; returns the soft
 * limit in force afterwards. */
unsigned long	 httpd_raise_fd_limit(void);
void		 httpd_free(struct httpd *);
/* Stops accepting; connections already open are served to the end. */
void		 httpd_stop_accepting(struct httpd *);

/*
 * 1 if the client of req is in nets.  The client is the connection's
 * peer; when the peer is a trusted proxy (httpd_limits.proxies), it is
 * the address X-Forwarded-For names last that is not itself a trusted
 * proxy (what the proxy appended, not what a client wrote in front).
 * A chain that cannot be read matches nothing.
 */
int		 httpd_client_allowed(struct evhttp_request *,
		    const struct access_net *nets, size_t n);

typedef void (*httpd_handler)(struct evhttp_request *, void *arg);
/* Routes an exact path to a handler; -1 if the path is taken. */
int		 httpd_route(struct httpd *, const char *path, httpd_handler,
		    void *arg);

/* Stops routing a path (to 404). */
void		 httpd_unroute(struct httpd *, const char *path);

/* evhttp_send_reply() with a Date header made once a second, where
 * libevent would format one for every answer (gmtime and printf: 3 % of
 * a hop).  Every answer the gateway makes goes through it. */
struct evbuffer;
void		 httpd_send(struct evhttp_request *, int code,
		    const char *reason, struct evbuffer *body);

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
