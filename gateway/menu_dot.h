/*
 * A picture of a menu: its compiled graph as Graphviz DOT, for authors
 * who want to see the journey they wrote ("asanigw -G").  Screens are
 * nodes shaped by their kind, the keys that lead on are edges labelled
 * in one language, and what "asanigw -t" finds wrong with the graph's
 * shape (unreachable screens, dead ends) is coloured.
 */
#ifndef ASANIGW_MENU_DOT_H
#define ASANIGW_MENU_DOT_H

#include <stddef.h>
#include <stdio.h>

#include "menu.h"

/* Writes m as a DOT digraph to fp, labels in language lang (NULL: the
 * menu's default language).  Returns 0, or -1 with a sentence in err
 * when the menu has no such language or fp could not be written. */
int		 menu_dot(const struct menu *m, const char *lang, FILE *fp,
		    char *err, size_t errlen);

/* asanigw -G: what is a menu file (a path that exists or ends in
 * ".menu") or a service code looked up in the configuration at conf.
 * Prints the picture to stdout, or the errors to stderr; returns the
 * exit status. */
int		 menu_dot_main(const char *conf, const char *what,
		    const char *lang);

#endif
