/*
 * The allocation family of xmalloc.h, after OpenBSD's: every wrapper
 * checks its result (and xreallocarray its multiplication) and aborts
 * with the size on failure, so callers never handle NULL.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void
oom(size_t n)
{
	fprintf(stderr, "asanigw: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

/* Up to this size, malloc() and memset(): glibc's calloc() passes by
 * its per-thread cache, and the blocks a hop zeroes are small.  Larger
 * ones take calloc()'s pages already zeroed. */
#define CALLOC_BY_MALLOC	4096

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	nmemb = nmemb ? nmemb : 1;
	size = size ? size : 1;
	if (nmemb <= CALLOC_BY_MALLOC / size) {
		p = xmalloc(nmemb * size);
		return memset(p, 0, nmemb * size);
	}
	if ((p = calloc(nmemb, size)) == NULL)
		oom(nmemb * size);
	return p;
}

void *
xreallocarray(void *old, size_t nmemb, size_t size)
{
	void	*p;
	size_t	 n;

	if (size != 0 && nmemb > (size_t)-1 / size)
		oom((size_t)-1);
	n = nmemb * size;
	if ((p = realloc(old, n != 0 ? n : 1)) == NULL)
		oom(n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = strndup(s, n);

	if (p == NULL)
		oom(n);
	return p;
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	 n = vasprintf(ret, fmt, ap);

	if (n < 0)
		oom(0);
	return n;
}

char *
xstrcat(const char *first, ...)
{
	va_list		 ap;
	const char	*s;
	char		*out, *o;
	size_t		 len = 0;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		len += strlen(s);
	va_end(ap);
	o = out = xmalloc(len + 1);
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		len = strlen(s);
		memcpy(o, s, len);
		o += len;
	}
	va_end(ap);
	*o = '\0';
	return out;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return n;
}
