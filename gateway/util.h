/*
 * The small toolkit every asynchronous module shares: clocks, timer
 * values, numbers and hex, a hash for in-process tables, room for a
 * timer inside its owner, retry backoff and a deferred call.  One copy
 * of each, so a fix (the jitter's seed, say) lands everywhere at once.
 */
#ifndef ASANIGW_UTIL_H
#define ASANIGW_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

/* Wall-clock milliseconds since the epoch: for what is stored or sent
 * (record times, TTL arithmetic shared with Redis). */
long long	now_ms(void);
/* Milliseconds on the monotonic clock: for deadlines. */
long long	mono_ms(void);
/* Milliseconds on the monotonic clock since *t0 (taken with
 * clock_gettime(CLOCK_MONOTONIC)): for durations and deadlines. */
double		elapsed_ms(const struct timespec *t0);
/* ms as the timeval libevent timers take. */
struct timeval	ms_to_tv(unsigned ms);

/* v in decimal at o, unterminated (room for 20 bytes); returns the end.
 * For hot paths, where printf costs more than the work around it. */
char		*dec_put(char *o, unsigned long long v);
/* The same NUL-terminated in buf (21 bytes); returns buf. */
char		*dec_str(char *buf, unsigned long long v);
/* Lower-case hex of n bytes into out (NUL-terminated, cut to whole bytes
 * that fit outlen); returns out. */
char		*hex_encode(const void *b, size_t n, char *out, size_t outlen);
/* The value of one hex digit (either case), or -1.  Inline: URL and
 * form decoding call it for every escape of every request. */
static inline int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n rounded up to the alignment of any object. */
size_t		 align_max(size_t n);
/* Bytes to keep a timer inside its owner's allocation: libevent's
 * struct event is opaque, its size asked at run time; rounded with
 * align_max(). */
size_t		 event_room(void);
/* The timer in the event_room() bytes at offset at of block, set to call
 * cb(arg) on base (exits if libevent refuses).  Freed with its block,
 * after event_del(). */
struct event	*timer_in(void *block, size_t at, struct event_base *base,
		    event_callback_fn cb, void *arg);

/* A hash of n bytes for the process's own tables (sessions in the cache,
 * metric series, pagination memo): FNV-1a's prime over 8-byte words, the
 * tail packed into one more word with its length, the high half folded
 * into the low at the end so "% n" and "& mask" see every byte.  Pass HASH_SEED, or a previous hash
 * to chain.  Not keyed: only for keys a client cannot choose freely, or
 * in tables that stay fast when it does. */
#define HASH_SEED	14695981039346656037ULL
uint64_t	 hash_bytes(uint64_t h, const void *p, size_t n);

/*
 * Retry backoff: the delay before attempt `attempt` (1 = the first
 * retry) is min_ms doubled per attempt, capped at max_ms, then jittered.
 * The jitter is "equal jitter": a value drawn uniformly from [d/2, d], so
 * a retry never comes sooner than half the nominal delay and peers that
 * failed together do not come back together.  The draw comes from the
 * operating system's generator (OpenSSL's RAND_bytes), so two processes
 * started at the same moment draw different delays.
 */
unsigned	backoff_delay_ms(unsigned min_ms, unsigned max_ms,
		    unsigned attempt);
/* The nominal delay before the jitter: what a retry waits at most. */
unsigned	backoff_nominal_ms(unsigned min_ms, unsigned max_ms,
		    unsigned attempt);
/* The jitter alone: uniform in [ms/2, ms]. */
unsigned	jitter_ms(unsigned ms);

/* Runs fn(-1, EV_TIMEOUT, arg) once from the loop, never from inside
 * this call.  Aborts if libevent cannot (it allocates; like xmalloc). */
void		defer_call(struct event_base *, event_callback_fn fn,
		    void *arg);

#endif
