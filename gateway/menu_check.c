/*
 * The deeper checks of "asanigw -t", run on a menu that compiled: what
 * is legal in the file but wrong for the subscriber.  Each check is one
 * function over the graph that appends its findings to errs, with file
 * and line, and returns how many it found; menu_check() runs them in a
 * fixed order so the report reads the same every time:
 *
 *	unreachable screens	no path from start or home leads there
 *	dead ends		no end, submit or lookup can be reached
 *	missing translations	screens, values, command texts, notifications
 *	missing keywords	an SMS command no one can type in a language
 *	pages that cannot fit	fixed texts longer than one page
 *
 * Errors that make a file unusable (unknown targets, route cycles,
 * invalid patterns, unknown keys) are found earlier, by menu_load(); a
 * menu that fails them is never served.  -t still checks it when its
 * graph is whole enough (menu_load_for_check()), so that an operator
 * sees everything at once; a screen with an error counts as leading to
 * an end, so its missing target is not reported again as a dead end.
 *
 * A menu that fails these checks still works, only badly: -t reports
 * them as errors, the daemon loads the menu and logs them as warnings
 * (conf_load()).  Each is found once per menu: the page checks measure
 * a text once and report it once per page size it does not fit, naming
 * every transport that serves pages of that size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "menu_compile.h"
#include "menu_graph.h"
#include "xmalloc.h"

size_t
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

size_t
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

/* A fixed text of a screen in one language, as it must fit a page. */
struct fixed {
	const struct menu_screen *scr;
	int			 line;
	const char		*what;	/* "prompt", "option 2" */
	size_t			 lang;
};

/* What one page of p holds of a text in coding c. */
static size_t
page_holds(const struct menu_page *p, enum coding c)
{
	return c == CODING_GSM7 ? p->budget.gsm7_septets :
	    p->budget.ucs2_units;
}

/* 1 if a page before pages[i] holds the same for coding c: a text too
 * long for pages[i] was reported with that page. */
static int
size_seen(const struct menu_page *pages, size_t i, enum coding c)
{
	size_t	 j;

	for (j = 0; j < i; j++)
		if (page_holds(&pages[j], c) == page_holds(&pages[i], c))
			return 1;
	return 0;
}

/* " on a, b": the names of pages[from] and of the pages after it that
 * hold as much for coding c; "" if none has a name.  Owned by the
 * caller. */
static char *
pages_named(const struct menu_page *pages, size_t from, size_t n,
    enum coding c)
{
	char	*on, *tmp;
	size_t	 i;

	on = xstrdup("");
	for (i = from; i < n; i++) {
		if (pages[i].name == NULL || page_holds(&pages[i], c) !=
		    page_holds(&pages[from], c))
			continue;
		xasprintf(&tmp, "%s%s%s", on, *on != '\0' ? ", " : " on ",
		    pages[i].name);
		free(on);
		on = tmp;
	}
	return on;
}

/* One finding per page size the text does not fit, naming the pages of
 * that size. */
static int
check_fits(const struct menu *m, const struct fixed *f, const char *text,
    const struct menu_page *pages, size_t n, struct errlist *errs)
{
	struct text_size	 ts;
	size_t			 used, holds, i;
	char			*on;
	int			 found = 0;

	text_measure(text, strlen(text), &ts);
	used = ts.coding == CODING_GSM7 ? ts.septets : ts.ucs2_units;
	for (i = 0; i < n; i++) {
		holds = page_holds(&pages[i], ts.coding);
		if (used <= holds || size_seen(pages, i, ts.coding))
			continue;
		on = pages_named(pages, i, n, ts.coding);
		errlist_add(errs, f->scr->file, f->line, "screen '%s': %s does "
		    "not fit one page in '%s' (%zu %s, page holds %zu%s)",
		    f->scr->id, f->what, m->langs[f->lang], used,
		    ts.coding == CODING_GSM7 ? "septets" : "UCS-2 units",
		    holds, on);
		free(on);
		found++;
	}
	return found;
}

