/*
 * Compiling a menu file: the file as a whole and the helpers every part
 * of the compiler reads settings with.  menu_compile() checks the
 * top-level keys, reads the languages first (every text is keyed by
 * them), then the groups of plain texts (messages, values,
 * notifications), the SMS commands (menu_commands.c) and last the
 * screens (menu_screens.c), whose targets can only be resolved once all
 * of them are known.
 *
 * The helpers share one rule: report with file and line through
 * cerror(), leave what could not be read empty, and carry on.
 * They never stop the compile, so an operator fixes a file in one pass;
 * menu_load() throws the half-built menu away if anything was reported
 * (menu_load_for_check() keeps it for the checks of -t).  An error in
 * a screen marks the screen broken.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "menu_compile.h"
#include "menu_graph.h"
#include "xmalloc.h"

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

const char *
compile_file(struct compile *c, const config_setting_t *s)
{
	return intern_file(c->m, config_setting_source_file(s));
}

void
cerror(struct compile *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (c->scr != NULL)
		c->scr->broken = 1;
	if (c->ctx != NULL)
		errlist_add(c->errs, compile_file(c, s),
		    config_setting_source_line(s), "%s: %s", c->ctx, msg);
	else
		errlist_add(c->errs, compile_file(c, s),
		    config_setting_source_line(s), "%s", msg);
	free(msg);
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
const char *
compile_string(struct compile *c, const config_setting_t *s, const char *what)
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

int
compile_is_list(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_LIST ||
	    config_setting_type(s) == CONFIG_TYPE_ARRAY;
}

/*
 * Parses a text: a group with one string per language.  template: the
 * strings may hold ${var} references and are checked for them.
 */
void
compile_text(struct compile *c, const config_setting_t *s, const char *what,
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
		l = menu_lang_index(c->m, config_setting_name(e));
		if (l == -1) {
			cerror(c, e, "%s: '%s' is not one of the languages",
			    what, config_setting_name(e));
			continue;
		}
		t->tr[l] = xstrdup(v);
	}
}

/* A required member, or NULL after an error. */
config_setting_t *
compile_need(struct compile *c, const config_setting_t *g, const char *what,
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

void
compile_keys(struct compile *c, const config_setting_t *g, const char *what,
    const char *const *keys)
{
	const config_setting_t	*e;
	const char		*name;
	size_t			 k;
	int			 i, n;

	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(g, i);
		name = config_setting_name(e);
		for (k = 0; keys[k] != NULL; k++) {
			if (strcmp(keys[k], name) == 0)
				break;
		}
		if (keys[k] != NULL)
			continue;
		if (what == NULL)
			cerror(c, e, "unknown key '%s'", name);
		else
			cerror(c, e, "%s: unknown key '%s'", what, name);
	}
}

