/*
 * The shared HTTP listener of httpd.h, on libevent's evhttp.  The socket
 * is bound before the daemon forks, so a taken port is an error on the
 * terminal, not in syslog.  The JSON and text reply helpers here are the
 * one way every endpoint answers, so status lines and content types agree.
 *
 * The connection guard.  evhttp (2.1) has no limit on connections and
 * times out each read, not a request: one header byte every few seconds
 * holds a connection for ever, and while it writes an answer it goes on
 * reading whatever the client pipelines behind it.  So every connection
 * gets a struct conn of ours, made when evhttp asks us for its
 * bufferevent:
 *
 *	accept ─▶ bevcb: conn, read high-watermark ─▶ checked on the next
 *	loop turn (fd known): over a cap → "503" written, shut down
 *	request read whole ─▶ dispatch: deadline = now + keepalive_ms
 *	deadline passed (the sweep) ─▶ shut down; evhttp sees EOF, frees
 *	evhttp freed it ─▶ the sweep (or, after an answer, at once) lets
 *	our reference go, which closes the socket
 *
 * We hold a reference on each bufferevent, so its descriptor stays open,
 * and ours, until we let go: a shutdown() never reaches a socket that
 * has since been reused.  The read high-watermark bounds what one
 * connection's unread input can hold; it is above the largest request
 * evhttp accepts, which must fit whole before evhttp reads a body.  It
 * is set only while the input is over it: libevent's watermark callback
 * runs on every change of the input buffer and, below the mark, adds the
 * read event again with its timeout each time (eleven times a request),
 * so a watch of ours, which does nothing until the input crosses the
 * mark, sets the watermark then and takes it off once the input is back
 * under.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>

#include "access.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "xmalloc.h"

/* Hard cap on what libevent reads (beyond it libevent itself answers 413
 * and closes); transports apply their own, lower, limits (64 KiB at the
 * most) with a clear one-line 400. */
#define HTTPD_MAX_BODY		(128 * 1024)
#define HTTPD_MAX_HEADERS	8192
#define HTTPD_IDLE_TIMEOUT_S	60	/* one read or write */
/* Unread input one connection may hold: a whole request fits. */
#define HTTPD_READ_HIGH		(HTTPD_MAX_BODY + HTTPD_MAX_HEADERS + 4096)

#define DEFAULT_PER_ADDRESS	1024	/* smsbox opens up to 512 */
#define DEFAULT_REQUEST_MS	10000
#define DEFAULT_KEEPALIVE_MS	30000
#define FD_RESERVE		64	/* Redis, back offices, files, logs */
#define SWEEP_MS		100
#define ACCEPT_PAUSE_MS		100	/* out of descriptors: wait this */

/* Connections from one address that are not cut, for max_per_address:
 * counted as they come and go, not by a walk over all of them. */
struct peer_count {
	unsigned char		 addr[17];	/* family byte, address */
	unsigned		 n;
	size_t			 bucket;
	struct peer_count	*next;		/* hash chain */
};
#define PEER_BUCKETS		1024

struct conn {
	struct httpd		*h;
	struct bufferevent	*bev;		/* referenced by us */
	int			 fd;		/* -1 until evhttp sets it */
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	long long		 deadline_ms;	/* monotonic */
	int			 cut;		/* shut down by us */
	struct peer_count	*pc;		/* its address's count, while
						 * counted (not cut) */
	int			 answered;	/* in the answered list */
	int			 held;		/* input over HTTPD_READ_HIGH:
						 * the watermark is set */
	struct evbuffer_cb_entry *watch;	/* input_watch_cb's */
	const char		*route;		/* of its request, counted */
	TAILQ_ENTRY(conn)	 entry;		/* in one of httpd's lists */
};
TAILQ_HEAD(conn_list, conn);

struct route {
	struct httpd		*h;
	char			*path;		/* NULL: the fallback */
	httpd_handler		 fn;
	void			*arg;
	const char		*label;		/* metrics_intern()'d */
	LIST_ENTRY(route)	 entry;
};

