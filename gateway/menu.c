/*
 * Compiling a menu file into an immutable graph of screens, and the
 * deeper checks of "asanigw -t".  The file format is described in
 * menus/README.md.  Every error carries the file and line it is about and
 * all of them are collected before menu_load() fails, so an operator fixes
 * a file in one pass.  Stepping through the graph is in step.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "xmalloc.h"

/*
 * Built-in messages: what the engine and the stepper say outside any
 * screen's own text.  A menu may override any of them per language in
 * its `messages` group; a language with no default here falls back to
 * English.
 */
static const struct builtin {
	const char	*name;
	const char	*en;
	const char	*ur_latn;
	const char	*ur;
} builtins[] = {
	{ "more", "98 More", "98 Aur", "98 مزید" },
	{ "nav", "0 Back 00 Home", "0 Wapas 00 Shuru", "0 واپس 00 شروع" },
	{ "invalid", "Invalid choice.", "Ghalat intikhab.", "غلط انتخاب۔" },
	{ "invalid_input", "Invalid entry.", "Ghalat andraaj.",
	  "غلط اندراج۔" },
	{ "yes", "1. Yes", "1. Haan", "1. ہاں" },
	{ "no", "2. No", "2. Nahin", "2. نہیں" },
	{ "busy", "Service busy, please try again later.",
	  "Service masroof hai, baraye meharbani thori dair baad koshish "
	  "karein.",
	  "سروس مصروف ہے، براہ کرم کچھ دیر بعد دوبارہ کوشش کریں۔" },
	{ "expired", "Your session has expired. Please dial again.",
	  "Aap ka session khatam ho gaya hai. Baraye meharbani dobara dial "
	  "karein.",
	  "آپ کا سیشن ختم ہو گیا ہے۔ براہ کرم دوبارہ ڈائل کریں۔" },
	{ "failed",
	  "Sorry, we could not record your request. Please try again.",
	  "Maazrat, hum aap ki darkhwast darj nahin kar sake. Baraye "
	  "meharbani dobara koshish karein.",
	  "معذرت، ہم آپ کی درخواست درج نہیں کر سکے۔ براہ کرم دوبارہ کوشش "
	  "کریں۔" },
	{ "unknown", "This service is not available.",
	  "Yeh service dastyab nahin hai.",
	  "یہ سروس دستیاب نہیں ہے۔" },
	{ "unreadable", "Sorry, your message could not be read. Please try "
	  "again.",
	  "Maazrat, aap ka paigham parha nahin ja saka. Baraye meharbani "
	  "dobara koshish karein.",
	  "معذرت، آپ کا پیغام پڑھا نہیں جا سکا۔ براہ کرم دوبارہ کوشش کریں۔" },
	{ "limited", "Sorry, you have reached the limit for now. Please try "
	  "again later.",
	  "Maazrat, aap abhi hadd tak pohanch gaye hain. Baraye meharbani "
	  "baad mein koshish karein.",
	  "معذرت، آپ ابھی حد تک پہنچ گئے ہیں۔ براہ کرم بعد میں کوشش کریں۔" },
	{ "sms", "This number answers text messages soon. To ask for help "
	  "now, dial the service code.",
	  "Yeh number jald SMS ka jawab dega. Madad ke liye abhi service "
	  "code dial karein.",
	  "یہ نمبر جلد ایس ایم ایس کا جواب دے گا۔ مدد کے لیے ابھی سروس کوڈ "
	  "ڈائل کریں۔" },
};
#define NBUILTINS (sizeof builtins / sizeof builtins[0])

struct menu_value {
	char			*name;
	struct menu_text	 text;
	const char		*file;
};

struct menu {
	char			*path;
	char			*name;

	char			**langs;
	size_t			 nlangs;
	int			 deflang;

	struct menu_screen	*screens;	/* in file order */
	size_t			 nscreens;
	const struct menu_screen *start;
	const struct menu_screen *home;

	char			**sensitive;
	size_t			 nsensitive;

	struct menu_value	*values;
	size_t			 nvalues;

	struct menu_command	*commands;
	size_t			 ncommands;
	struct menu_value	*notifications;	/* name and text */
	size_t			 nnotifications;

	struct menu_text	 overrides[NBUILTINS];
	const char		**msgs;		/* [NBUILTINS * nlangs] */

	char			**files;	/* every file named, owned */
	size_t			 nfiles;
};

/* A target named by a screen, resolved once every screen is known. */
struct pending {
	const struct menu_screen **slot;
	char		*name;
	char		*ctx;
	const char	*file;
	int		 line;
};

struct compile {
	struct menu	*m;
	struct errlist	*errs;
	size_t		 nerrs;		/* errors before this load */
	int		 langs_ok;	/* languages parsed: check tags */
	struct pending	*pend;
	size_t		 npend;
	char		*ctx;		/* "screen 'x'": prefixes errors */
};

static const char *
intern_file(struct menu *m, const char *file)
{
	size_t	 i;

	if (file == NULL)
		file = m->path;
	for (i = 0; i < m->nfiles; i++) {
		if (strcmp(m->files[i], file) == 0)
			return m->files[i];
	}
	m->files = xreallocarray(m->files, m->nfiles + 1, sizeof *m->files);
	m->files[m->nfiles] = xstrdup(file);
	return m->files[m->nfiles++];
}

static const char *
sfile(struct compile *c, const config_setting_t *s)
{
	return intern_file(c->m, config_setting_source_file(s));
}

static void __attribute__((format(printf, 3, 4)))
cerror(struct compile *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (c->ctx != NULL)
		errlist_add(c->errs, sfile(c, s),
		    config_setting_source_line(s), "%s: %s", c->ctx, msg);
	else
		errlist_add(c->errs, sfile(c, s),
		    config_setting_source_line(s), "%s", msg);
	free(msg);
}

static int
lang_index(const struct menu *m, const char *lang)
{
	size_t	 i;

	if (lang == NULL)
		return -1;
	for (i = 0; i < m->nlangs; i++) {
		if (strcmp(m->langs[i], lang) == 0)
			return (int)i;
	}
	return -1;
}

/* Checks the ${var} references of a template; NULL if they are fine. */
static const char *
template_error(const char *s)
{
	const char	*p, *end;

	for (p = s; (p = strchr(p, '$')) != NULL; p++) {
		if (p[1] != '{')
			continue;
		if ((end = strchr(p + 2, '}')) == NULL)
			return "unterminated ${";
		if (end == p + 2)
			return "empty variable name in ${}";
		p = end;
	}
	return NULL;
}

/* A string setting's value, or NULL after an error. */
static const char *
get_string(struct compile *c, const config_setting_t *s, const char *what)
{
	const char	*v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    (v = config_setting_get_string(s)) == NULL) {
		cerror(c, s, "%s must be a string", what);
		return NULL;
	}
	if (!utf8_valid(v, strlen(v))) {
		cerror(c, s, "%s is not valid UTF-8", what);
		return NULL;
	}
	return v;
}

static int
is_list(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_LIST ||
	    config_setting_type(s) == CONFIG_TYPE_ARRAY;
}

/*
 * Parses a text: a group with one string per language.  template: the
 * strings may hold ${var} references and are checked for them.
 */
