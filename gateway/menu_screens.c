/*
 * Compiling the `screens` group: each screen by its kind, then the
 * targets between them, then the start and home screens.
 *
 * A screen may name a screen declared after it, so compiling is two
 * passes.  While screens are read, every goto, yes, no and default is
 * recorded with the slot it fills (want_target()); once all are known,
 * resolve_targets() fills the slots or reports the unknown names (the
 * slot stays NULL and the screen is marked broken, for -t).  Only
 * then can route cycles be found: routes are passed through without
 * being shown, so a loop of them would never give the subscriber a page.
 *
 * Every key of a screen must mean something for its kind (the table
 * kinds[]), which catches the typo that would otherwise leave a screen
 * silently without its validation or its target.
 */
#include <sys/types.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "errlist.h"
#include "menu.h"
#include "menu_compile.h"
#include "menu_graph.h"
#include "xmalloc.h"

/* Records a target to resolve once every screen is known. */
static void
want_target(struct compile *c, const config_setting_t *s, const char *what,
    const struct menu_screen **slot)
{
	struct pending	*p;
	const char	*v;

	if ((v = compile_string(c, s, what)) == NULL)
		return;
	c->pend = xreallocarray(c->pend, c->npend + 1, sizeof *c->pend);
	p = &c->pend[c->npend++];
	p->scr = c->scr;
	p->slot = slot;
	p->name = xstrdup(v);
	p->ctx = c->ctx != NULL ? xstrdup(c->ctx) : NULL;
	p->file = compile_file(c, s);
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

static void
parse_option(struct compile *c, struct menu_screen *scr, size_t idx,
    const config_setting_t *g)
{
	static const char *const keys[] = { "label", "set", "goto", NULL };
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
	compile_keys(c, g, what, keys);
	if ((s = compile_need(c, g, what, "label")) != NULL) {
		snprintf(what, sizeof what, "option %zu label", idx + 1);
		compile_text(c, s, what, 1, &o->label);
		snprintf(what, sizeof what, "option %zu", idx + 1);
	}
	if ((s = compile_need(c, g, what, "goto")) != NULL)
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
		if ((v = compile_string(c, e, name)) == NULL)
			continue;
		if (strcmp(name, "lang") == 0 && c->langs_ok &&
		    menu_lang_index(c->m, v) == -1) {
			cerror(c, e, "%s: lang '%s' is not one of the "
			    "languages", what, v);
			continue;
		}
		o->set[o->nset].name = xstrdup(name);
		o->set[o->nset].value = xstrdup(v);
		o->nset++;
	}
}

/* The length of a non-empty list ( ... ) of groups, else 0 after an
 * error. */
static int
group_list(struct compile *c, const config_setting_t *s, const char *what)
{
	int	 n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		cerror(c, s, "%s must be a list ( ... ) of groups", what);
		return 0;
	}
	if ((n = config_setting_length(s)) == 0)
		cerror(c, s, "empty %s", what);
	return n;
}

static void
parse_options(struct compile *c, struct menu_screen *scr,
    const config_setting_t *s)
{
	int	 i, n;

	if ((n = group_list(c, s, "options")) == 0)
		return;
	scr->options = xcalloc(n, sizeof *scr->options);
	scr->noptions = n;
	for (i = 0; i < n; i++)
		parse_option(c, scr, i, config_setting_get_elem(s, i));
}

