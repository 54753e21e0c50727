/*
 * The registry of metrics.h and its text exposition.
 *
 * Every family keeps its series in a list (the order they are rendered
 * in) and in a small open hash table keyed by the label values joined
 * with NUL bytes, so finding the series of a hop is one hash of a few
 * short strings and one comparison, with no allocation once the series
 * exists.  Values are doubles, as Prometheus keeps them; a histogram
 * keeps one count per bucket (not cumulative; summed when rendered), a
 * sum and a count.
 *
 * The process_ metrics are read from /proc when scraped, so they cost
 * nothing between scrapes.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "log.h"
#include "metrics.h"
#include "util.h"
#include "xmalloc.h"

#define KEY_MAX		512	/* bytes of joined label values */

struct metrics_series {
	struct metrics_family		*f;
	char				*values[METRICS_LABELS_MAX];
	char				*key;		/* values joined */
	size_t				 keylen;
	uint32_t			 hash;
	double				 value;		/* counter, gauge */
	double				 sum;		/* histogram */
	uint64_t			*buckets;	/* nbuckets + 1 */
	uint64_t			 count;
	TAILQ_ENTRY(metrics_series)	 entry;
};

struct metrics_family {
	const char			*name;
	const char			*help;
	enum metrics_type		 type;
	const char *const		*labels;
	size_t				 nlabels;
	const double			*bounds;
	size_t				 nbounds;
	struct metrics_series		**table;	/* open addressing */
	size_t				 tablesize;	/* a power of 2 */
	size_t				 nseries;
	struct metrics_series		*last;		/* found last */
	int				 full_logged;
	TAILQ_HEAD(, metrics_series)	 series;
	TAILQ_ENTRY(metrics_family)	 entry;
};

static TAILQ_HEAD(, metrics_family) families =
    TAILQ_HEAD_INITIALIZER(families);
static struct timespec	started;	/* wall clock, for process_start */

struct metrics_family *
metrics_family(const char *name, const char *help, enum metrics_type type,
    const char *const *labels, const double *buckets, size_t nbuckets)
{
	struct metrics_family	*f = xcalloc(1, sizeof *f);

	if (started.tv_sec == 0)
		clock_gettime(CLOCK_REALTIME, &started);
	f->name = name;
	f->help = help;
	f->type = type;
	f->labels = labels;
	while (labels != NULL && labels[f->nlabels] != NULL)
		f->nlabels++;
	if (f->nlabels > METRICS_LABELS_MAX)
		fatalx("metric %s has too many labels", name);
	f->bounds = buckets;
	f->nbounds = nbuckets;
	f->tablesize = 64;
	f->table = xcalloc(f->tablesize, sizeof *f->table);
	TAILQ_INIT(&f->series);
	TAILQ_INSERT_TAIL(&families, f, entry);
	return f;
}

/* The values joined with NUL bytes into buf; its length, or 0 if they do
 * not fit (then they are taken as one series of their own: "overflow"). */
static size_t
join_key(const struct metrics_family *f, const char *const *values,
    char *buf, uint32_t *hash)
{
	size_t		 len = 0, n;

	for (size_t i = 0; i < f->nlabels; i++) {
		const char	*v = values[i] != NULL ? values[i] : "";

		n = strlen(v) + 1;
		if (len + n > KEY_MAX)
			return 0;
		memcpy(buf + len, v, n);
		len += n;
	}
	*hash = (uint32_t)hash_bytes(HASH_SEED, buf, len);
	return len;
}

static void
table_grow(struct metrics_family *f)
{
	struct metrics_series	*s;
	size_t			 i;

	free(f->table);
	f->tablesize *= 2;
	f->table = xcalloc(f->tablesize, sizeof *f->table);
	TAILQ_FOREACH(s, &f->series, entry) {
		for (i = s->hash & (f->tablesize - 1); f->table[i] != NULL;
		    i = (i + 1) & (f->tablesize - 1))
			;
		f->table[i] = s;
	}
}