static void
parse_text(struct compile *c, const config_setting_t *s, const char *what,
    int template, struct menu_text *t)
{
	config_setting_t	*e;
	const char		*v, *why;
	int			 i, n, l;

	t->line = config_setting_source_line(s);
	if (!config_setting_is_group(s)) {
		cerror(c, s, "%s must be a group with one string per language",
		    what);
		return;
	}
	t->tr = xcalloc(c->m->nlangs + 1, sizeof *t->tr);
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cerror(c, e, "%s: '%s' must be a string", what,
			    config_setting_name(e));
			continue;
		}
		v = config_setting_get_string(e);
		if (!utf8_valid(v, strlen(v))) {
			cerror(c, e, "%s: '%s' is not valid UTF-8", what,
			    config_setting_name(e));
			continue;
		}
		if (template && (why = template_error(v)) != NULL) {
			cerror(c, e, "%s: '%s': %s", what,
			    config_setting_name(e), why);
			continue;
		}
		if (!c->langs_ok)
			continue;
		l = lang_index(c->m, config_setting_name(e));
		if (l == -1) {
			cerror(c, e, "%s: '%s' is not one of the languages",
			    what, config_setting_name(e));
			continue;
		}
		t->tr[l] = xstrdup(v);
	}
}

static void
text_free(const struct menu *m, struct menu_text *t)
{
	size_t	 i;

	if (t->tr == NULL)
		return;
	for (i = 0; i < m->nlangs; i++)
		free(t->tr[i]);
	free(t->tr);
	t->tr = NULL;
}

/* Records a target to resolve once every screen is known. */
static void
want_target(struct compile *c, const config_setting_t *s, const char *what,
    const struct menu_screen **slot)
{
	struct pending	*p;
	const char	*v;

	if ((v = get_string(c, s, what)) == NULL)
		return;
	c->pend = xreallocarray(c->pend, c->npend + 1, sizeof *c->pend);
	p = &c->pend[c->npend++];
	p->slot = slot;
	p->name = xstrdup(v);
	p->ctx = c->ctx != NULL ? xstrdup(c->ctx) : NULL;
	p->file = sfile(c, s);
	p->line = config_setting_source_line(s);
}

/* Each kind and the keys it takes besides "kind"; any other is an error. */
#define KIND_KEYS 10
static const struct {
	const char		*name;
	enum screen_kind	 kind;
	const char		*keys[KIND_KEYS];
} kinds[] = {
	{ "menu", SCREEN_MENU, { "text", "options" } },
	{ "input", SCREEN_INPUT, { "text", "var", "error", "pattern", "min",
	    "max", "min_length", "max_length", "goto", "upper" } },
	{ "confirm", SCREEN_CONFIRM, { "text", "yes", "no" } },
	{ "route", SCREEN_ROUTE, { "var", "cases", "default" } },
	{ "submit", SCREEN_SUBMIT, { "text", "request", "fields" } },
	{ "lookup", SCREEN_LOOKUP, { "text", "query", "params", "not_found",
	    "fallback" } },
	{ "end", SCREEN_END, { "text" } },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* A required member, or NULL after an error. */
static config_setting_t *
need(struct compile *c, const config_setting_t *g, const char *what,
    const char *key)
{
	config_setting_t	*s;

	if ((s = config_setting_get_member(g, key)) != NULL)
		return s;
	if (what == NULL)
		cerror(c, g, "missing key '%s'", key);
	else
		cerror(c, g, "%s: missing key '%s'", what, key);
	return s;
}

static void
parse_option(struct compile *c, struct menu_screen *scr, size_t idx,
    const config_setting_t *g)
{
	struct menu_option	*o = &scr->options[idx];
	config_setting_t	*e, *s;
	const char		*name, *v;
	char			 what[32];
	int			 i, n;

	snprintf(what, sizeof what, "option %zu", idx + 1);
	o->line = config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		cerror(c, g, "%s must be a group", what);
		return;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(g, i);
		name = config_setting_name(e);
		if (strcmp(name, "label") != 0 && strcmp(name, "set") != 0 &&
		    strcmp(name, "goto") != 0)
			cerror(c, e, "%s: unknown key '%s'", what, name);
	}
	if ((s = need(c, g, what, "label")) != NULL) {
		snprintf(what, sizeof what, "option %zu label", idx + 1);
		parse_text(c, s, what, 1, &o->label);
		snprintf(what, sizeof what, "option %zu", idx + 1);
	}
	if ((s = need(c, g, what, "goto")) != NULL)
		want_target(c, s, "goto", &o->next);
	if ((s = config_setting_get_member(g, "set")) == NULL)
		return;
	if (!config_setting_is_group(s)) {
		cerror(c, s, "%s: set must be a group of strings", what);
		return;
	}
	n = config_setting_length(s);
	o->set = xcalloc(n, sizeof *o->set);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		name = config_setting_name(e);
		if ((v = get_string(c, e, name)) == NULL)
			continue;
		if (strcmp(name, "lang") == 0 && c->langs_ok &&
		    lang_index(c->m, v) == -1) {
			cerror(c, e, "%s: lang '%s' is not one of the "
			    "languages", what, v);
			continue;
		}
		o->set[o->nset].name = xstrdup(name);
		o->set[o->nset].value = xstrdup(v);
		o->nset++;
	}
}

static void
parse_options(struct compile *c, struct menu_screen *scr,
    const config_setting_t *s)
{
	int	 i, n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		cerror(c, s, "options must be a list ( ... ) of groups");
		return;
	}
	if ((n = config_setting_length(s)) == 0) {
		cerror(c, s, "empty options");
		return;
	}
	scr->options = xcalloc(n, sizeof *scr->options);
	scr->noptions = n;
	for (i = 0; i < n; i++)
		parse_option(c, scr, i, config_setting_get_elem(s, i));
}

static void
parse_cases(struct compile *c, struct menu_screen *scr,
    const config_setting_t *s)
{
	config_setting_t	*g, *e;
	const char		*v, *name;
	char			 what[32];
	int			 i, j, n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		cerror(c, s, "cases must be a list ( ... ) of groups");
		return;
	}
	if ((n = config_setting_length(s)) == 0) {
		cerror(c, s, "empty cases");
		return;
	}
	scr->cases = xcalloc(n, sizeof *scr->cases);
	scr->ncases = n;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		scr->cases[i].line = config_setting_source_line(g);
		snprintf(what, sizeof what, "case %d", i + 1);
		if (!config_setting_is_group(g)) {
			cerror(c, g, "%s must be a group", what);
			continue;
		}
		for (j = 0; j < config_setting_length(g); j++) {
			e = config_setting_get_elem(g, j);
			name = config_setting_name(e);
			if (strcmp(name, "value") != 0 &&
			    strcmp(name, "goto") != 0)
				cerror(c, e, "%s: unknown key '%s'", what,
				    name);
		}
		if ((e = need(c, g, what, "value")) != NULL &&
		    (v = get_string(c, e, "value")) != NULL)
			scr->cases[i].value = xstrdup(v);
		if ((e = need(c, g, what, "goto")) != NULL)
			want_target(c, e, "goto", &scr->cases[i].next);
	}
}

static int
get_integer(struct compile *c, const config_setting_t *s, const char *what,
    long long *v)
{
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cerror(c, s, "%s must be an integer", what);
		return -1;
	}
	*v = config_setting_get_int64(s);
	return 0;
}