struct httpd {
	struct event_base		*base;
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
	struct evconnlistener		*listener;	/* evhttp's */
	struct httpd_limits		 lim;
	struct conn_list		 conns;		/* open */
	struct conn_list		 fresh;		/* accepted: to admit */
	struct conn_list		 answered;	/* to see if closed */
	unsigned			 nconns;
	struct conn			**byfd;		/* conns by descriptor */
	struct peer_count		*peers[PEER_BUCKETS];
	size_t				 nbyfd;
	struct event			*check;		/* fresh and finished */
	struct event			*sweep;		/* deadlines, closes */
	struct event			*resume;	/* accepting again */
	long long			 accept_logged_ms;
	unsigned long			 accept_failed;	/* since last logged */
	LIST_HEAD(, route)		 routes;
	LIST_ENTRY(httpd)		 entry;		/* in all_httpd */
};

/* The listener's callbacks get evhttp's argument, not ours: they find
 * their httpd here. */
static LIST_HEAD(, httpd) all_httpd = LIST_HEAD_INITIALIZER(all_httpd);

/* The trusted proxies, for httpd_client_allowed(), which a request
 * reaches without its httpd: one list for the process. */
static struct access_net	*proxies;
static size_t			 nproxies;

static void
peer_text(const struct conn *c, char *buf, size_t len)
{
	const struct sockaddr	*sa = (const struct sockaddr *)&c->peer;
	const void		*a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || evutil_inet_ntop(sa->sa_family, a, buf, len) == NULL)
		snprintf(buf, len, "unknown");
}

/* The address of c as a key; 0 when it has none (not IP). */
static int
peer_key(const struct conn *c, unsigned char key[17])
{
	const struct sockaddr	*sa = (const struct sockaddr *)&c->peer;

	memset(key, 0, 17);
	key[0] = (unsigned char)sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(key + 1,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    sizeof(struct in_addr));
	else if (sa->sa_family == AF_INET6)
		memcpy(key + 1,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    sizeof(struct in6_addr));
	else
		return 0;
	return 1;
}

/* Counts c under its address (once); returns the count, 0 if none. */
static unsigned
peer_count_add(struct httpd *h, struct conn *c)
{
	unsigned char		 key[17];
	uint64_t		 x;
	struct peer_count	**pp;

	if (c->pc != NULL)
		return c->pc->n;
	if (!peer_key(c, key))
		return 0;
	x = hash_bytes(HASH_SEED, key, sizeof key);
	pp = &h->peers[x % PEER_BUCKETS];
	while (*pp != NULL && memcmp((*pp)->addr, key, sizeof key) != 0)
		pp = &(*pp)->next;
	if (*pp == NULL) {
		*pp = xcalloc(1, sizeof **pp);
		memcpy((*pp)->addr, key, sizeof key);
		(*pp)->bucket = x % PEER_BUCKETS;
	}
	c->pc = *pp;
	return ++c->pc->n;
}

/* c no longer counts (cut, or gone). */
static void
peer_count_drop(struct httpd *h, struct conn *c)
{
	struct peer_count	**pp, *pc = c->pc;

	if (pc == NULL)
		return;
	c->pc = NULL;
	if (--pc->n > 0)
		return;
	for (pp = &h->peers[pc->bucket]; *pp != pc; pp = &(*pp)->next)
		;
	*pp = pc->next;
	free(pc);
}

/* Lets our reference go, which closes the socket if evhttp let go too. */
static void
conn_release(struct conn *c)
{
	struct httpd	*h = c->h;

	TAILQ_REMOVE(&h->conns, c, entry);
	peer_count_drop(h, c);
	if (c->fd >= 0 && (size_t)c->fd < h->nbyfd && h->byfd[c->fd] == c)
		h->byfd[c->fd] = NULL;
	h->nconns--;
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
	bufferevent_decref(c->bev);
	free(c);
}

/* Ends the connection: evhttp reads EOF and frees it in its own time. */
static void
conn_cut(struct conn *c, const char *why)
{
	char	 peer[64];

	if (c->cut || c->fd < 0)
		return;
	c->cut = 1;
	peer_count_drop(c->h, c);
	peer_text(c, peer, sizeof peer);
	log_info("event=http-cut peer=%s reason=\"%s\"", peer, why);
	shutdown(c->fd, SHUT_RDWR);
}

