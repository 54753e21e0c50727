/*
 * Reading the configuration.  Every setting is checked for its type and
 * range and every group for unknown keys (a typo must not silently fall
 * back to a default); all errors are collected with file and line before
 * conf_load() fails.  An adapter group is checked against the table of
 * settings its type declares (adapter.h) and kept parsed, so adapters
 * open from typed values and never meet a mistake -t could have shown.
 */
#define _DEFAULT_SOURCE
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>
#include <libconfig.h>
#include <openssl/evp.h>

#include "adapter.h"
#include "conf.h"
#include "ledger_verify.h"
#include "log.h"
#include "menu.h"
#include "util.h"
#include "xmalloc.h"

struct reader {
	const char	*path;		/* the main file, for settings without
					 * a source file */
	char		*dir;		/* its directory, for relative paths */
	struct errlist	*errs;
	struct errlist	*warns;		/* the conf's warnings */
	int		 check;		/* for -t: keep a broken menu to
					 * check it whole */
};

/* "file:line: " the setting s, prefix and the message, into list. */
static void
vnote(struct reader *r, struct errlist *list, const config_setting_t *s,
    const char *prefix, const char *fmt, va_list ap)
{
	const char	*file = NULL;
	int		 line = 0;
	char		*msg;

	if (s != NULL) {
		file = config_setting_source_file(s);
		line = (int)config_setting_source_line(s);
	}
	xvasprintf(&msg, fmt, ap);
	errlist_add(list, file != NULL ? file : r->path, line, "%s%s", prefix,
	    msg);
	free(msg);
}

static void
bad(struct reader *r, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
bad(struct reader *r, const config_setting_t *s, const char *fmt, ...)
{
	va_list		 ap;

	va_start(ap, fmt);
	vnote(r, r->errs, s, "", fmt, ap);
	va_end(ap);
}

/* Allowed, but likely a mistake: said, and the configuration loads. */
static void
warn_setting(struct reader *r, const config_setting_t *s, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
warn_setting(struct reader *r, const config_setting_t *s, const char *fmt,
    ...)
{
	va_list		 ap;

	va_start(ap, fmt);
	vnote(r, r->warns, s, "warning: ", fmt, ap);
	va_end(ap);
}

/* The dotted name of a setting, for messages: "redis.port". */
static const char *
setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t	*chain[16];
	size_t			 n = 0, o = 0;

	for (; s != NULL && config_setting_parent(s) != NULL && n < 16;
	    s = config_setting_parent(s))
		chain[n++] = s;
	buf[0] = '\0';
	while (n-- > 0) {
		const char *name = config_setting_name(chain[n]);
		int	 w;

		if (name != NULL)
			w = snprintf(buf + o, len - o, "%s%s", o ? "." : "",
			    name);
		else
			w = snprintf(buf + o, len - o, "[%u]",
			    config_setting_index(chain[n]));
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
	return buf;
}

/* Reports members of group g whose names are not in known. */
static void
check_keys(struct reader *r, const config_setting_t *g,
    const char *const *known)
{
	char	 buf[128];

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t	*m = config_setting_get_elem(g,
		    (unsigned)i);
		const char		*name = config_setting_name(m);
		const char *const	*k;

		for (k = known; *k != NULL; k++)
			if (strcmp(*k, name) == 0)
				break;
		if (*k == NULL)
			bad(r, m, "unknown setting %s",
			    setting_path(m, buf, sizeof buf));
	}
}

static const config_setting_t *
group(struct reader *r, const config_setting_t *parent, const char *name,
    int required)
{
	config_setting_t	*g = config_setting_get_member(parent, name);
	char			 buf[128];

	if (g == NULL) {
		if (required)
			bad(r, parent, "missing group %s", name);
		return NULL;
	}
	if (!config_setting_is_group(g)) {
		bad(r, g, "%s must be a group { ... }",
		    setting_path(g, buf, sizeof buf));
		return NULL;
	}
	return g;
}

static char *
get_string(struct reader *r, const config_setting_t *g, const char *name,
    const char *def)
{
	config_setting_t	*s;
	char			 buf[128];

	if (g == NULL || (s = config_setting_get_member(g, name)) == NULL) {
		if (def == NULL)
			bad(r, g, "missing setting %s", name);
		return def != NULL ? xstrdup(def) : NULL;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		bad(r, s, "%s must be a string",
		    setting_path(s, buf, sizeof buf));
		return def != NULL ? xstrdup(def) : NULL;
	}
	return xstrdup(config_setting_get_string(s));
}

static long long
get_int(struct reader *r, const config_setting_t *g, const char *name,
    long long def, long long min, long long max)
{
	config_setting_t	*s;
	long long		 v;
	char			 buf[128];

	if (g == NULL || (s = config_setting_get_member(g, name)) == NULL)
		return def;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		bad(r, s, "%s must be an integer",
		    setting_path(s, buf, sizeof buf));
		return def;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		bad(r, s, "%s must be between %lld and %lld, not %lld",
		    setting_path(s, buf, sizeof buf), min, max, v);
		return def;
	}
	return v;
}

static int
get_bool(struct reader *r, const config_setting_t *g, const char *name,
    int def)
{
	config_setting_t	*s;
	char			 buf[128];

	if (g == NULL || (s = config_setting_get_member(g, name)) == NULL)
		return def;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		bad(r, s, "%s must be true or false",
		    setting_path(s, buf, sizeof buf));
		return def;
	}
	return config_setting_get_bool(s);
}

/* An array [ ... ] or list ( ... ) setting, or NULL (reported) when
 * the setting is something else; NULL unreported when absent. */
static const config_setting_t *
get_array(struct reader *r, const config_setting_t *g, const char *name)
{
	config_setting_t	*s;
	char			 buf[128];

	if (g == NULL || (s = config_setting_get_member(g, name)) == NULL)
		return NULL;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		bad(r, s, "%s must be an array [ ... ]",
		    setting_path(s, buf, sizeof buf));
		return NULL;
	}
	return s;
}

/* An address allowlist: [ "127.0.0.1", "10.0.0.0/8", "::1" ]. */
static void
get_nets(struct reader *r, const config_setting_t *g, const char *name,
    struct access_net **nets, size_t *n)
{
	static const char *const loopback[] = { "127.0.0.1", "::1" };
	const config_setting_t	*a = get_array(r, g, name);
	char			 err[128], buf[128];
	size_t			 len;

	len = a != NULL ? (size_t)config_setting_length(a) : 2;
	*nets = xcalloc(len + 1, sizeof **nets);
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		const config_setting_t	*e = a ? config_setting_get_elem(a,
		    (unsigned)i) : NULL;
		const char		*v = loopback[i % 2];

		if (e != NULL && config_setting_type(e) != CONFIG_TYPE_STRING) {
			bad(r, e, "%s must hold addresses as strings",
			    setting_path(a, buf, sizeof buf));
			continue;
		}
		if (e != NULL)
			v = config_setting_get_string(e);
		if (access_net_parse(v, &(*nets)[*n], err, sizeof err) == -1)
			bad(r, e, "%s: %s", setting_path(a, buf, sizeof buf),
			    err);
		else
			(*n)++;
	}
	if (a != NULL && *n == 0 && len == 0)
		bad(r, a, "%s: an empty allowlist lets nobody in",
		    setting_path(a, buf, sizeof buf));
}