int
compile_integer(struct compile *c, const config_setting_t *s, const char *what,
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

/* A list of strings (submit fields, lookup params, choices), if
 * given. */
void
compile_names(struct compile *c, const config_setting_t *s, const char *what,
    char ***names, size_t *n)
{
	const char	*v;
	int		 i, len;

	if (s == NULL)
		return;
	if (!compile_is_list(s)) {
		cerror(c, s, "%s must be a list of %s", what,
		    strcmp(what, "choices") == 0 ? "words" : "variable names");
		return;
	}
	len = config_setting_length(s);
	*names = xcalloc(len + 1, sizeof **names);
	for (i = 0; i < len; i++) {
		v = compile_string(c, config_setting_get_elem(s, i), what);
		if (v != NULL)
			(*names)[(*n)++] = xstrdup(v);
	}
}

static void
parse_languages(struct compile *c, const config_setting_t *root)
{
	struct menu		*m = c->m;
	config_setting_t	*s, *e;
	const char		*v;
	int			 i, n;

	if ((s = compile_need(c, root, NULL, "languages")) == NULL)
		return;
	if (!compile_is_list(s) || (n = config_setting_length(s)) == 0) {
		cerror(c, s, "languages must be a non-empty list of language "
		    "tags");
		return;
	}
	m->langs = xcalloc(n, sizeof *m->langs);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if ((v = compile_string(c, e, "a language tag")) == NULL)
			continue;
		if (*v == '\0') {
			cerror(c, e, "empty language tag");
			continue;
		}
		if (menu_lang_index(m, v) != -1) {
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
	if ((v = compile_string(c, s, "default_language")) == NULL)
		return;
	if ((m->deflang = menu_lang_index(m, v)) == -1) {
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
	int			 i, k, n;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "messages must be a group of texts");
		return;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if ((k = menu_builtin_index(config_setting_name(e))) == -1) {
			cerror(c, e, "unknown message '%s'",
			    config_setting_name(e));
			continue;
		}
		xasprintf(&what, "message '%s'", config_setting_name(e));
		compile_text(c, e, what, 0, &c->m->overrides[k]);
		free(what);
	}
}

/*
 * A group of named texts: the display translations of values (plain
 * text) or the notifications (templates).  group names the setting,
 * kind one of its members in errors.
 */
static void
parse_named_texts(struct compile *c, const config_setting_t *s,
    const char *group, const char *kind, int template,
    struct menu_value **out, size_t *nout)
{
	struct menu_value	*mv;
	config_setting_t	*e;
	char			*what;
	int			 i, n;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "%s must be a group of texts", group);
		return;
	}
	n = config_setting_length(s);
	*out = xcalloc(n + 1, sizeof **out);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		mv = &(*out)[(*nout)++];
		mv->name = xstrdup(config_setting_name(e));
		mv->file = compile_file(c, e);
		xasprintf(&what, "%s '%s'", kind, mv->name);
		compile_text(c, e, what, template, &mv->text);
		free(what);
	}
}

static void
parse_sensitive(struct compile *c, const config_setting_t *s)
{
	struct menu	*m = c->m;
	const char	*v;
	int		 i, n;

	if (!compile_is_list(s)) {
		cerror(c, s, "sensitive must be a list of variable names");
		return;
	}
	n = config_setting_length(s);
	m->sensitive = xcalloc(n, sizeof *m->sensitive);
	for (i = 0; i < n; i++) {
		v = compile_string(c, config_setting_get_elem(s, i),
		    "a sensitive variable");
		if (v != NULL)
			m->sensitive[m->nsensitive++] = xstrdup(v);
	}
}

void
menu_compile(struct menu *m, config_t *cf, struct errlist *errs)
{
	static const char *const toplevel[] = { "name", "languages",
	    "default_language", "start", "home", "sensitive", "messages",
	    "values", "screens", "commands", "notifications", NULL };
	struct compile		 cc = { .m = m, .errs = errs };
	struct compile		*c = &cc;
	config_setting_t	*root, *s;
	const char		*v;

	root = config_root_setting(cf);
	compile_keys(c, root, NULL, toplevel);

	if ((s = compile_need(c, root, NULL, "name")) != NULL &&
	    (v = compile_string(c, s, "name")) != NULL)
		m->name = xstrdup(v);
	parse_languages(c, root);
	if ((s = config_setting_get_member(root, "sensitive")) != NULL)
		parse_sensitive(c, s);
	if ((s = config_setting_get_member(root, "messages")) != NULL)
		parse_messages(c, s);
	if ((s = config_setting_get_member(root, "values")) != NULL)
		parse_named_texts(c, s, "values", "value", 0, &m->values,
		    &m->nvalues);
	if ((s = config_setting_get_member(root, "commands")) != NULL)
		compile_commands(c, s);
	if ((s = config_setting_get_member(root, "notifications")) != NULL)
		parse_named_texts(c, s, "notifications", "notification", 1,
		    &m->notifications, &m->nnotifications);

	compile_screens(c, root);
}
