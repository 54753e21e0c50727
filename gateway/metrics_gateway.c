/*
 * The gateway's own metrics: what the modules count, one call each at the
 * point where it happens (metrics.h).  The families are made together in
 * families_up(), so their names, help texts, labels and buckets read as
 * one table, and a scrape lists all of them from the start.
 *
 * Callers hand label values from the configuration or from fixed sets
 * (outcomes, results, transports); the service of a hop is its configured
 * code, never a code a subscriber dialled that is not served.
 */
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "util.h"
#include "version.h"

/* Seconds: 0.5 ms ... 2.5 s, the span of a hop's deadline. */
static const double hop_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5,
};

static const char *const no_labels[] = { NULL };
static const char *const version_labels[] = { "version", NULL };
static const char *const result_labels[] = { "result", NULL };
static const char *const hop_labels[] = { "service", "transport",
	"outcome", NULL };
static const char *const hop_time_labels[] = { "service", "transport",
	NULL };
static const char *const http_labels[] = { "route", "status", NULL };
static const char *const adapter_labels[] = { "adapter", "result", NULL };
static const char *const adapter_time_labels[] = { "adapter", NULL };
static const char *const mo_labels[] = { "smsc", "kind", NULL };
static const char *const reason_labels[] = { "reason", NULL };
static const char *const kind_labels[] = { "kind", NULL };
static const char *const state_labels[] = { "state", NULL };
static const char *const sms_labels[] = { "service", "command", "outcome",
	NULL };
static const char *const smsc_labels[] = { "smsc", NULL };

static const struct {
	const char		*name;
	const char		*help;
	const char *const	*labels;
} counters[METRICS_NCOUNTERS] = {
	[METRICS_LIMITED] = { "asanigw_limited_total",
	    "Subscribers held back by a limit, by kind.", kind_labels },
	[METRICS_SENDSMS] = { "asanigw_sendsms_total",
	    "Messages sent through Kannel's sendsms, by result (ok, failed).",
	    result_labels },
	[METRICS_DLR] = { "asanigw_dlr_total",
	    "Delivery reports from Kannel, by state.", state_labels },
	[METRICS_NOTIFY] = { "asanigw_notify_total",
	    "Back office notifications, by result (sent, failed, duplicate, "
	    "replayed, suppressed, refused).", result_labels },
	[METRICS_KANNEL_REFUSED] = { "asanigw_kannel_refused_total",
	    "Calls to the Kannel endpoints refused, by reason.",
	    reason_labels },
	[METRICS_ABORTED] = { "asanigw_sessions_aborted_total",
	    "USSD sessions the network gave up (Kannel's abort), by smsc.",
	    smsc_labels },
};

/* Seconds Redis takes: 0.1 ms ... 1 s (the store's timeouts are below). */
static const double redis_buckets[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1,
};

/* Seconds a back office takes: 5 ms ... 30 s. */
static const double delivery_buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

static struct {
	struct metrics_family	*build, *generation, *reloads;
	struct metrics_family	*hops, *hop_seconds;
	struct metrics_family	*http;
	struct metrics_family	*lookups, *deliveries, *delivery_seconds;
	struct metrics_family	*kannel_mo;
	struct metrics_family	*redis_seconds, *redis_errors;
	struct metrics_family	*sms;
	struct metrics_family	*counters[METRICS_NCOUNTERS];
	struct metrics_series	*redis_now, *redis_up, *redis_changes;
	struct metrics_series	*ob_up, *ob_waiting, *ob_pending, *ob_dead;
	struct metrics_series	*ob_oldest;
	struct metrics_series	*generation_now;
	int			 up;
} m;

/* A gauge with no labels, and its one series. */
static struct metrics_series *
gauge(const char *name, const char *help)
{
	return metrics_get(metrics_family(name, help, METRICS_GAUGE,
	    no_labels, NULL, 0), NULL);
}

