/*
 * asanigw -G: the compiled graph of a menu as Graphviz DOT, so that an
 * author sees the journey a subscriber can take (render it with
 * "dot -Tsvg", or "make menu-pictures" for the shipped menus).
 *
 * One node per screen, one edge per target a screen names, in the order
 * screen_edges() gives them, so the picture counts what the compiler
 * built: a menu option is "N. label", a route case its value, an input
 * its variable, a confirm its yes and no.  Back (0), home (00) and more
 * (98) lead everywhere and are not drawn.  The shape says the kind; a
 * submit or lookup is drawn bold with its request or query; the start
 * screen has a double border, and a node shows the start of its text.  Unreachable screens and dead ends come
 * from menu_check_reach(), the same walk -t reports from, so the
 * picture and -t never disagree.
 *
 * DOT needs every label quoted: '"' and '\' are escaped, a newline
 * becomes "\n", other control characters a space; UTF-8 (Urdu) passes
 * through untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "errlist.h"
#include "menu.h"
#include "menu_compile.h"
#include "menu_dot.h"
#include "menu_graph.h"
#include "xmalloc.h"

/* How much of a screen's text a node shows: its first line, cut to
 * this many characters (code points). */
#define TEXT_SHOWN	40

#define FILL_UNREACHABLE	"#d9d9d9"
#define FILL_DEAD_END		"#f4cccc"

static const struct {
	const char	*name;
	const char	*shape;
} kinds[] = {
	[SCREEN_MENU] =		{ "menu",	"box" },
	[SCREEN_INPUT] =	{ "input",	"parallelogram" },
	[SCREEN_CONFIRM] =	{ "confirm",	"diamond" },
	[SCREEN_ROUTE] =	{ "route",	"hexagon" },
	[SCREEN_SUBMIT] =	{ "submit",	"cds" },
	[SCREEN_LOOKUP] =	{ "lookup",	"cylinder" },
	[SCREEN_END] =		{ "end",	"octagon" },
};

/* s as the inside of a DOT quoted string. */
static void
put_escaped(FILE *fp, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fputc(' ', fp);
		else
			fputc(*p, fp);
	}
}

/* The first line of text, at most TEXT_SHOWN characters of it, cut
 * between UTF-8 sequences. */
static void
put_excerpt(FILE *fp, const char *text)
{
	char	*s;
	size_t	 i, chars = 0;

	s = xstrdup(text);
	for (i = 0; s[i] != '\0' && s[i] != '\n'; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars++ == TEXT_SHOWN)
			break;
	}
	if (s[i] != '\0') {
		s[i] = '\0';
		put_escaped(fp, s);
		fputs("...", fp);
	} else
		put_escaped(fp, s);
	free(s);
}

static void
put_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	put_escaped(fp, s);
	fputc('"', fp);
}

static void
put_node(FILE *fp, const struct menu *m, size_t i, int lang,
    const char *reach, const char *dead)
{
	const struct menu_screen	*scr = &m->screens[i];
	const char			*note = NULL;

	fputs("\t", fp);
	put_quoted(fp, scr->id);
	fprintf(fp, " [shape=%s, label=\"", kinds[scr->kind].shape);
	put_escaped(fp, scr->id);
	fprintf(fp, "\\n(%s", kinds[scr->kind].name);
	if (scr->kind == SCREEN_SUBMIT) {
		fputs(" ", fp);
		put_escaped(fp, scr->request);
	} else if (scr->kind == SCREEN_LOOKUP) {
		fputs(" ", fp);
		put_escaped(fp, scr->query);
	}
	fputs(")", fp);
	if (scr->kind != SCREEN_ROUTE && scr->text.tr != NULL) {
		fputs("\\n", fp);
		put_excerpt(fp, menu_tr(m, &scr->text, lang));
	}
	fputs("\"", fp);
	if (scr == m->start)
		fputs(", peripheries=2", fp);
	if (!reach[i])
		note = "unreachable";
	else if (dead[i])
		note = "dead end";
	if (note != NULL)
		fprintf(fp, ", style=\"filled%s\", fillcolor=\"%s\", "
		    "color=red, xlabel=\"%s\"",
		    scr->kind == SCREEN_SUBMIT || scr->kind == SCREEN_LOOKUP ?
		    ",bold" : "", reach[i] ? FILL_DEAD_END : FILL_UNREACHABLE,
		    note);
	else if (scr->kind == SCREEN_SUBMIT || scr->kind == SCREEN_LOOKUP)
		fputs(", style=bold", fp);
	fputs("];\n", fp);
}

