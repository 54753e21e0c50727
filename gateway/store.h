/*
 * The session store: Redis through hiredis' asynchronous API on the event
 * loop.  hiredis 0.14 has no command timeout, so every call has its own
 * timer: its callback fires exactly once, within the configured timeout,
 * with the reply or an error — also when Redis is down (at once), stuck
 * (after the timeout) or when the store is freed.  The store reconnects
 * by itself with exponential backoff.
 *
 * Nothing outside the store builds Redis commands or keys.
 */
#ifndef ASANIGW_STORE_H
#define ASANIGW_STORE_H

#include <stddef.h>

struct event_base;
struct store;

struct store_params {
	const char	*host;
	unsigned short	 port;
	const char	*password;	/* "" for none */
	int		 db;
	unsigned	 timeout_ms;	/* per command, and per connect */
};

/*
 * A session record is a version (the number of hops saved, 0 = none)
 * and an opaque value.  store_load() reads it; store_save() writes it
 * only if the stored version is still the one the caller stepped from —
 * a compare-and-set in one round trip (a Lua script) — so two hops of
 * one session, on one gateway or on two, can never both be saved.
 */

/* err NULL on success; version 0 and data NULL when there is no record.
 * data is valid only during the callback. */
typedef void (*store_load_cb)(const char *err, unsigned version,
    const char *data, size_t len, void *arg);

enum store_saved {
	STORE_SAVED,		/* written */
	STORE_CONFLICT,		/* another hop saved first: current given */
	STORE_GONE,		/* the record expected is not there */
};

/* err NULL on success; with STORE_CONFLICT, version and data are the
 * record as it now stands. */
typedef void (*store_save_cb)(const char *err, enum store_saved,
    unsigned version, const char *data, size_t len, void *arg);

struct store	*store_new(struct event_base *, const struct store_params *);
/* Fires every pending callback with an error, then frees. */
void		 store_free(struct store *);
int		 store_connected(const struct store *);

/* The key of a USSD session: all of one subscriber's keys share the
 * {msisdn} hash tag.  Returns a malloc'd string. */
char		*store_session_key(const char *msisdn, const char *session_id);

void		 store_load(struct store *, const char *key, store_load_cb,
		    void *arg);
/* Saves value as version `version` with a TTL, if the stored version is
 * `expected` (0: no record may exist). */
void		 store_save(struct store *, const char *key, unsigned expected,
		    unsigned version, const char *value, size_t len,
		    unsigned ttl_s, store_save_cb, void *arg);

#endif
