/*
 * Reading the configuration.  Every setting is checked for its type and
 * range and every group for unknown keys (a typo must not silently fall
 * back to a default); all errors are collected with file and line before
 * conf_load() fails.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "adapter.h"
#include "conf.h"
#include "log.h"
#include "menu.h"
#include "xmalloc.h"

struct reader {
	const char	*path;		/* the main file, for settings without
					 * a source file */
	char		*dir;		/* its directory, for relative paths */
	struct errlist	*errs;
};

static void
bad(struct reader *r, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
bad(struct reader *r, const config_setting_t *s, const char *fmt, ...)
{
	va_list		 ap;
	char		*msg;
	const char	*file = NULL;
	int		 line = 0;

	if (s != NULL) {
		file = config_setting_source_file(s);
		line = (int)config_setting_source_line(s);
	}
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	errlist_add(r->errs, file != NULL ? file : r->path, line, "%s", msg);
	free(msg);
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
		NULL };
	const config_setting_t	*g = group(r, root, "listen", 1);

	if (g != NULL)
		check_keys(r, g, keys);
	c->listen_address = get_string(r, g, "address", "127.0.0.1");
	c->listen_port = (unsigned short)get_int(r, g, "port", 8786, 1,
	    65535);
	c->max_body = (size_t)get_int(r, g, "max_body", 4096, 256, 65536);
}

static void
read_redis(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "host", "port", "password", "db",
		"timeout_ms", NULL };
	const config_setting_t	*g = group(r, root, "redis", 1);

	if (g != NULL)
		check_keys(r, g, keys);
	c->redis_host = get_string(r, g, "host", "127.0.0.1");
	c->redis_port = (unsigned short)get_int(r, g, "port", 6379, 1, 65535);
	c->redis_password = get_secret(r, g, "password");
	c->redis_db = (int)get_int(r, g, "db", 0, 0, 1024);
	c->redis_timeout_ms = (unsigned)get_int(r, g, "timeout_ms", 500, 10,
	    60000);
}

static void
read_session(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "ttl", "hop_deadline_ms", NULL };
	const config_setting_t	*g = group(r, root, "session", 0);

	if (g != NULL)
		check_keys(r, g, keys);
	c->session_ttl = (unsigned)get_int(r, g, "ttl", 180, 1, 86400);
	c->hop_deadline_ms = (unsigned)get_int(r, g, "hop_deadline_ms", 2500,
	    50, 60000);
	if (c->redis_timeout_ms >= c->hop_deadline_ms)
		bad(r, g, "redis.timeout_ms (%u) must be shorter than "
		    "session.hop_deadline_ms (%u)", c->redis_timeout_ms,
		    c->hop_deadline_ms);
}

static void
read_log(struct reader *r, struct conf *c, const config_setting_t *root)
{
	static const char *const keys[] = { "level", "secret", NULL };
	const config_setting_t	*g = group(r, root, "log", 0);
	char			*level;

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
}

static void
read_aggregators(struct reader *r, struct conf *c,
    const config_setting_t *root)
{
	static const char *const keys[] = { "path", "text", "page_budget",
		"retry_window_ms", NULL };
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
		if (a->path != NULL && strcmp(a->path, "/health") == 0)
			bad(r, config_setting_get_member(g, "path"),
			    "aggregator path /health is the gateway's own");
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
	}
}

static int
key_known(const char *const *keys, const char *key)
{
	for (; keys != NULL && *keys != NULL; keys++)
		if (strcmp(*keys, key) == 0)
			return 1;
	return 0;
}

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
	ad->settings = xcalloc((size_t)config_setting_length(a),
	    sizeof *ad->settings);
	for (int i = 0; i < config_setting_length(a); i++) {
		const config_setting_t	*m = config_setting_get_elem(a,
		    (unsigned)i);
		const char		*key = config_setting_name(m);
		struct conf_setting	*cs;

		if (strcmp(key, "type") == 0)
			continue;
		if (!key_known(ops->keys, key)) {
			bad(r, m, "unknown setting %s for a %s adapter",
			    setting_path(m, buf, sizeof buf), ad->type);
			continue;
		}
		cs = &ad->settings[ad->nsettings++];
		cs->key = xstrdup(key);
		switch (config_setting_type(m)) {
		case CONFIG_TYPE_INT:
		case CONFIG_TYPE_INT64:
			xasprintf(&cs->value, "%lld",
			    config_setting_get_int64(m));
			break;
		case CONFIG_TYPE_BOOL:
			cs->value = xstrdup(config_setting_get_bool(m) ?
			    "true" : "false");
			break;
		case CONFIG_TYPE_STRING:
			if (strcmp(key, "path") == 0)
				cs->value = get_path(r, a, key);
			else
				cs->value = get_secret(r, a, key);
			break;
		default:
			bad(r, m, "%s must be a string, number or boolean",
			    setting_path(m, buf, sizeof buf));
			cs->value = xstrdup("");
			break;
		}
	}
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
			sv->menu = menu_load(sv->menu_path, r->errs);
	}
}

struct conf *
conf_load(const char *path, int check, struct errlist *errs)
{
	static const char *const keys[] = { "listen", "redis", "session",
		"log", "pidfile", "default_language", "aggregators",
		"adapters", "services", NULL };
	struct reader		 r = { .path = path, .errs = errs };
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
	root = config_root_setting(&cfg);
	check_keys(&r, root, keys);
	read_listen(&r, c, root);
	read_redis(&r, c, root);
	read_session(&r, c, root);
	read_log(&r, c, root);
	c->pidfile = get_string(&r, root, "pidfile", "");
	c->default_language = get_string(&r, root, "default_language", "en");
	read_aggregators(&r, c, root);
	if (c->naggregators == 0)
		bad(&r, root, "aggregators: at least one is needed");
	read_adapters(&r, c, root);
	read_services(&r, c, root);

	for (size_t i = 0; check && i < c->nservices; i++) {
		if (c->services[i].menu == NULL)
			continue;
		for (size_t j = 0; j < c->naggregators; j++)
			menu_check(c->services[i].menu,
			    &c->aggregators[j].budget, errs);
	}

	config_destroy(&cfg);
	free(r.dir);
	if (errs->n > before) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->listen_address);
	free(c->redis_host);
	free(c->redis_password);
	free(c->log_secret);
	free(c->pidfile);
	free(c->default_language);
	for (size_t i = 0; i < c->naggregators; i++)
		free(c->aggregators[i].path);
	free(c->aggregators);
	for (size_t i = 0; i < c->nadapters; i++) {
		struct conf_adapter *ad = &c->adapters[i];

		for (size_t j = 0; j < ad->nsettings; j++) {
			free(ad->settings[j].key);
			free(ad->settings[j].value);
		}
		free(ad->settings);
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

const struct conf_adapter *
conf_adapter(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->nadapters; i++)
		if (strcmp(c->adapters[i].name, name) == 0)
			return &c->adapters[i];
	return NULL;
}

const char *
conf_adapter_get(const struct conf_adapter *ca, const char *key)
{
	for (size_t i = 0; i < ca->nsettings; i++)
		if (strcmp(ca->settings[i].key, key) == 0)
			return ca->settings[i].value;
	return NULL;
}
