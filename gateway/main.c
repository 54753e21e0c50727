/*
 * asanigw: a USSD/SMS gateway for feature phones.  main() builds the
 * long-lived parts once, in the order they need each other — the store,
 * the outbox, the SMS commands, the engine, the HTTP server and its
 * routes — and frees them in the reverse order.  GET /ready, for load
 * balancers, says whether this gateway can take traffic: /health only
 * says the process answers.  The outbox and the SMS
 * commands reach the engine only through the small functions below,
 * which find it in struct daemon: they are made before it, and it is
 * handed both, so no module includes the header of one that includes
 * its own.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/rand.h>

#include "admin.h"
#include "notify.h"
#include "conf.h"
#include "engine.h"
#include "httpd.h"
#include "ingress_aggregator.h"
#include "ingress_kannel.h"
#include "ledger.h"
#include "log.h"
#include "menu_diff.h"
#include "menu_dot.h"
#include "funnel.h"
#include "metrics.h"
#include "metrics_http.h"
#include "outbox.h"
#include "sdnotify.h"
#include "sendsms.h"
#include "simulator.h"
#include "sms.h"
#include "store.h"
#include "version.h"
#include "xmalloc.h"

/* How long SIGTERM waits for in-flight hops beyond their deadline. */
#define DRAIN_GRACE_MS	1000
/* How long no hop must be in flight before it exits: a request read in
 * part when the signal came is not a hop yet and must become one, and
 * the last replies must be written out. */
#define DRAIN_QUIET_MS	200

struct daemon {
	struct event_base		*base;
	const char			*path;		/* configuration file */
	struct conf			*boot;		/* as read at start; the
							 * engine owns it */
	char				*pidfile;
	char				*fixed;		/* what a reload cannot
							 * change, as text */
	struct store			*store;
	struct store			*durable;	/* adds waited for on
							 * replicas; or NULL */
	struct outbox			*outbox;
	struct ledger			*ledger;	/* or NULL */
	struct sms			*sms;
	struct engine			*engine;
	struct httpd			*httpd;
	struct ingress_aggregator	*aggregator;
	struct ingress_kannel		*kannel;
	struct sendsms			*sendsms;
	struct admin			*admin;
	struct simulator		*simulator;
	struct notify			*notify;
	struct metrics_http		*metrics;
	struct event			*drain;
	int				 stopping;
	int				 interrupts;
	int				 drained_in_time;
};

static __attribute__((noreturn)) void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: asanigw [-dhtV] [-c file] [-G service|file [-L lang]]\n"
	    "       asanigw -D old.menu new.menu\n"
	    "  -c file  configuration (default /etc/asanigw/asanigw.conf)\n"
	    "  -d       stay in the foreground and log to stderr\n"
	    "  -t       check the configuration and every menu it names,\n"
	    "           print \"configuration OK\" or every error, and exit\n"
	    "  -D old new  list what new.menu changes for callers of old.menu;\n"
	    "           exit 0 nothing, 1 notes only, 2 a known path breaks,\n"
	    "           3 a file has errors\n"
	    "  -G what  print the menu of a service code, or a .menu file, as\n"
	    "           Graphviz DOT (labels in -L lang) and exit\n"
	    "  -V       print the version and exit\n"
	    "  -h       this help\n"
	    "Signals: SIGTERM (or SIGINT) stops accepting, finishes the hops\n"
	    "in flight and exits; a second SIGINT exits at once.  SIGHUP\n"
	    "reads the configuration and menus again, keeping the running\n"
	    "ones if they have errors.\n");
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
	if (waited_ms > engine_conf(d->engine)->hop_deadline_ms +
	    DRAIN_GRACE_MS) {
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
	sdnotify("STOPPING=1");
	log_info("event=shutdown signal=%d inflight=%u", (int)sig,
	    engine_inflight(d->engine));
	httpd_stop_accepting(d->httpd);
	drain_check(-1, 0, d);
}

/* The outbox's delivery, through the engine serving now. */
static void
deliver(void *arg, const struct request *r, outbox_done_cb done,
    void *done_arg)
{
	struct daemon	*d = arg;

	engine_deliver(d->engine, r, done, done_arg);
}

/* The SMS commands' host (sms.h): the engine's generations and lookup. */
static struct gen *
sms_hold(void *arg, const struct conf **conf)
{
	struct daemon	*d = arg;
	struct gen	*g = engine_hold(d->engine);

	*conf = gen_conf(g);
	return g;
}

static void
sms_release(void *arg, struct gen *g)
{
	(void)arg;
	engine_release(g);
}

