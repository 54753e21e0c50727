/*
 * The test tools' event lines of emit.h: each event one JSON line on
 * stdout, flushed at once, or (after emit_flush_per_turn()) at the end of
 * the loop turn that printed it, so that under load one write carries a
 * whole turn's lines and a test reading the pipe still sees each promptly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "emit.h"

static struct event	*ev_flush;

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fflush(stdout);
}

void
emit_flush_per_turn(struct event_base *base)
{
	if (ev_flush != NULL) {
		event_free(ev_flush);
		ev_flush = NULL;
	}
	fflush(stdout);
	if (base != NULL && (ev_flush = event_new(base, -1, 0, on_flush,
	    NULL)) == NULL)
		abort();
}

void
emit(json_t *o)
{
	char	*s;

	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		printf("%s\n", s);
		if (ev_flush != NULL)
			event_active(ev_flush, 0, 0);
		else
			fflush(stdout);
		free(s);
	}
	json_decref(o);
}

void
emit_error(const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;
	json_t	*m;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* json_string refuses what is not UTF-8: say so rather than nothing. */
	if ((m = json_string(msg)) == NULL)
		m = json_string("(a message that is not UTF-8)");
	emit(json_pack("{s:s,s:o}", "event", "error", "message", m));
}