/* The fixed texts of a menu screen in one language: its text and each
 * option line. */
static int
check_menu_fits(const struct menu *m, const struct fixed *f,
    const struct menu_page *pages, size_t n, struct errlist *errs)
{
	const struct menu_screen *scr = f->scr;
	struct fixed	 opt = *f;
	char		*s, *what;
	size_t		 i;
	int		 found;

	found = check_fits(m, f, menu_tr(m, &scr->text, f->lang), pages, n,
	    errs);
	for (i = 0; i < scr->noptions; i++) {
		xasprintf(&s, "%zu. %s", i + 1,
		    menu_tr(m, &scr->options[i].label, f->lang));
		xasprintf(&what, "option %zu", i + 1);
		opt.line = scr->options[i].line;
		opt.what = what;
		found += check_fits(m, &opt, s, pages, n, errs);
		free(what);
		free(s);
	}
	return found;
}

static int
check_screen_fits(const struct menu *m, const struct menu_screen *scr,
    const struct menu_page *pages, size_t n, struct errlist *errs)
{
	struct fixed	 f = { scr, scr->text.line, NULL, 0 };
	char		*s;
	int		 found = 0;

	f.what = scr->kind == SCREEN_MENU ? "text" : "prompt";
	for (f.lang = 0; f.lang < m->nlangs; f.lang++) {
		switch (scr->kind) {
		case SCREEN_INPUT:
			found += check_fits(m, &f, menu_tr(m, &scr->text,
			    f.lang), pages, n, errs);
			break;
		case SCREEN_CONFIRM:
			xasprintf(&s, "%s\n%s\n%s",
			    menu_tr(m, &scr->text, f.lang),
			    menu_message(m, "yes", m->langs[f.lang]),
			    menu_message(m, "no", m->langs[f.lang]));
			found += check_fits(m, &f, s, pages, n, errs);
			free(s);
			break;
		case SCREEN_MENU:
			found += check_menu_fits(m, &f, pages, n, errs);
			break;
		default:
			break;
		}
	}
	return found;
}

/* Marks in ends the screens from which an end, submit or lookup screen
 * can be reached (those screens included).  A broken screen counts as
 * one: its error was reported, and a target it lacks may have led to an
 * end. */
static void
mark_ends(const struct menu *m, char *ends)
{
	const struct menu_screen	*scr, **out;
	size_t				 i, j, k, nout;
	int				 changed;

	for (i = 0; i < m->nscreens; i++) {
		k = m->screens[i].kind;
		ends[i] = k == SCREEN_END || k == SCREEN_SUBMIT ||
		    k == SCREEN_LOOKUP || m->screens[i].broken;
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
}

void
menu_check_reach(const struct menu *m, char *reach, char *dead)
{
	char	*ends;
	size_t	 i;

	memset(reach, 0, m->nscreens);
	mark_reachable(m, m->start, reach);
	mark_reachable(m, m->home, reach);
	ends = xcalloc(m->nscreens, 1);
	mark_ends(m, ends);
	for (i = 0; i < m->nscreens; i++)
		dead[i] = reach[i] && !ends[i];
	free(ends);
}

/* The screens no path from start or home leads to. */
static int
check_unreachable(const struct menu *m, const char *reach,
    struct errlist *errs)
{
	const struct menu_screen	*scr;
	size_t				 i;
	int				 n = 0;

	for (i = 0; i < m->nscreens; i++) {
		if (reach[i])
			continue;
		scr = &m->screens[i];
		errlist_add(errs, scr->file, scr->line,
		    "screen '%s' is unreachable", scr->id);
		n++;
	}
	return n;
}

/* Reachable screens from which no end, submit or lookup can be
 * reached: the subscriber can only walk away. */
static int
check_dead_ends(const struct menu *m, const char *dead, struct errlist *errs)
{
	const struct menu_screen	*scr;
	size_t				 i;
	int				 n = 0;

	for (i = 0; i < m->nscreens; i++) {
		if (!dead[i])
			continue;
		scr = &m->screens[i];
		errlist_add(errs, scr->file, scr->line, "screen '%s' is a "
		    "dead end: no end, submit or lookup screen can be reached "
		    "from it", scr->id);
		n++;
	}
	return n;
}

static int
check_screen_translations(const struct menu *m,
    const struct menu_screen *scr, struct errlist *errs)
{
	static const char *const names[] = { "text", "error", "not_found",
	    "fallback" };
	const struct menu_text *const texts[] = { &scr->text, &scr->error,
	    &scr->not_found, &scr->fallback };
	char			*what;
	size_t			 i;
	int			 n = 0;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		xasprintf(&what, "screen '%s': %s", scr->id, names[i]);
		n += check_translations(m, scr->file, texts[i], what, errs);
		free(what);
	}
	for (i = 0; i < scr->noptions; i++) {
		xasprintf(&what, "screen '%s': option %zu label", scr->id,
		    i + 1);
		n += check_translations(m, scr->file, &scr->options[i].label,
		    what, errs);
		free(what);
	}
	return n;
}