static void
sms_lookup(void *arg, struct gen *g, const char *service,
    const struct query *q, unsigned timeout_ms, adapter_answer_cb cb,
    void *cb_arg)
{
	struct daemon	*d = arg;

	engine_lookup(d->engine, g, service, q, timeout_ms, cb, cb_arg);
}

/* The outbox, the SMS commands and the engine, from the configuration
 * read at start (which the engine takes). */
static void
engine_up(struct daemon *d)
{
	const struct conf_outbox *o = &d->boot->outbox;
	const struct conf_ledger *l = d->boot->ledger;
	char			 err[256];

	if (l != NULL && (d->ledger = ledger_new(d->base, d->store,
	    &(struct ledger_params){
		.file = l->file,
		.key = l->key,
		.checkpoint_entries = l->checkpoint_entries,
		.checkpoint_ms = l->checkpoint_seconds * 1000,
		.batch = l->batch,
		.dedupe_ttl = o->dedupe_ttl,
		.fields = (const char *const *)l->fields,
		.nfields = l->nfields,
	}, err, sizeof err)) == NULL)
		fatalx("%s", err);
	d->outbox = outbox_new(d->base, d->store, &(struct outbox_params){
		.replicas = o->replicas,
		.replica_wait_ms = o->replica_wait_ms,
		.durable = d->durable,
		.consumer = o->consumer,
		.attempts = o->attempts,
		.backoff_min_ms = o->backoff_min_ms,
		.backoff_max_ms = o->backoff_max_ms,
		.claim_idle_ms = o->claim_idle_ms,
		.batch = o->batch,
		.inflight = o->inflight,
		.dedupe_ttl = o->dedupe_ttl,
		.redrive_after_ms = o->redrive_after_ms,
		.redrive_max = o->redrive_max,
		.redrive_batch = o->redrive_batch,
		.ledger = d->ledger,
	}, deliver, d);
	d->sms = sms_new(&(struct sms_host){
		.base = d->base,
		.ctx = d,
		.hold = sms_hold,
		.release = sms_release,
		.lookup = sms_lookup,
	}, d->store, d->outbox);
	if ((d->engine = engine_new(d->base, d->boot, d->store, d->outbox,
	    d->sms, err, sizeof err)) == NULL)
		fatalx("%s", err);
	engine_set_ledger(d->engine, d->ledger);
}

/*
 * GET /ready: 200 "ready" when this gateway can serve — the
 * configuration is loaded, the Redis master connected, the outbox
 * delivering — else 503 with the first reason it cannot.
 */
static void
ready(struct evhttp_request *req, void *arg)
{
	struct daemon	*d = arg;
	const char	*why = NULL;

	if (!httpd_method_is(req, EVHTTP_REQ_GET, "GET"))
		return;
	if (d->engine == NULL)
		why = "not ready: configuration not loaded";
	else if (d->stopping)
		why = "not ready: stopping";
	else if (!store_connected(d->store) ||
	    (d->durable != NULL && !store_connected(d->durable)))
		why = "not ready: no redis master connected";
	else if (!outbox_running(d->outbox))
		why = "not ready: outbox not running";
	httpd_reply_text(req, why ? 503 : 200, why ? "Service Unavailable" :
	    "OK", why ? why : "ready");
}

/* A store's parameters from the configuration; timeout_ms more for the
 * WAITs of the durable store. */
static struct store_params
store_params_of(const struct conf *c, unsigned extra_ms)
{
	return (struct store_params){
		.host = c->redis_host,
		.port = c->redis_port,
		.sentinels = (const char *const *)c->redis_sentinels,
		.nsentinels = c->redis_nsentinels,
		.master_name = c->redis_master_name,
		.username = c->redis_username,
		.password = c->redis_password,
		.db = c->redis_db,
		.timeout_ms = c->redis_timeout_ms + extra_ms,
	};
}

/* Routes every transport and the admin endpoints from c. */
static void
routes_up(struct daemon *d, const struct conf *c)
{
	char	 err[256];

	httpd_set_limits(d->httpd, &(struct httpd_limits){
		.max_connections = c->max_connections,
		.max_per_address = c->max_per_address,
		.request_ms = c->request_ms,
		.keepalive_ms = c->keepalive_ms,
		.proxies = c->trusted_proxies,
		.nproxies = c->ntrusted_proxies,
	});

	if ((d->aggregator = ingress_aggregator_new(d->httpd, c, d->engine,
	    err, sizeof err)) == NULL ||
	    (d->kannel = ingress_kannel_new(d->httpd, c, d->engine, d->store,
	    err, sizeof err)) == NULL ||
	    (d->admin = admin_new(d->httpd, c, d->engine, d->store,
	    d->sendsms, err, sizeof err)) == NULL ||
	    (d->simulator = simulator_new(d->httpd, c, d->engine, err,
	    sizeof err)) == NULL ||
	    (d->notify = notify_new(d->httpd, c, d->engine, d->store,
	    d->sendsms, err, sizeof err)) == NULL)
		fatalx("%s", err);
	if ((d->metrics = metrics_http_new(d->httpd, c, d->store, err,
	    sizeof err)) == NULL)
		fatalx("%s", err);
	notify_set_ledger(d->notify, d->ledger);
}