struct metrics_series *
metrics_get(struct metrics_family *f, const char *const *values)
{
	struct metrics_series	*s;
	char			 key[KEY_MAX];
	uint32_t		 hash = 0;
	size_t			 len, i;

	/* A call site mostly asks for the series it asked for last (the
	 * same service, route, outcome): a few compares, not the hash. */
	if ((s = f->last) != NULL) {
		for (i = 0; i < f->nlabels && strcmp(s->values[i],
		    values[i] != NULL ? values[i] : "") == 0; i++)
			;
		if (i == f->nlabels)
			return s;
	}
	if ((len = f->nlabels == 0 ? 0 : join_key(f, values, key, &hash)) ==
	    0 && f->nlabels > 0)
		return NULL;
	for (i = hash & (f->tablesize - 1); (s = f->table[i]) != NULL;
	    i = (i + 1) & (f->tablesize - 1))
		if (s->hash == hash && s->keylen == len &&
		    memcmp(s->key, key, len) == 0)
			return f->last = s;
	if (f->nseries >= METRICS_SERIES_MAX) {
		if (!f->full_logged)
			log_warnx("event=metrics-full metric=%s series=%zu",
			    f->name, f->nseries);
		f->full_logged = 1;
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->f = f;
	s->key = xmalloc(len + 1);
	memcpy(s->key, key, len);
	s->keylen = len;
	s->hash = hash;
	for (size_t j = 0, off = 0; j < f->nlabels; j++) {
		s->values[j] = s->key + off;
		off += strlen(s->key + off) + 1;
	}
	if (f->type == METRICS_HISTOGRAM)
		s->buckets = xcalloc(f->nbounds + 1, sizeof *s->buckets);
	TAILQ_INSERT_TAIL(&f->series, s, entry);
	f->table[i] = s;
	if (++f->nseries * 2 > f->tablesize)
		table_grow(f);
	return f->last = s;
}

void
metrics_add(struct metrics_series *s, double v)
{
	if (s != NULL)
		s->value += v;
}

void
metrics_set(struct metrics_series *s, double v)
{
	if (s != NULL)
		s->value = v;
}

void
metrics_observe(struct metrics_series *s, double v)
{
	size_t	 i;

	if (s == NULL || s->buckets == NULL)
		return;
	for (i = 0; i < s->f->nbounds && v > s->f->bounds[i]; i++)
		;
	s->buckets[i]++;
	s->sum += v;
	s->count++;
}

double
metrics_value(const struct metrics_series *s)
{
	if (s == NULL)
		return 0;
	return s->buckets != NULL ? (double)s->count : s->value;
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static void
put_value(struct evbuffer *b, const char *v)
{
	size_t	 n;

	while (*v != '\0') {
		n = strcspn(v, "\\\"\n");
		evbuffer_add(b, v, n);
		v += n;
		if (*v == '\0')
			break;
		evbuffer_add_printf(b, "\\%c", *v == '\n' ? 'n' : *v);
		v++;
	}
}

/* {a="x",b="y"[,le="..."]} or nothing. */
static void
put_labels(struct evbuffer *b, const struct metrics_series *s,
    const char *le)
{
	const struct metrics_family	*f = s->f;

	if (f->nlabels == 0 && le == NULL)
		return;
	evbuffer_add(b, "{", 1);
	for (size_t i = 0; i < f->nlabels; i++) {
		evbuffer_add_printf(b, "%s%s=\"", i > 0 ? "," : "",
		    f->labels[i]);
		put_value(b, s->values[i]);
		evbuffer_add(b, "\"", 1);
	}
	if (le != NULL)
		evbuffer_add_printf(b, "%sle=\"%s\"", f->nlabels > 0 ? "," : "",
		    le);
	evbuffer_add(b, "}", 1);
}

static void
put_number(struct evbuffer *b, double v)
{
	if (isinf(v))
		evbuffer_add_printf(b, " %s\n", v > 0 ? "+Inf" : "-Inf");
	else
		evbuffer_add_printf(b, " %.17g\n", v);
}

static void
render_family(struct evbuffer *b, const struct metrics_family *f)
{
	static const char *const types[] = {
		[METRICS_COUNTER] = "counter",
		[METRICS_GAUGE] = "gauge",
		[METRICS_HISTOGRAM] = "histogram",
	};
	const struct metrics_series	*s;
	char				 le[32];
	uint64_t			 cum;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", f->name,
	    f->help, f->name, types[f->type]);
	TAILQ_FOREACH(s, &f->series, entry) {
		if (f->type != METRICS_HISTOGRAM) {
			evbuffer_add_printf(b, "%s", f->name);
			put_labels(b, s, NULL);
			put_number(b, s->value);
			continue;
		}
		cum = 0;
		for (size_t i = 0; i <= f->nbounds; i++) {
			cum += s->buckets[i];
			if (i < f->nbounds)
				snprintf(le, sizeof le, "%g", f->bounds[i]);
			else
				snprintf(le, sizeof le, "+Inf");
			evbuffer_add_printf(b, "%s_bucket", f->name);
			put_labels(b, s, le);
			put_number(b, (double)cum);
		}
		evbuffer_add_printf(b, "%s_sum", f->name);
		put_labels(b, s, NULL);
		put_number(b, s->sum);
		evbuffer_add_printf(b, "%s_count", f->name);
		put_labels(b, s, NULL);
		put_number(b, (double)s->count);
	}
}

static void
render_one(struct evbuffer *b, const char *name, const char *type,
    const char *help, double v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s", name, help,
	    name, type, name);
	put_number(b, v);
}