/* USSD operation codes: [ 1 ] into ops, at most USSD_OPS_MAX. */
static size_t
get_ops(struct reader *r, const config_setting_t *g, const char *name,
    const unsigned char *def, size_t ndef, unsigned char *ops)
{
	const config_setting_t	*a = get_array(r, g, name);
	char			 buf[128];
	size_t			 n = 0;

	if (a == NULL) {
		memcpy(ops, def, ndef);
		return ndef;
	}
	for (int i = 0; i < config_setting_length(a); i++) {
		const config_setting_t	*e = config_setting_get_elem(a,
		    (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_INT ||
		    config_setting_get_int(e) < 0 ||
		    config_setting_get_int(e) > 255) {
			bad(r, e, "%s must hold ussd_service_op values 0 to 255",
			    setting_path(a, buf, sizeof buf));
			continue;
		}
		if (n == USSD_OPS_MAX) {
			bad(r, a, "%s: at most %d values",
			    setting_path(a, buf, sizeof buf), USSD_OPS_MAX);
			break;
		}
		ops[n++] = (unsigned char)config_setting_get_int(e);
	}
	return n;
}

/* A path from the file, taken relative to the file's directory. */
static char *
get_path(struct reader *r, const config_setting_t *g, const char *name)
{
	char	*p = get_string(r, g, name, NULL), *full;

	if (p == NULL || p[0] == '/' || p[0] == '\0' ||
	    strcmp(r->dir, ".") == 0)
		return p;
	xasprintf(&full, "%s/%s", r->dir, p);
	free(p);
	return full;
}

/*
 * A secret: written as is, or "env:NAME" for an environment variable, or
 * "file:PATH" for the first line of a file.
 */
static char *
get_secret(struct reader *r, const config_setting_t *g, const char *name)
{
	config_setting_t	*s = g ? config_setting_get_member(g, name) :
				    NULL;
	char			*v = get_string(r, g, name, ""), *out;
	FILE			*f;
	char			 line[1024];

	if (strncmp(v, "env:", 4) == 0) {
		const char *e = getenv(v + 4);

		if (e == NULL) {
			bad(r, s, "%s: environment variable %s is not set",
			    name, v + 4);
			e = "";
		}
		out = xstrdup(e);
	} else if (strncmp(v, "file:", 5) == 0) {
		char *p = v[5] == '/' ? xstrdup(v + 5) : NULL;

		if (p == NULL)
			xasprintf(&p, "%s/%s", r->dir, v + 5);
		if ((f = fopen(p, "r")) == NULL) {
			bad(r, s, "%s: cannot read %s: %s", name, p,
			    strerror(errno));
			out = xstrdup("");
		} else {
			if (fgets(line, sizeof line, f) == NULL)
				line[0] = '\0';
			line[strcspn(line, "\r\n")] = '\0';
			out = xstrdup(line);
			fclose(f);
		}
		free(p);
	} else
		return v;
	free(v);
	return out;
}

static void
read_listen(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "address", "port", "max_body",
		"max_connections", "max_per_address", "request_ms",
		"keepalive_ms", "trusted_proxies", NULL };
	const config_setting_t	*g = group(r, root, "listen", 1);

	if (g != NULL)
		check_keys(r, g, keys);
	c->listen_address = get_string(r, g, "address", "127.0.0.1");
	c->listen_port = (unsigned short)get_int(r, g, "port", 8786, 1,
	    65535);
	c->max_body = (size_t)get_int(r, g, "max_body", 4096, 256, 65536);
	c->max_connections = (unsigned)get_int(r, g, "max_connections", 0, 0,
	    1000000);
	c->max_per_address = (unsigned)get_int(r, g, "max_per_address", 1024,
	    1, 1000000);
	c->request_ms = (unsigned)get_int(r, g, "request_ms", 10000, 100,
	    600000);
	c->keepalive_ms = (unsigned)get_int(r, g, "keepalive_ms", 30000, 100,
	    3600000);
	get_nets(r, g, "trusted_proxies", &c->trusted_proxies,
	    &c->ntrusted_proxies);
}

/* "host:port" (host non-empty, port 1 to 65535) into its parts. */
int
conf_hostport(const char *s, char *host, size_t hostlen,
    unsigned short *port)
{
	const char	*colon = strrchr(s, ':');
	char		*end;
	long		 p;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= hostlen)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (unsigned short)p;
	return 0;
}

static void
read_redis(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "host", "port", "username",
		"password", "db", "timeout_ms", "sentinels", "master_name",
		NULL };
	const config_setting_t	*g = group(r, root, "redis", 1);
	const config_setting_t	*a = get_array(r, g, "sentinels");
	char			 buf[128];

	if (g != NULL)
		check_keys(r, g, keys);
	c->redis_host = get_string(r, g, "host", "127.0.0.1");
	c->redis_port = (unsigned short)get_int(r, g, "port", 6379, 1, 65535);
	c->redis_username = get_string(r, g, "username", "");
	c->redis_password = get_secret(r, g, "password");
	c->redis_db = (int)get_int(r, g, "db", 0, 0, 1024);
	c->redis_timeout_ms = (unsigned)get_int(r, g, "timeout_ms", 500, 10,
	    60000);
	c->redis_master_name = get_string(r, g, "master_name", "");
	if (c->redis_username[0] != '\0' && c->redis_password[0] == '\0')
		bad(r, g, "redis.username needs redis.password");
	if (a != NULL) {
		c->redis_sentinels = xcalloc((size_t)config_setting_length(a) +
		    1, sizeof *c->redis_sentinels);
		for (int i = 0; i < config_setting_length(a); i++) {
			const config_setting_t *e = config_setting_get_elem(a,
			    (unsigned)i);
			const char	*v = config_setting_get_string(e);
			char		 host[256];
			unsigned short	 port;

			if (v == NULL || conf_hostport(v, host, sizeof host,
			    &port) == -1) {
				bad(r, e, "%s must hold \"host:port\" strings",
				    setting_path(a, buf, sizeof buf));
				continue;
			}
			c->redis_sentinels[c->redis_nsentinels++] =
			    xstrdup(v);
		}
		if (config_setting_length(a) == 0)
			bad(r, a, "redis.sentinels is empty: name at least "
			    "one sentinel, or leave it out");
	}
	if ((a != NULL) != (c->redis_master_name[0] != '\0'))
		bad(r, g, "redis.sentinels and redis.master_name go together: "
		    "set both (Sentinel) or neither (redis.host)");
	if (a != NULL && g != NULL &&
	    (config_setting_get_member(g, "host") != NULL ||
	    config_setting_get_member(g, "port") != NULL))
		bad(r, g, "redis.host and redis.port do not go with "
		    "redis.sentinels: the sentinels name the master");
}

static void
read_session(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "ttl", "hop_deadline_ms",
		"replay_max", NULL };
	const config_setting_t	*g = group(r, root, "session", 0);

	if (g != NULL)
		check_keys(r, g, keys);
	c->session_ttl = (unsigned)get_int(r, g, "ttl", 180, 1, 86400);
	c->hop_deadline_ms = (unsigned)get_int(r, g, "hop_deadline_ms", 2500,
	    50, 60000);
	c->replay_max = (unsigned)get_int(r, g, "replay_max", 30, 0, 100);
	if (c->redis_timeout_ms >= c->hop_deadline_ms)
		bad(r, g, "redis.timeout_ms (%u) must be shorter than "
		    "session.hop_deadline_ms (%u)", c->redis_timeout_ms,
		    c->hop_deadline_ms);
}

static void
read_log(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "level", "secret", "format",
		NULL };
	const config_setting_t	*g = group(r, root, "log", 0);
	char			*level, *format;

	if (g != NULL)
		check_keys(r, g, keys);
	level = get_string(r, g, "level", "info");
	if ((c->log_level = log_level_parse(level)) == -1) {
		bad(r, config_setting_get_member(g, "level"),
		    "log.level must be error, warn, info or debug, not \"%s\"",
		    level);
		c->log_level = LOG_LEVEL_INFO;
	}
	free(level);
	c->log_secret = get_secret(r, g, "secret");
	format = get_string(r, g, "format", "text");
	if (strcmp(format, "json") == 0)
		c->log_json = 1;
	else if (strcmp(format, "text") != 0)
		bad(r, config_setting_get_member(g, "format"),
		    "log.format must be text or json, not \"%s\"", format);
	free(format);
}

