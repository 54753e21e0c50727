/*
 * "asanigw -D OLD NEW": what reloading NEW in place of OLD would change
 * for people who already know the service.  Returning callers type from
 * memory ("*786#, 2, 1"), donors text a keyword they learnt once; a menu
 * that moves those paths breaks them without a word.  The comparison is
 * a pure function over two compiled graphs, so it is tested without
 * files; menu_diff_files() is the thin part that loads and prints.
 *
 *	old screen id in new?  ---no--> same kind and texts as a screen
 *	        |yes                    new to NEW?  yes: renamed (note)
 *	        v                                    no:  removed (break)
 *	options by label (old default language):
 *	        same number: texts per language          (note if changed)
 *	        other number: moved                      (break)
 *	        gone, same number leads where it did: relabelled (note)
 *	        gone otherwise: removed                  (break)
 *	screen text per language                         (note if changed)
 *	first page whole in OLD, not in NEW, per language (note)
 *	then every SMS keyword of OLD missing from NEW in its language (break)
 *
 * Screens are matched by id and languages by tag: a language one file
 * lacks is not compared.  Texts are compared as written, ${var} and all;
 * pages are measured on that text, as the budget checks of -t do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "menu_compile.h"
#include "menu_diff.h"
#include "menu_graph.h"
#include "xmalloc.h"

static const char *const kind_names[] = {
	[SCREEN_MENU] = "menu", [SCREEN_INPUT] = "input",
	[SCREEN_CONFIRM] = "confirm", [SCREEN_ROUTE] = "route",
	[SCREEN_SUBMIT] = "submit", [SCREEN_LOOKUP] = "lookup",
	[SCREEN_END] = "end",
};

static void
add(struct menu_diff *d, enum diff_kind kind, int breaks, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
add(struct menu_diff *d, enum diff_kind kind, int breaks, const char *fmt,
    ...)
{
	struct diff_finding	*f;
	va_list			 ap;
	char			*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	d->f = xreallocarray(d->f, d->n + 1, sizeof *d->f);
	f = &d->f[d->n++];
	f->kind = kind;
	f->breaks = breaks;
	xasprintf(&f->line, "%s: %s", breaks ? "break" : "note", msg);
	free(msg);
}

/* A text in language idx as written, or NULL. */
static const char *
tr(const struct menu *m, const struct menu_text *t, int idx)
{
	if (t->tr == NULL || idx < 0 || (size_t)idx >= menu_nlangs(m))
		return NULL;
	return t->tr[idx];
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* 1 if text a of OLD reads as text b of NEW in language tag. */
static int
same_text(const struct menu *o, const struct menu_text *a,
    const struct menu *n, const struct menu_text *b, const char *tag)
{
	return same_str(tr(o, a, menu_lang_index(o, tag)),
	    tr(n, b, menu_lang_index(n, tag)));
}

/* 1 if the texts read the same in every language both menus have. */
static int
same_everywhere(const struct menu *o, const struct menu_text *a,
    const struct menu *n, const struct menu_text *b)
{
	size_t	 l;

	for (l = 0; l < menu_nlangs(o); l++) {
		if (menu_lang_index(n, menu_lang(o, (int)l)) != -1 &&
		    !same_text(o, a, n, b, menu_lang(o, (int)l)))
			return 0;
	}
	return 1;
}

/* Same kind, same text and same option labels: a renamed screen. */
static int
same_screen(const struct menu *o, const struct menu_screen *a,
    const struct menu *n, const struct menu_screen *b)
{
	size_t	 i;

	if (a->kind != b->kind || a->noptions != b->noptions ||
	    !same_everywhere(o, &a->text, n, &b->text))
		return 0;
	for (i = 0; i < a->noptions; i++) {
		if (!same_everywhere(o, &a->options[i].label, n,
		    &b->options[i].label))
			return 0;
	}
	return 1;
}

/* The screen of NEW that OLD's screen a has become, or NULL. */
static const struct menu_screen *
counterpart(const struct menu *o, const struct menu_screen *a,
    const struct menu *n)
{
	const struct menu_screen	*b;
	size_t				 i;

	if ((b = menu_screen(n, a->id)) != NULL)
		return b;
	for (i = 0; i < n->nscreens; i++) {
		b = &n->screens[i];
		if (menu_screen(o, b->id) == NULL && same_screen(o, a, n, b))
			return b;
	}
	return NULL;
}

/* How many pages the screen takes in language l, as step.c lays it out
 * before any ${var} is replaced. */
static size_t
npages(const struct menu *m, const struct menu_screen *scr, int l,
    const struct page_budget *budget)
{
	const char	*tag = menu_lang(m, l);
	char		*text, *more, *t;
	char		**pages;
	size_t		 i, n, navlen = 0;

	if (scr->kind == SCREEN_ROUTE)
		return 1;
	text = xstrdup(menu_tr(m, &scr->text, l));
	for (i = 0; i < scr->noptions; i++) {
		xasprintf(&t, "%s\n%zu. %s", text, i + 1,
		    menu_tr(m, &scr->options[i].label, l));
		free(text);
		text = t;
	}
	if (scr->kind == SCREEN_MENU && scr != menu_start(m)) {
		xasprintf(&t, "%s\n%s", text, menu_message(m, "nav", tag));
		navlen = strlen(menu_message(m, "nav", tag)) + 1;
		free(text);
		text = t;
	} else if (scr->kind == SCREEN_CONFIRM) {
		xasprintf(&t, "%s\n%s\n%s", text, menu_message(m, "yes", tag),
		    menu_message(m, "no", tag));
		free(text);
		text = t;
	}
	xasprintf(&more, "\n%s", menu_message(m, "more", tag));
	n = text_paginate_nav(text, navlen, more, budget, &pages);
	text_pages_free(pages);
	free(more);
	free(text);
	return n;
}

/* The option of b whose label reads as a's option i in OLD's default
 * language, or -1. */
static long
find_option(const struct menu *o, const struct menu_screen *a, size_t i,
    const struct menu *n, const struct menu_screen *b)
{
	const char	*tag = menu_default_lang(o);
	size_t		 j;

	if (menu_lang_index(n, tag) == -1)
		return -1;
	for (j = 0; j < b->noptions; j++) {
		if (same_text(o, &a->options[i].label, n, &b->options[j].label,
		    tag))
			return (long)j;
	}
	return -1;
}

/* Labels of a's option i and b's option j that differ, per language. */
static void
diff_labels(const struct menu *o, const struct menu_screen *a, size_t i,
    const struct menu *n, const struct menu_screen *b, size_t j,
    struct menu_diff *d)
{
	const char	*tag;
	size_t		 l;

	for (l = 0; l < menu_nlangs(o); l++) {
		tag = menu_lang(o, (int)l);
		if (menu_lang_index(n, tag) != -1 &&
		    !same_text(o, &a->options[i].label, n,
		    &b->options[j].label, tag))
			add(d, DIFF_TEXT_CHANGED, 0, "screen '%s' (%s): option "
			    "%zu label changed", a->id, tag, i + 1);
	}
}

static void
diff_options(const struct menu *o, const struct menu_screen *a,
    const struct menu *n, const struct menu_screen *b, struct menu_diff *d)
{
	const char	*label;
	size_t		 i;
	long		 j;

	for (i = 0; i < a->noptions; i++) {
		label = menu_tr(o, &a->options[i].label, -1);
		if ((j = find_option(o, a, i, n, b)) == (long)i)
			diff_labels(o, a, i, n, b, i, d);
		else if (j != -1)
			add(d, DIFF_OPTION_MOVED, 1, "screen '%s': option %zu "
			    "\"%s\" is now option %ld", a->id, i + 1, label,
			    j + 1);
		else if (i < b->noptions && a->options[i].next != NULL &&
		    b->options[i].next != NULL &&
		    strcmp(a->options[i].next->id, b->options[i].next->id) == 0)
			diff_labels(o, a, i, n, b, i, d);
		else
			add(d, DIFF_OPTION_REMOVED, 1, "screen '%s': option %zu "
			    "\"%s\" removed", a->id, i + 1, label);
	}
}

static void
diff_screen(const struct menu *o, const struct menu_screen *a,
    const struct menu *n, const struct menu_screen *b,
    const struct page_budget *budget, struct menu_diff *d)
{
	const char	*tag;
	size_t		 l, pn;
	int		 nl;

	diff_options(o, a, n, b, d);
	for (l = 0; l < menu_nlangs(o); l++) {
		tag = menu_lang(o, (int)l);
		if ((nl = menu_lang_index(n, tag)) == -1)
			continue;
		if (!same_text(o, &a->text, n, &b->text, tag))
			add(d, DIFF_TEXT_CHANGED, 0, "screen '%s' (%s): text "
			    "changed", a->id, tag);
		if (npages(o, a, (int)l, budget) == 1 &&
		    (pn = npages(n, b, nl, budget)) > 1)
			add(d, DIFF_PAGE_GREW, 0, "screen '%s' (%s): no longer "
			    "fits one page (%zu pages)", a->id, tag, pn);
	}
}

/* 1 if some command of m has this keyword in language tag. */
static int
has_keyword(const struct menu *m, const char *word, const char *tag)
{
	const struct menu_command	*c;
	size_t				 i, k;

	for (i = 0; i < menu_ncommands(m); i++) {
		c = menu_command(m, i);
		for (k = 0; k < c->nkeywords; k++) {
			if (strcmp(c->keywords[k].word, word) == 0 &&
			    strcmp(menu_lang(m, c->keywords[k].lang), tag) == 0)
				return 1;
		}
	}
	return 0;
}

int
menu_diff(const struct menu *o, const struct menu *n,
    const struct page_budget *budget, struct menu_diff *d)
{
	const struct menu_screen	*a, *b;
	const struct menu_command	*c;
	const char			*tag;
	size_t				 i, k;
	int				 status = DIFF_SAME;

	for (i = 0; i < o->nscreens; i++) {
		a = &o->screens[i];
		if ((b = counterpart(o, a, n)) == NULL) {
			add(d, DIFF_SCREEN_REMOVED, 1, "screen '%s' (%s) "
			    "removed", a->id, kind_names[a->kind]);
			continue;
		}
		if (strcmp(a->id, b->id) != 0)
			add(d, DIFF_SCREEN_RENAMED, 0, "screen '%s' renamed to "
			    "'%s'", a->id, b->id);
		diff_screen(o, a, n, b, budget, d);
	}
	for (i = 0; i < menu_ncommands(o); i++) {
		c = menu_command(o, i);
		for (k = 0; k < c->nkeywords; k++) {
			tag = menu_lang(o, c->keywords[k].lang);
			if (menu_lang_index(n, tag) != -1 &&
			    !has_keyword(n, c->keywords[k].word, tag))
				add(d, DIFF_KEYWORD_REMOVED, 1, "SMS keyword "
				    "'%s' (%s) of command '%s' removed",
				    c->keywords[k].word, tag, c->id);
		}
	}
	for (i = 0; i < d->n; i++) {
		if (d->f[i].breaks)
			status = DIFF_BREAKS;
		else if (status == DIFF_SAME)
			status = DIFF_NOTES;
	}
	return status;
}

void
menu_diff_free(struct menu_diff *d)
{
	size_t	 i;

	for (i = 0; i < d->n; i++)
		free(d->f[i].line);
	free(d->f);
	d->f = NULL;
	d->n = 0;
}

int
menu_diff_files(const char *oldpath, const char *newpath, FILE *out,
    FILE *errout)
{
	struct page_budget	 ussd;
	struct errlist		 errs = { 0 };
	struct menu_diff	 d = { 0 };
	struct menu		*o, *n;
	size_t			 i;
	int			 status;

	o = menu_load(oldpath, &errs);
	n = menu_load(newpath, &errs);
	if (o == NULL || n == NULL) {
		for (i = 0; i < errs.n; i++)
			fprintf(errout, "%s\n", errs.msgs[i]);
		fprintf(errout, "menu has errors\n");
		errlist_free(&errs);
		menu_free(o);
		menu_free(n);
		return DIFF_ERRORS;
	}
	ussd.gsm7_septets = 182;
	ussd.ucs2_units = page_budget_ucs2_for(ussd.gsm7_septets);
	status = menu_diff(o, n, &ussd, &d);
	for (i = 0; i < d.n; i++)
		fprintf(out, "%s\n", d.f[i].line);
	menu_diff_free(&d);
	menu_free(o);
	menu_free(n);
	return status;
}