static void
families_up(void)
{
	if (m.up)
		return;
	m.up = 1;
	m.build = metrics_family("asanigw_build_info",
	    "A constant 1, labelled with the version of the gateway.",
	    METRICS_GAUGE, version_labels, NULL, 0);
	m.generation = metrics_family("asanigw_config_generation",
	    "The configuration serving now: 1 at start, one more per "
	    "reload that took.", METRICS_GAUGE, no_labels, NULL, 0);
	m.reloads = metrics_family("asanigw_config_reloads_total",
	    "SIGHUP reloads by result (ok, failed).", METRICS_COUNTER,
	    result_labels, NULL, 0);
	m.hops = metrics_family("asanigw_hops_total",
	    "USSD hops answered, by service, transport and outcome.",
	    METRICS_COUNTER, hop_labels, NULL, 0);
	m.hop_seconds = metrics_family("asanigw_hop_duration_seconds",
	    "From a hop's arrival to its answer.", METRICS_HISTOGRAM,
	    hop_time_labels, hop_buckets,
	    sizeof hop_buckets / sizeof hop_buckets[0]);
	m.http = metrics_family("asanigw_http_requests_total",
	    "HTTP requests answered, by route and status.", METRICS_COUNTER,
	    http_labels, NULL, 0);
	m.lookups = metrics_family("asanigw_lookups_total",
	    "Lookups of lookup screens, by adapter and result (found, "
	    "not_found, failed, late, dropped).", METRICS_COUNTER,
	    adapter_labels, NULL, 0);
	m.deliveries = metrics_family("asanigw_outbox_deliveries_total",
	    "Requests the outbox handed to a back office, by adapter and "
	    "result (ok, retry, failed).", METRICS_COUNTER, adapter_labels,
	    NULL, 0);
	m.delivery_seconds = metrics_family(
	    "asanigw_outbox_delivery_duration_seconds",
	    "From handing a request to its back office to the answer.",
	    METRICS_HISTOGRAM, adapter_time_labels, delivery_buckets,
	    sizeof delivery_buckets / sizeof delivery_buckets[0]);
	m.kannel_mo = metrics_family("asanigw_kannel_mo_total",
	    "Messages from Kannel's smsbox, by smsc and kind (ussd, sms).",
	    METRICS_COUNTER, mo_labels, NULL, 0);
	m.redis_seconds = metrics_family("asanigw_redis_command_duration_seconds",
	    "From sending a command to Redis to its reply.",
	    METRICS_HISTOGRAM, no_labels, redis_buckets,
	    sizeof redis_buckets / sizeof redis_buckets[0]);
	m.redis_errors = metrics_family("asanigw_redis_errors_total",
	    "Redis commands that failed, by kind (timeout, disconnected, "
	    "refused, error_reply, other).", METRICS_COUNTER, kind_labels,
	    NULL, 0);
	m.redis_now = metrics_get(m.redis_seconds, NULL);
	m.redis_up = gauge("asanigw_redis_connections_up",
	    "The gateway's Redis connections connected to the master now "
	    "(sessions and outbox, replica waits, redis-stream adapters).");
	m.redis_changes = metrics_get(metrics_family(
	    "asanigw_redis_master_changes_total",
	    "Times a Redis connection came up on another master than before "
	    "(a Sentinel failover followed).", METRICS_COUNTER, no_labels,
	    NULL, 0), NULL);
	m.sms = metrics_family("asanigw_sms_commands_total",
	    "SMS commands answered, by service, command and outcome.",
	    METRICS_COUNTER, sms_labels, NULL, 0);
	for (size_t i = 0; i < METRICS_NCOUNTERS; i++)
		m.counters[i] = metrics_family(counters[i].name,
		    counters[i].help, METRICS_COUNTER, counters[i].labels,
		    NULL, 0);
	m.ob_up = gauge("asanigw_outbox_up", "1 if the last scrape could "
	    "read the outbox's figures from the store, else 0.");
	m.ob_waiting = gauge("asanigw_outbox_waiting",
	    "Confirmed requests in the outbox, delivered or not yet.");
	m.ob_pending = gauge("asanigw_outbox_pending",
	    "Requests handed to a gateway and not yet acknowledged.");
	m.ob_dead = gauge("asanigw_outbox_dead",
	    "Dead letters: requests no back office took.");
	m.ob_oldest = gauge("asanigw_outbox_oldest_age_seconds",
	    "Age of the oldest request in the outbox; 0 when it is empty.");
	m.generation_now = metrics_get(m.generation, NULL);
}