static void
read_aggregators(struct reader *r, struct conf *c,
    const config_setting_t *root)
{
	static const char *const keys[] = { "path", "text", "page_budget",
		"retry_window_ms", "allow", "secret", NULL };
	const config_setting_t	*l = config_setting_get_member(root,
				    "aggregators");
	char			 buf[128];

	if (l == NULL)
		return;
	if (!config_setting_is_list(l)) {
		bad(r, l, "aggregators must be a list ( { ... }, ... )");
		return;
	}
	c->naggregators = (size_t)config_setting_length(l);
	c->aggregators = xcalloc(c->naggregators, sizeof *c->aggregators);
	for (size_t i = 0; i < c->naggregators; i++) {
		const config_setting_t	*g = config_setting_get_elem(l,
		    (unsigned)i);
		struct conf_aggregator	*a = &c->aggregators[i];
		char			*mode;

		if (!config_setting_is_group(g)) {
			bad(r, g, "%s must be a group { ... }",
			    setting_path(g, buf, sizeof buf));
			continue;
		}
		check_keys(r, g, keys);
		a->path = get_string(r, g, "path", NULL);
		if (a->path != NULL && a->path[0] != '/')
			bad(r, config_setting_get_member(g, "path"),
			    "aggregator path must start with '/'");
		if (a->path != NULL && (strcmp(a->path, "/health") == 0 ||
		    strcmp(a->path, "/ready") == 0))
			bad(r, config_setting_get_member(g, "path"),
			    "aggregator path %s is the gateway's own", a->path);
		for (size_t j = 0; a->path != NULL && j < i; j++)
			if (c->aggregators[j].path != NULL &&
			    strcmp(c->aggregators[j].path, a->path) == 0)
				bad(r, g, "aggregator path %s is used twice",
				    a->path);
		mode = get_string(r, g, "text", "path");
		if (strcmp(mode, "path") == 0)
			a->text = TEXT_PATH;
		else if (strcmp(mode, "latest") == 0)
			a->text = TEXT_LATEST;
		else
			bad(r, config_setting_get_member(g, "text"),
			    "aggregator text must be \"path\" or \"latest\", "
			    "not \"%s\"", mode);
		free(mode);
		a->budget.gsm7_septets = (size_t)get_int(r, g, "page_budget",
		    182, 40, 1000);
		a->budget.ucs2_units =
		    page_budget_ucs2_for(a->budget.gsm7_septets);
		a->retry_window_ms = (unsigned)get_int(r, g,
		    "retry_window_ms", 2000, 0, 60000);
		/* Anyone who reaches the path can act as any phone: only
		 * loopback unless opened, and -t says so when it is opened
		 * to everyone with nothing else to check. */
		get_nets(r, g, "allow", &a->allow, &a->nallow);
		a->secret = get_secret(r, g, "secret");
		for (size_t j = 0; a->secret[0] == '\0' && j < a->nallow; j++)
			if (a->allow[j].bits == 0) {
				warn_setting(r, g, "aggregator %s is open to every "
				    "address and has no secret: anyone who "
				    "reaches it can act as any phone",
				    a->path != NULL ? a->path : "");
				break;
			}
	}
}

/* The 1 -> 2 -> 18 -> 17 dialogue most operators run. */
static void
profile_default(struct conf_ussd_profile *p, const char *name)
{
	memset(p, 0, sizeof *p);
	p->name = xstrdup(name);
	p->begin[p->nbegin++] = 1;	/* PSSR indication */
	p->cont[p->ncont++] = 18;	/* USSR confirm */
	p->reply_continue = 2;		/* USSR request */
	p->reply_end = 17;		/* PSSR response */
	p->session_info = 1;
	p->session_tlv = xstrdup("");
}

int
ussd_op_in(const unsigned char *ops, size_t n, int op)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i] == op)
			return 1;
	return 0;
}

static void
read_profile(struct reader *r, const config_setting_t *g,
    struct conf_ussd_profile *p)
{
	static const char *const keys[] = { "begin", "continue", "abort",
		"reply_continue", "reply_end", "session_info", "session_tlv",
		NULL };
	struct conf_ussd_profile def;

	profile_default(&def, "");
	check_keys(r, g, keys);
	p->name = xstrdup(config_setting_name(g));
	p->nbegin = get_ops(r, g, "begin", def.begin, def.nbegin, p->begin);
	p->ncont = get_ops(r, g, "continue", def.cont, def.ncont, p->cont);
	p->nabort = get_ops(r, g, "abort", def.abort, def.nabort, p->abort);
	p->reply_continue = (unsigned char)get_int(r, g, "reply_continue",
	    def.reply_continue, 0, 255);
	p->reply_end = (unsigned char)get_int(r, g, "reply_end",
	    def.reply_end, 0, 255);
	p->session_info = get_bool(r, g, "session_info", def.session_info);
	p->session_tlv = get_string(r, g, "session_tlv", "");
	if (p->nbegin == 0)
		bad(r, g, "ussd profile %s: begin needs at least one op",
		    p->name);
	for (size_t i = 0; i < p->nbegin; i++)
		if (ussd_op_in(p->cont, p->ncont, p->begin[i]) ||
		    ussd_op_in(p->abort, p->nabort, p->begin[i]))
			bad(r, g, "ussd profile %s: op %u is in more than one "
			    "of begin, continue and abort", p->name,
			    p->begin[i]);
	for (size_t i = 0; i < p->ncont; i++)
		if (ussd_op_in(p->abort, p->nabort, p->cont[i]))
			bad(r, g, "ussd profile %s: op %u is in both continue "
			    "and abort", p->name, p->cont[i]);
	free(def.name);
	free(def.session_tlv);
}

static void
read_profiles(struct reader *r, struct conf_kannel *k,
    const config_setting_t *kg)
{
	const config_setting_t	*g = group(r, kg, "ussd_profiles", 0);
	size_t			 n = g ? (size_t)config_setting_length(g) : 0;

	k->profiles = xcalloc(n + 1, sizeof *k->profiles);
	for (size_t i = 0; i < n; i++) {
		const config_setting_t	*p = config_setting_get_elem(g,
		    (unsigned)i);

		if (!config_setting_is_group(p)) {
			bad(r, p, "ussd profile %s must be a group { ... }",
			    config_setting_name(p));
			continue;
		}
		read_profile(r, p, &k->profiles[k->nprofiles++]);
	}
	for (size_t i = 0; i < k->nprofiles; i++)
		if (strcmp(k->profiles[i].name, "default") == 0)
			return;
	profile_default(&k->profiles[k->nprofiles++], "default");
}

static int
smsc_id_valid(const char *id)
{
	if (*id == '\0' || strlen(id) > 32)
		return 0;
	for (; *id != '\0'; id++)
		if (!isalnum((unsigned char)*id) && strchr("._-", *id) == NULL)
			return 0;
	return 1;
}

static void
read_smsc(struct reader *r, const struct conf *c, struct conf_kannel *k,
    const config_setting_t *g, struct conf_smsc *sc)
{
	static const char *const keys[] = { "id", "kind", "profile",
		"page_budget", "service", NULL };
	char	*kind, *profile;
	size_t	 budget;

	check_keys(r, g, keys);
	sc->id = get_string(r, g, "id", NULL);
	if (sc->id != NULL && !smsc_id_valid(sc->id))
		bad(r, config_setting_get_member(g, "id"), "smsc id \"%s\" "
		    "must be 1 to 32 letters, digits, '.', '_' or '-'", sc->id);
	kind = get_string(r, g, "kind", NULL);
	if (kind != NULL && strcmp(kind, "ussd") == 0)
		sc->kind = SMSC_USSD;
	else if (kind != NULL && strcmp(kind, "sms") == 0)
		sc->kind = SMSC_SMS;
	else if (kind != NULL)
		bad(r, config_setting_get_member(g, "kind"),
		    "smsc kind must be \"ussd\" or \"sms\", not \"%s\"",
		    kind);
	free(kind);
	profile = get_string(r, g, "profile", "default");
	for (size_t i = 0; i < k->nprofiles; i++)
		if (strcmp(k->profiles[i].name, profile) == 0)
			sc->profile = &k->profiles[i];
	if (sc->profile == NULL)
		bad(r, config_setting_get_member(g, "profile"),
		    "smsc %s: no ussd profile named \"%s\"",
		    sc->id ? sc->id : "?", profile);
	free(profile);
	budget = (size_t)get_int(r, g, "page_budget",
	    sc->kind == SMSC_USSD ? 182 : 160, 40, 1000);
	sc->budget.gsm7_septets = budget;
	sc->budget.ucs2_units = sc->kind == SMSC_USSD ?
	    page_budget_ucs2_for(budget) : budget * 70 / 160;
	sc->service = get_string(r, g, "service", "");
	if (sc->service[0] != '\0' && conf_service(c, sc->service) == NULL)
		bad(r, config_setting_get_member(g, "service"),
		    "smsc %s: no service with code \"%s\"",
		    sc->id ? sc->id : "?", sc->service);
}

