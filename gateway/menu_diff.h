/*
 * What a new version of a menu changes for people who already know the
 * service ("asanigw -D OLD NEW"): screens removed or renamed, options
 * that moved to another number or went away, screens that no longer fit
 * one page, texts changed per language, SMS keywords removed.  Returning
 * callers type from memory, so a change that moves or removes a known
 * path breaks it; the rest is worth knowing but breaks nothing.
 */
#ifndef ASANIGW_MENU_DIFF_H
#define ASANIGW_MENU_DIFF_H

#include <stddef.h>
#include <stdio.h>

#include "gsm.h"
#include "menu.h"

enum diff_kind {
	DIFF_SCREEN_REMOVED,	/* break */
	DIFF_SCREEN_RENAMED,	/* note: same kind and texts, new id */
	DIFF_OPTION_MOVED,	/* break: a label under another number */
	DIFF_OPTION_REMOVED,	/* break */
	DIFF_PAGE_GREW,		/* note: the first page is no longer whole */
	DIFF_TEXT_CHANGED,	/* note: a screen text or option label */
	DIFF_KEYWORD_REMOVED,	/* break */
};

struct diff_finding {
	enum diff_kind	 kind;
	int		 breaks;	/* 1: a known path no longer works */
	char		*line;		/* "break: ..." or "note: ...", owned */
};

struct menu_diff {
	struct diff_finding	*f;
	size_t			 n;
};

/* The exit statuses of -D. */
#define DIFF_SAME	0	/* nothing changes */
#define DIFF_NOTES	1	/* only notes */
#define DIFF_BREAKS	2	/* something breaks a known path */
#define DIFF_ERRORS	3	/* a file does not compile */

/*
 * Compares two compiled menus, paginating with budget, and fills d (zero
 * it first; free it with menu_diff_free()) with one finding per change, in
 * the old file's order of screens, then the keywords.  Pure; never fails.
 * Returns DIFF_SAME, DIFF_NOTES or DIFF_BREAKS.
 */
int		 menu_diff(const struct menu *old, const struct menu *new,
		    const struct page_budget *budget, struct menu_diff *d);
void		 menu_diff_free(struct menu_diff *);

/*
 * -D: loads both files, writes the findings to out one a line, or the
 * compile errors of a file to errout as -t prints them, and returns the
 * exit status (DIFF_*).
 */
int		 menu_diff_files(const char *old, const char *new, FILE *out,
		    FILE *errout);

#endif
