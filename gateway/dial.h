/*
 * What a USSD dial and a path of inputs are made of.  A phone dials a
 * service code, and may put the first inputs in the dial itself:
 * "*786*1*2#" is the code "*786#" with the inputs "1" and "2".  In path
 * mode an aggregator's text is every input so far joined by '*' ("1*2").
 * Both are read here, without a menu: which screen the inputs name is
 * the menu's business.
 */
#ifndef ASANIGW_DIAL_H
#define ASANIGW_DIAL_H

#include <stddef.h>

/*
 * Splits a USSD string: "*786*1*2#" into the code "*786#" (written to
 * code, with a NUL) and the inputs "1*2" (a new string, "" when the dial
 * has none; the caller frees it).  '#' may stand first instead of '*'.
 * Returns -1, and sets nothing, if text is not a USSD string or its code
 * does not fit codelen.
 */
int		 dial_split(const char *text, char *code, size_t codelen,
		    char **inputs);

/* The number of inputs in a path: 0 for "", else one more than its '*'s
 * ("1*" is two inputs, the second empty). */
size_t		 path_count(const char *path);

/*
 * Walks a path input by input: *cursor starts as the path itself, and
 * each of path_count() calls returns the next input (not NUL-terminated:
 * its length in *len) and moves *cursor past it and its '*'.
 */
const char	*path_next(const char **cursor, size_t *len);

#endif
