/*
 * The session cache of cache.h: a hash table of chains for lookup by key
 * and one TAILQ in order of use for eviction, newest at the head.  Every
 * entry lives the same TTL from its last use, so the tail is both the
 * least recently used and the first to expire: expiry and eviction are
 * the same walk from the tail, and nothing needs a timer.
 *
 * A session is kept as its compact record (session_encode()) less a
 * last reply that did not end the session (a reply that was the page
 * the session shows is not in the record at all), key and record in the
 * entry's one allocation: a hundred thousand sessions fit in about
 * twenty megabytes, where their parsed values (every string its own
 * allocation) took two and a half times that.  The reply is most of a
 * record (a page of up to 160 characters, twice the bytes in Urdu) and
 * only a retry needs it; the engine reads a retried session from Redis.
 * A reply that ended the session stays: it may carry the reference of a
 * request, which a retry must get even while Redis is away.  A session
 * that ended on a page it makes again is not kept at all: no hop steps
 * it again and a retry reads Redis; left in, ended sessions filled the
 * cache and pushed every hop's lookup out of the CPU's caches.  Taking
 * a session parses its record again, which costs less than a read from
 * Redis by far.
 *
 * Entries live long and die in LRU order while every hop allocates and
 * frees around them: given back to malloc one by one, a full cache left
 * the heap so cut up that the allocator's own sorting grew to a fifth of
 * a hop.  So an entry's block goes to a short list of spares, and the
 * next entry takes one (grown if it must): in the steady state the cache
 * neither allocates nor frees.
 */
#include <sys/queue.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "session.h"
#include "util.h"
#include "xmalloc.h"

struct entry {
	long long	 expires_ms;
	struct entry	*hnext;			/* hash chain */
	TAILQ_ENTRY(entry) lru;			/* head is newest */
	size_t		 hash;			/* of the key */
	unsigned	 keylen, reclen;
	unsigned	 room;			/* bytes after the struct */
	char		 key[];			/* NUL, then the record */
};

/* Spare blocks kept, and the step their room is rounded up to (so one
 * fits the next entry more often than not). */
#define SPARES_MAX	256
#define ROOM_STEP	64

#define ENTRY_REC(e)	((e)->key + (e)->keylen + 1)

TAILQ_HEAD(lru_list, entry);

struct cache {
	struct entry	**buckets;
	size_t		  nbuckets;
	size_t		  count, max;
	struct lru_list	  lru;
	struct entry	 *spares;		/* by hnext */
	size_t		  nspares;
};

static size_t
hash(const char *key, size_t len)
{
	return (size_t)hash_bytes(HASH_SEED, key, len);
}

struct cache *
cache_new(size_t max_entries)
{
	struct cache	*c = xcalloc(1, sizeof *c);

	c->max = max_entries;
	c->nbuckets = max_entries < 16 ? 16 : max_entries;
	c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
	TAILQ_INIT(&c->lru);
	return c;
}

/* A block with room for need bytes after the struct: a spare if any. */
static struct entry *
entry_alloc(struct cache *c, size_t need)
{
	struct entry	*e;

	need = (need + ROOM_STEP - 1) / ROOM_STEP * ROOM_STEP;
	if ((e = c->spares) != NULL) {
		c->spares = e->hnext;
		c->nspares--;
		if (e->room >= need)
			return e;
		free(e);
	}
	e = xmalloc(sizeof *e + need);
	e->room = (unsigned)need;
	return e;
}

/* Unlinks e from everything and keeps its block as a spare (or frees
 * it when there are enough). */
static void
entry_remove(struct cache *c, struct entry *e)
{
	struct entry	**pp = &c->buckets[e->hash % c->nbuckets];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	TAILQ_REMOVE(&c->lru, e, lru);
	c->count--;
	if (c->nspares >= SPARES_MAX) {
		free(e);
		return;
	}
	e->hnext = c->spares;
	c->spares = e;
	c->nspares++;
}

/* The entry of key (its hash h), NULL if none: a chain's other keys are
 * told apart by their hash before their bytes. */
static struct entry *
entry_find(const struct cache *c, const char *key, size_t h)
{
	struct entry	*e = c->buckets[h % c->nbuckets];

	while (e != NULL && (e->hash != h || strcmp(e->key, key) != 0))
		e = e->hnext;
	return e;
}

struct session *
cache_take(struct cache *c, const char *key, long long now_ms)
{
	struct entry	*e;
	struct session	*s = NULL;

	cache_expire(c, now_ms);
	if ((e = entry_find(c, key, hash(key, strlen(key)))) == NULL)
		return NULL;
	/* A record we wrote reads back; should one not, it is not there. */
	if (now_ms < e->expires_ms)
		s = session_decode(ENTRY_REC(e), e->reclen, NULL, 0);
	entry_remove(c, e);
	return s;
}

void
cache_put_record(struct cache *c, const char *key,
    const struct session_record *r, long long expires_ms)
{
	struct entry	*e;
	char		*o;
	size_t		 h, klen = strlen(key), at = r->reply_at, n = 0, w;

	if (c->max == 0 || klen > UINT_MAX / 2 || r->len > UINT_MAX / 2)
		return;
	h = hash(key, klen);
	if ((e = entry_find(c, key, h)) != NULL)
		entry_remove(c, e);
	if (r->end && r->page)
		return;
	while (c->count >= c->max)
		entry_remove(c, TAILQ_LAST(&c->lru, lru_list));
	/* The record with "~" for its reply: the bytes [at, at + n) go. */
	if (!r->end && !r->page)
		n = r->reply_len;
	e = entry_alloc(c, klen + 1 + r->len - n + (n > 0));
	memcpy(e->key, key, klen + 1);
	e->keylen = (unsigned)klen;
	o = ENTRY_REC(e);
	memcpy(o, r->text, at);
	w = at;
	if (n > 0)
		o[w++] = '~';
	memcpy(o + w, r->text + at + n, r->len - at - n);
	e->reclen = (unsigned)(w + r->len - at - n);
	e->expires_ms = expires_ms;
	e->hash = h;
	e->hnext = c->buckets[h % c->nbuckets];
	c->buckets[h % c->nbuckets] = e;
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	c->count++;
}

void
cache_put(struct cache *c, const char *key, struct session *s,
    long long expires_ms)
{
	struct session_record	 r;

	if (c->max > 0) {
		session_record_make(&r, s);
		cache_put_record(c, key, &r, expires_ms);
		session_record_clear(&r);
	}
	session_free(s);
}

void
cache_expire(struct cache *c, long long now_ms)
{
	struct entry	*e;

	/* The least recently used are the first to expire. */
	while ((e = TAILQ_LAST(&c->lru, lru_list)) != NULL &&
	    e->expires_ms <= now_ms)
		entry_remove(c, e);
}

size_t
cache_count(const struct cache *c)
{
	return c->count;
}

void
cache_free(struct cache *c)
{
	struct entry	*e;

	if (c == NULL)
		return;
	while (!TAILQ_EMPTY(&c->lru))
		entry_remove(c, TAILQ_FIRST(&c->lru));
	while ((e = c->spares) != NULL) {
		c->spares = e->hnext;
		free(e);
	}
	free(c->buckets);
	free(c);
}
