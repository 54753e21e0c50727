/*
 * The test tools' (fakesmpp, backoffice) way of saying what happened: one
 * JSON object per line on stdout, which the tests read as events.
 */
#ifndef ASANIGW_TEST_EMIT_H
#define ASANIGW_TEST_EMIT_H

#include <jansson.h>

struct event_base;

/* Prints o (NULL: nothing) as one line and drops it.  Flushed at once,
 * or, after emit_flush_per_turn(), once per turn of the event loop. */
void	emit(json_t *o);
/* {"event":"error","message":...} */
void	emit_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Under load one write then carries every line a loop turn printed, and
 * no line waits past its turn.  NULL base: flush each line again. */
void	emit_flush_per_turn(struct event_base *);

#endif
