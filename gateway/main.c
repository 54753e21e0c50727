/*
 * asanigw: a USSD/SMS gateway for feature phones.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "conf.h"
#include "engine.h"
#include "httpd.h"
#include "ingress_aggregator.h"
#include "log.h"
#include "store.h"

/* How long SIGTERM waits for in-flight hops beyond their deadline. */
#define DRAIN_GRACE_MS	1000
/* How long no hop must be in flight before it exits: a request read in
 * part when the signal came is not a hop yet and must become one, and
 * the last replies must be written out. */
#define DRAIN_QUIET_MS	200

struct daemon {
	struct event_base		*base;
	struct conf			*conf;
	struct store			*store;
	struct engine			*engine;
	struct httpd			*httpd;
	struct ingress_aggregator	*aggregator;
	struct event			*drain;
	int				 stopping;
	int				 interrupts;
	int				 drained_in_time;
};

static __attribute__((noreturn)) void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: asanigw [-dht] [-c file]\n"
	    "  -c file  configuration (default /etc/asanigw/asanigw.conf)\n"
	    "  -d       stay in the foreground and log to stderr\n"
	    "  -t       check the configuration and every menu it names,\n"
	    "           print \"configuration OK\" or every error, and exit\n"
	    "  -h       this help\n"
	    "Signals: SIGTERM (or SIGINT) stops accepting, finishes the hops\n"
	    "in flight and exits; a second SIGINT exits at once.\n");
	exit(code);
}

static void
drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;
	struct timeval	 tv = { 0, 10000 };
	static unsigned	 waited_ms, quiet_ms;

	(void)fd;
	(void)what;
	quiet_ms = engine_inflight(d->engine) == 0 ? quiet_ms + 10 : 0;
	if (quiet_ms > DRAIN_QUIET_MS) {
		d->drained_in_time = 1;
		event_base_loopbreak(d->base);
		return;
	}
	waited_ms += 10;
	if (waited_ms > d->conf->hop_deadline_ms + DRAIN_GRACE_MS) {
		log_warnx("event=shutdown inflight=%u reason=\"drain timed out\"",
		    engine_inflight(d->engine));
		event_base_loopbreak(d->base);
		return;
	}
	evtimer_add(d->drain, &tv);
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	(void)what;
	if (sig == SIGINT && ++d->interrupts >= 2) {
		log_warnx("event=shutdown reason=\"second SIGINT\"");
		_exit(1);
	}
	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("event=shutdown signal=%d inflight=%u", (int)sig,
	    engine_inflight(d->engine));
	httpd_stop_accepting(d->httpd);
	drain_check(-1, 0, d);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	log_warnx("event=sighup reason=\"reload is not supported yet; "
	    "restart to apply changes\"");
}

static void
write_pidfile(const char *path)
{
	FILE	*f;

	if (path[0] == '\0')
		return;
	if ((f = fopen(path, "w")) == NULL)
		fatal("pidfile %s", path);
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

static void
set_log_secret(const struct conf *c)
{
	unsigned char	 key[32];

	if (c->log_secret[0] != '\0') {
		log_set_secret(c->log_secret, strlen(c->log_secret));
		return;
	}
	if (RAND_bytes(key, sizeof key) != 1)
		fatalx("RAND_bytes failed");
	log_set_secret((const char *)key, sizeof key);
	log_info("event=secret reason=\"log.secret is empty: a random key "
	    "for this run; give every gateway of one deployment the same "
	    "secret\"");
}

int
main(int argc, char *argv[])
{
	const char	*path = "/etc/asanigw/asanigw.conf";
	int		 ch, foreground = 0, check = 0, fd;
	struct errlist	 errs = { 0 };
	struct daemon	 d = { 0 };
	struct event	*ev_term, *ev_int, *ev_hup;
	struct store_params sp;
	char		 err[256];

	while ((ch = getopt(argc, argv, "c:dht")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			foreground = 1;
			break;
		case 't':
			check = 1;
			break;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);

	d.conf = conf_load(path, check, &errs);
	if (d.conf == NULL || check) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		errlist_free(&errs);
		if (d.conf == NULL) {
			fprintf(stderr, "configuration has errors\n");
			return 1;
		}
		printf("configuration OK\n");
		conf_free(d.conf);
		return 0;
	}

	log_init(1, (enum log_level)d.conf->log_level);
	set_log_secret(d.conf);
	if ((fd = httpd_bind(d.conf->listen_address, d.conf->listen_port, err,
	    sizeof err)) == -1)
		fatalx("%s", err);
	if (!foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(0, (enum log_level)d.conf->log_level);
	}
	write_pidfile(d.conf->pidfile);
	signal(SIGPIPE, SIG_IGN);

	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	sp = (struct store_params){
		.host = d.conf->redis_host,
		.port = d.conf->redis_port,
		.password = d.conf->redis_password,
		.db = d.conf->redis_db,
		.timeout_ms = d.conf->redis_timeout_ms,
	};
	d.store = store_new(d.base, &sp);
	if ((d.engine = engine_new(d.base, d.conf, d.store, err,
	    sizeof err)) == NULL)
		fatalx("%s", err);
	d.httpd = httpd_new(d.base, fd);
	if ((d.aggregator = ingress_aggregator_new(d.httpd, d.conf, d.engine,
	    err, sizeof err)) == NULL)
		fatalx("%s", err);

	d.drain = evtimer_new(d.base, drain_check, &d);
	ev_term = evsignal_new(d.base, SIGTERM, on_stop, &d);
	ev_int = evsignal_new(d.base, SIGINT, on_stop, &d);
	ev_hup = evsignal_new(d.base, SIGHUP, on_hup, &d);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);

	log_info("event=start listen=%s:%u services=%zu redis=%s:%u "
	    "pid=%ld", d.conf->listen_address, d.conf->listen_port,
	    d.conf->nservices, d.conf->redis_host, d.conf->redis_port,
	    (long)getpid());
	event_base_dispatch(d.base);

	if (!d.drained_in_time) {
		/* Hops still hold requests and store calls: do not free
		 * what they point at, just go. */
		return 1;
	}
	httpd_free(d.httpd);
	ingress_aggregator_free(d.aggregator);
	engine_free(d.engine);
	store_free(d.store);
	event_free(d.drain);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_base_free(d.base);
	if (d.conf->pidfile[0] != '\0')
		unlink(d.conf->pidfile);
	log_info("event=stopped");
	conf_free(d.conf);
	return 0;
}
