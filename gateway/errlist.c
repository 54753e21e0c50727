/*
 * The error list of errlist.h: messages formatted once, kept in order,
 * freed together.  Allocation goes through xmalloc, so adding an error
 * never fails halfway through a report.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "errlist.h"
#include "xmalloc.h"

void
errlist_add(struct errlist *e, const char *file, int line, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*msg, *full;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		xasprintf(&full, "%s:%d: %s", file, line, msg);
	else
		xasprintf(&full, "%s: %s", file, msg);
	free(msg);
	e->msgs = xreallocarray(e->msgs, e->n + 1, sizeof *e->msgs);
	e->msgs[e->n++] = full;
}

void
errlist_free(struct errlist *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	e->msgs = NULL;
	e->n = 0;
}

void
err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