/* The standard process_ metrics, from /proc/self. */
static void
render_process(struct evbuffer *b)
{
	FILE		*fp;
	DIR		*d;
	struct dirent	*de;
	struct timespec	 cpu = { 0, 0 };
	long		 pages = 0;
	unsigned	 fds = 0;

	/* Not /proc/self/stat's clock ticks: a hundredth of a second is
	 * more than a quiet gateway spends between two scrapes. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	if ((fp = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(fp, "%*d %ld", &pages) != 1)
			pages = 0;
		fclose(fp);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				fds++;
		closedir(d);
		fds--;		/* the directory's own */
	}
	render_one(b, "process_cpu_seconds_total", "counter",
	    "User and system CPU time spent in seconds.",
	    (double)cpu.tv_sec + cpu.tv_nsec / 1e9);
	render_one(b, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.",
	    (double)pages * (double)sysconf(_SC_PAGESIZE));
	render_one(b, "process_open_fds", "gauge",
	    "Number of open file descriptors.", (double)fds);
	render_one(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.",
	    (double)started.tv_sec + started.tv_nsec / 1e9);
}

void
metrics_render(struct evbuffer *b)
{
	const struct metrics_family	*f;

	render_process(b);
	TAILQ_FOREACH(f, &families, entry)
		render_family(b, f);
}

/* Interned strings: route paths, a handful. */
struct interned {
	char			*s;
	LIST_ENTRY(interned)	 entry;
};
static LIST_HEAD(, interned) interned = LIST_HEAD_INITIALIZER(interned);

const char *
metrics_intern(const char *s)
{
	struct interned	*in;

	LIST_FOREACH(in, &interned, entry)
		if (strcmp(in->s, s) == 0)
			return in->s;
	in = xcalloc(1, sizeof *in);
	in->s = xstrdup(s);
	LIST_INSERT_HEAD(&interned, in, entry);
	return in->s;
}

void
metrics_free_all(void)
{
	struct metrics_family	*f;
	struct metrics_series	*s;
	struct interned		*in;

	while ((f = TAILQ_FIRST(&families)) != NULL) {
		TAILQ_REMOVE(&families, f, entry);
		while ((s = TAILQ_FIRST(&f->series)) != NULL) {
			TAILQ_REMOVE(&f->series, s, entry);
			free(s->key);
			free(s->buckets);
			free(s);
		}
		free(f->table);
		free(f);
	}
	while ((in = LIST_FIRST(&interned)) != NULL) {
		LIST_REMOVE(in, entry);
		free(in->s);
		free(in);
	}
}
