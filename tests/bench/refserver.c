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
 *	refserver -w PORT REDIS_PORT
 *	refserver -i PORT [SMS_BODY USSD_BODY]
 *
 * -w, the read-and-write mode, is the floor of any gateway that reads and
 * writes state on every hop: exactly one EVALSHA per request, of a script
 * that GETs the session's key and SETs it again with EX (the request body
 * as the new value), keyed by the form field sessionId when the body
 * starts with it.  The script is loaded once Redis is connected.
 *
 * Listens on 127.0.0.1:PORT only once Redis is connected, then prints
 * "ready" on stdout: an accepting port means a serving server.  Exits 1
 * if Redis goes away (requests in flight get a 503 first).  No command
 * timeout: hiredis 0.14 has none for async contexts, and a bench Redis
 * that stalls is a failed run anyway.
 *
 * -i, the instant mode, is the yardstick of scripts/bench-kannel: the
 * least an HTTP server behind smsbox's get-url can do.  No Redis; every
 * request is answered at once 200 "text/plain; charset=UTF-8" with a fixed
 * body — the contents of SMS_BODY, or of USSD_BODY for a request from
 * smsc-id "ussd" (the bench gives the gateway's own answers, so Kannel
 * carries the same bytes either way), with X-Kannel-Coding: 2 when the
 * body is not ASCII — and the X-Kannel-Meta-Data header the gateway puts
 * on a USSD screen (op 2, USSR request; its_session_info 0x2a00), which
 * smsbox ignores for an SMS.  Listens at once and prints "ready".
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
#define SID_BYTES	64		/* -w: longest sessionId keyed on */
#define SESSION_TTL	"180"		/* -w: as the bench's gateway */
/* -w: one hop's state, read and written in one round trip. */
#define RW_SCRIPT	"local v = redis.call('GET', KEYS[1])\n" \
			"redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n" \
			"return v\n"
#define BACKLOG		1024		/* as gateway/httpd.c */
#define REPLY_BODY	"CON ok"
/* 64 bytes: the gateway's English answer to an SMS is as long. */
#define INSTANT_BODY	"Instant reply: a fixed text as long as " \
			"the gateway's SMS answer."
#define INSTANT_META	"?smpp?ussd_service_op=%02&its_session_info=%2A%00&"