static void
parse_input(struct compile *c, struct menu_screen *scr,
    const config_setting_t *g)
{
	config_setting_t	*s, *smin = NULL, *sminl = NULL;
	const char		*v;
	char			 buf[256];
	long long		 n;
	int			 rc, validated = 0;

	scr->min_length = 1;
	scr->max_length = 160;
	if ((s = config_setting_get_member(g, "pattern")) != NULL) {
		validated = 1;
		if ((v = get_string(c, s, "pattern")) != NULL) {
			scr->pattern = xcalloc(1, sizeof(regex_t));
			rc = regcomp(scr->pattern, v, REG_EXTENDED|REG_NOSUB);
			if (rc != 0) {
				regerror(rc, scr->pattern, buf, sizeof buf);
				cerror(c, s, "invalid pattern \"%s\": %s", v,
				    buf);
				free(scr->pattern);
				scr->pattern = NULL;
			} else
				scr->has_pattern = 1;
		}
	}
	if ((s = config_setting_get_member(g, "min")) != NULL) {
		validated = 1;
		if (get_integer(c, s, "min", &scr->min) == 0) {
			scr->has_min = 1;
			smin = s;
		}
	}
	if ((s = config_setting_get_member(g, "max")) != NULL) {
		validated = 1;
		if (get_integer(c, s, "max", &scr->max) == 0)
			scr->has_max = 1;
	}
	if (scr->has_min && scr->has_max && scr->min > scr->max)
		cerror(c, smin, "min %lld > max %lld", scr->min, scr->max);
	if ((s = config_setting_get_member(g, "min_length")) != NULL) {
		validated = 1;
		sminl = s;
		if (get_integer(c, s, "min_length", &n) == 0) {
			if (n < 0)
				cerror(c, s, "min_length < 0");
			else
				scr->min_length = n;
		}
	}
	if ((s = config_setting_get_member(g, "max_length")) != NULL) {
		validated = 1;
		if (get_integer(c, s, "max_length", &n) == 0) {
			if (n < 1)
				cerror(c, s, "max_length < 1");
			else
				scr->max_length = n;
		}
	}
	if (scr->min_length > scr->max_length)
		cerror(c, sminl != NULL ? sminl : g,
		    "min_length %zu > max_length %zu", scr->min_length,
		    scr->max_length);
	if ((s = config_setting_get_member(g, "upper")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cerror(c, s, "upper must be true or false");
		else
			scr->upper = config_setting_get_bool(s);
	}
	if ((s = config_setting_get_member(g, "error")) != NULL)
		parse_text(c, s, "error", 1, &scr->error);
	else if (validated)
		cerror(c, g, "missing key 'error' (required with a pattern, "
		    "min, max, min_length or max_length)");
}

/* A list of strings (submit fields, lookup params, choices), if
 * given. */
static void
parse_names(struct compile *c, const config_setting_t *s, const char *what,
    char ***names, size_t *n)
{
	const char	*v;
	int		 i, len;

	if (s == NULL)
		return;
	if (!is_list(s)) {
		cerror(c, s, "%s must be a list of %s", what,
		    strcmp(what, "choices") == 0 ? "words" : "variable names");
		return;
	}
	len = config_setting_length(s);
	*names = xcalloc(len + 1, sizeof **names);
	for (i = 0; i < len; i++) {
		v = get_string(c, config_setting_get_elem(s, i), what);
		if (v != NULL)
			(*names)[(*n)++] = xstrdup(v);
	}
}

static void
parse_screen(struct compile *c, struct menu_screen *scr,
    const config_setting_t *g)
{
	config_setting_t	*s, *e;
	const char		*v, *name;
	size_t			 k, j;
	int			 i, n, known;

	scr->id = xstrdup(config_setting_name(g));
	scr->file = sfile(c, g);
	scr->line = config_setting_source_line(g);
	scr->kind = SCREEN_END;
	if (!config_setting_is_group(g)) {
		cerror(c, g, "must be a group");
		return;
	}
	if ((s = need(c, g, NULL, "kind")) == NULL ||
	    (v = get_string(c, s, "kind")) == NULL)
		return;
	for (k = 0; k < NKINDS; k++) {
		if (strcmp(kinds[k].name, v) == 0)
			break;
	}
	if (k == NKINDS) {
		cerror(c, s, "unknown screen kind '%s'", v);
		return;
	}
	scr->kind = kinds[k].kind;

	/* Typo protection: every key must mean something for this kind. */
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(g, i);
		name = config_setting_name(e);
		known = strcmp(name, "kind") == 0;
		for (j = 0; !known && j < KIND_KEYS && kinds[k].keys[j] != NULL;
		    j++)
			known = strcmp(name, kinds[k].keys[j]) == 0;
		if (known)
			continue;
		if ((scr->kind == SCREEN_SUBMIT ||
		    scr->kind == SCREEN_LOOKUP) && strcmp(name, "goto") == 0)
			cerror(c, e, "unknown key 'goto' (a %s screen "
			    "ends the session)", v);
		else
			cerror(c, e, "unknown key '%s' for kind %s", name, v);
	}

	if (scr->kind != SCREEN_ROUTE &&
	    (s = need(c, g, NULL, "text")) != NULL)
		parse_text(c, s, "text", 1, &scr->text);

	switch (scr->kind) {
	case SCREEN_MENU:
		if ((s = need(c, g, NULL, "options")) != NULL)
			parse_options(c, scr, s);
		break;
	case SCREEN_INPUT:
	case SCREEN_ROUTE:
		if ((s = need(c, g, NULL, "var")) != NULL &&
		    (v = get_string(c, s, "var")) != NULL) {
			if (*v == '\0')
				cerror(c, s, "empty var");
			else
				scr->var = xstrdup(v);
		}
		if (scr->kind == SCREEN_INPUT) {
			parse_input(c, scr, g);
			if ((s = need(c, g, NULL, "goto")) != NULL)
				want_target(c, s, "goto", &scr->next);
		} else {
			if ((s = need(c, g, NULL, "cases")) != NULL)
				parse_cases(c, scr, s);
			if ((s = need(c, g, NULL, "default")) != NULL)
				want_target(c, s, "default", &scr->dflt);
		}
		break;
	case SCREEN_CONFIRM:
		if ((s = need(c, g, NULL, "yes")) != NULL)
			want_target(c, s, "yes", &scr->next);
		if ((s = need(c, g, NULL, "no")) != NULL)
			want_target(c, s, "no", &scr->no);
		break;
	case SCREEN_SUBMIT:
		if ((s = need(c, g, NULL, "request")) != NULL &&
		    (v = get_string(c, s, "request")) != NULL)
			scr->request = xstrdup(v);
		parse_names(c, config_setting_get_member(g, "fields"),
		    "fields", &scr->fields, &scr->nfields);
		break;
	case SCREEN_LOOKUP:
		if ((s = need(c, g, NULL, "query")) != NULL &&
		    (v = get_string(c, s, "query")) != NULL) {
			if (*v == '\0')
				cerror(c, s, "empty query");
			else
				scr->query = xstrdup(v);
		}
		parse_names(c, config_setting_get_member(g, "params"),
		    "params", &scr->fields, &scr->nfields);
		if ((s = config_setting_get_member(g, "not_found")) != NULL)
			parse_text(c, s, "not_found", 1, &scr->not_found);
		if ((s = need(c, g, NULL, "fallback")) != NULL)
			parse_text(c, s, "fallback", 1, &scr->fallback);
		break;
	case SCREEN_END:
		break;
	}
}