void
metrics_start(void)
{
	families_up();
	metrics_set(metrics_get(m.build,
	    (const char *[]){ ASANIGW_VERSION }), 1);
	metrics_set(m.generation_now, 1);
	metrics_get(m.reloads, (const char *[]){ "ok" });
	metrics_get(m.reloads, (const char *[]){ "failed" });
}

void
metrics_reload(int ok)
{
	families_up();
	metrics_add(metrics_get(m.reloads,
	    (const char *[]){ ok ? "ok" : "failed" }), 1);
	if (ok)
		metrics_add(m.generation_now, 1);
}

void
metrics_hop(const char *service, const char *transport, const char *outcome,
    double seconds)
{
	families_up();
	metrics_add(metrics_get(m.hops,
	    (const char *[]){ service, transport, outcome }), 1);
	metrics_observe(metrics_get(m.hop_seconds,
	    (const char *[]){ service, transport }), seconds);
}

void
metrics_http(const char *route, int status)
{
	char	 code[21];

	families_up();
	dec_str(code, (unsigned)status);
	metrics_add(metrics_get(m.http, (const char *[]){ route, code }), 1);
}

void
metrics_lookup(const char *adapter, const char *result)
{
	families_up();
	metrics_add(metrics_get(m.lookups,
	    (const char *[]){ adapter, result }), 1);
}

void
metrics_delivery(const char *adapter, const char *result, double seconds)
{
	families_up();
	metrics_add(metrics_get(m.deliveries,
	    (const char *[]){ adapter, result }), 1);
	metrics_observe(metrics_get(m.delivery_seconds,
	    (const char *[]){ adapter }), seconds);
}

void
metrics_kannel_mo(const char *smsc, const char *kind)
{
	families_up();
	metrics_add(metrics_get(m.kannel_mo,
	    (const char *[]){ smsc, kind }), 1);
}

/* The store's sentences (store.c), as kinds. */
static const char *
redis_error_kind(const char *err)
{
	if (strstr(err, "in time") != NULL)
		return "timeout";
	if (strstr(err, "not connected") != NULL ||
	    strstr(err, "lost") != NULL)
		return "disconnected";
	if (strstr(err, "refused") != NULL)
		return "refused";
	if (strcmp(err, "error reply") == 0)
		return "error_reply";
	return "other";
}

void
metrics_redis(double seconds, const char *err)
{
	families_up();
	if (seconds >= 0)
		metrics_observe(m.redis_now, seconds);
	if (err != NULL)
		metrics_add(metrics_get(m.redis_errors,
		    (const char *[]){ redis_error_kind(err) }), 1);
}

void
metrics_outbox(long long waiting, long long pending, long long dead,
    long long oldest_ms)
{
	families_up();
	metrics_set(m.ob_up, waiting >= 0);
	if (waiting < 0)
		return;
	metrics_set(m.ob_waiting, (double)waiting);
	metrics_set(m.ob_pending, (double)pending);
	metrics_set(m.ob_dead, (double)dead);
	metrics_set(m.ob_oldest, oldest_ms > 0 ? (double)oldest_ms / 1000 : 0);
}

void
metrics_sms(const char *service, const char *command, const char *outcome)
{
	families_up();
	metrics_add(metrics_get(m.sms,
	    (const char *[]){ service, command, outcome }), 1);
}

void
metrics_count(enum metrics_counter c, const char *value)
{
	families_up();
	metrics_add(metrics_get(m.counters[c], (const char *[]){ value }), 1);
}

void
metrics_redis_up(int delta)
{
	families_up();
	metrics_add(m.redis_up, delta);
}

void
metrics_redis_master_changed(void)
{
	families_up();
	metrics_add(m.redis_changes, 1);
}
