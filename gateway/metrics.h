/*
 * The gateway's numbers, for Prometheus: counters, gauges and histograms
 * kept in this process and rendered as the text exposition format
 * (version 0.0.4) on GET /metrics (metrics_http.h).
 *
 * A family is a metric name with a fixed list of label names.  A series
 * is one family with one value per label; it is made the first time it is
 * asked for and kept for the life of the process, so a SIGHUP neither
 * resets a counter nor makes a second series for it, and the hop path
 * allocates nothing once its series exist.  Label values must come from
 * the configuration or the menus (services, screens, languages,
 * transports, adapters, smsc ids, outcomes), never from what a subscriber
 * sent: that bounds the series by the menus.  A family still refuses
 * series past METRICS_SERIES_MAX and counts what it refused.
 *
 * Single-threaded, like the rest of the daemon.
 */
#ifndef ASANIGW_METRICS_H
#define ASANIGW_METRICS_H

#include <stddef.h>

#define METRICS_SERIES_MAX	20000	/* per family */
#define METRICS_LABELS_MAX	5

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

struct metrics_family;
struct metrics_series;
struct evbuffer;

/* A family; name, help, labels (NULL-terminated, at most
 * METRICS_LABELS_MAX) and buckets (ascending upper bounds, histograms
 * only) are borrowed for the life of the process: string literals and
 * static arrays.  Families are rendered in the order they were made. */
struct metrics_family *metrics_family(const char *name, const char *help,
		    enum metrics_type, const char *const *labels,
		    const double *buckets, size_t nbuckets);

/* The series of f with these label values (one per label name; NULL
 * reads as ""), made on first use with the values copied.  NULL once f
 * holds METRICS_SERIES_MAX series; the verbs below take NULL and do
 * nothing. */
struct metrics_series *metrics_get(struct metrics_family *,
		    const char *const *values);

void		 metrics_add(struct metrics_series *, double);
void		 metrics_set(struct metrics_series *, double);
void		 metrics_observe(struct metrics_series *, double);
/* The value of a counter or gauge, the count of a histogram; 0 for NULL.
 * For tests. */
double		 metrics_value(const struct metrics_series *);

/* Appends every family in the exposition format to buf, the process_
 * metrics first. */
void		 metrics_render(struct evbuffer *);

/* Frees every family and series (at exit, so leak checkers stay quiet). */
void		 metrics_free_all(void);

/*
 * The gateway's own metrics (metrics_gateway.c), one call at the point
 * where each happens.  Each family exists from metrics_start() on, so a
 * scrape lists every metric the gateway has, with samples or not.
 */
/* Once at start: build information and the first generation. */
void		 metrics_start(void);
/* A SIGHUP: ok 1 if the new configuration serves now. */
void		 metrics_reload(int ok);
/* A hop ended: service code ("" unknown), transport name, outcome. */
void		 metrics_hop(const char *service, const char *transport,
		    const char *outcome, double seconds);
/* A stable copy of s, the same pointer for the same text: for a label
 * value that must outlive what it came from (a route's path). */
const char	*metrics_intern(const char *s);
/* An HTTP answer: route is the routed path ("other" for none). */
void		 metrics_http(const char *route, int status);
/* A lookup's end: result found, not_found, failed, late (the hop went
 * on without it) or dropped (its answer came after that). */
void		 metrics_lookup(const char *adapter, const char *result);
/* A delivery from the outbox: result ok, retry or failed. */
void		 metrics_delivery(const char *adapter, const char *result,
		    double seconds);
/* A message from Kannel's smsbox on smsc (kind ussd or sms). */
void		 metrics_kannel_mo(const char *smsc, const char *kind);
/* A Redis command's end: seconds until its reply (< 0: none came), and
 * err, the store's sentence when it failed (NULL: it did not). */
void		 metrics_redis(double seconds, const char *err);
/* A Redis connection of the gateway came up (1) or went down (-1). */
void		 metrics_redis_up(int delta);
/* A Redis connection came up on another master than it last had. */
void		 metrics_redis_master_changed(void);
/* An SMS command answered: service code, command id ("" none) and
 * outcome. */
void		 metrics_sms(const char *service, const char *command,
		    const char *outcome);

/* The counters with one label, and what their value names. */
enum metrics_counter {
	METRICS_LIMITED,	/* a subscriber held back: the limit's kind */
	METRICS_SENDSMS,	/* a message sent through sendsms: ok, failed */
	METRICS_DLR,		/* a delivery report: its state */
	METRICS_NOTIFY,		/* a back office's notification: sent,
				 * failed, duplicate, replayed, suppressed,
				 * refused */
	METRICS_KANNEL_REFUSED,	/* a Kannel call refused: the reason, a
				 * fixed sentence */
	METRICS_ABORTED,	/* a USSD session the network gave up
				 * (Kannel's abort): the smsc */
	METRICS_NCOUNTERS
};
void		 metrics_count(enum metrics_counter, const char *value);
/* The outbox as the store counts it (waiting < 0: it could not say; the
 * gauges keep their last values and asanigw_outbox_up is 0). */
void		 metrics_outbox(long long waiting, long long pending,
		    long long dead, long long oldest_ms);

#endif
