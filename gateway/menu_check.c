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
 * menu that fails them never gets here.  These run only for -t
 * (conf_load() with check set), once per page budget the menu is served
 * with: a menu that fails them still works, only badly.
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

/* Marks in ends the screens from which an end, submit or lookup screen
 * can be reached (those screens included). */
static void
mark_ends(const struct menu *m, char *ends)
{
	const struct menu_screen	*scr, **out;
	size_t				 i, j, k, nout;
	int				 changed;

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
menu_check(const struct menu *m, const struct page_budget *b,
    struct errlist *errs)
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

	for (i = 0; i < m->nscreens; i++)
		n += check_screen_fits(m, &m->screens[i], b, errs);
	return n;
}