/* 1 if url is http://host[...] (or https:// with https set). */
static int
url_valid(const char *url, int https)
{
	struct evhttp_uri	*u = evhttp_uri_parse(url);
	const char		*scheme;
	int			 ok;

	if (u == NULL)
		return 0;
	scheme = evhttp_uri_get_scheme(u);
	ok = scheme != NULL && (strcmp(scheme, "http") == 0 ||
	    (https && strcmp(scheme, "https") == 0)) &&
	    evhttp_uri_get_host(u) != NULL;
	evhttp_uri_free(u);
	return ok;
}

static void
read_sendsms(struct reader *r, struct conf *c, struct conf_kannel *k,
    const config_setting_t *kg)
{
	static const char *const keys[] = { "url", "username", "password",
		"from", "smsc", "timeout_ms", "attempts", "connections",
		"dlr_mask", "dlr_ttl", NULL };
	const config_setting_t	*g = group(r, kg, "sendsms", 0);
	char			 def[64];

	if (g != NULL)
		check_keys(r, g, keys);
	k->sendsms_url = get_string(r, g, "url", g ? NULL : "");
	if (k->sendsms_url != NULL && k->sendsms_url[0] != '\0' &&
	    !url_valid(k->sendsms_url, 0))
		bad(r, config_setting_get_member(g, "url"),
		    "kannel.sendsms.url must be http://host:port/path, not "
		    "\"%s\"", k->sendsms_url);
	k->sendsms_username = get_string(r, g, "username", "");
	k->sendsms_password = get_secret(r, g, "password");
	k->sendsms_from = get_string(r, g, "from", "");
	k->sendsms_smsc = get_string(r, g, "smsc", "");
	k->sendsms_timeout_ms = (unsigned)get_int(r, g, "timeout_ms", 5000,
	    100, 120000);
	k->sendsms_attempts = (unsigned)get_int(r, g, "attempts", 4, 1, 20);
	k->sendsms_connections = (unsigned)get_int(r, g, "connections", 4, 1,
	    64);
	k->dlr_mask = (unsigned)get_int(r, g, "dlr_mask", 31, 0, 31);
	k->dlr_ttl = (unsigned)get_int(r, g, "dlr_ttl", 7 * 86400, 60,
	    90 * 86400);
	if (k->sendsms_smsc[0] != '\0' && conf_smsc(k, k->sendsms_smsc) ==
	    NULL)
		bad(r, config_setting_get_member(g, "smsc"),
		    "kannel.sendsms.smsc: no smsc with id \"%s\"",
		    k->sendsms_smsc);
	snprintf(def, sizeof def, "http://127.0.0.1:%u", c->listen_port);
	k->gateway_url = get_string(r, kg, "gateway_url", def);
	k->gateway_url[strcspn(k->gateway_url, "?")] = '\0';
	if (strncmp(k->gateway_url, "http://", 7) != 0 &&
	    strncmp(k->gateway_url, "https://", 8) != 0)
		bad(r, config_setting_get_member(kg, "gateway_url"),
		    "kannel.gateway_url must start with http:// or https://");
}

/* An HTTP path of the gateway's: absolute, not taken. */
static void
check_path(struct reader *r, const struct conf *c, const config_setting_t *s,
    const char *what, const char *path)
{
	if (path == NULL)
		return;
	if (path[0] != '/')
		bad(r, s, "%s must start with '/'", what);
	else if (strcmp(path, "/health") == 0 || strcmp(path, "/ready") == 0 ||
	    strncmp(path, "/admin/", 7) == 0)
		bad(r, s, "%s %s is the gateway's own", what, path);
	for (size_t i = 0; i < c->naggregators; i++)
		if (c->aggregators[i].path != NULL &&
		    strcmp(c->aggregators[i].path, path) == 0)
			bad(r, s, "%s %s is an aggregator's path", what, path);
}

static void
read_kannel(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "path", "dlr_path", "secret",
		"allow", "gateway_url", "smsc", "ussd_profiles", "sendsms",
		NULL };
	const config_setting_t	*g = group(r, root, "kannel", 0), *l;
	struct conf_kannel	*k;
	char			 buf[128];

	if (g == NULL)
		return;
	check_keys(r, g, keys);
	k = c->kannel = xcalloc(1, sizeof *k);
	k->path = get_string(r, g, "path", "/kannel/mo");
	k->dlr_path = get_string(r, g, "dlr_path", "/kannel/dlr");
	check_path(r, c, config_setting_get_member(g, "path"), "kannel.path",
	    k->path);
	check_path(r, c, config_setting_get_member(g, "dlr_path"),
	    "kannel.dlr_path", k->dlr_path);
	if (strcmp(k->path, k->dlr_path) == 0)
		bad(r, g, "kannel.path and kannel.dlr_path must differ");
	k->secret = get_secret(r, g, "secret");
	if (k->secret[0] == '\0')
		bad(r, g, "kannel.secret must be set: smsbox sends it as k= "
		    "in its get-url");
	get_nets(r, g, "allow", &k->allow, &k->nallow);
	read_profiles(r, k, g);

	l = config_setting_get_member(g, "smsc");
	if (l == NULL || !config_setting_is_list(l) ||
	    config_setting_length(l) == 0) {
		bad(r, l != NULL ? l : g, "kannel.smsc must be a non-empty "
		    "list ( { id = ...; kind = ...; }, ... )");
	} else {
		k->nsmscs = (size_t)config_setting_length(l);
		k->smscs = xcalloc(k->nsmscs, sizeof *k->smscs);
		for (size_t i = 0; i < k->nsmscs; i++) {
			const config_setting_t	*e = config_setting_get_elem(l,
			    (unsigned)i);

			if (!config_setting_is_group(e)) {
				bad(r, e, "%s must be a group { ... }",
				    setting_path(e, buf, sizeof buf));
				continue;
			}
			read_smsc(r, c, k, e, &k->smscs[i]);
			for (size_t j = 0; k->smscs[i].id != NULL && j < i; j++)
				if (k->smscs[j].id != NULL &&
				    strcmp(k->smscs[j].id, k->smscs[i].id) == 0)
					bad(r, e, "smsc %s is listed twice",
					    k->smscs[i].id);
		}
	}
	read_sendsms(r, c, k, g);
}

void
conf_outbox_window_ms(const struct conf_outbox *o,
    unsigned long long *shortest, unsigned long long *longest)
{
	unsigned	 d;

	*shortest = *longest = 0;
	/* The wait after failed try k (1 = the first) is delay k. */
	for (unsigned k = 1; k < o->attempts; k++) {
		d = backoff_nominal_ms(o->backoff_min_ms, o->backoff_max_ms, k);
		*longest += d;
		*shortest += d / 2;
	}
}

/* -t: an outage the retries do not outlast turns requests into dead
 * letters; say so with both figures and what to change. */