/* 1 once evhttp has freed the bufferevent (it clears its callbacks). */
static int
conn_finished(const struct conn *c)
{
	bufferevent_event_cb	 eventcb;

	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
	return eventcb == NULL;
}

/* Lets go of the connections evhttp has freed (it does not say when:
 * see the header) and cuts those past their deadline. */
static void
conns_sweep(struct httpd *h)
{
	struct conn	*c, *next;
	long long	 now = mono_ms();

	for (c = TAILQ_FIRST(&h->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (conn_finished(c))
			conn_release(c);
		else if (now >= c->deadline_ms)
			conn_cut(c, "no whole request in time");
	}
}

/* Over a cap?  Counts only connections evhttp still serves. */
static const char *
conn_over(struct httpd *h, struct conn *c, unsigned *same)
{
	*same = c->cut ? 0 : peer_count_add(h, c);
	if (h->nconns > h->lim.max_connections)
		return "too many connections";
	if (*same > h->lim.max_per_address)
		return "too many connections from this address";
	return NULL;
}

/* A new connection, now that evhttp gave it its descriptor: within the
 * caps, or answered 503 and shut down. */
static void
conn_admit(struct conn *c)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 5\r\nConnection: close\r\n\r\nbusy\n";
	struct httpd	*h = c->h;
	const char	*why;
	unsigned	 same;
	char		 peer[64];
	ssize_t		 n;

	TAILQ_INSERT_TAIL(&h->conns, c, entry);
	c->fd = bufferevent_getfd(c->bev);
	if (c->fd < 0 || conn_finished(c))
		return;		/* evhttp gave up on it: the sweep frees */
	if ((size_t)c->fd >= h->nbyfd) {
		size_t	 n2 = (size_t)c->fd * 2 + 64;

		h->byfd = xreallocarray(h->byfd, n2, sizeof *h->byfd);
		memset(h->byfd + h->nbyfd, 0, (n2 - h->nbyfd) * sizeof *h->byfd);
		h->nbyfd = n2;
	}
	h->byfd[c->fd] = c;
	c->peerlen = sizeof c->peer;
	if (getpeername(c->fd, (struct sockaddr *)&c->peer, &c->peerlen) == -1)
		memset(&c->peer, 0, sizeof c->peer);
	if (conn_over(h, c, &same) == NULL)
		return;
	/* Closed connections wait for the sweep: count again without. */
	conns_sweep(h);
	if ((why = conn_over(h, c, &same)) == NULL)
		return;
	peer_text(c, peer, sizeof peer);
	log_warnx("event=http-refused peer=%s connections=%u from_peer=%u "
	    "reason=\"%s\"", peer, h->nconns, same, why);
	/* Nothing of evhttp's is written yet: the answer is whole. */
	n = write(c->fd, busy, sizeof busy - 1);
	(void)n;
	c->cut = 1;
	peer_count_drop(h, c);
	shutdown(c->fd, SHUT_RDWR);
}

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd	*h = arg;
	struct conn	*c;

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&h->fresh)) != NULL) {
		TAILQ_REMOVE(&h->fresh, c, entry);
		conn_admit(c);
	}
	/* An answer went out: if evhttp closed the connection, close the
	 * socket now, not at the next sweep (a client waits for it). */
	while ((c = TAILQ_FIRST(&h->answered)) != NULL) {
		TAILQ_REMOVE(&h->answered, c, entry);
		TAILQ_INSERT_TAIL(&h->conns, c, entry);
		c->answered = 0;
		if (conn_finished(c))
			conn_release(c);
	}
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conns_sweep(arg);
}

/* The input buffer changed: reading stops while it holds the mark's
 * worth (libevent's watermark, set only then), and goes on below it. */
static void
input_watch_cb(struct evbuffer *in, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;
	size_t		 len = evbuffer_get_length(in);

	(void)info;
	if (!c->held && len >= HTTPD_READ_HIGH) {
		c->held = 1;
		bufferevent_setwatermark(c->bev, EV_READ, 0, HTTPD_READ_HIGH);
	} else if (c->held && len < HTTPD_READ_HIGH) {
		c->held = 0;
		bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	}
}

