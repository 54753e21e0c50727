/*
 * refserver: the yardstick "make bench" measures asanigw against.
 *
 * The least a Redis-backed HTTP USSD gateway can do on one libevent loop:
 * for every request (any path, any method) exactly one asynchronous Redis
 * round trip, GET ref:{<first 16 bytes of the body, or of the URI>}, then
 * 200 text/plain "CON ok".  Same libraries, same loop, same listen backlog
 * as the gateway; none of its work (parsing, sessions, menus).
 *
 *	refserver PORT REDIS_PORT
 *
 * Listens on 127.0.0.1:PORT only once Redis is connected, then prints
 * "ready" on stdout: an accepting port means a serving server.  Exits 1
 * if Redis goes away (requests in flight get a 503 first).  No command
 * timeout: hiredis 0.14 has none for async contexts, and a bench Redis
 * that stalls is a failed run anyway.
 */
#define _DEFAULT_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#define KEY_BYTES	16
#define BACKLOG		1024		/* as gateway/httpd.c */
#define REPLY_BODY	"CON ok"

struct ref {
	struct event_base	*base;
	struct evhttp		*http;
	redisAsyncContext	*ac;		/* NULL once disconnected */
	unsigned short		 port;
	int			 status;	/* exit status */
};

/* The one server; hiredis connect callbacks carry no user pointer. */
static struct ref	 ref;

static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *body)
{
	struct evbuffer	*buf;

	if ((buf = evbuffer_new()) == NULL)
		abort();
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evbuffer_add(buf, body, strlen(body));
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

/*
 * Fires exactly once per command: with the reply, or with NULL when the
 * connection is torn down.  The reply is hiredis's and dies with us.
 */
static void
on_get(redisAsyncContext *ac, void *r, void *arg)
{
	struct evhttp_request	*req = arg;
	redisReply		*rep = r;

	(void)ac;
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
		reply(req, 503, "Service Unavailable", "END redis failed");
	else
		reply(req, 200, "OK", REPLY_BODY);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct ref	*r = arg;
	struct evbuffer	*body = evhttp_request_get_input_buffer(req);
	char		 key[sizeof "ref:{}" + KEY_BYTES];
	size_t		 n, len;
	const char	*uri;

	if (r->ac == NULL) {
		reply(req, 503, "Service Unavailable", "END redis down");
		return;
	}
	memcpy(key, "ref:{", 5);
	len = 5;
	if ((n = evbuffer_get_length(body)) > 0) {
		if (n > KEY_BYTES)
			n = KEY_BYTES;
		evbuffer_copyout(body, key + len, n);
	} else {
		uri = evhttp_request_get_uri(req);
		if ((n = strlen(uri)) > KEY_BYTES)
			n = KEY_BYTES;
		memcpy(key + len, uri, n);
	}
	len += n;
	key[len++] = '}';
	if (redisAsyncCommand(r->ac, on_get, req, "GET %b", key, len) !=
	    REDIS_OK)
		reply(req, 503, "Service Unavailable", "END redis failed");
}

static int
listen_fd(unsigned short port)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, BACKLOG) == -1) {
		fprintf(stderr, "refserver: listen on 127.0.0.1:%u: %s\n",
		    port, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	int	fd;

	if (status != REDIS_OK) {
		fprintf(stderr, "refserver: redis: %s\n", ac->errstr);
		ref.ac = NULL;		/* hiredis frees it */
		ref.status = 1;
		event_base_loopbreak(ref.base);
		return;
	}
	if ((fd = listen_fd(ref.port)) == -1 ||
	    evhttp_accept_socket_with_handle(ref.http, fd) == NULL) {
		if (fd != -1)
			close(fd);
		ref.status = 1;
		event_base_loopbreak(ref.base);
		return;
	}
	printf("ready\n");
	fflush(stdout);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK)
		fprintf(stderr, "refserver: redis: %s\n", ac->errstr);
	else
		fprintf(stderr, "refserver: redis: disconnected\n");
	ref.ac = NULL;			/* hiredis frees it */
	ref.status = 1;
	event_base_loopbreak(ref.base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ref	*r = arg;

	(void)sig;
	(void)what;
	event_base_loopbreak(r->base);
}

static int
parse_port(const char *s, unsigned short *port)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

int
main(int argc, char *argv[])
{
	unsigned short	 redis_port;
	struct event	*ev_term, *ev_int;

	if (argc != 3 || parse_port(argv[1], &ref.port) == -1 ||
	    parse_port(argv[2], &redis_port) == -1) {
		fprintf(stderr, "usage: refserver PORT REDIS_PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((ref.base = event_base_new()) == NULL ||
	    (ref.http = evhttp_new(ref.base)) == NULL) {
		fprintf(stderr, "refserver: libevent setup failed\n");
		return 1;
	}
	evhttp_set_allowed_methods(ref.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(ref.http, on_request, &ref);

	ref.ac = redisAsyncConnect("127.0.0.1", redis_port);
	if (ref.ac == NULL || ref.ac->err) {
		fprintf(stderr, "refserver: redis: %s\n",
		    ref.ac != NULL ? ref.ac->errstr : "out of memory");
		return 1;
	}
	redisLibeventAttach(ref.ac, ref.base);
	redisAsyncSetConnectCallback(ref.ac, on_connect);
	redisAsyncSetDisconnectCallback(ref.ac, on_disconnect);

	ev_term = evsignal_new(ref.base, SIGTERM, on_signal, &ref);
	ev_int = evsignal_new(ref.base, SIGINT, on_signal, &ref);
	if (ev_term == NULL || ev_int == NULL || evsignal_add(ev_term, NULL) ||
	    evsignal_add(ev_int, NULL)) {
		fprintf(stderr, "refserver: cannot watch signals\n");
		return 1;
	}

	event_base_dispatch(ref.base);

	/* Requests still waiting on Redis are answered 503 by on_get. */
	if (ref.ac != NULL) {
		redisAsyncContext	*ac = ref.ac;

		ref.ac = NULL;
		redisAsyncFree(ac);
	}
	evhttp_free(ref.http);
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(ref.base);
	return ref.status;
}