static void
check_ride_out(struct reader *r, const config_setting_t *g,
    const struct conf_outbox *o)
{
	unsigned long long	 lo, hi;

	if (o->ride_out_s == 0)
		return;
	conf_outbox_window_ms(o, &lo, &hi);
	if (lo >= o->ride_out_s * 1000ULL)
		return;
	warn_setting(r, g, "outbox: the retry window is %llu.%llu s at the "
	    "shortest (%llu.%llu s at the longest, as the jitter draws it; "
	    "attempts=%u, backoff_min_ms=%u, "
	    "backoff_max_ms=%u), shorter than outbox.ride_out_s=%u: a "
	    "back-office outage that long makes dead letters%s; raise "
	    "outbox.attempts or outbox.backoff_max_ms (with claim_idle_ms), "
	    "or lower outbox.ride_out_s", lo / 1000, lo % 1000 / 100,
	    hi / 1000, hi % 1000 / 100, o->attempts, o->backoff_min_ms,
	    o->backoff_max_ms, o->ride_out_s, o->redrive_after_ms > 0 &&
	    o->redrive_max > 0 ? " (re-driven after outbox.redrive_after_ms)" :
	    " (which wait for POST /admin/outbox/replay)");
}

static void
read_outbox(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "consumer", "attempts",
		"backoff_min_ms", "backoff_max_ms", "claim_idle_ms", "batch",
		"inflight", "dedupe_ttl", "replicas", "replica_wait_ms",
		"redrive_after_ms", "redrive_max", "redrive_batch",
		"ride_out_s", NULL };
	const config_setting_t	*g = group(r, root, "outbox", 0);
	struct conf_outbox	*o = &c->outbox;
	char			 host[256], def[300];

	if (g != NULL)
		check_keys(r, g, keys);
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "asanigw");
	host[sizeof host - 1] = '\0';
	snprintf(def, sizeof def, "%s:%u", host, c->listen_port);
	o->consumer = get_string(r, g, "consumer", def);
	if (o->consumer[0] == '\0') {
		free(o->consumer);
		o->consumer = xstrdup(def);
	}
	o->attempts = (unsigned)get_int(r, g, "attempts", 30, 1, 1000);
	o->backoff_min_ms = (unsigned)get_int(r, g, "backoff_min_ms", 500, 10,
	    600000);
	o->backoff_max_ms = (unsigned)get_int(r, g, "backoff_max_ms", 30000,
	    10, 3600000);
	o->claim_idle_ms = (unsigned)get_int(r, g, "claim_idle_ms", 60000,
	    1000, 86400000);
	o->batch = (unsigned)get_int(r, g, "batch", 64, 1, 10000);
	o->inflight = (unsigned)get_int(r, g, "inflight", 256, 1, 100000);
	o->dedupe_ttl = (unsigned)get_int(r, g, "dedupe_ttl", 7 * 86400, 60,
	    365 * 86400);
	o->replicas = (unsigned)get_int(r, g, "replicas", 0, 0, 16);
	o->replica_wait_ms = (unsigned)get_int(r, g, "replica_wait_ms", 500,
	    10, 60000);
	/* The add, the wait and the save after it fit in the hop's time. */
	if (o->replicas > 0 && o->replica_wait_ms + 2ULL *
	    c->redis_timeout_ms >= c->hop_deadline_ms)
		bad(r, g, "outbox.replica_wait_ms (%u) and twice "
		    "redis.timeout_ms (%u) must fit in session.hop_deadline_ms "
		    "(%u)", o->replica_wait_ms, c->redis_timeout_ms,
		    c->hop_deadline_ms);
	o->redrive_after_ms = (unsigned)get_int(r, g, "redrive_after_ms",
	    600000, 0, 7 * 86400000);
	o->redrive_max = (unsigned)get_int(r, g, "redrive_max", 3, 0, 1000);
	o->redrive_batch = (unsigned)get_int(r, g, "redrive_batch", 50, 1,
	    10000);
	o->ride_out_s = (unsigned)get_int(r, g, "ride_out_s", 300, 0,
	    30 * 86400);
	if (o->backoff_min_ms > o->backoff_max_ms)
		bad(r, g, "outbox.backoff_min_ms must not exceed "
		    "outbox.backoff_max_ms");
	/* A request waiting to be tried again must not look abandoned. */
	if (o->backoff_max_ms * 2ULL > o->claim_idle_ms)
		bad(r, g, "outbox.backoff_max_ms (%u) must be at most half of "
		    "outbox.claim_idle_ms (%u)", o->backoff_max_ms,
		    o->claim_idle_ms);
	check_ride_out(r, g != NULL ? g : root, o);
}

/* The ledger's key: "file:PATH" of a PEM Ed25519 private key, checked
 * here so -t finds a wrong one. */
static char *
get_ledger_key(struct reader *r, const config_setting_t *g)
{
	config_setting_t	*s = config_setting_get_member(g, "key");
	char			*v = get_string(r, g, "key", ""), *p, err[256];
	EVP_PKEY		*k;

	if (strncmp(v, "file:", 5) != 0) {
		bad(r, s != NULL ? s : g, "ledger.key must be \"file:PATH\" "
		    "of a PEM Ed25519 private key (openssl genpkey -algorithm "
		    "ed25519)");
		free(v);
		return xstrdup("");
	}
	if (v[5] == '/' || strcmp(r->dir, ".") == 0)
		p = xstrdup(v + 5);
	else
		xasprintf(&p, "%s/%s", r->dir, v + 5);
	free(v);
	if ((k = ledger_key_private(p, err, sizeof err)) == NULL)
		bad(r, s, "ledger.key: %s", err);
	EVP_PKEY_free(k);
	return p;
}

static void
read_ledger(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "file", "key",
		"checkpoint_entries", "checkpoint_seconds", "batch", "fields",
		NULL };
	static const char *const def_fields[] = { "amount", "cause", "need",
		"category", "department", "status" };
	const size_t		 nitems_fields = sizeof def_fields /
				    sizeof def_fields[0];
	const config_setting_t	*g = group(r, root, "ledger", 0), *a, *e;
	struct conf_ledger	*l;
	char			 buf[128];

	if (g == NULL)
		return;
	check_keys(r, g, keys);
	l = c->ledger = xcalloc(1, sizeof *l);
	l->file = config_setting_get_member(g, "file") != NULL ?
	    get_path(r, g, "file") : xstrdup("");
	if (l->file == NULL)
		l->file = xstrdup("");
	l->key = l->file[0] != '\0' ? get_ledger_key(r, g) : xstrdup("");
	l->checkpoint_entries = (unsigned)get_int(r, g, "checkpoint_entries",
	    1000, 1, 10000000);
	l->checkpoint_seconds = (unsigned)get_int(r, g, "checkpoint_seconds",
	    60, 1, 86400);
	l->batch = (unsigned)get_int(r, g, "batch", 100, 1, 1000);
	a = get_array(r, g, "fields");
	if (a == NULL && config_setting_get_member(g, "fields") == NULL) {
		l->fields = xcalloc(nitems_fields + 1, sizeof *l->fields);
		for (size_t i = 0; i < nitems_fields; i++)
			l->fields[l->nfields++] = xstrdup(def_fields[i]);
		return;
	}
	l->fields = xcalloc(a != NULL ? (size_t)config_setting_length(a) + 1 :
	    1, sizeof *l->fields);
	for (int i = 0; a != NULL && i < config_setting_length(a); i++) {
		e = config_setting_get_elem(a, (unsigned)i);
		if (config_setting_get_string(e) == NULL)
			bad(r, e, "%s must hold field names as strings",
			    setting_path(a, buf, sizeof buf));
		else
			l->fields[l->nfields++] =
			    xstrdup(config_setting_get_string(e));
	}
}

static void
conf_ledger_free(struct conf_ledger *l)
{
	if (l == NULL)
		return;
	free(l->file);
	free(l->key);
	for (size_t i = 0; i < l->nfields; i++)
		free(l->fields[i]);
	free(l->fields);
	free(l);
}

