/*
 * Back-office adapters: where confirmed requests go.  Every adapter is a
 * static const struct adapter_ops in its own file, listed in the table in
 * adapter.c and chosen by the "type" the configuration names.  Callers go
 * through the adapter_*() wrappers.
 *
 * Each type declares the settings it takes, with their kind, range,
 * default and whether they are required, in a table next to its ops.
 * The configuration is checked against that table when it is loaded
 * (conf.c, so "asanigw -t" catches every mistake with its line), and
 * open() receives the values parsed: it never reads raw text.
 *
 * submit() and lookup() are asynchronous: their callback fires exactly
 * once, never from inside the call itself, also when the adapter is freed
 * first (with an error), so a hop can always rely on hearing back.
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
	const char	*json;			/* the text it was decoded from,
						 * when that is what
						 * request_json() would write;
						 * else NULL */
};

/* err is NULL on success, else a sentence valid during the call; final
 * is 1 when trying again cannot help (the back office refused it). */
typedef void (*adapter_cb)(const char *err, int final, void *arg);

/* A question for the back office, borrowed for the duration of lookup():
 * a query kind (e.g. "complaint_status") and its parameters. */
struct query {
	const char	*kind;
	const char	*service;
	const char	*msisdn;	/* who asks: answer only what is
					 * theirs */
	const char	*msisdn_hash;
	const char	*lang;
	const char *const *names;
	const char *const *values;
	size_t		 nparams;
};

/* The back office's answer, flattened to text: a JSON object's strings,
 * numbers and booleans by name; an array of objects as NAME = its length
 * and NAME.1.KEY, NAME.2.KEY, ... */
#define ANSWER_FIELDS_MAX	64	/* more are dropped */
#define ANSWER_VALUE_MAX	480	/* bytes; longer values are cut */
struct answer {
	int		 found;		/* 0: the back office knows nothing
					 * of what was asked */
	char		**names;
	char		**values;
	size_t		 nfields;
};

/* err is NULL and the answer (valid during the call) on success. */
typedef void (*adapter_answer_cb)(const char *err, const struct answer *a,
    void *arg);

/* What a setting's value is and how the configuration is checked. */
enum adapter_kind {
	ADAPTER_STRING,		/* text as written */
	ADAPTER_SECRET,		/* text, "env:NAME" (an environment variable)
				 * or "file:PATH" (a file's first line) */
	ADAPTER_PATH,		/* a file the adapter makes or writes; taken
				 * relative to the configuration's directory */
	ADAPTER_FILE,		/* a file that must be readable already, as
				 * ADAPTER_PATH otherwise; "" for none */
	ADAPTER_INT,		/* an integer from min to max */
	ADAPTER_URL,		/* http:// or https://host[:port][/path] */
	ADAPTER_URL_PATH,	/* the path of a URL: starts with '/' */
};

/*
 * One setting a type takes besides "type".  A required text setting
 * must be given and not empty.  An absent setting takes its default:
 * def for the text kinds (NULL: none, and the accessor returns NULL),
 * idef for ADAPTER_INT (which may lie outside min..max to mean "none").
 */
struct adapter_key {
	const char		*name;		/* NULL ends a table */
	enum adapter_kind	 kind;
	int			 required;
	const char		*def;
	long long		 idef, min, max;
};

/* A type's settings as configured: one value per key of its table, in
 * the table's order, the default where the setting is absent.  Built and
 * checked by conf.c, owned by the configuration. */
struct adapter_value {
	char		*str;		/* the text kinds: resolved secret,
					 * absolute path; NULL when absent
					 * without a default */
	long long	 num;		/* ADAPTER_INT */
};

struct adapter_settings {
	const struct adapter_key *keys;		/* the type's table */
	struct adapter_value	 *values;
};

/* New settings for keys, every value its default; free them with
 * adapter_settings_free(). */
struct adapter_settings *adapter_settings_new(const struct adapter_key *);
void		 adapter_settings_free(struct adapter_settings *);
/* The key named so in a table, or NULL. */
const struct adapter_key *adapter_key_find(const struct adapter_key *,
		    const char *name);
