/*
 * A list of human-readable errors, each "file:line: message".  Loaders
 * collect every error they find before failing, so an operator fixes a
 * file in one pass (asanigw -t prints them all).
 */
#ifndef ASANIGW_ERRLIST_H
#define ASANIGW_ERRLIST_H

#include <stddef.h>

struct errlist {
	char	**msgs;
	size_t	  n;
};

/* Append "file:line: message"; line 0 omits the line number. */
void	errlist_add(struct errlist *, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	errlist_free(struct errlist *);

/* Writes a sentence into a caller-supplied err buffer (the 0/-1 + err
 * convention); does nothing when err is NULL or errlen 0. */
void	err_set(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
