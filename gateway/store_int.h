/*
 * Inside the store: what its files (store.c, store_keys.c,
 * store_scripts.c, store_subscriber.c, store_outbox.c) share and no
 * other file includes.  A verb builds its keys with the builders below,
 * sends one command or script, and turns the reply into its typed result
 * in a parse function; the reply never leaves that function.
 */
#ifndef ASANIGW_STORE_INT_H
#define ASANIGW_STORE_INT_H

#include <stddef.h>

#include "store.h"

struct redisReply;

/*
 * Keys (the table in store.h).  The builders return malloc'd strings;
 * the constant ones are macros.  A builder's first {...} is its hash tag.
 */
#define STORE_KEY_DLR_COUNTS	"asanigw:{dlr}:counts"
#define STORE_KEY_LIMITED	"asanigw:{stats}:limited"
#define STORE_KEY_NOTIFY	"asanigw:{stats}:notify"
#define STORE_KEY_OUTBOX	"asanigw:{outbox}:requests"
#define STORE_KEY_OUTBOX_DEAD	"asanigw:{outbox}:dead"
#define STORE_KEY_OUTBOX_TRIES	"asanigw:{outbox}:attempts"
#define STORE_KEY_OUTBOX_REDRIVE "asanigw:{outbox}:redrive"
#define STORE_OUTBOX_GROUP	"asanigw"
#define STORE_KEY_LEDGER_PENDING "asanigw:{ledger}:pending"
#define STORE_KEY_LEDGER_HEAD	"asanigw:{ledger}:head"
#define STORE_KEY_LEDGER_REFS	"asanigw:{ledger}:refs"

char		*store_key_pledges(const char *msisdn);
char		*store_key_pledge_rate(const char *msisdn, long long now_ms);
char		*store_key_request_rate(const char *msisdn,
		    const char *service, long long now_ms);
char		*store_key_optout(const char *msisdn);
char		*store_key_answer(const char *msisdn, const char *id);
char		*store_key_notify_claim(const char *msisdn, const char *key);
char		*store_key_notify_sig(const char *msisdn, const char *sig);
char		*store_key_dlr(const char *msgid);
char		*store_key_outbox_seen(const char *idempotency_key);
char		*store_key_ledger_seen(const char *ledger_key);
const char	*store_key_counter(enum store_counter);

/*
 * The Lua scripts, one registry (store_scripts.c).  Each declares how
 * many keys it takes and builds them from the verb's arguments; the
 * verbs never build a script's keys themselves, so the unit test that
 * checks every script's keys share one Cluster slot checks the keys the
 * live verbs send.
 */
enum store_script {
	SCRIPT_SESSION_SAVE,
	SCRIPT_DLR_RECORD,
	SCRIPT_REQUESTS_COUNT,
	SCRIPT_PLEDGE_PROPOSE,
	SCRIPT_PLEDGE_TAKE,
	SCRIPT_PLEDGE_CANCEL,
	SCRIPT_NOTIFY_CLAIM,
	SCRIPT_OUTBOX_ADD,
	SCRIPT_OUTBOX_ACK,
	SCRIPT_OUTBOX_FAIL,
	SCRIPT_OUTBOX_STATS,
	SCRIPT_OUTBOX_REPLAY,
	SCRIPT_OUTBOX_REDRIVE,
	SCRIPT_LEDGER_RECORD,
	SCRIPT_LEDGER_COMMIT,
	NSCRIPTS
};

#define SCRIPT_KEYS_MAX	3

/* What a script's keys are made of; each script uses some. */
struct store_keyargs {
	const char	*msisdn;
	const char	*session_key;	/* store_session_key()'s */
	const char	*service;
	const char	*msgid;		/* of a delivery report */
	const char	*ikey;		/* an idempotency key */
	const char	*sig;		/* a callback's signature */
	long long	 now_ms;	/* for the hour and day of a limit */
};

struct store_script_def {
	const char	*name;
	const char	*src;
	int		 nkeys;
	/* Fills keys[0..nkeys-1] with malloc'd keys. */
	void		(*keys)(const struct store_keyargs *,
			    char *keys[SCRIPT_KEYS_MAX]);
};

extern const struct store_script_def store_scripts[NSCRIPTS];

/* A verb's callback, whatever its type: its parse function knows it. */
typedef void (*store_fn)(void);

/*
 * Fires the verb's callback cb exactly once with the typed result of r,
 * a reply (valid during the call), or of err (r NULL then).
 */
typedef void (*store_parse_fn)(const char *err, const struct redisReply *r,
    store_fn cb, void *arg);

void		 store_command(struct store *, int argc, const char **argv,
		    const size_t *lens, store_parse_fn, store_fn, void *arg);
/* EVALSHA of a script, its keys built from ka; argv holds its
 * arguments (lens NULL for NUL-terminated ones). */
void		 store_eval(struct store *, enum store_script,
		    const struct store_keyargs *ka, int argc, const char **argv,
		    const size_t *lens, store_parse_fn, store_fn, void *arg);
/* The same for a script whose one argument is a number. */
void		 store_eval_number(struct store *, enum store_script,
		    const struct store_keyargs *ka, long long n,
		    store_parse_fn, store_fn, void *arg);

/* A script of the SCRIPT_OUTBOX_ADD shape (KEYS: a stream, the key's
 * mark; ARGV: the JSON, the mark's TTL): appended once per ikey. */
void		 store_add_once(struct store *, enum store_script,
		    const char *ikey, const char *json, unsigned ttl_s,
		    store_parse_fn, store_fn, void *arg);

/* Fires cb once `replicas` replicas hold every write this connection
 * made so far, or with an error after wait_ms (WAIT, one for all the
 * callers that come while one is out). */
void		 store_replicated(struct store *, unsigned replicas,
		    unsigned wait_ms, store_done_cb, void *arg);

/* Parse functions several verbs share: for a store_done_cb, for a
 * store_number_cb (an integer reply), and for fire and forget (cb
 * NULL, arg names what failed in the log). */
void		 store_parse_done(const char *, const struct redisReply *,
		    store_fn, void *);
void		 store_parse_number(const char *, const struct redisReply *,
		    store_fn, void *);
void		 store_parse_ignore(const char *, const struct redisReply *,
		    store_fn, void *);
/* Stream entries [[id, [field, value, ...]], ...] (list NULL: none) to
 * a store_entries_cb: the request is field r (store_outbox.c). */
void		 store_entries_fire(store_entries_cb,
		    const struct redisReply *list, void *arg);

/*
 * Redis Sentinel (store_sentinel.c): where the master is, and when it
 * moves.  sentinel_ask() asks the sentinels one at a time; its callback
 * fires exactly once (also from sentinel_free(), with an error), with
 * host (valid during the callback) and port, or err.  A new ask cancels
 * the one in flight (its callback fires with an error).  on_switch gets
 * the new address of the master after a +switch-master, or host NULL
 * when the watch was lost and a switch may have passed unseen.
 */
struct sentinel;
typedef void (*sentinel_master_cb)(const char *err, const char *host,
    unsigned short port, void *arg);
typedef void (*sentinel_switch_fn)(void *arg, const char *host,
    unsigned short port);
struct sentinel	*sentinel_new(struct event_base *, const char *const *addrs,
		    size_t n, const char *master_name, unsigned timeout_ms,
		    sentinel_switch_fn, void *arg);
void		 sentinel_ask(struct sentinel *, sentinel_master_cb,
		    void *arg);
void		 sentinel_free(struct sentinel *);

#endif