/* A setting's value by its key's name, as given or its default.  Asking
 * for a key the table lacks, or of another kind, is a bug: fatal. */
const char	*adapter_setting_str(const struct adapter_settings *,
		    const char *name);
long long	 adapter_setting_int(const struct adapter_settings *,
		    const char *name);

struct adapter_ops {
	const char	*type;		/* the configuration's "type" */
	const struct adapter_key *keys;	/* settings it takes besides type,
					 * ended by a NULL name */
	/* Opens the adapter named name; NULL with a sentence in err on
	 * failure.  The settings are borrowed for the call only. */
	void		*(*open)(struct event_base *, const char *name,
			    const struct adapter_settings *, char *err,
			    size_t errlen);
	void		 (*submit)(void *, const struct request *, adapter_cb,
			    void *arg);
	/* NULL: this type answers no lookups. */
	void		 (*lookup)(void *, const struct query *,
			    adapter_answer_cb, void *arg);
	void		 (*close)(void *);
};

/* The ops for a configured type, or NULL. */
const struct adapter_ops *adapter_find(const char *type);

struct adapter	*adapter_open(struct event_base *, const struct conf_adapter *,
		    char *err, size_t errlen);
void		 adapter_submit(struct adapter *, const struct request *,
		    adapter_cb, void *arg);
/* Without a lookup op the callback gets an error, from the loop. */
void		 adapter_lookup(struct adapter *, const struct query *,
		    adapter_answer_cb, void *arg);
void		 adapter_close(struct adapter *);

/*
 * The signature of a call between the gateway and a back office, either
 * way: "v1=" and the hex HMAC-SHA256, under the shared secret, of the
 * timestamp (unix seconds, as text), a '.', and the body.
 */
#define ADAPTER_SIG_LEN	(3 + 64 + 1)
void		 adapter_sign(const char *secret, const char *ts,
		    const char *body, size_t len, char out[ADAPTER_SIG_LEN]);
/* The same under a secret keyed once, for who signs every call: HMAC's
 * key schedule and OpenSSL's algorithm lookups are paid by signer_new(),
 * not by each signature. */
struct signer	*signer_new(const char *secret);
void		 signer_sign(struct signer *, const char *ts,
		    const char *body, size_t len, char out[ADAPTER_SIG_LEN]);
void		 signer_free(struct signer *);
/* 1 if sig is the signature of ts and body and ts is within window_s of
 * now; compared in constant time. */
int		 adapter_verify(const char *secret, const char *ts,
		    const char *body, size_t len, const char *sig,
		    long window_s);

/* The request as the back office receives it, one compact JSON object:
 * {"idempotency_key", "ref", "service", "request", "msisdn",
 * "msisdn_hash", "lang", "ts", "fields": {...}}.  The caller frees it;
 * NULL if a string is not valid UTF-8. */
char		*request_json(const struct request *);
/* The request back from that JSON; NULL with a sentence in err.  Its
 * strings, json among them, live as long as it does; free it with
 * request_free(). */
struct request	*request_decode(const char *json, char *err, size_t errlen);
void		 request_free(struct request *);
/* What an adapter sends: the request's json if it has one, else
 * request_json()'s, left in *made for the caller to free (else NULL). */
const char	*request_text(const struct request *, char **made);

/* The query as the back office receives it: {"kind", "service",
 * "msisdn", "msisdn_hash", "lang", "params": {...}}; NULL if a string is
 * not valid UTF-8. */
char		*query_json(const struct query *);
/* Reads an answer (a JSON object; "found" false or absent-and-true);
 * -1 with a sentence in err.  Free it with answer_clear(). */
int		 answer_decode(const char *json, size_t len, struct answer *,
		    char *err, size_t errlen);
/* Adds a field (dropped past ANSWER_FIELDS_MAX, cut to ANSWER_VALUE_MAX). */
void		 answer_add(struct answer *, const char *name,
		    const char *value);
void		 answer_clear(struct answer *);

#endif