static void
screen_free(const struct menu *m, struct menu_screen *scr)
{
	size_t	 i, j;

	free(scr->id);
	text_free(m, &scr->text);
	text_free(m, &scr->error);
	for (i = 0; i < scr->noptions; i++) {
		text_free(m, &scr->options[i].label);
		for (j = 0; j < scr->options[i].nset; j++) {
			free(scr->options[i].set[j].name);
			free(scr->options[i].set[j].value);
		}
		free(scr->options[i].set);
	}
	free(scr->options);
	free(scr->var);
	if (scr->pattern != NULL) {
		if (scr->has_pattern)
			regfree(scr->pattern);
		free(scr->pattern);
	}
	for (i = 0; i < scr->ncases; i++)
		free(scr->cases[i].value);
	free(scr->cases);
	free(scr->request);
	free(scr->query);
	text_free(m, &scr->not_found);
	text_free(m, &scr->fallback);
	for (i = 0; i < scr->nfields; i++)
		free(scr->fields[i]);
	free(scr->fields);
}

static void
parse_languages(struct compile *c, const config_setting_t *root)
{
	struct menu		*m = c->m;
	config_setting_t	*s, *e;
	const char		*v;
	int			 i, n;

	if ((s = need(c, root, NULL, "languages")) == NULL)
		return;
	if (!is_list(s) || (n = config_setting_length(s)) == 0) {
		cerror(c, s, "languages must be a non-empty list of language "
		    "tags");
		return;
	}
	m->langs = xcalloc(n, sizeof *m->langs);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if ((v = get_string(c, e, "a language tag")) == NULL)
			continue;
		if (*v == '\0') {
			cerror(c, e, "empty language tag");
			continue;
		}
		if (lang_index(m, v) != -1) {
			cerror(c, e, "language '%s' listed twice", v);
			continue;
		}
		m->langs[m->nlangs++] = xstrdup(v);
	}
	if (m->nlangs == 0)
		return;
	c->langs_ok = 1;

	if ((s = config_setting_get_member(root, "default_language")) == NULL)
		return;
	if ((v = get_string(c, s, "default_language")) == NULL)
		return;
	if ((m->deflang = lang_index(m, v)) == -1) {
		cerror(c, s, "default_language '%s' is not one of the "
		    "languages", v);
		m->deflang = 0;
	}
}

static void
parse_messages(struct compile *c, const config_setting_t *s)
{
	config_setting_t	*e;
	char			*what;
	size_t			 k;
	int			 i, n;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "messages must be a group of texts");
		return;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		for (k = 0; k < NBUILTINS; k++) {
			if (strcmp(builtins[k].name,
			    config_setting_name(e)) == 0)
				break;
		}
		if (k == NBUILTINS) {
			cerror(c, e, "unknown message '%s'",
			    config_setting_name(e));
			continue;
		}
		xasprintf(&what, "message '%s'", builtins[k].name);
		parse_text(c, e, what, 0, &c->m->overrides[k]);
		free(what);
	}
}

static void
parse_values(struct compile *c, const config_setting_t *s)
{
	struct menu		*m = c->m;
	struct menu_value	*mv;
	config_setting_t	*e;
	char			*what;
	int			 i, n;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "values must be a group of texts");
		return;
	}
	n = config_setting_length(s);
	m->values = xcalloc(n, sizeof *m->values);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		mv = &m->values[m->nvalues++];
		mv->name = xstrdup(config_setting_name(e));
		mv->file = sfile(c, e);
		xasprintf(&what, "value '%s'", mv->name);
		parse_text(c, e, what, 0, &mv->text);
		free(what);
	}
}

static void
parse_sensitive(struct compile *c, const config_setting_t *s)
{
	struct menu	*m = c->m;
	const char	*v;
	int		 i, n;

	if (!is_list(s)) {
		cerror(c, s, "sensitive must be a list of variable names");
		return;
	}
	n = config_setting_length(s);
	m->sensitive = xcalloc(n, sizeof *m->sensitive);
	for (i = 0; i < n; i++) {
		v = get_string(c, config_setting_get_elem(s, i),
		    "a sensitive variable");
		if (v != NULL)
			m->sensitive[m->nsensitive++] = xstrdup(v);
	}
}

static const struct menu_screen *
find_screen(const struct menu *m, const char *id)
{
	size_t	 i;

	for (i = 0; i < m->nscreens; i++) {
		if (m->screens[i].id != NULL && strcmp(m->screens[i].id, id) == 0)
			return &m->screens[i];
	}
	return NULL;
}

/* start or home: names a screen; the first screen when absent. */
static const struct menu_screen *
parse_entry(struct compile *c, const config_setting_t *root, const char *key,
    const struct menu_screen *dflt)
{
	const struct menu_screen	*scr;
	config_setting_t		*s;
	const char			*v;

	if ((s = config_setting_get_member(root, key)) == NULL)
		return dflt;
	if ((v = get_string(c, s, key)) == NULL)
		return dflt;
	if ((scr = find_screen(c->m, v)) == NULL) {
		cerror(c, s, "%s: unknown screen '%s'", key, v);
		return dflt;
	}
	return scr;
}

static void
resolve_targets(struct compile *c)
{
	struct pending	*p;
	size_t		 i;

	for (i = 0; i < c->npend; i++) {
		p = &c->pend[i];
		if ((*p->slot = find_screen(c->m, p->name)) == NULL)
			errlist_add(c->errs, p->file, p->line,
			    "%s%sunknown target '%s'", p->ctx ? p->ctx : "",
			    p->ctx ? ": " : "", p->name);
		free(p->ctx);
		free(p->name);
	}
	free(c->pend);
	c->pend = NULL;
	c->npend = 0;
}

/*
 * Routes are passed through without being shown, so a cycle of routes
 * would never end.  Colours: 0 unseen, 1 on the path, 2 done.
 */
static void
route_visit(struct compile *c, const struct menu_screen *scr, char *colour,
    const struct menu_screen **path, size_t depth)
{
	const struct menu *m = c->m;
	const struct menu_screen *next;
	char		*cycle, *tmp;
	size_t		 i, j, idx = scr - m->screens;

	colour[idx] = 1;
	path[depth] = scr;
	for (i = 0; i <= scr->ncases; i++) {
		next = i < scr->ncases ? scr->cases[i].next : scr->dflt;
		if (next == NULL || next->kind != SCREEN_ROUTE)
			continue;
		if (colour[next - m->screens] == 2)
			continue;
		if (colour[next - m->screens] == 0) {
			route_visit(c, next, colour, path, depth + 1);
			continue;
		}
		/* Back to a route on the path: report the loop once. */
		for (j = 0; path[j] != next; j++)
			;
		cycle = xstrdup(next->id);
		for (j++; j <= depth; j++) {
			xasprintf(&tmp, "%s -> %s", cycle, path[j]->id);
			free(cycle);
			cycle = tmp;
		}
		errlist_add(c->errs, scr->file, scr->line, "route cycle: "
		    "%s -> %s", cycle, next->id);
		free(cycle);
	}
	colour[idx] = 2;
}

static void
check_route_cycles(struct compile *c)
{
	struct menu			*m = c->m;
	const struct menu_screen	**path;
	char				*colour;
	size_t				 i;

	colour = xcalloc(m->nscreens, 1);
	path = xcalloc(m->nscreens, sizeof *path);
	for (i = 0; i < m->nscreens; i++) {
		if (m->screens[i].kind == SCREEN_ROUTE && colour[i] == 0)
			route_visit(c, &m->screens[i], colour, path, 0);
	}
	free(path);
	free(colour);
}