static void
read_sms(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "code_ttl", "pledges_per_hour",
		"pending_pledges", "requests_per_day", NULL };
	const config_setting_t	*g = group(r, root, "sms", 0);
	struct conf_sms		*s = &c->sms;

	if (g != NULL)
		check_keys(r, g, keys);
	s->code_ttl = (unsigned)get_int(r, g, "code_ttl", 600, 30, 86400);
	s->pledges_per_hour = (unsigned)get_int(r, g, "pledges_per_hour", 5,
	    0, 100000);
	s->pending_pledges = (unsigned)get_int(r, g, "pending_pledges", 3, 1,
	    100);
	s->requests_per_day = (unsigned)get_int(r, g, "requests_per_day", 5,
	    0, 100000);
}

static void
read_notify(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "path", "secret", "allow",
		"dedupe_ttl", NULL };
	const config_setting_t	*g = group(r, root, "notify", 0);
	struct conf_notify	*n;

	if (g == NULL)
		return;
	check_keys(r, g, keys);
	n = c->notify = xcalloc(1, sizeof *n);
	n->path = get_string(r, g, "path", "/notify");
	check_path(r, c, config_setting_get_member(g, "path"), "notify.path",
	    n->path);
	n->secret = get_secret(r, g, "secret");
	if (n->secret[0] == '\0')
		bad(r, g, "notify.secret must be set: it signs the back "
		    "office's callbacks");
	get_nets(r, g, "allow", &n->allow, &n->nallow);
	n->dedupe_ttl = (unsigned)get_int(r, g, "dedupe_ttl", 7 * 86400, 60,
	    365 * 86400);
	if (c->kannel == NULL || c->kannel->sendsms_url == NULL ||
	    c->kannel->sendsms_url[0] == '\0')
		bad(r, g, "notify needs kannel.sendsms: it sends the messages");
}

static void
read_admin(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "allow", "token", "simulator",
		NULL };
	const config_setting_t	*g = group(r, root, "admin", 0);
	struct conf_admin	*a;

	if (g == NULL)
		return;
	check_keys(r, g, keys);
	a = c->admin = xcalloc(1, sizeof *a);
	get_nets(r, g, "allow", &a->allow, &a->nallow);
	a->token = get_secret(r, g, "token");
	a->simulator = get_bool(r, g, "simulator", 0);
	if (a->token[0] == '\0')
		bad(r, g, "admin.token must be set: callers send it as "
		    "\"Authorization: Bearer <token>\"");
}

/*
 * One setting of adapter group a into v, as its key declares: the kind
 * checked, the range, a secret resolved, a path made absolute, a file
 * found readable.  v holds the default when the setting is absent or
 * wrong (the configuration then fails anyway).
 */
static void
read_adapter_value(struct reader *r, const config_setting_t *a,
    const struct conf_adapter *ad, const struct adapter_key *k,
    struct adapter_value *v)
{
	const config_setting_t	*s = config_setting_get_member(a, k->name);
	size_t			 before = r->errs->n;
	char			 buf[128];
	char			*str;

	setting_path(a, buf, sizeof buf);
	if (s == NULL) {
		if (k->required)
			bad(r, a, "%s.%s must be set for a %s adapter", buf,
			    k->name, ad->type);
		return;
	}
	if (k->kind == ADAPTER_INT) {
		v->num = get_int(r, a, k->name, k->idef, k->min, k->max);
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		bad(r, s, "%s.%s must be a string", buf, k->name);
		return;
	}
	if (k->kind == ADAPTER_SECRET)
		str = get_secret(r, a, k->name);
	else if (k->kind == ADAPTER_PATH || k->kind == ADAPTER_FILE)
		str = get_path(r, a, k->name);
	else
		str = get_string(r, a, k->name, NULL);
	free(v->str);
	v->str = str;
	if (*str == '\0' && k->required) {
		/* A secret that could not be read is reported already. */
		if (r->errs->n == before)
			bad(r, s, "%s.%s must not be empty", buf, k->name);
		return;
	}
	if (k->kind == ADAPTER_URL && !url_valid(str, 1))
		bad(r, s, "%s.%s must be http:// or https://host[:port]/path, "
		    "not \"%s\"", buf, k->name, str);
	else if (k->kind == ADAPTER_URL_PATH && *str != '/')
		bad(r, s, "%s.%s must start with '/'", buf, k->name);
	else if (k->kind == ADAPTER_FILE && *str != '\0' &&
	    access(str, R_OK) == -1)
		bad(r, s, "%s.%s: cannot read %s: %s", buf, k->name, str,
		    strerror(errno));
}

/* An adapter group: its type, then every setting against the keys the
 * type declares. */
static void
read_adapter(struct reader *r, const config_setting_t *a,
    struct conf_adapter *ad)
{
	const struct adapter_ops *ops;
	char			  buf[128];

	ad->type = get_string(r, a, "type", NULL);
	if (ad->type == NULL)
		return;
	if ((ops = adapter_find(ad->type)) == NULL) {
		bad(r, config_setting_get_member(a, "type"),
		    "adapter %s: unknown type \"%s\"", ad->name, ad->type);
		return;
	}
	for (int i = 0; i < config_setting_length(a); i++) {
		const config_setting_t	*m = config_setting_get_elem(a,
		    (unsigned)i);
		const char		*key = config_setting_name(m);

		if (strcmp(key, "type") != 0 &&
		    adapter_key_find(ops->keys, key) == NULL)
			bad(r, m, "unknown setting %s for a %s adapter",
			    setting_path(m, buf, sizeof buf), ad->type);
	}
	ad->settings = adapter_settings_new(ops->keys);
	for (size_t i = 0; ops->keys[i].name != NULL; i++)
		read_adapter_value(r, a, ad, &ops->keys[i],
		    &ad->settings->values[i]);
}

static void
read_adapters(struct reader *r, struct conf *c, const config_setting_t *root)
{
	const config_setting_t	*g = group(r, root, "adapters", 0);

	if (g == NULL)
		return;
	c->nadapters = (size_t)config_setting_length(g);
	c->adapters = xcalloc(c->nadapters, sizeof *c->adapters);
	for (size_t i = 0; i < c->nadapters; i++) {
		const config_setting_t	*a = config_setting_get_elem(g,
		    (unsigned)i);
		struct conf_adapter	*ad = &c->adapters[i];

		ad->name = xstrdup(config_setting_name(a));
		if (!config_setting_is_group(a)) {
			bad(r, a, "adapter %s must be a group { ... }",
			    ad->name);
			continue;
		}
		read_adapter(r, a, ad);
	}
}

/* A service's menu.  For -t, one with errors is kept when it can still
 * be checked (menu_load_for_check()): its errors are in r->errs, so the
 * configuration fails all the same, but check_menus() reports the rest
 * of what is wrong with it. */
static struct menu *
read_menu(struct reader *r, const char *path)
{
	int	 broken;

	if (!r->check)
		return menu_load(path, r->errs);
	return menu_load_for_check(path, r->errs, &broken);
}