/* A named text outside the screens: a value, a notification. */
static int
check_value_translations(const struct menu *m, const char *kind,
    const struct menu_value *v, struct errlist *errs)
{
	char	*what;
	int	 n;

	xasprintf(&what, "%s '%s'", kind, v->name);
	n = check_translations(m, v->file, &v->text, what, errs);
	free(what);
	return n;
}

/* A language in which no keyword of the command exists: its speakers
 * cannot use the command. */
static int
check_command_keywords(const struct menu *m, const struct menu_command *cmd,
    struct errlist *errs)
{
	size_t	 k, l;
	int	 n = 0;

	for (l = 0; l < m->nlangs; l++) {
		for (k = 0; k < cmd->nkeywords; k++)
			if (cmd->keywords[k].lang == (int)l)
				break;
		if (k < cmd->nkeywords)
			continue;
		errlist_add(errs, cmd->file, cmd->line, "command '%s' "
		    "has no keyword in '%s'", cmd->id, m->langs[l]);
		n++;
	}
	return n;
}

static int
check_command_translations(const struct menu *m, struct menu_command *cmd,
    struct errlist *errs)
{
	char	*what;
	size_t	 j;
	int	 n = 0;

	for (j = 0; command_texts[j] != NULL; j++) {
		xasprintf(&what, "command '%s': %s", cmd->id, command_texts[j]);
		n += check_translations(m, cmd->file,
		    command_text(cmd, command_texts[j]), what, errs);
		free(what);
	}
	return n;
}

int
menu_check_shape(const struct menu *m, struct errlist *errs)
{
	char	*reach, *dead;
	size_t	 i;
	int	 n = 0;

	reach = xcalloc(m->nscreens, 1);
	dead = xcalloc(m->nscreens, 1);
	menu_check_reach(m, reach, dead);
	n += check_unreachable(m, reach, errs);
	n += check_dead_ends(m, dead, errs);
	free(reach);
	free(dead);

	for (i = 0; i < m->nscreens; i++)
		n += check_screen_translations(m, &m->screens[i], errs);
	for (i = 0; i < m->nvalues; i++)
		n += check_value_translations(m, "value", &m->values[i], errs);
	for (i = 0; i < m->ncommands; i++) {
		n += check_command_keywords(m, &m->commands[i], errs);
		n += check_command_translations(m, &m->commands[i], errs);
	}
	for (i = 0; i < m->nnotifications; i++)
		n += check_value_translations(m, "notification",
		    &m->notifications[i], errs);
	return n;
}

int
menu_check_pages(const struct menu *m, const struct menu_page *pages,
    size_t npages, struct errlist *errs)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < m->nscreens; i++)
		n += check_screen_fits(m, &m->screens[i], pages, npages, errs);
	return n;
}

int
menu_check(const struct menu *m, const struct page_budget *b,
    struct errlist *errs)
{
	const struct menu_page	 page = { *b, NULL };

	return menu_check_shape(m, errs) + menu_check_pages(m, &page, 1,
	    errs);
}