static void
put_edge(FILE *fp, const struct menu_screen *from,
    const struct menu_screen *to, const char *label)
{
	if (to == NULL)
		return;
	fputs("\t", fp);
	put_quoted(fp, from->id);
	fputs(" -> ", fp);
	put_quoted(fp, to->id);
	fputs(" [label=", fp);
	put_quoted(fp, label);
	fputs("];\n", fp);
}

/* The targets of scr, in screen_edges() order. */
static void
put_edges(FILE *fp, const struct menu *m, const struct menu_screen *scr,
    int lang)
{
	const char	*tag = menu_lang(m, lang);
	char		*s;
	size_t		 i;

	for (i = 0; i < scr->noptions; i++) {
		xasprintf(&s, "%zu. %s", i + 1,
		    menu_tr(m, &scr->options[i].label, lang));
		put_edge(fp, scr, scr->options[i].next, s);
		free(s);
	}
	for (i = 0; i < scr->ncases; i++) {
		xasprintf(&s, "%s = %s", scr->var != NULL ? scr->var : "",
		    scr->cases[i].value);
		put_edge(fp, scr, scr->cases[i].next, s);
		free(s);
	}
	if (scr->kind == SCREEN_CONFIRM) {
		put_edge(fp, scr, scr->next, menu_message(m, "yes", tag));
		put_edge(fp, scr, scr->no, menu_message(m, "no", tag));
	} else {
		xasprintf(&s, "%s", scr->var != NULL ? scr->var : "");
		put_edge(fp, scr, scr->next, s);
		free(s);
		put_edge(fp, scr, scr->no, "no");
	}
	put_edge(fp, scr, scr->dflt, "otherwise");
}

int
menu_dot(const struct menu *m, const char *lang, FILE *fp, char *err,
    size_t errlen)
{
	char	*reach, *dead;
	size_t	 i;
	int	 idx;

	if (lang == NULL)
		lang = menu_default_lang(m);
	if ((idx = menu_lang_index(m, lang)) == -1) {
		snprintf(err, errlen, "%s: the menu has no language '%s'",
		    menu_path(m), lang);
		return -1;
	}
	reach = xcalloc(m->nscreens, 1);
	dead = xcalloc(m->nscreens, 1);
	menu_check_reach(m, reach, dead);

	fputs("digraph ", fp);
	put_quoted(fp, m->name);
	fputs(" {\n\tgraph [labelloc=t, label=", fp);
	put_quoted(fp, m->name);
	fputs("];\n\tnode [fontname=\"sans-serif\"];\n"
	    "\tedge [fontname=\"sans-serif\", fontsize=10];\n", fp);
	for (i = 0; i < m->nscreens; i++)
		put_node(fp, m, i, idx, reach, dead);
	for (i = 0; i < m->nscreens; i++)
		put_edges(fp, m, &m->screens[i], idx);
	fputs("}\n", fp);
	free(reach);
	free(dead);

	if (fflush(fp) == EOF || ferror(fp)) {
		snprintf(err, errlen, "cannot write the picture");
		return -1;
	}
	return 0;
}

/* A path to a menu file rather than a service code. */
static int
is_menu_file(const char *what)
{
	struct stat	 sb;
	size_t		 len = strlen(what);

	if (len > 5 && strcmp(what + len - 5, ".menu") == 0)
		return 1;
	return stat(what, &sb) == 0 && S_ISREG(sb.st_mode);
}

int
menu_dot_main(const char *conf, const char *what, const char *lang)
{
	struct errlist			 errs = { 0 };
	struct conf			*c = NULL;
	struct menu			*m = NULL;
	const struct conf_service	*svc;
	const struct menu		*draw = NULL;
	char				 err[256];
	size_t				 i;
	int				 rc = 1;

	if (is_menu_file(what)) {
		if ((m = menu_load(what, &errs)) != NULL)
			draw = m;
	} else if ((c = conf_load(conf, 0, &errs)) != NULL) {
		if ((svc = conf_service(c, what)) == NULL)
			fprintf(stderr, "%s: no service '%s'\n", conf, what);
		else
			draw = svc->menu;
	}
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	errlist_free(&errs);
	if (draw != NULL) {
		if (menu_dot(draw, lang, stdout, err, sizeof err) == -1)
			fprintf(stderr, "%s\n", err);
		else
			rc = 0;
	}
	if (m != NULL)
		menu_free(m);
	if (c != NULL)
		conf_free(c);
	return rc;
}