/* SMS commands. */

static const struct {
	const char		*name;
	enum command_action	 action;
	const char		*keys;		/* besides keywords, args,
						 * action and usage */
	const char		*required;
} actions[] = {
	{ "reply", ACTION_REPLY, " reply ", " reply " },
	{ "lookup", ACTION_LOOKUP,
	  " query params list item reply not_found fallback ",
	  " query reply fallback " },
	{ "confirm", ACTION_CONFIRM, " request fields reply done ",
	  " request reply done " },
	{ "yes", ACTION_YES, " wrong expired ", " wrong expired " },
	{ "no", ACTION_NO, " reply none ", " reply none " },
	{ "stop", ACTION_STOP, " reply ", " reply " },
	{ "start", ACTION_START, " reply ", " reply " },
	{ "help", ACTION_HELP, " reply ", " reply " },
};
#define NACTIONS (sizeof actions / sizeof actions[0])

static const char *const arg_types[] = { "integer", "choice", "word",
	"rest", NULL };

/* " key " in a list of space-separated words. */
static int
word_in(const char *list, const char *key)
{
	char	*k;
	int	 found;

	xasprintf(&k, " %s ", key);
	found = strstr(list, k) != NULL;
	free(k);
	return found;
}

static void
parse_keywords(struct compile *c, struct menu_command *cmd,
    const config_setting_t *s)
{
	config_setting_t	*e, *w;
	const char		*v;
	int			 i, j, n, nw, l;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "keywords must be a group with a list of words "
		    "per language");
		return;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		l = c->langs_ok ? lang_index(c->m, config_setting_name(e)) : 0;
		if (l == -1) {
			cerror(c, e, "keywords: '%s' is not one of the "
			    "languages", config_setting_name(e));
			continue;
		}
		if (!is_list(e)) {
			cerror(c, e, "keywords: '%s' must be a list of words",
			    config_setting_name(e));
			continue;
		}
		nw = config_setting_length(e);
		cmd->keywords = xreallocarray(cmd->keywords,
		    cmd->nkeywords + nw + 1, sizeof *cmd->keywords);
		for (j = 0; j < nw; j++) {
			w = config_setting_get_elem(e, j);
			if ((v = get_string(c, w, "a keyword")) == NULL)
				continue;
			if (*v == '\0' || strpbrk(v, " \t\n\r") != NULL) {
				cerror(c, w, "keyword \"%s\" must be one word",
				    v);
				continue;
			}
			cmd->keywords[cmd->nkeywords].word =
			    ascii_upper(xstrdup(v));
			cmd->keywords[cmd->nkeywords++].lang = l;
		}
	}
	if (cmd->nkeywords == 0)
		cerror(c, s, "no keywords");
}

static void
parse_arg(struct compile *c, struct menu_arg *a, const config_setting_t *g,
    int last)
{
	static const char *const keys[] = { "var", "type", "min", "max",
	    "choices", "upper", NULL };
	config_setting_t	*s, *e;
	const char		*v;
	size_t			 k;
	int			 i, n;

	if (!config_setting_is_group(g)) {
		cerror(c, g, "an argument must be a group { var; type; }");
		return;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(g, i);
		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(keys[k], config_setting_name(e)) == 0)
				break;
		if (keys[k] == NULL)
			cerror(c, e, "unknown argument key '%s'",
			    config_setting_name(e));
	}
	if ((s = need(c, g, "an argument", "var")) != NULL &&
	    (v = get_string(c, s, "var")) != NULL)
		a->var = xstrdup(v);
	if ((s = need(c, g, "an argument", "type")) != NULL &&
	    (v = get_string(c, s, "type")) != NULL) {
		for (k = 0; arg_types[k] != NULL; k++)
			if (strcmp(arg_types[k], v) == 0)
				break;
		if (arg_types[k] == NULL)
			cerror(c, s, "unknown argument type '%s' (integer, "
			    "choice, word or rest)", v);
		else
			a->type = (enum arg_type)k;
		if (a->type == ARG_REST && !last)
			cerror(c, s, "a rest argument must be the last");
	}
	if ((s = config_setting_get_member(g, "min")) != NULL &&
	    get_integer(c, s, "min", &a->min) == 0)
		a->has_min = 1;
	if ((s = config_setting_get_member(g, "max")) != NULL &&
	    get_integer(c, s, "max", &a->max) == 0)
		a->has_max = 1;
	if ((a->has_min || a->has_max) && a->type != ARG_INTEGER)
		cerror(c, g, "min and max are for integer arguments");
	if (a->has_min && a->has_max && a->min > a->max)
		cerror(c, g, "min %lld > max %lld", a->min, a->max);
	parse_names(c, config_setting_get_member(g, "choices"), "choices",
	    &a->choices, &a->nchoices);
	if (a->type == ARG_CHOICE && a->nchoices == 0)
		cerror(c, g, "a choice argument needs choices");
	if (a->type != ARG_CHOICE && a->nchoices > 0)
		cerror(c, g, "choices are for choice arguments");
	if ((s = config_setting_get_member(g, "upper")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cerror(c, s, "upper must be true or false");
		else if (a->type != ARG_WORD)
			cerror(c, s, "upper is for word arguments");
		else
			a->upper = config_setting_get_bool(s);
	}
}

/* The texts a command may have, by key. */
static struct menu_text *
command_text(struct menu_command *cmd, const char *key)
{
	static const char *const names[] = { "reply", "usage", "not_found",
	    "fallback", "done", "wrong", "expired", "none", "item", NULL };
	struct menu_text *const texts[] = { &cmd->reply, &cmd->usage,
	    &cmd->not_found, &cmd->fallback, &cmd->done, &cmd->wrong,
	    &cmd->expired, &cmd->none, &cmd->item };

	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], key) == 0)
			return texts[i];
	return NULL;
}