static void
parse_cases(struct compile *c, struct menu_screen *scr,
    const config_setting_t *s)
{
	static const char *const keys[] = { "value", "goto", NULL };
	config_setting_t	*g, *e;
	const char		*v;
	char			 what[32];
	int			 i, n;

	if ((n = group_list(c, s, "cases")) == 0)
		return;
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
		compile_keys(c, g, what, keys);
		if ((e = compile_need(c, g, what, "value")) != NULL &&
		    (v = compile_string(c, e, "value")) != NULL)
			scr->cases[i].value = xstrdup(v);
		if ((e = compile_need(c, g, what, "goto")) != NULL)
			want_target(c, e, "goto", &scr->cases[i].next);
	}
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
		if ((v = compile_string(c, s, "pattern")) != NULL) {
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
		if (compile_integer(c, s, "min", &scr->min) == 0) {
			scr->has_min = 1;
			smin = s;
		}
	}
	if ((s = config_setting_get_member(g, "max")) != NULL) {
		validated = 1;
		if (compile_integer(c, s, "max", &scr->max) == 0)
			scr->has_max = 1;
	}
	if (scr->has_min && scr->has_max && scr->min > scr->max)
		cerror(c, smin, "min %lld > max %lld", scr->min, scr->max);
	if ((s = config_setting_get_member(g, "min_length")) != NULL) {
		validated = 1;
		sminl = s;
		if (compile_integer(c, s, "min_length", &n) == 0) {
			if (n < 0)
				cerror(c, s, "min_length < 0");
			else
				scr->min_length = n;
		}
	}
	if ((s = config_setting_get_member(g, "max_length")) != NULL) {
		validated = 1;
		if (compile_integer(c, s, "max_length", &n) == 0) {
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
		compile_text(c, s, "error", 1, &scr->error);
	else if (validated)
		cerror(c, g, "missing key 'error' (required with a pattern, "
		    "min, max, min_length or max_length)");
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
	scr->file = compile_file(c, g);
	scr->line = config_setting_source_line(g);
	scr->kind = SCREEN_END;
	if (!config_setting_is_group(g)) {
		cerror(c, g, "must be a group");
		return;
	}
	if ((s = compile_need(c, g, NULL, "kind")) == NULL ||
	    (v = compile_string(c, s, "kind")) == NULL)
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
	    (s = compile_need(c, g, NULL, "text")) != NULL)
		compile_text(c, s, "text", 1, &scr->text);

	switch (scr->kind) {
	case SCREEN_MENU:
		if ((s = compile_need(c, g, NULL, "options")) != NULL)
			parse_options(c, scr, s);
		break;
	case SCREEN_INPUT:
	case SCREEN_ROUTE:
		if ((s = compile_need(c, g, NULL, "var")) != NULL &&
		    (v = compile_string(c, s, "var")) != NULL) {
			if (*v == '\0')
				cerror(c, s, "empty var");
			else
				scr->var = xstrdup(v);
		}
		if (scr->kind == SCREEN_INPUT) {
			parse_input(c, scr, g);
			if ((s = compile_need(c, g, NULL, "goto")) != NULL)
				want_target(c, s, "goto", &scr->next);
		} else {
			if ((s = compile_need(c, g, NULL, "cases")) != NULL)
				parse_cases(c, scr, s);
			if ((s = compile_need(c, g, NULL, "default")) != NULL)
				want_target(c, s, "default", &scr->dflt);
		}
		break;
	case SCREEN_CONFIRM:
		if ((s = compile_need(c, g, NULL, "yes")) != NULL)
			want_target(c, s, "yes", &scr->next);
		if ((s = compile_need(c, g, NULL, "no")) != NULL)
			want_target(c, s, "no", &scr->no);
		break;
	case SCREEN_SUBMIT:
		if ((s = compile_need(c, g, NULL, "request")) != NULL &&
		    (v = compile_string(c, s, "request")) != NULL)
			scr->request = xstrdup(v);
		compile_names(c, config_setting_get_member(g, "fields"),
		    "fields", &scr->fields, &scr->nfields);
		break;
	case SCREEN_LOOKUP:
		if ((s = compile_need(c, g, NULL, "query")) != NULL &&
		    (v = compile_string(c, s, "query")) != NULL) {
			if (*v == '\0')
				cerror(c, s, "empty query");
			else
				scr->query = xstrdup(v);
		}
		compile_names(c, config_setting_get_member(g, "params"),
		    "params", &scr->fields, &scr->nfields);
		if ((s = config_setting_get_member(g, "not_found")) != NULL)
			compile_text(c, s, "not_found", 1, &scr->not_found);
		if ((s = compile_need(c, g, NULL, "fallback")) != NULL)
			compile_text(c, s, "fallback", 1, &scr->fallback);
		break;
	case SCREEN_END:
		break;
	}
}

void
screen_free(const struct menu *m, struct menu_screen *scr)
{
	size_t	 i, j;

	free(scr->id);
	menu_text_free(m, &scr->text);
	menu_text_free(m, &scr->error);
	for (i = 0; i < scr->noptions; i++) {
		menu_text_free(m, &scr->options[i].label);
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
	menu_text_free(m, &scr->not_found);
	menu_text_free(m, &scr->fallback);
	for (i = 0; i < scr->nfields; i++)
		free(scr->fields[i]);
	free(scr->fields);
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
	if ((v = compile_string(c, s, key)) == NULL)
		return dflt;
	if ((scr = menu_screen(c->m, v)) == NULL) {
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
		if ((*p->slot = menu_screen(c->m, p->name)) == NULL) {
			errlist_add(c->errs, p->file, p->line,
			    "%s%sunknown target '%s'", p->ctx ? p->ctx : "",
			    p->ctx ? ": " : "", p->name);
			if (p->scr != NULL)
				p->scr->broken = 1;
		}
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

void
compile_screens(struct compile *c, const config_setting_t *root)
{
	struct menu		*m = c->m;
	config_setting_t	*s, *e;
	int			 i, n;

	if ((s = compile_need(c, root, NULL, "screens")) == NULL)
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
		c->scr = &m->screens[i];
		parse_screen(c, &m->screens[i], e);
		free(c->ctx);
		c->ctx = NULL;
		c->scr = NULL;
	}
	resolve_targets(c);
	check_route_cycles(c);
	m->start = parse_entry(c, root, "start", &m->screens[0]);
	m->home = parse_entry(c, root, "home", m->start);
}