struct ref {
	struct event_base	*base;
	struct evhttp		*http;
	redisAsyncContext	*ac;		/* NULL once disconnected */
	unsigned short		 port;
	int			 write;		/* -w */
	char			 sha[41];	/* -w: of RW_SCRIPT */
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

/* -w: GET and SET EX of the session's key, one EVALSHA. */
static void
on_request_rw(struct evhttp_request *req, void *arg)
{
	struct ref	*r = arg;
	struct evbuffer	*body = evhttp_request_get_input_buffer(req);
	char		 key[sizeof "ref:{}" + SID_BYTES];
	const char	*p, *amp;
	size_t		 n, len;

	if (r->ac == NULL) {
		reply(req, 503, "Service Unavailable", "END redis down");
		return;
	}
	n = evbuffer_get_length(body);
	if ((p = (const char *)evbuffer_pullup(body, -1)) == NULL)
		p = "";
	memcpy(key, "ref:{", 5);
	len = 5;
	if (n > 10 && memcmp(p, "sessionId=", 10) == 0) {
		amp = memchr(p + 10, '&', n - 10);
		len += (size_t)snprintf(key + len, SID_BYTES + 1, "%.*s",
		    (int)((amp != NULL ? (size_t)(amp - p) : n) - 10), p + 10);
		if (len > 5 + SID_BYTES)
			len = 5 + SID_BYTES;
	} else {
		memcpy(key + len, p, n > KEY_BYTES ? KEY_BYTES : n);
		len += n > KEY_BYTES ? KEY_BYTES : n;
	}
	key[len++] = '}';
	if (redisAsyncCommand(r->ac, on_get, req, "EVALSHA %s 1 %b %b %s",
	    r->sha, key, len, p, n, SESSION_TTL) != REDIS_OK)
		reply(req, 503, "Service Unavailable", "END redis failed");
}

/* The instant answers: for SMS and for USSD. */
static struct body {
	char	*text;
	size_t	 len;
	int	 ucs2;
} bodies[2] = {
	{ INSTANT_BODY, sizeof INSTANT_BODY - 1, 0 },
	{ INSTANT_BODY, sizeof INSTANT_BODY - 1, 0 },
};

static int
body_read(const char *path, struct body *b)
{
	FILE	*f = fopen(path, "rb");
	char	 buf[4096];
	size_t	 n;

	if (f == NULL) {
		fprintf(stderr, "refserver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	if ((b->text = malloc(n + 1)) == NULL)
		abort();
	memcpy(b->text, buf, n);
	b->len = n;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] >= 0x80)
			b->ucs2 = 1;
	return 0;
}

/* Instant mode: the same answer to every request of a kind. */
static void
on_instant(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	const struct body	*b;
	struct evbuffer		*buf;

	(void)arg;
	b = &bodies[strstr(evhttp_request_get_uri(req), "smsc=ussd") != NULL];
	if ((buf = evbuffer_new()) == NULL)
		abort();
	evhttp_add_header(h, "Content-Type", "text/plain; charset=UTF-8");
	if (b->ucs2)
		evhttp_add_header(h, "X-Kannel-Coding", "2");
	evhttp_add_header(h, "X-Kannel-Meta-Data", INSTANT_META);
	evbuffer_add(buf, b->text, b->len);
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
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

/* Redis is ready: listen. */
static void
serve(void)
{
	int	fd;

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
on_loaded(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply	*rep = r;

	(void)ac;
	(void)arg;
	if (rep == NULL || rep->type != REDIS_REPLY_STRING ||
	    rep->len != sizeof ref.sha - 1) {
		fprintf(stderr, "refserver: redis: SCRIPT LOAD failed\n");
		ref.status = 1;
		event_base_loopbreak(ref.base);
		return;
	}
	memcpy(ref.sha, rep->str, sizeof ref.sha - 1);
	serve();
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK) {
		fprintf(stderr, "refserver: redis: %s\n", ac->errstr);
		ref.ac = NULL;		/* hiredis frees it */
		ref.status = 1;
		event_base_loopbreak(ref.base);
		return;
	}
	if (!ref.write)
		serve();
	else if (redisAsyncCommand(ref.ac, on_loaded, NULL, "SCRIPT LOAD %s",
	    RW_SCRIPT) != REDIS_OK) {
		ref.status = 1;
		event_base_loopbreak(ref.base);
	}
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
	unsigned short	 redis_port = 0;
	struct event	*ev_term, *ev_int;
	int		 instant, fd;

	instant = argc >= 3 && strcmp(argv[1], "-i") == 0;
	if (!instant && argc == 4 && strcmp(argv[1], "-w") == 0) {
		ref.write = 1;
		argv++;
		argc--;
	}
	if ((instant ? argc != 3 && argc != 5 : argc != 3) ||
	    parse_port(argv[instant ? 2 : 1], &ref.port) == -1 ||
	    (!instant && parse_port(argv[2], &redis_port) == -1)) {
		fprintf(stderr, "usage: refserver PORT REDIS_PORT\n"
		    "       refserver -w PORT REDIS_PORT\n"
		    "       refserver -i PORT [SMS_BODY USSD_BODY]\n");
		return 2;
	}
	if (instant && argc == 5 && (body_read(argv[3], &bodies[0]) == -1 ||
	    body_read(argv[4], &bodies[1]) == -1))
		return 2;
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
	if (instant) {
		evhttp_set_gencb(ref.http, on_instant, &ref);
		if ((fd = listen_fd(ref.port)) == -1)
			return 1;
		if (evhttp_accept_socket_with_handle(ref.http, fd) == NULL) {
			close(fd);
			fprintf(stderr, "refserver: cannot accept on %u\n",
			    ref.port);
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
	} else {
		evhttp_set_gencb(ref.http, ref.write ? on_request_rw :
		    on_request, &ref);
		ref.ac = redisAsyncConnect("127.0.0.1", redis_port);
		if (ref.ac == NULL || ref.ac->err) {
			fprintf(stderr, "refserver: redis: %s\n",
			    ref.ac != NULL ? ref.ac->errstr : "out of memory");
			return 1;
		}
		redisLibeventAttach(ref.ac, ref.base);
		redisAsyncSetConnectCallback(ref.ac, on_connect);
		redisAsyncSetDisconnectCallback(ref.ac, on_disconnect);
	}

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
