/*
 * Back-office adapters: where confirmed requests go.  Every adapter is a
 * static const struct adapter_ops in its own file, listed in the table in
 * adapter.c and chosen by the "type" the configuration names.  Callers go
 * through the adapter_*() wrappers.
 *
 * submit() is asynchronous: its callback fires exactly once, never from
 * inside submit() itself, also when the adapter is freed first (with an
 * error), so a hop can always rely on hearing back.
 */
#ifndef ASANIGW_ADAPTER_H
#define ASANIGW_ADAPTER_H

#include <stddef.h>

struct event_base;
struct adapter;
struct conf_adapter;

/* One confirmed request, borrowed for the duration of submit(). */
struct request {
	const char	*idempotency_key;	/* the same for a retry */
	const char	*ref;			/* shown to the subscriber */
	const char	*service;		/* short code */
	const char	*kind;			/* e.g. "help" */
	const char	*msisdn;
	const char	*msisdn_hash;		/* keyed hash, for logs */
	const char	*lang;
	long long	 ts_ms;			/* when it was confirmed */
	const char *const *names;		/* collected fields */
	const char *const *values;
	size_t		 nfields;
};

/* err is NULL on success, else a sentence valid during the call; final
 * is 1 when trying again cannot help (the back office refused it). */
typedef void (*adapter_cb)(const char *err, int final, void *arg);

struct adapter_ops {
	const char	*type;		/* the configuration's "type" */
	const char *const *keys;	/* settings it takes besides type */
	/* Opens the adapter; NULL with a sentence in err on failure. */
	void		*(*open)(struct event_base *, const struct conf_adapter *,
			    char *err, size_t errlen);
	void		 (*submit)(void *, const struct request *, adapter_cb,
			    void *arg);
	void		 (*close)(void *);
};

/* The ops for a configured type, or NULL. */
const struct adapter_ops *adapter_find(const char *type);

struct adapter	*adapter_open(struct event_base *, const struct conf_adapter *,
		    char *err, size_t errlen);
void		 adapter_submit(struct adapter *, const struct request *,
		    adapter_cb, void *arg);
void		 adapter_close(struct adapter *);
const char	*adapter_name(const struct adapter *);

/* The request as the back office receives it, one compact JSON object:
 * {"idempotency_key", "ref", "service", "request", "msisdn",
 * "msisdn_hash", "lang", "ts", "fields": {...}}.  The caller frees it;
 * NULL if a string is not valid UTF-8. */
char		*request_json(const struct request *);
/* The request back from that JSON; NULL with a sentence in err.  Its
 * strings live as long as it does; free it with request_free(). */
struct request	*request_decode(const char *json, char *err, size_t errlen);
void		 request_free(struct request *);

#endif
