/*
 * The sessions this gateway served last, kept in memory so the next hop
 * of the same session needs no read from Redis: the hop steps the cached
 * session and saves it with a compare-and-set, which fails (and hands
 * back the stored record) if another gateway moved the session on in
 * between.  The cache is only a shortcut; Redis stays the truth.
 *
 * Least recently used entries go first when the cache is full; entries
 * expire with the session's TTL.  Sessions are moved in and out, never
 * shared: a hop takes its session out and puts it back once saved.  The
 * cache keeps each as its compact record but for a last reply that did
 * not end the session, which comes back NULL: a retry, which answers
 * with it, reads Redis instead.  Taking one parses it.
 */
#ifndef ASANIGW_CACHE_H
#define ASANIGW_CACHE_H

#include <stddef.h>

struct cache;
struct session;
struct session_record;

struct cache	*cache_new(size_t max_entries);
void		 cache_free(struct cache *);

/* Removes and returns the session under key, or NULL when there is none
 * or it expired before now_ms. */
struct session	*cache_take(struct cache *, const char *key, long long now_ms);
/* Puts a session under key until expires_ms, taking ownership of it;
 * replaces what was there and evicts the least recently used entry when
 * full.  A session that ended on a page it makes again is not kept (what
 * was there goes all the same): no hop steps it again. */
void		 cache_put(struct cache *, const char *key, struct session *,
		    long long expires_ms);
/* The same for a session already encoded (session_record_make()): the
 * record is copied. */
void		 cache_put_record(struct cache *, const char *key,
		    const struct session_record *, long long expires_ms);
/* Drops every entry expired by now_ms. */
void		 cache_expire(struct cache *, long long now_ms);
size_t		 cache_count(const struct cache *);

#endif
