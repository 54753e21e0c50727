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

/*
 * Any command, for the other module that speaks Redis (the outbox).  The
 * reply is valid during the callback only; an error reply comes as err
 * with r NULL.
 */
struct redisReply;
typedef void (*store_reply_cb)(const char *err, const struct redisReply *r,
    void *arg);
void		 store_command(struct store *, int argc, const char **argv,
		    const size_t *lens, store_reply_cb, void *arg);
/* A store_reply_cb for fire-and-forget commands: an error is logged as
 * event=store-failed with what (a string) said. */
void		 store_ignore(const char *err, const struct redisReply *r,
		    void *what);
/* Registers a Lua script (src is borrowed and must outlive the store),
 * loaded on every connect; returns its handle for store_eval(). */
int		 store_script_add(struct store *, const char *src);
/* EVALSHA of a registered script: argv holds its nkeys keys, then its
 * arguments; lens NULL for NUL-terminated ones. */
void		 store_eval(struct store *, int script, int nkeys, int argc,
		    const char **argv, const size_t *lens, store_reply_cb,
		    void *arg);

/* Delivery reports of the messages the gateway sends. */

typedef void (*store_done_cb)(const char *err, void *arg);

/* Records that message msgid reached state (e.g. "delivered"; final
 * when no later report may change it), kept ttl_s seconds after the last
 * report, and counts the state once per message. */
void		 store_dlr_record(struct store *, const char *msgid,
		    const char *state, int final, const char *smsc_msgid,
		    unsigned ttl_s, store_done_cb, void *arg);

/* How many messages reached each state: n name/count pairs, valid
 * during the callback. */
typedef void (*store_counts_cb)(const char *err, const char *const *names,
    const long long *counts, size_t n, void *arg);
void		 store_dlr_counts(struct store *, store_counts_cb, void *arg);

/* Counters for operators, each a hash of name -> count: refusals by a
 * per-MSISDN limit (by limit), notifications held back (by reason). */
#define STORE_LIMITED_KEY	"asanigw:{stats}:limited"
#define STORE_NOTIFY_KEY	"asanigw:{stats}:notify"
/* Adds one to a counter. */
void		 store_count(struct store *, const char *key,
		    const char *name);
/* Every counter of a hash; names and counts valid during the callback. */
void		 store_counts(struct store *, const char *key,
		    store_counts_cb, void *arg);

#endif