static void
parse_command(struct compile *c, struct menu_command *cmd,
    const config_setting_t *g)
{
	config_setting_t	*s, *e;
	struct menu_text	*t;
	const char		*v, *key;
	size_t			 k = NACTIONS;
	int			 i, n;

	cmd->id = xstrdup(config_setting_name(g));
	cmd->file = sfile(c, g);
	cmd->line = config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		cerror(c, g, "must be a group");
		return;
	}
	if ((s = need(c, g, NULL, "action")) != NULL &&
	    (v = get_string(c, s, "action")) != NULL) {
		for (k = 0; k < NACTIONS; k++)
			if (strcmp(actions[k].name, v) == 0)
				break;
		if (k == NACTIONS)
			cerror(c, s, "unknown action '%s'", v);
		else
			cmd->action = actions[k].action;
	}
	if ((s = need(c, g, NULL, "keywords")) != NULL)
		parse_keywords(c, cmd, s);
	if ((s = config_setting_get_member(g, "args")) != NULL) {
		if (!is_list(s)) {
			cerror(c, s, "args must be a list of { var; type; }");
		} else {
			n = config_setting_length(s);
			cmd->args = xcalloc(n + 1, sizeof *cmd->args);
			for (i = 0; i < n; i++)
				parse_arg(c, &cmd->args[cmd->nargs++],
				    config_setting_get_elem(s, i), i == n - 1);
		}
		if (config_setting_get_member(g, "usage") == NULL)
			cerror(c, g, "missing key 'usage' (required with "
			    "args)");
	}
	if (k == NACTIONS)
		return;
	if (cmd->action == ACTION_YES && cmd->nargs != 1)
		cerror(c, g, "a yes command takes one argument: the code");

	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(g, i);
		key = config_setting_name(e);
		if (strcmp(key, "keywords") == 0 || strcmp(key, "args") == 0 ||
		    strcmp(key, "action") == 0)
			continue;
		if (strcmp(key, "usage") != 0 &&
		    !word_in(actions[k].keys, key)) {
			cerror(c, e, "unknown key '%s' for action %s", key,
			    actions[k].name);
			continue;
		}
		if ((t = command_text(cmd, key)) != NULL)
			parse_text(c, e, key, 1, t);
		else if (strcmp(key, "query") == 0 &&
		    (v = get_string(c, e, key)) != NULL)
			cmd->query = xstrdup(v);
		else if (strcmp(key, "request") == 0 &&
		    (v = get_string(c, e, key)) != NULL)
			cmd->request = xstrdup(v);
		else if (strcmp(key, "list") == 0 &&
		    (v = get_string(c, e, key)) != NULL)
			cmd->list = xstrdup(v);
		else if (strcmp(key, "fields") == 0 ||
		    strcmp(key, "params") == 0)
			parse_names(c, e, key, &cmd->fields, &cmd->nfields);
	}
	for (const char *r = actions[k].required; *r != '\0'; ) {
		char	*w;
		size_t	 len;

		r += strspn(r, " ");
		if ((len = strcspn(r, " ")) == 0)
			break;
		w = xstrndup(r, len);
		if (config_setting_get_member(g, w) == NULL)
			cerror(c, g, "missing key '%s' (action %s)", w,
			    actions[k].name);
		free(w);
		r += len;
	}
	if ((cmd->list != NULL) != (cmd->item.tr != NULL))
		cerror(c, g, "list and item go together");
}

static void
parse_commands(struct compile *c, const config_setting_t *s)
{
	struct menu		*m = c->m;
	struct menu_command	*a, *b;
	config_setting_t	*e;
	size_t			 i, j, ki, kj;
	int			 n;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "commands must be a group of commands");
		return;
	}
	n = config_setting_length(s);
	m->commands = xcalloc(n + 1, sizeof *m->commands);
	for (int x = 0; x < n; x++) {
		e = config_setting_get_elem(s, x);
		xasprintf(&c->ctx, "command '%s'", config_setting_name(e));
		parse_command(c, &m->commands[m->ncommands++], e);
		free(c->ctx);
		c->ctx = NULL;
	}
	/* One word, one command. */
	for (i = 0; i < m->ncommands; i++)
		for (j = i + 1; j < m->ncommands; j++) {
			a = &m->commands[i];
			b = &m->commands[j];
			for (ki = 0; ki < a->nkeywords; ki++)
				for (kj = 0; kj < b->nkeywords; kj++)
					if (strcmp(a->keywords[ki].word,
					    b->keywords[kj].word) == 0)
						errlist_add(c->errs, b->file,
						    b->line, "command '%s': "
						    "keyword %s is also "
						    "command '%s''s", b->id,
						    b->keywords[kj].word,
						    a->id);
		}
}

static void
parse_notifications(struct compile *c, const config_setting_t *s)
{
	struct menu		*m = c->m;
	config_setting_t	*e;
	char			*what;
	int			 i, n;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "notifications must be a group of texts");
		return;
	}
	n = config_setting_length(s);
	m->notifications = xcalloc(n + 1, sizeof *m->notifications);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		m->notifications[i].name = xstrdup(config_setting_name(e));
		m->notifications[i].file = sfile(c, e);
		xasprintf(&what, "notification '%s'", config_setting_name(e));
		parse_text(c, e, what, 1, &m->notifications[i].text);
		free(what);
		m->nnotifications++;
	}
}

static void
command_free(const struct menu *m, struct menu_command *cmd)
{
	static const char *const texts[] = { "reply", "usage", "not_found",
	    "fallback", "done", "wrong", "expired", "none", "item", NULL };
	size_t	 i, j;

	free(cmd->id);
	for (i = 0; i < cmd->nkeywords; i++)
		free(cmd->keywords[i].word);
	free(cmd->keywords);
	for (i = 0; i < cmd->nargs; i++) {
		free(cmd->args[i].var);
		for (j = 0; j < cmd->args[i].nchoices; j++)
			free(cmd->args[i].choices[j]);
		free(cmd->args[i].choices);
	}
	free(cmd->args);
	free(cmd->query);
	free(cmd->request);
	free(cmd->list);
	for (i = 0; i < cmd->nfields; i++)
		free(cmd->fields[i]);
	free(cmd->fields);
	for (i = 0; texts[i] != NULL; i++)
		text_free(m, command_text(cmd, texts[i]));
}



/* The message table: override, else the built-in default in that
 * language, else the built-in English one. */
static void
build_messages(struct menu *m)
{
	const struct builtin	*b;
	const char		*v, *tag;
	size_t			 k, l;

	m->msgs = xcalloc(NBUILTINS * m->nlangs + 1, sizeof *m->msgs);
	for (k = 0; k < NBUILTINS; k++) {
		b = &builtins[k];
		for (l = 0; l < m->nlangs; l++) {
			tag = m->langs[l];
			v = NULL;
			if (m->overrides[k].tr != NULL)
				v = m->overrides[k].tr[l];
			if (v == NULL && strcmp(tag, "ur-Latn") == 0)
				v = b->ur_latn;
			if (v == NULL && strcmp(tag, "ur") == 0)
				v = b->ur;
			if (v == NULL)
				v = b->en;
			m->msgs[k * m->nlangs + l] = v;
		}
	}
}

static void
compile(struct compile *c, config_t *cf)
{
	static const char *const toplevel[] = { "name", "languages",
	    "default_language", "start", "home", "sensitive", "messages",
	    "values", "screens", "commands", "notifications", NULL };
	struct menu		*m = c->m;
	config_setting_t	*root, *s, *e;
	const char		*v;
	size_t			 j;
	int			 i, n;

	root = config_root_setting(cf);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(root, i);
		for (j = 0; toplevel[j] != NULL; j++) {
			if (strcmp(toplevel[j], config_setting_name(e)) == 0)
				break;
		}
		if (toplevel[j] == NULL)
			cerror(c, e, "unknown key '%s'",
			    config_setting_name(e));
	}

	if ((s = need(c, root, NULL, "name")) != NULL &&
	    (v = get_string(c, s, "name")) != NULL)
		m->name = xstrdup(v);
	parse_languages(c, root);
	if ((s = config_setting_get_member(root, "sensitive")) != NULL)
		parse_sensitive(c, s);
	if ((s = config_setting_get_member(root, "messages")) != NULL)
		parse_messages(c, s);
	if ((s = config_setting_get_member(root, "values")) != NULL)
		parse_values(c, s);
	if ((s = config_setting_get_member(root, "commands")) != NULL)
		parse_commands(c, s);
	if ((s = config_setting_get_member(root, "notifications")) != NULL)
		parse_notifications(c, s);

	if ((s = need(c, root, NULL, "screens")) == NULL)
		return;
	if (!config_setting_is_group(s)) {
		cerror(c, s, "screens must be a group of screens");
		return;
	}
	if ((n = config_setting_length(s)) == 0) {
		cerror(c, s, "no screens");
		return;
	}
	m->screens = xcalloc(n, sizeof *m->screens);
	m->nscreens = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		xasprintf(&c->ctx, "screen '%s'", config_setting_name(e));
		parse_screen(c, &m->screens[i], e);
		free(c->ctx);
		c->ctx = NULL;
	}
	resolve_targets(c);
	check_route_cycles(c);
	m->start = parse_entry(c, root, "start", &m->screens[0]);
	m->home = parse_entry(c, root, "home", m->start);
}