static void
read_services(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "code", "menu", "adapter", NULL };
	const config_setting_t	*l = config_setting_get_member(root,
				    "services");
	char			 buf[128];

	if (l == NULL || !config_setting_is_list(l) ||
	    config_setting_length(l) == 0) {
		bad(r, l != NULL ? l : root,
		    "services must be a non-empty list ( { code = ...; "
		    "menu = ...; }, ... )");
		return;
	}
	c->nservices = (size_t)config_setting_length(l);
	c->services = xcalloc(c->nservices, sizeof *c->services);
	for (size_t i = 0; i < c->nservices; i++) {
		const config_setting_t	*g = config_setting_get_elem(l,
		    (unsigned)i);
		struct conf_service	*sv = &c->services[i];

		if (!config_setting_is_group(g)) {
			bad(r, g, "%s must be a group { ... }",
			    setting_path(g, buf, sizeof buf));
			continue;
		}
		check_keys(r, g, keys);
		sv->code = get_string(r, g, "code", NULL);
		sv->menu_path = get_path(r, g, "menu");
		sv->adapter = get_string(r, g, "adapter", "");
		for (size_t j = 0; sv->code != NULL && j < i; j++)
			if (c->services[j].code != NULL &&
			    strcmp(c->services[j].code, sv->code) == 0)
				bad(r, g, "service %s is defined twice",
				    sv->code);
		if (sv->code != NULL && (sv->code[0] == '\0' ||
		    strlen(sv->code) > 32))
			bad(r, config_setting_get_member(g, "code"),
			    "service code must be 1 to 32 characters");
		if (sv->adapter[0] != '\0' && conf_adapter(c, sv->adapter) ==
		    NULL)
			bad(r, config_setting_get_member(g, "adapter"),
			    "service %s: no adapter named \"%s\"",
			    sv->code ? sv->code : "?", sv->adapter);
		if (sv->menu_path == NULL)
			continue;
		if (access(sv->menu_path, R_OK) == -1)
			bad(r, config_setting_get_member(g, "menu"),
			    "service %s: cannot read menu %s: %s",
			    sv->code ? sv->code : "?", sv->menu_path,
			    strerror(errno));
		else
			sv->menu = read_menu(r, sv->menu_path);
	}
}

/* The page sizes menus are served with: each aggregator profile's and
 * each Kannel USSD smsc's, named as findings name them. */
struct served {
	struct menu_page	*pages;
	char			**names;	/* owned, NULL for no name */
	size_t			 n;
};

static void
served_add(struct served *s, const struct page_budget *b, char *name)
{
	s->pages[s->n].budget = *b;
	s->pages[s->n].name = name;
	s->names[s->n++] = name;
}

static void
served_pages(const struct conf *c, struct served *s)
{
	const struct conf_smsc	*sc;
	size_t			 max = c->naggregators;
	char			*name;

	if (c->kannel != NULL)
		max += c->kannel->nsmscs;
	s->pages = xcalloc(max + 1, sizeof *s->pages);
	s->names = xcalloc(max + 1, sizeof *s->names);
	s->n = 0;
	for (size_t i = 0; i < c->naggregators; i++)
		served_add(s, &c->aggregators[i].budget,
		    c->aggregators[i].path != NULL ?
		    xstrdup(c->aggregators[i].path) : NULL);
	for (size_t i = 0; c->kannel != NULL && i < c->kannel->nsmscs; i++) {
		sc = &c->kannel->smscs[i];
		if (sc->kind != SMSC_USSD)
			continue;
		name = NULL;
		if (sc->id != NULL)
			xasprintf(&name, "smsc %s", sc->id);
		served_add(s, &sc->budget, name);
	}
}

static void
served_free(struct served *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->pages);
}

/* 1 if a service before services[i] has the same menu file, which was
 * checked with it. */
static int
menu_checked_before(const struct conf *c, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (c->services[j].menu != NULL && strcmp(
		    c->services[j].menu_path, c->services[i].menu_path) == 0)
			return 1;
	return 0;
}

/*
 * The deeper checks of each menu (menu_check_shape(), menu_check_pages()),
 * each finding once: once per menu file, and once per page size however
 * many transports serve it.  For -t they go to list as errors; a daemon
 * serves such a menu and puts them in its warnings, to be logged.
 */
static void
check_menus(const struct conf *c, struct errlist *list)
{
	struct served	 s;

	served_pages(c, &s);
	for (size_t i = 0; i < c->nservices; i++) {
		if (c->services[i].menu == NULL || menu_checked_before(c, i))
			continue;
		menu_check_shape(c->services[i].menu, list);
		menu_check_pages(c->services[i].menu, s.pages, s.n, list);
	}
	served_free(&s);
}

static void	read_metrics(struct reader *, struct conf *,
		    const config_setting_t *);
static void	conf_metrics_free(struct conf_metrics *);

struct conf *
conf_load(const char *path, int check, struct errlist *errs)
{
	static const char *const keys[] = { "listen", "redis", "session",
		"log", "pidfile", "default_language", "aggregators", "kannel",
		"admin", "outbox", "adapters", "services", "sms", "notify",
		"metrics", "ledger", NULL };
	struct reader		 r = { .path = path, .errs = errs,
				     .check = check };
	struct conf		*c;
	config_t		 cfg;
	const config_setting_t	*root;
	char			*tmp;
	size_t			 before = errs->n;

	tmp = xstrdup(path);
	r.dir = xstrdup(dirname(tmp));
	free(tmp);

	config_init(&cfg);
	config_set_include_dir(&cfg, r.dir);
	if (config_read_file(&cfg, path) == CONFIG_FALSE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			errlist_add(errs, path, 0, "cannot read: %s",
			    strerror(errno));
		else
			errlist_add(errs, config_error_file(&cfg) ?
			    config_error_file(&cfg) : path,
			    config_error_line(&cfg), "%s",
			    config_error_text(&cfg));
		config_destroy(&cfg);
		free(r.dir);
		return NULL;
	}

	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	r.warns = &c->warnings;
	root = config_root_setting(&cfg);
	check_keys(&r, root, keys);
	read_listen(&r, c, root);
	read_redis(&r, c, root);
	read_session(&r, c, root);
	read_log(&r, c, root);
	c->pidfile = get_string(&r, root, "pidfile", "");
	c->default_language = get_string(&r, root, "default_language", "en");
	read_aggregators(&r, c, root);
	read_adapters(&r, c, root);
	read_services(&r, c, root);
	read_kannel(&r, c, root);	/* after the services it names */
	if (c->naggregators == 0 && c->kannel == NULL)
		bad(&r, root, "no way in: configure aggregators, kannel or "
		    "both");
	read_admin(&r, c, root);
	read_outbox(&r, c, root);
	read_sms(&r, c, root);
	read_notify(&r, c, root);
	read_ledger(&r, c, root);
	read_metrics(&r, c, root);

	if (check)
		check_menus(c, errs);
	else if (errs->n == before)
		check_menus(c, &c->warnings);

	config_destroy(&cfg);
	free(r.dir);
	if (errs->n > before) {
		conf_free(c);
		return NULL;
	}
	return c;
}

static void
conf_kannel_free(struct conf_kannel *k)
{
	if (k == NULL)
		return;
	free(k->path);
	free(k->dlr_path);
	free(k->secret);
	free(k->allow);
	free(k->gateway_url);
	for (size_t i = 0; i < k->nsmscs; i++) {
		free(k->smscs[i].id);
		free(k->smscs[i].service);
	}
	free(k->smscs);
	for (size_t i = 0; i < k->nprofiles; i++) {
		free(k->profiles[i].name);
		free(k->profiles[i].session_tlv);
	}
	free(k->profiles);
	free(k->sendsms_url);
	free(k->sendsms_username);
	free(k->sendsms_password);
	free(k->sendsms_from);
	free(k->sendsms_smsc);
	free(k);
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->listen_address);
	free(c->trusted_proxies);
	free(c->redis_host);
	free(c->redis_password);
	free(c->redis_username);
	free(c->redis_master_name);
	for (size_t i = 0; i < c->redis_nsentinels; i++)
		free(c->redis_sentinels[i]);
	free(c->redis_sentinels);
	free(c->log_secret);
	free(c->pidfile);
	free(c->default_language);
	for (size_t i = 0; i < c->naggregators; i++) {
		free(c->aggregators[i].path);
		free(c->aggregators[i].allow);
		free(c->aggregators[i].secret);
	}
	free(c->aggregators);
	errlist_free(&c->warnings);
	conf_kannel_free(c->kannel);
	free(c->outbox.consumer);
	conf_ledger_free(c->ledger);
	if (c->notify != NULL) {
		free(c->notify->path);
		free(c->notify->secret);
		free(c->notify->allow);
		free(c->notify);
	}
	if (c->admin != NULL) {
		free(c->admin->allow);
		free(c->admin->token);
		free(c->admin);
	}
	for (size_t i = 0; i < c->nadapters; i++) {
		struct conf_adapter *ad = &c->adapters[i];

		adapter_settings_free(ad->settings);
		free(ad->name);
		free(ad->type);
	}
	free(c->adapters);
	for (size_t i = 0; i < c->nservices; i++) {
		free(c->services[i].code);
		free(c->services[i].menu_path);
		free(c->services[i].adapter);
		menu_free(c->services[i].menu);
	}
	free(c->services);
	conf_metrics_free(&c->metrics);
	free(c);
}