/* evhttp asks for the bufferevent of each connection it accepts. */
static struct bufferevent *
bev_cb(struct event_base *base, void *arg)
{
	struct httpd	*h = arg;
	struct conn	*c = xcalloc(1, sizeof *c);

	if ((c->bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new failed");
	/* One read takes at most 16 KB (libevent's most per read), so the
	 * input stops within that of the mark. */
	if ((c->watch = evbuffer_add_cb(bufferevent_get_input(c->bev),
	    input_watch_cb, c)) == NULL)
		fatalx("evbuffer_add_cb failed");
	bufferevent_incref(c->bev);
	c->h = h;
	c->fd = -1;
	c->deadline_ms = mono_ms() + h->lim.request_ms;
	h->nconns++;
	TAILQ_INSERT_TAIL(&h->fresh, c, entry);
	event_active(h->check, EV_TIMEOUT, 1);
	return c->bev;
}

static struct conn *
conn_of(struct httpd *h, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent	*bev;
	int			 fd;

	if (evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    (fd = bufferevent_getfd(bev)) < 0 || (size_t)fd >= h->nbyfd ||
	    h->byfd[fd] == NULL || h->byfd[fd]->bev != bev)
		return NULL;
	return h->byfd[fd];
}

/* The answer is out: evhttp frees the connection or waits for the next
 * request; the check sees which. */
static void
answered_cb(struct evhttp_request *req, void *arg)
{
	struct conn	*c = arg;

	metrics_http(c->route, evhttp_request_get_response_code(req));
	if (!c->answered) {
		c->answered = 1;
		TAILQ_REMOVE(&c->h->conns, c, entry);
		TAILQ_INSERT_TAIL(&c->h->answered, c, entry);
	}
	event_active(c->h->check, EV_TIMEOUT, 1);
}

/* Every request read whole comes here first. */
static void
dispatch_cb(struct evhttp_request *req, void *arg)
{
	struct route	*rt = arg;
	struct conn	*c;

	if ((c = conn_of(rt->h, req)) != NULL) {
		c->deadline_ms = mono_ms() + rt->h->lim.keepalive_ms;
		c->route = rt->label;
		evhttp_request_set_on_complete_cb(req, answered_cb, c);
	}
	rt->fn(req, rt->arg);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd	*h = arg;

	(void)fd;
	(void)what;
	if (h->listener != NULL)
		evconnlistener_enable(h->listener);
}

/* accept() failed.  Out of descriptors, the listening socket stays
 * readable: pause instead of spinning, and say so once a second. */
static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct httpd	*h;
	int		 err = EVUTIL_SOCKET_ERROR();
	long long	 now = mono_ms();
	struct timeval	 tv = ms_to_tv(ACCEPT_PAUSE_MS);

	(void)arg;		/* evhttp's */
	LIST_FOREACH(h, &all_httpd, entry)
		if (h->listener == l)
			break;
	if (h == NULL)
		return;
	conns_sweep(h);		/* descriptors evhttp let go of */
	h->accept_failed++;
	if (now - h->accept_logged_ms >= 1000) {
		log_warnx("event=accept-failed error=\"%s\" failures=%lu "
		    "connections=%u", evutil_socket_error_to_string(err),
		    h->accept_failed, h->nconns);
		h->accept_logged_ms = now;
		h->accept_failed = 0;
	}
	evconnlistener_disable(l);
	evtimer_add(h->resume, &tv);
}

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

/* RFC 7231's IMF-fixdate of now, remade when the second changes; the
 * names are spelled out, not taken from the locale. */
static const char *
http_date(void)
{
	static const char	 days[][4] = { "Sun", "Mon", "Tue", "Wed",
				    "Thu", "Fri", "Sat" };
	static const char	 months[][4] = { "Jan", "Feb", "Mar", "Apr",
				    "May", "Jun", "Jul", "Aug", "Sep", "Oct",
				    "Nov", "Dec" };
	static char		 date[32];
	static time_t		 made = -1;
	time_t			 now = time(NULL);
	struct tm		 tm;

	if (now != made && gmtime_r(&now, &tm) != NULL) {
		snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d "
		    "GMT", days[tm.tm_wday % 7], tm.tm_mday,
		    months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		made = now;
	}
	return date;
}

void
httpd_send(struct evhttp_request *req, int code, const char *reason,
    struct evbuffer *body)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Date",
	    http_date());
	evhttp_send_reply(req, code, reason, body);
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
	httpd_send(req, code, reason, buf);
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
	httpd_send(req, code, reason, buf);
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