static void
routes_down(struct daemon *d)
{
	ingress_aggregator_free(d->aggregator);
	ingress_kannel_free(d->kannel);
	admin_free(d->admin);
	simulator_free(d->simulator);
	notify_free(d->notify);
	metrics_http_free(d->metrics);
	d->metrics = NULL;
	d->notify = NULL;
	d->aggregator = NULL;
	d->kannel = NULL;
	d->admin = NULL;
	d->simulator = NULL;
}

/* What -t warns about, and what it finds in a menu the daemon serves
 * all the same (a missing translation, a prompt too long for a page),
 * said by the daemon each time it loads the configuration: at start and
 * on every reload that takes.  One line a finding. */
static void
log_config_warnings(const struct conf *c)
{
	for (size_t i = 0; i < c->warnings.n; i++)
		log_warnx("event=config-warning msg=\"%s\"",
		    c->warnings.msgs[i]);
}

/*
 * SIGHUP: read the configuration and every menu again.  If anything is
 * wrong, say what and keep serving with what runs; otherwise new hops use
 * the new menus, services and adapters while hops in flight finish on the
 * old ones.  Listener, Redis and log key need a restart.
 */
static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;
	struct errlist	 errs = { 0 };
	struct conf	*c;
	char		 err[256], changed[256];

	(void)sig;
	(void)what;
	if (d->stopping)
		return;
	sdnotify_reloading();
	if ((c = conf_load(d->path, 0, &errs)) == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_errorx("event=reload-failed error=\"%s\"",
			    errs.msgs[i]);
		errlist_free(&errs);
		metrics_reload(0);
		log_warnx("event=reload-failed reason=\"configuration has "
		    "errors; still serving the previous one\"");
		sdnotify("READY=1\nSTATUS=reload failed: configuration has "
		    "errors; serving the previous one");
		return;
	}
	if (conf_restart_needed(d->fixed, c, changed, sizeof changed))
		log_warnx("event=reload changed=%s reason=\"listen, redis, "
		    "log.secret and kannel.sendsms changes need a restart; "
		    "they keep their old values\"", changed);
	/* The routes point into the running configuration: take them down
	 * before it may go, and set them up from whichever serves next.  No
	 * request can come in between. */
	routes_down(d);
	if (engine_reload(d->engine, c, err, sizeof err) == -1) {
		log_errorx("event=reload-failed error=\"%s\"", err);
		metrics_reload(0);
		conf_free(c);
		c = NULL;
	}
	routes_up(d, engine_conf(d->engine));
	sdnotify(c != NULL ? "READY=1\nSTATUS=serving" :
	    "READY=1\nSTATUS=reload failed; serving the previous one");
	if (c == NULL)
		return;
	log_level_current = (enum log_level)c->log_level;
	log_set_json(c->log_json);
	log_config_warnings(c);
	metrics_reload(1);
	log_info("event=reload services=%zu aggregators=%zu", c->nservices,
	    c->naggregators);
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
	const char	*graph = NULL, *lang = NULL;
	int		 ch, foreground = 0, check = 0, fd;
	struct errlist	 errs = { 0 };
	struct daemon	 d = { 0 };
	struct event	*ev_term, *ev_int, *ev_hup;
	struct event_config *cfg;
	struct store_params sp;
	char		 err[256];
	unsigned long	 fds;

	/* Libevent's own calloc() (a request, its headers, every buffer)
	 * is then malloc() and memset(): glibc's calloc() passes by its
	 * per-thread cache, and took a tenth of a hop in malloc's slow
	 * path.  Before libevent allocates anything. */
	event_set_mem_functions(malloc, realloc, free);

	while ((ch = getopt(argc, argv, "c:D:dG:hL:tV")) != -1) {
		switch (ch) {
		case 'D':
			if (optind + 1 != argc)
				usage(1);
			return menu_diff_files(optarg, argv[optind], stdout,
			    stderr);
		case 'c':
			path = optarg;
			break;
		case 'd':
			foreground = 1;
			break;
		case 'G':
			graph = optarg;
			break;
		case 'L':
			lang = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'V':
			printf("asanigw %s\n", ASANIGW_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (optind != argc || (lang != NULL && graph == NULL))
		usage(1);
	if (graph != NULL)
		return menu_dot_main(path, graph, lang);

	d.path = path;
	d.boot = conf_load(path, check, &errs);
	if (d.boot == NULL || check) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		errlist_free(&errs);
		if (d.boot == NULL) {
			fprintf(stderr, "configuration has errors\n");
			return 1;
		}
		for (size_t i = 0; i < d.boot->warnings.n; i++)
			fprintf(stderr, "%s\n", d.boot->warnings.msgs[i]);
		printf("configuration OK\n");
		conf_free(d.boot);
		return 0;
	}

	log_init(1, (enum log_level)d.boot->log_level);
	log_set_json(d.boot->log_json);
	set_log_secret(d.boot);
	log_libevent();
	log_config_warnings(d.boot);
	fds = httpd_raise_fd_limit();
	if ((fd = httpd_bind(d.boot->listen_address, d.boot->listen_port, err,
	    sizeof err)) == -1)
		fatalx("%s", err);
	if (!foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(0, (enum log_level)d.boot->log_level);
	}
	write_pidfile(d.boot->pidfile);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * evhttp turns reading and writing off and on around every request
	 * and answer; the changelist folds that into one epoll_ctl or none
	 * per turn of the loop.  (Unsafe only with dup()ed descriptors,
	 * which the gateway never makes.)
	 */
	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) ==
	    -1 || (d.base = event_base_new_with_config(cfg)) == NULL)
		fatalx("event_base_new failed");
	event_config_free(cfg);
	sp = store_params_of(d.boot, 0);
	d.store = store_new(d.base, &sp);
	if (d.boot->outbox.replicas > 0) {
		/* WAIT blocks its connection: not the one every hop uses. */
		sp = store_params_of(d.boot, d.boot->outbox.replica_wait_ms);
		d.durable = store_new(d.base, &sp);
	}
	d.pidfile = xstrdup(d.boot->pidfile);
	d.fixed = conf_restart_settings(d.boot);
	metrics_start();
	funnel_start();
	engine_up(&d);
	d.httpd = httpd_new(d.base, fd);
	if (d.boot->kannel != NULL && d.boot->kannel->sendsms_url[0] != '\0' &&
	    (d.sendsms = sendsms_new(d.base, d.boot->kannel, d.store, err,
	    sizeof err)) == NULL)
		fatalx("%s", err);
	routes_up(&d, d.boot);
	if (httpd_route(d.httpd, "/ready", ready, &d) == -1)
		fatalx("/ready is routed twice");

	d.drain = evtimer_new(d.base, drain_check, &d);
	ev_term = evsignal_new(d.base, SIGTERM, on_stop, &d);
	ev_int = evsignal_new(d.base, SIGINT, on_stop, &d);
	ev_hup = evsignal_new(d.base, SIGHUP, on_hup, &d);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);

	log_info("event=start listen=%s:%u services=%zu kannel=%s redis=%s:%u "
	    "sentinels=%zu master=%s replicas=%u fds=%lu pid=%ld",
	    d.boot->listen_address, d.boot->listen_port,
	    d.boot->nservices, d.boot->kannel ? d.boot->kannel->path : "-",
	    d.boot->redis_host, d.boot->redis_port, d.boot->redis_nsentinels,
	    d.boot->redis_master_name[0] ? d.boot->redis_master_name : "-",
	    d.boot->outbox.replicas, fds, (long)getpid());
	d.boot = NULL;		/* the engine's now, and gone on reload */
	/* Bound, configured and connected to the loop: what systemd waits
	 * for before it starts the units ordered after this one. */
	sdnotify("READY=1\nSTATUS=serving");
	event_base_dispatch(d.base);

	if (!d.drained_in_time) {
		/* Hops still hold requests and store calls: do not free
		 * what they point at, just go. */
		return 1;
	}
	routes_down(&d);
	httpd_free(d.httpd);
	sendsms_free(d.sendsms);
	sms_free(d.sms);
	outbox_free(d.outbox);
	engine_free(d.engine);
	ledger_free(d.ledger);
	store_free(d.durable);
	store_free(d.store);
	event_free(d.drain);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_base_free(d.base);
	if (d.pidfile[0] != '\0')
		unlink(d.pidfile);
	free(d.pidfile);
	free(d.fixed);
	metrics_free_all();
	log_info("event=stopped");
	return 0;
}