struct menu *
menu_load(const char *path, struct errlist *errs)
{
	struct compile	 c;
	struct menu	*m;
	config_t	 cf;
	FILE		*f;

	m = xcalloc(1, sizeof *m);
	m->path = xstrdup(path);
	memset(&c, 0, sizeof c);
	c.m = m;
	c.errs = errs;
	c.nerrs = errs->n;

	if ((f = fopen(path, "r")) == NULL) {
		errlist_add(errs, path, 0, "%s", strerror(errno));
		menu_free(m);
		return NULL;
	}
	config_init(&cf);
	if (!config_read(&cf, f)) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			errlist_add(errs, path, 0, "cannot read menu file");
		else
			errlist_add(errs, config_error_file(&cf) != NULL ?
			    config_error_file(&cf) : path,
			    config_error_line(&cf), "%s",
			    config_error_text(&cf));
		config_destroy(&cf);
		fclose(f);
		menu_free(m);
		return NULL;
	}
	fclose(f);
	compile(&c, &cf);
	config_destroy(&cf);
	if (errs->n != c.nerrs) {
		menu_free(m);
		return NULL;
	}
	build_messages(m);
	return m;
}

void
menu_free(struct menu *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nscreens; i++)
		screen_free(m, &m->screens[i]);
	free(m->screens);
	for (i = 0; i < m->nvalues; i++) {
		free(m->values[i].name);
		text_free(m, &m->values[i].text);
	}
	free(m->values);
	for (i = 0; i < m->ncommands; i++)
		command_free(m, &m->commands[i]);
	free(m->commands);
	for (i = 0; i < m->nnotifications; i++) {
		free(m->notifications[i].name);
		text_free(m, &m->notifications[i].text);
	}
	free(m->notifications);
	for (i = 0; i < NBUILTINS; i++)
		text_free(m, &m->overrides[i]);
	free(m->msgs);
	for (i = 0; i < m->nsensitive; i++)
		free(m->sensitive[i]);
	free(m->sensitive);
	for (i = 0; i < m->nlangs; i++)
		free(m->langs[i]);
	free(m->langs);
	for (i = 0; i < m->nfiles; i++)
		free(m->files[i]);
	free(m->files);
	free(m->name);
	free(m->path);
	free(m);
}

size_t
menu_ncommands(const struct menu *m)
{
	return m->ncommands;
}

const struct menu_command *
menu_command(const struct menu *m, size_t i)
{
	return i < m->ncommands ? &m->commands[i] : NULL;
}

const struct menu_command *
menu_command_by_action(const struct menu *m, enum command_action a)
{
	for (size_t i = 0; i < m->ncommands; i++)
		if (m->commands[i].action == a)
			return &m->commands[i];
	return NULL;
}

const struct menu_text *
menu_notification(const struct menu *m, const char *event)
{
	for (size_t i = 0; i < m->nnotifications; i++)
		if (strcmp(m->notifications[i].name, event) == 0)
			return &m->notifications[i].text;
	return NULL;
}

const char *
menu_name(const struct menu *m)
{
	return m->name;
}

const char *
menu_path(const struct menu *m)
{
	return m->path;
}

const char *
menu_default_lang(const struct menu *m)
{
	return m->langs[m->deflang];
}

int
menu_has_lang(const struct menu *m, const char *lang)
{
	return lang_index(m, lang) != -1;
}

const char *
menu_message(const struct menu *m, const char *name, const char *lang)
{
	size_t	 k;
	int	 l;

	if ((l = lang_index(m, lang)) == -1)
		l = m->deflang;
	for (k = 0; k < NBUILTINS; k++) {
		if (strcmp(builtins[k].name, name) == 0)
			return m->msgs[k * m->nlangs + l];
	}
	return "";
}

int
menu_var_sensitive(const struct menu *m, const char *var)
{
	size_t	 i;

	for (i = 0; i < m->nsensitive; i++) {
		if (strcmp(m->sensitive[i], var) == 0)
			return 1;
	}
	return 0;
}

const struct menu_screen *
menu_screen(const struct menu *m, const char *id)
{
	if (id == NULL)
		return NULL;
	return find_screen(m, id);
}

const struct menu_screen *
menu_start(const struct menu *m)
{
	return m->start;
}

const struct menu_screen *
menu_home(const struct menu *m)
{
	return m->home;
}

size_t
menu_nlangs(const struct menu *m)
{
	return m->nlangs;
}

int
menu_lang_index(const struct menu *m, const char *lang)
{
	return lang_index(m, lang);
}

const char *
menu_lang(const struct menu *m, int idx)
{
	if (idx < 0 || (size_t)idx >= m->nlangs)
		return m->langs[m->deflang];
	return m->langs[idx];
}

const char *
menu_tr(const struct menu *m, const struct menu_text *t, int idx)
{
	size_t	 i;

	if (t->tr == NULL)
		return "";
	if (idx >= 0 && (size_t)idx < m->nlangs && t->tr[idx] != NULL)
		return t->tr[idx];
	if (t->tr[m->deflang] != NULL)
		return t->tr[m->deflang];
	for (i = 0; i < m->nlangs; i++) {
		if (t->tr[i] != NULL)
			return t->tr[i];
	}
	return "";
}

const char *
menu_value(const struct menu *m, const char *value, int idx)
{
	size_t	 i;

	/* Without regard to ASCII case: a donor's "NEEDS LAHORE" reads as
	 * the value lahore. */
	for (i = 0; i < m->nvalues; i++) {
		if (strcasecmp(m->values[i].name, value) == 0)
			return menu_tr(m, &m->values[i].text, idx);
	}
	return NULL;
}

size_t
menu_nsensitive(const struct menu *m)
{
	return m->nsensitive;
}

const char *
menu_sensitive(const struct menu *m, size_t i)
{
	return m->sensitive[i];
}

/* -t checks. */

/* The screens scr leads to by its own keys (not 0, 00 or 98). */
static size_t
screen_edges(const struct menu_screen *scr, const struct menu_screen **out,
    size_t max)
{
	size_t	 n = 0, i;

#define EDGE(s) do { if ((s) != NULL && n < max) out[n++] = (s); } while (0)
	for (i = 0; i < scr->noptions; i++)
		EDGE(scr->options[i].next);
	for (i = 0; i < scr->ncases; i++)
		EDGE(scr->cases[i].next);
	EDGE(scr->next);
	EDGE(scr->no);
	EDGE(scr->dflt);
#undef EDGE
	return n;
}

static size_t
max_edges(const struct menu_screen *scr)
{
	return scr->noptions + scr->ncases + 3;
}

static void
mark_reachable(const struct menu *m, const struct menu_screen *from,
    char *seen)
{
	const struct menu_screen	**out;
	size_t				 i, n;

	if (from == NULL || seen[from - m->screens])
		return;
	seen[from - m->screens] = 1;
	out = xcalloc(max_edges(from), sizeof *out);
	n = screen_edges(from, out, max_edges(from));
	for (i = 0; i < n; i++)
		mark_reachable(m, out[i], seen);
	free(out);
}