static struct route *
route_new(struct httpd *h, const char *path, httpd_handler fn, void *arg)
{
	struct route	*rt = xcalloc(1, sizeof *rt);

	rt->h = h;
	rt->path = path != NULL ? xstrdup(path) : NULL;
	rt->fn = fn;
	rt->arg = arg;
	rt->label = metrics_intern(path != NULL ? path : "other");
	LIST_INSERT_HEAD(&h->routes, rt, entry);
	return rt;
}

static void
route_free(struct route *rt)
{
	LIST_REMOVE(rt, entry);
	free(rt->path);
	free(rt);
}

struct httpd *
httpd_new(struct event_base *base, int fd)
{
	struct httpd	*h = xcalloc(1, sizeof *h);
	struct timeval	 tv = ms_to_tv(SWEEP_MS);

	h->base = base;
	TAILQ_INIT(&h->conns);
	TAILQ_INIT(&h->fresh);
	TAILQ_INIT(&h->answered);
	LIST_INIT(&h->routes);
	httpd_set_limits(h, NULL);
	if ((h->http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_max_body_size(h->http, HTTPD_MAX_BODY);
	evhttp_set_max_headers_size(h->http, HTTPD_MAX_HEADERS);
	evhttp_set_timeout(h->http, HTTPD_IDLE_TIMEOUT_S);
	evhttp_set_allowed_methods(h->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_bevcb(h->http, bev_cb, h);
	evhttp_set_gencb(h->http, dispatch_cb,
	    route_new(h, NULL, httpd_notfound, NULL));
	if (httpd_route(h, "/health", httpd_health, NULL) == -1)
		fatalx("cannot route /health");
	h->check = event_new(base, -1, 0, check_cb, h);
	h->sweep = event_new(base, -1, EV_PERSIST, sweep_cb, h);
	h->resume = evtimer_new(base, resume_cb, h);
	if (h->check == NULL || h->sweep == NULL || h->resume == NULL)
		fatalx("event_new failed");
	event_add(h->sweep, &tv);
	if ((h->bound = evhttp_accept_socket_with_handle(h->http, fd)) ==
	    NULL)
		fatalx("cannot serve on the listening socket");
	h->listener = evhttp_bound_socket_get_listener(h->bound);
	evconnlistener_set_error_cb(h->listener, accept_error_cb);
	LIST_INSERT_HEAD(&all_httpd, h, entry);
	return h;
}

void
httpd_set_limits(struct httpd *h, const struct httpd_limits *l)
{
	struct rlimit	 rl;
	unsigned long	 fds = 1024;

	h->lim = l != NULL ? *l : (struct httpd_limits){ 0 };
	free(proxies);
	proxies = NULL;
	nproxies = h->lim.nproxies;
	if (nproxies > 0) {
		proxies = xreallocarray(NULL, nproxies, sizeof *proxies);
		memcpy(proxies, h->lim.proxies, nproxies * sizeof *proxies);
	}
	h->lim.proxies = NULL;
	if (h->lim.max_connections == 0) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			fds = rl.rlim_cur;
		else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			fds = 1UL << 20;
		h->lim.max_connections = fds > 2 * FD_RESERVE ?
		    (unsigned)(fds - FD_RESERVE) : FD_RESERVE;
	}
	if (h->lim.max_per_address == 0)
		h->lim.max_per_address = DEFAULT_PER_ADDRESS;
	if (h->lim.request_ms == 0)
		h->lim.request_ms = DEFAULT_REQUEST_MS;
	if (h->lim.keepalive_ms == 0)
		h->lim.keepalive_ms = DEFAULT_KEEPALIVE_MS;
}

unsigned long
httpd_raise_fd_limit(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 :
	    (unsigned long)rl.rlim_cur;
}

/* Reads one address of X-Forwarded-For into ss; -1 if it is none. */
static int
forwarded_addr(const char *s, size_t len, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*in = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)(void *)ss;
	char			 buf[64];

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof *ss);
	if (evutil_inet_pton(AF_INET, buf, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return 0;
	}
	if (evutil_inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

int
httpd_client_allowed(struct evhttp_request *req,
    const struct access_net *nets, size_t n)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const struct sockaddr	*peer = conn != NULL ?
				    evhttp_connection_get_addr(conn) : NULL;
	struct evkeyvalq	*hdrs = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	struct sockaddr_storage	 ss;
	const char		*chain = NULL, *end, *comma;
	char			*all = NULL;

	if (peer == NULL)
		return 0;
	if (nproxies == 0 || !access_allowed(proxies, nproxies, peer))
		return access_allowed(nets, n, peer);
	/* Several X-Forwarded-For headers read as one list, in order. */
	TAILQ_FOREACH(kv, hdrs, next) {
		if (strcasecmp(kv->key, "X-Forwarded-For") != 0)
			continue;
		if (all == NULL)
			all = xstrdup(kv->value);
		else {
			char	*joined;

			xasprintf(&joined, "%s,%s", all, kv->value);
			free(all);
			all = joined;
		}
	}
	if (all == NULL)
		return access_allowed(nets, n, peer);
	/* From the right: past the trusted proxies to the first other. */
	chain = all;
	end = chain + strlen(chain);
	for (;;) {
		comma = end;
		while (comma > chain && comma[-1] != ',')
			comma--;
		if (forwarded_addr(comma, (size_t)(end - comma), &ss) == -1)
			break;
		if (!access_allowed(proxies, nproxies,
		    (struct sockaddr *)&ss) || comma == chain) {
			free(all);
			return access_allowed(nets, n,
			    (struct sockaddr *)&ss);
		}
		end = comma - 1;
	}
	free(all);
	return 0;
}

int
httpd_route(struct httpd *h, const char *path, httpd_handler fn, void *arg)
{
	struct route	*rt = route_new(h, path, fn, arg);

	if (evhttp_set_cb(h->http, path, dispatch_cb, rt) != 0) {
		route_free(rt);
		return -1;
	}
	return 0;
}

void
httpd_unroute(struct httpd *h, const char *path)
{
	struct route	*rt;

	LIST_FOREACH(rt, &h->routes, entry)
		if (rt->path != NULL && strcmp(rt->path, path) == 0)
			break;
	if (rt == NULL)
		return;
	evhttp_del_cb(h->http, path);
	route_free(rt);
}

void
httpd_stop_accepting(struct httpd *h)
{
	if (h->bound != NULL) {
		evhttp_del_accept_socket(h->http, h->bound);
		h->bound = NULL;
		h->listener = NULL;
		evtimer_del(h->resume);
	}
}

void
httpd_free(struct httpd *h)
{
	struct conn	*c;

	if (h == NULL)
		return;
	LIST_REMOVE(h, entry);
	evhttp_free(h->http);
	/* evhttp has let go of every connection: let ours go too. */
	while ((c = TAILQ_FIRST(&h->fresh)) != NULL) {
		TAILQ_REMOVE(&h->fresh, c, entry);
		TAILQ_INSERT_TAIL(&h->conns, c, entry);
	}
	while ((c = TAILQ_FIRST(&h->answered)) != NULL) {
		TAILQ_REMOVE(&h->answered, c, entry);
		TAILQ_INSERT_TAIL(&h->conns, c, entry);
	}
	while ((c = TAILQ_FIRST(&h->conns)) != NULL)
		conn_release(c);
	while (!LIST_EMPTY(&h->routes))
		route_free(LIST_FIRST(&h->routes));
	event_free(h->check);
	event_free(h->sweep);
	event_free(h->resume);
	free(h->byfd);
	free(h);
}
