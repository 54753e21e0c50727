/*
 * The shared HTTP listener of httpd.h, on libevent's evhttp.  The socket
 * is bound before the daemon forks, so a taken port is an error on the
 * terminal, not in syslog.  The hard caps on body, headers and idle time
 * below protect the process; each transport applies its own lower limits
 * with a clear answer.  The JSON and text reply helpers here are the one
 * way every endpoint answers, so status lines and content types agree.
 */
#define _DEFAULT_SOURCE
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>

#include "httpd.h"
#include "log.h"
#include "xmalloc.h"

/* Hard cap on what libevent reads (beyond it libevent itself answers 413
 * and closes); transports apply their own, lower, limits with a clear
 * one-line 400. */
#define HTTPD_MAX_BODY		(1024 * 1024)
#define HTTPD_MAX_HEADERS	8192
#define HTTPD_IDLE_TIMEOUT_S	60

struct httpd {
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
};

int
httpd_bind(const char *address, unsigned short port, char *err,
    size_t errlen)
{
	struct evutil_addrinfo	 hints, *ai = NULL;
	char			 portstr[8];
	int			 fd, rc, one = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICHOST;
	snprintf(portstr, sizeof portstr, "%u", port);
	if ((rc = evutil_getaddrinfo(address, portstr, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen address %s: %s", address,
		    evutil_gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 1024) == -1) {
		snprintf(err, errlen, "listen on %s:%u: %s", address, port,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		evutil_freeaddrinfo(ai);
		return -1;
	}
	evutil_freeaddrinfo(ai);
	return fd;
}

void
httpd_reply_json(struct evhttp_request *req, int code, const char *reason,
    json_t *body)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*s = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);

	if (s == NULL)
		fatalx("httpd: out of memory");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add_printf(buf, "%s\n", s);
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
	free(s);
	json_decref(body);
}

void
httpd_reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *why)
{
	httpd_reply_json(req, code, reason, json_pack("{s:s}", "error", why));
}

int
httpd_method_is(struct evhttp_request *req, int want, const char *allow)
{
	if ((int)evhttp_request_get_command(req) == want)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	httpd_reply_error(req, 405, "Method Not Allowed", allow);
	return 0;
}

void
httpd_reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *body)
{
	struct evbuffer	*buf = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evbuffer_add_printf(buf, "%s\n", body);
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

static void
httpd_health(struct evhttp_request *req, void *arg)
{
	(void)arg;
	httpd_reply_text(req, 200, "OK", "ok");
}

static void
httpd_notfound(struct evhttp_request *req, void *arg)
{
	(void)arg;
	httpd_reply_text(req, 404, "Not Found", "no such endpoint");
}

struct httpd *
httpd_new(struct event_base *base, int fd)
{
	struct httpd	*h = xcalloc(1, sizeof *h);

	if ((h->http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_max_body_size(h->http, HTTPD_MAX_BODY);
	evhttp_set_max_headers_size(h->http, HTTPD_MAX_HEADERS);
	evhttp_set_timeout(h->http, HTTPD_IDLE_TIMEOUT_S);
	evhttp_set_allowed_methods(h->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(h->http, httpd_notfound, NULL);
	evhttp_set_cb(h->http, "/health", httpd_health, NULL);
	if ((h->bound = evhttp_accept_socket_with_handle(h->http, fd)) ==
	    NULL)
		fatalx("cannot serve on the listening socket");
	return h;
}

int
httpd_route(struct httpd *h, const char *path, httpd_handler fn, void *arg)
{
	return evhttp_set_cb(h->http, path, fn, arg) == 0 ? 0 : -1;
}

void
httpd_unroute(struct httpd *h, const char *path)
{
	evhttp_del_cb(h->http, path);
}

void
httpd_stop_accepting(struct httpd *h)
{
	if (h->bound != NULL) {
		evhttp_del_accept_socket(h->http, h->bound);
		h->bound = NULL;
	}
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h);
}