static int
check_translations(const struct menu *m, const char *file,
    const struct menu_text *t, const char *what, struct errlist *errs)
{
	size_t	 l;
	int	 n = 0;

	if (t->tr == NULL)
		return 0;
	for (l = 0; l < m->nlangs; l++) {
		if (t->tr[l] != NULL)
			continue;
		errlist_add(errs, file, t->line, "%s has no '%s' translation",
		    what, m->langs[l]);
		n++;
	}
	return n;
}

static int
check_fits(const struct menu *m, const struct menu_screen *scr, int line,
    const char *what, const char *text, size_t l,
    const struct page_budget *b, struct errlist *errs)
{
	struct text_size	 ts;

	if (text_fits(text, strlen(text), b))
		return 0;
	text_measure(text, strlen(text), &ts);
	if (ts.coding == CODING_GSM7)
		errlist_add(errs, scr->file, line, "screen '%s': %s does not "
		    "fit one page in '%s' (%zu septets, page holds %zu)",
		    scr->id, what, m->langs[l], ts.septets, b->gsm7_septets);
	else
		errlist_add(errs, scr->file, line, "screen '%s': %s does not "
		    "fit one page in '%s' (%zu UCS-2 units, page holds %zu)",
		    scr->id, what, m->langs[l], ts.ucs2_units, b->ucs2_units);
	return 1;
}

static int
check_screen_fits(const struct menu *m, const struct menu_screen *scr,
    const struct page_budget *b, struct errlist *errs)
{
	char	*s, *what;
	size_t	 l, i;
	int	 n = 0;

	for (l = 0; l < m->nlangs; l++) {
		switch (scr->kind) {
		case SCREEN_INPUT:
			n += check_fits(m, scr, scr->text.line, "prompt",
			    menu_tr(m, &scr->text, l), l, b, errs);
			break;
		case SCREEN_CONFIRM:
			xasprintf(&s, "%s\n%s\n%s", menu_tr(m, &scr->text, l),
			    menu_message(m, "yes", m->langs[l]),
			    menu_message(m, "no", m->langs[l]));
			n += check_fits(m, scr, scr->text.line, "prompt", s, l,
			    b, errs);
			free(s);
			break;
		case SCREEN_MENU:
			n += check_fits(m, scr, scr->text.line, "text",
			    menu_tr(m, &scr->text, l), l, b, errs);
			for (i = 0; i < scr->noptions; i++) {
				xasprintf(&s, "%zu. %s", i + 1,
				    menu_tr(m, &scr->options[i].label, l));
				xasprintf(&what, "option %zu", i + 1);
				n += check_fits(m, scr, scr->options[i].line,
				    what, s, l, b, errs);
				free(what);
				free(s);
			}
			break;
		default:
			break;
		}
	}
	return n;
}

int
menu_check(const struct menu *m, const struct page_budget *b,
    struct errlist *errs)
{
	const struct menu_screen	*scr, **out;
	char				*seen, *ends, *what;
	size_t				 i, j, k, nout;
	int				 n = 0, changed;

	/* Unreachable screens. */
	seen = xcalloc(m->nscreens, 1);
	mark_reachable(m, m->start, seen);
	mark_reachable(m, m->home, seen);
	for (i = 0; i < m->nscreens; i++) {
		if (seen[i])
			continue;
		scr = &m->screens[i];
		errlist_add(errs, scr->file, scr->line,
		    "screen '%s' is unreachable", scr->id);
		n++;
	}

	/* Dead ends: screens from which no end or submit can be reached. */
	ends = xcalloc(m->nscreens, 1);
	for (i = 0; i < m->nscreens; i++) {
		k = m->screens[i].kind;
		ends[i] = k == SCREEN_END || k == SCREEN_SUBMIT ||
		    k == SCREEN_LOOKUP;
	}
	do {
		changed = 0;
		for (i = 0; i < m->nscreens; i++) {
			if (ends[i])
				continue;
			scr = &m->screens[i];
			out = xcalloc(max_edges(scr), sizeof *out);
			nout = screen_edges(scr, out, max_edges(scr));
			for (j = 0; j < nout; j++) {
				if (ends[out[j] - m->screens]) {
					ends[i] = changed = 1;
					break;
				}
			}
			free(out);
		}
	} while (changed);
	for (i = 0; i < m->nscreens; i++) {
		if (ends[i] || !seen[i])
			continue;
		scr = &m->screens[i];
		errlist_add(errs, scr->file, scr->line, "screen '%s' is a "
		    "dead end: no end, submit or lookup screen can be reached "
		    "from it", scr->id);
		n++;
	}
	free(ends);
	free(seen);

	/* Missing translations. */
	for (i = 0; i < m->nscreens; i++) {
		scr = &m->screens[i];
		xasprintf(&what, "screen '%s': text", scr->id);
		n += check_translations(m, scr->file, &scr->text, what, errs);
		free(what);
		xasprintf(&what, "screen '%s': error", scr->id);
		n += check_translations(m, scr->file, &scr->error, what, errs);
		free(what);
		xasprintf(&what, "screen '%s': not_found", scr->id);
		n += check_translations(m, scr->file, &scr->not_found, what,
		    errs);
		free(what);
		xasprintf(&what, "screen '%s': fallback", scr->id);
		n += check_translations(m, scr->file, &scr->fallback, what,
		    errs);
		free(what);
		for (j = 0; j < scr->noptions; j++) {
			xasprintf(&what, "screen '%s': option %zu label",
			    scr->id, j + 1);
			n += check_translations(m, scr->file,
			    &scr->options[j].label, what, errs);
			free(what);
		}
	}
	for (i = 0; i < m->nvalues; i++) {
		xasprintf(&what, "value '%s'", m->values[i].name);
		n += check_translations(m, m->values[i].file,
		    &m->values[i].text, what, errs);
		free(what);
	}

	/* SMS commands: a keyword and every text in every language. */
	for (i = 0; i < m->ncommands; i++) {
		static const char *const texts[] = { "reply", "usage",
		    "not_found", "fallback", "done", "wrong", "expired", "none",
		    "item", NULL };
		struct menu_command	*cmd = &m->commands[i];

		for (size_t l = 0; l < m->nlangs; l++) {
			for (k = 0; k < cmd->nkeywords; k++)
				if (cmd->keywords[k].lang == (int)l)
					break;
			if (k < cmd->nkeywords)
				continue;
			errlist_add(errs, cmd->file, cmd->line, "command '%s' "
			    "has no keyword in '%s'", cmd->id, m->langs[l]);
			n++;
		}
		for (j = 0; texts[j] != NULL; j++) {
			xasprintf(&what, "command '%s': %s", cmd->id, texts[j]);
			n += check_translations(m, cmd->file,
			    command_text(cmd, texts[j]), what, errs);
			free(what);
		}
	}
	for (i = 0; i < m->nnotifications; i++) {
		xasprintf(&what, "notification '%s'", m->notifications[i].name);
		n += check_translations(m, m->notifications[i].file,
		    &m->notifications[i].text, what, errs);
		free(what);
	}

	/* Fixed texts that must fit one page. */
	for (i = 0; i < m->nscreens; i++)
		n += check_screen_fits(m, &m->screens[i], b, errs);
	return n;
}