const struct conf_service *
conf_service(const struct conf *c, const char *code)
{
	for (size_t i = 0; i < c->nservices; i++)
		if (c->services[i].code != NULL &&
		    strcmp(c->services[i].code, code) == 0)
			return &c->services[i];
	return NULL;
}

const struct conf_smsc *
conf_smsc(const struct conf_kannel *k, const char *id)
{
	for (size_t i = 0; k != NULL && i < k->nsmscs; i++)
		if (k->smscs[i].id != NULL && strcmp(k->smscs[i].id, id) == 0)
			return &k->smscs[i];
	return NULL;
}

const struct conf_adapter *
conf_adapter(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->nadapters; i++)
		if (strcmp(c->adapters[i].name, name) == 0)
			return &c->adapters[i];
	return NULL;
}

/*
 * The settings a running daemon keeps until it restarts.  SIGHUP builds
 * a new configuration generation for the engine and the routes, but the
 * listening socket, the Redis connection, the key of the MSISDN hashes in
 * the logs and Kannel's sendsms client (with the DLR URL it gives smsbox)
 * are made once at start.  Each is one "name=value" line, a newline or
 * backslash in the value escaped, so that lines compare one to one.
 */
static void
restart_line(char **s, const char *name, const char *value)
{
	char	*esc = xcalloc(2 * strlen(value) + 1, 1), *p = esc, *n;

	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '\n')
			*p++ = '\\';
		*p++ = *value == '\n' ? 'n' : *value;
	}
	xasprintf(&n, "%s%s=%s\n", *s, name, esc);
	free(esc);
	free(*s);
	*s = n;
}

static void
restart_number(char **s, const char *name, long long v)
{
	char	 buf[24];

	snprintf(buf, sizeof buf, "%lld", v);
	restart_line(s, name, buf);
}

char *
conf_restart_settings(const struct conf *c)
{
	const struct conf_kannel	*k = c->kannel;
	char				*s = xstrdup(""), *sentinels, *joined;

	restart_line(&s, "listen.address", c->listen_address);
	restart_number(&s, "listen.port", c->listen_port);
	restart_line(&s, "redis.host", c->redis_host);
	restart_number(&s, "redis.port", c->redis_port);
	restart_line(&s, "redis.password", c->redis_password);
	restart_line(&s, "redis.username", c->redis_username);
	restart_line(&s, "redis.master_name", c->redis_master_name);
	sentinels = xstrdup("");
	for (size_t i = 0; i < c->redis_nsentinels; i++) {
		xasprintf(&joined, "%s%s%s", sentinels, i ? "," : "",
		    c->redis_sentinels[i]);
		free(sentinels);
		sentinels = joined;
	}
	restart_line(&s, "redis.sentinels", sentinels);
	free(sentinels);
	restart_line(&s, "ledger.file", c->ledger ? c->ledger->file :
	    "(none)");
	restart_line(&s, "ledger.key", c->ledger ? c->ledger->key : "");
	restart_number(&s, "ledger.checkpoint_entries",
	    c->ledger ? c->ledger->checkpoint_entries : 0);
	restart_number(&s, "ledger.checkpoint_seconds",
	    c->ledger ? c->ledger->checkpoint_seconds : 0);
	restart_number(&s, "ledger.batch", c->ledger ? c->ledger->batch : 0);
	restart_number(&s, "outbox.replicas", c->outbox.replicas);
	restart_number(&s, "outbox.replica_wait_ms", c->outbox.replica_wait_ms);
	restart_number(&s, "redis.db", c->redis_db);
	restart_number(&s, "redis.timeout_ms", c->redis_timeout_ms);
	restart_line(&s, "log.secret", c->log_secret);
	restart_line(&s, "kannel.sendsms.url", k ? k->sendsms_url : "");
	restart_line(&s, "kannel.sendsms.username",
	    k ? k->sendsms_username : "");
	restart_line(&s, "kannel.sendsms.password",
	    k ? k->sendsms_password : "");
	restart_line(&s, "kannel.sendsms.from", k ? k->sendsms_from : "");
	restart_line(&s, "kannel.sendsms.smsc", k ? k->sendsms_smsc : "");
	restart_number(&s, "kannel.sendsms.timeout_ms",
	    k ? k->sendsms_timeout_ms : 0);
	restart_number(&s, "kannel.sendsms.attempts",
	    k ? k->sendsms_attempts : 0);
	restart_number(&s, "kannel.sendsms.connections",
	    k ? k->sendsms_connections : 0);
	restart_number(&s, "kannel.sendsms.dlr_mask", k ? k->dlr_mask : 0);
	restart_number(&s, "kannel.sendsms.dlr_ttl", k ? k->dlr_ttl : 0);
	restart_line(&s, "kannel.gateway_url", k ? k->gateway_url : "");
	restart_line(&s, "kannel.dlr_path", k ? k->dlr_path : "");
	restart_line(&s, "kannel.secret", k ? k->secret : "");
	return s;
}

int
conf_restart_needed(const char *running, const struct conf *next,
    char *what, size_t whatlen)
{
	char		*s = conf_restart_settings(next);
	const char	*r = running, *n = s, *re, *ne;
	size_t		 len = 0;
	int		 needed = 0;

	if (whatlen > 0)
		what[0] = '\0';
	/* Both made by conf_restart_settings(): the same names in the same
	 * order, one a line. */
	while ((ne = strchr(n, '\n')) != NULL &&
	    (re = strchr(r, '\n')) != NULL) {
		if (ne - n != re - r || memcmp(n, r, (size_t)(ne - n)) != 0) {
			needed = 1;
			if (len < whatlen)
				len += (size_t)snprintf(what + len,
				    whatlen - len, "%s%.*s", len > 0 ? "," : "",
				    (int)strcspn(n, "="), n);
		}
		n = ne + 1;
		r = re + 1;
	}
	free(s);
	return needed;
}

/*
 * metrics = { enabled = true; path = "/metrics"; allow = [...];
 * token = ""; }: on unless disabled, even without the group, for
 * scrapers on the addresses allowed (the admin allowlist unless the group
 * names its own, loopback without either); a token, when set, is asked
 * for as "Authorization: Bearer <token>".
 */
static void
read_metrics(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "enabled", "path", "allow",
		"token", NULL };
	const config_setting_t	*g = group(r, root, "metrics", 0);
	struct conf_metrics	*m = &c->metrics;

	if (g != NULL)
		check_keys(r, g, keys);
	m->enabled = get_bool(r, g, "enabled", 1);
	m->path = get_string(r, g, "path", "/metrics");
	m->token = get_secret(r, g, "token");
	if (g != NULL && config_setting_get_member(g, "path") != NULL)
		check_path(r, c, config_setting_get_member(g, "path"),
		    "metrics.path", m->path);
	if ((g == NULL || config_setting_get_member(g, "allow") == NULL) &&
	    c->admin != NULL) {
		m->allow = xcalloc(c->admin->nallow + 1, sizeof *m->allow);
		memcpy(m->allow, c->admin->allow,
		    c->admin->nallow * sizeof *m->allow);
		m->nallow = c->admin->nallow;
	} else
		get_nets(r, g, "allow", &m->allow, &m->nallow);
}

static void
conf_metrics_free(struct conf_metrics *m)
{
	free(m->path);
	free(m->allow);
	free(m->token);
}
