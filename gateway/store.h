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

/* err NULL on success.  data is NULL when the key does not exist; both
 * are valid only during the callback. */
typedef void (*store_get_cb)(const char *err, const char *data, size_t len,
    void *arg);
typedef void (*store_set_cb)(const char *err, void *arg);

struct store	*store_new(struct event_base *, const struct store_params *);
/* Fires every pending callback with an error, then frees. */
void		 store_free(struct store *);
int		 store_connected(const struct store *);

/* The key of a USSD session: all of one subscriber's keys share the
 * {msisdn} hash tag.  Returns a malloc'd string. */
char		*store_session_key(const char *msisdn, const char *session_id);

void		 store_get(struct store *, const char *key, store_get_cb,
		    void *arg);
/* SET key value EX ttl_s. */
void		 store_set(struct store *, const char *key, const char *value,
		    size_t len, unsigned ttl_s, store_set_cb, void *arg);

#endif
