/*
 * Allocation that never returns NULL: on failure the process aborts with a
 * message.  A gateway that cannot allocate a few bytes cannot answer anyone.
 */
#ifndef ASANIGW_XMALLOC_H
#define ASANIGW_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* The strings up to NULL, one after the other, in a new string: what
 * xasprintf("%s%s...") makes, without the format to read. */
char	*xstrcat(const char *, ...) __attribute__((sentinel));

#endif
