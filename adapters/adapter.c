/*
 * What every back-office adapter shares: the table of types and the
 * wrappers callers go through, the typed settings each type receives,
 * the request, query and answer JSON, and the HMAC signature of a call.
 *
 * The settings are parsed and checked once, by conf.c against the type's
 * table; here they are only looked up, by the name the table gives, so
 * an adapter reads an integer as an integer and never falls back on a
 * default of its own.
 */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "adapter.h"
#include "conf.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

extern const struct adapter_ops adapter_file_ops;
extern const struct adapter_ops adapter_http_ops;
extern const struct adapter_ops adapter_redis_stream_ops;

static const struct adapter_ops *const adapter_table[] = {
	&adapter_file_ops,
	&adapter_http_ops,
	&adapter_redis_stream_ops,
	NULL
};

struct adapter {
	const struct adapter_ops *ops;
	struct event_base	 *base;
	char			 *name;
	void			 *impl;
};

const struct adapter_ops *
adapter_find(const char *type)
{
	for (size_t i = 0; adapter_table[i] != NULL; i++)
		if (strcmp(adapter_table[i]->type, type) == 0)
			return adapter_table[i];
	return NULL;
}

struct adapter_settings *
adapter_settings_new(const struct adapter_key *keys)
{
	struct adapter_settings	*s = xcalloc(1, sizeof *s);
	size_t			 n = 0;

	while (keys[n].name != NULL)
		n++;
	s->keys = keys;
	s->values = xcalloc(n + 1, sizeof *s->values);
	for (size_t i = 0; i < n; i++) {
		if (keys[i].kind == ADAPTER_INT)
			s->values[i].num = keys[i].idef;
		else if (keys[i].def != NULL)
			s->values[i].str = xstrdup(keys[i].def);
	}
	return s;
}

void
adapter_settings_free(struct adapter_settings *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; s->keys[i].name != NULL; i++)
		free(s->values[i].str);
	free(s->values);
	free(s);
}

const struct adapter_key *
adapter_key_find(const struct adapter_key *keys, const char *name)
{
	for (; keys != NULL && keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

/* The value of the key named so, which must be of a text kind or not. */
static const struct adapter_value *
setting(const struct adapter_settings *s, const char *name, int integer)
{
	const struct adapter_key *k = adapter_key_find(s->keys, name);

	if (k == NULL)
		fatalx("adapter setting %s is not declared", name);
	if ((k->kind == ADAPTER_INT) != integer)
		fatalx("adapter setting %s is %san integer", name,
		    integer ? "not " : "");
	return &s->values[k - s->keys];
}

const char *
adapter_setting_str(const struct adapter_settings *s, const char *name)
{
	return setting(s, name, 0)->str;
}

long long
adapter_setting_int(const struct adapter_settings *s, const char *name)
{
	return setting(s, name, 1)->num;
}

struct adapter *
adapter_open(struct event_base *base, const struct conf_adapter *ca,
    char *err, size_t errlen)
{
	const struct adapter_ops *ops = adapter_find(ca->type);
	struct adapter		 *a;
	void			 *impl;

	if (ops == NULL) {
		snprintf(err, errlen, "unknown adapter type \"%s\"", ca->type);
		return NULL;
	}
	if ((impl = ops->open(base, ca->name, ca->settings, err, errlen)) ==
	    NULL)
		return NULL;
	a = xcalloc(1, sizeof *a);
	a->ops = ops;
	a->base = base;
	a->name = xstrdup(ca->name);
	a->impl = impl;
	return a;
}

void
adapter_submit(struct adapter *a, const struct request *req, adapter_cb cb,
    void *arg)
{
	a->ops->submit(a->impl, req, cb, arg);
}

/* A lookup the adapter's type cannot answer, told from the loop. */
struct unanswered {
	adapter_answer_cb	 cb;
	void			*arg;
	char			 err[96];
};

static void
unanswered_cb(evutil_socket_t fd, short what, void *arg)
{
	struct unanswered	*u = arg;

	(void)fd;
	(void)what;
	u->cb(u->err, NULL, u->arg);
	free(u);
}

void
adapter_lookup(struct adapter *a, const struct query *q,
    adapter_answer_cb cb, void *arg)
{
	struct unanswered	*u;

	if (a->ops->lookup != NULL) {
		a->ops->lookup(a->impl, q, cb, arg);
		return;
	}
	u = xcalloc(1, sizeof *u);
	u->cb = cb;
	u->arg = arg;
	snprintf(u->err, sizeof u->err, "adapter %s (%s) answers no lookups",
	    a->name, a->ops->type);
	defer_call(a->base, unanswered_cb, u);
}

void
adapter_close(struct adapter *a)
{
	if (a == NULL)
		return;
	a->ops->close(a->impl);
	free(a->name);
	free(a);
}

/* {"name": "value", ...}; a value that is not UTF-8 makes it NULL. */
static json_t *
strings_object(const char *const *names, const char *const *values,
    size_t n)
{
	json_t	*o = json_object(), *v;

	for (size_t i = 0; i < n; i++) {
		if ((v = json_string(values[i])) == NULL) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, names[i], v);
	}
	return o;
}

char *
request_json(const struct request *req)
{
	json_t	*o, *fields;
	char	*s;

	fields = strings_object(req->names, req->values, req->nfields);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}",
	    "idempotency_key", req->idempotency_key,
	    "ref", req->ref,
	    "service", req->service,
	    "request", req->kind,
	    "msisdn", req->msisdn,
	    "msisdn_hash", req->msisdn_hash,
	    "lang", req->lang,
	    "ts", (json_int_t)req->ts_ms,
	    "fields", fields);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* The members request_json() writes. */
#define REQUEST_MEMBERS	9

/* A decoded request and what its strings live in. */
struct request_box {
	struct request	 r;		/* first: the box is the request */
	json_t		*root;
	const char	**names, **values;
	char		 json[];	/* the text decoded */
};

static const char *
field(json_t *o, const char *name, int *bad)
{
	const char	*s = json_string_value(json_object_get(o, name));

	if (s == NULL)
		*bad = 1;
	return s;
}

/* json decoded; *repeated is 1 if an object repeats a key (the last
 * counts), which the back office may refuse as written. */
static json_t *
request_load(const char *json, int *repeated, json_error_t *jerr)
{
	json_t	*root;

	*repeated = 0;
	if ((root = json_loads(json, JSON_REJECT_DUPLICATES, jerr)) != NULL ||
	    json_error_code(jerr) != json_error_duplicate_key)
		return root;
	*repeated = 1;
	return json_loads(json, 0, jerr);
}

struct request *
request_decode(const char *json, char *err, size_t errlen)
{
	struct request_box	*b;
	json_error_t		 jerr;
	json_t			*root, *fields, *v, *ts;
	const char		*k;
	int			 bad = 0, repeated;
	size_t			 i = 0, len;

	if ((root = request_load(json, &repeated, &jerr)) == NULL ||
	    !json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object: %s",
		    root ? "wrong type" : jerr.text);
		json_decref(root);
		return NULL;
	}
	fields = json_object_get(root, "fields");
	ts = json_object_get(root, "ts");
	len = strlen(json);
	b = xcalloc(1, sizeof *b + len + 1);
	memcpy(b->json, json, len);
	b->root = root;
	b->r.idempotency_key = field(root, "idempotency_key", &bad);
	b->r.ref = field(root, "ref", &bad);
	b->r.service = field(root, "service", &bad);
	b->r.kind = field(root, "request", &bad);
	b->r.msisdn = field(root, "msisdn", &bad);
	b->r.msisdn_hash = field(root, "msisdn_hash", &bad);
	b->r.lang = field(root, "lang", &bad);
	b->r.ts_ms = json_is_integer(ts) ? json_integer_value(ts) : 0;
	if (!json_is_integer(ts) || !json_is_object(fields))
		bad = 1;
	b->names = xcalloc(json_object_size(fields) + 1, sizeof *b->names);
	b->values = xcalloc(json_object_size(fields) + 1, sizeof *b->values);
	json_object_foreach(fields, k, v) {
		if (!json_is_string(v)) {
			bad = 1;
			break;
		}
		b->names[i] = k;
		b->values[i++] = json_string_value(v);
	}
	b->r.names = b->names;
	b->r.values = b->values;
	b->r.nfields = i;
	if (bad) {
		snprintf(err, errlen, "a request field is missing or not a "
		    "string");
		request_free(&b->r);
		return NULL;
	}
	/* Every member present once and no other: its text says what
	 * request_json() would, and on one line, as the file adapter
	 * needs. */
	if (!repeated && json_object_size(root) == REQUEST_MEMBERS &&
	    json[strcspn(json, "\r\n")] == '\0')
		b->r.json = b->json;
	return &b->r;
}

void
request_free(struct request *r)
{
	struct request_box	*b = (struct request_box *)r;

	if (r == NULL)
		return;
	json_decref(b->root);
	free(b->names);
	free(b->values);
	free(b);
}

const char *
request_text(const struct request *req, char **made)
{
	*made = NULL;
	if (req->json != NULL)
		return req->json;
	return *made = request_json(req);
}

char *
query_json(const struct query *q)
{
	json_t	*o, *params;
	char	*s;

	params = strings_object(q->names, q->values, q->nparams);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}",
	    "kind", q->kind,
	    "service", q->service,
	    "msisdn", q->msisdn,
	    "msisdn_hash", q->msisdn_hash,
	    "lang", q->lang,
	    "params", params);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

void
answer_add(struct answer *a, const char *name, const char *value)
{
	size_t	 len = strlen(value);

	if (a->nfields == ANSWER_FIELDS_MAX)
		return;
	if (len > ANSWER_VALUE_MAX) {
		/* Cut on a character boundary. */
		len = ANSWER_VALUE_MAX;
		while (len > 0 && ((unsigned char)value[len] & 0xc0) == 0x80)
			len--;
	}
	a->names = xreallocarray(a->names, a->nfields + 1, sizeof *a->names);
	a->values = xreallocarray(a->values, a->nfields + 1,
	    sizeof *a->values);
	a->names[a->nfields] = xstrdup(name);
	a->values[a->nfields] = xstrndup(value, len);
	a->nfields++;
}

/* A scalar as text; 0 for null, arrays and objects. */
static int
answer_scalar(json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, len, "%s", json_string_value(v));
		return 1;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return 1;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		return 1;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
		return 1;
	default:
		return 0;
	}
}

int
answer_decode(const char *json, size_t len, struct answer *a, char *err,
    size_t errlen)
{
	json_error_t	 jerr;
	json_t		*root, *v, *found, *item, *iv;
	const char	*k, *ik;
	char		 val[ANSWER_VALUE_MAX + 8], name[160], n[24];
	size_t		 i;

	memset(a, 0, sizeof *a);
	if ((root = json_loadb(json, len, 0, &jerr)) == NULL ||
	    !json_is_object(root)) {
		snprintf(err, errlen, "the answer is not a JSON object%s%s",
		    root ? "" : ": ", root ? "" : jerr.text);
		json_decref(root);
		return -1;
	}
	found = json_object_get(root, "found");
	a->found = found == NULL || json_is_true(found);
	json_object_foreach(root, k, v) {
		if (strcmp(k, "found") == 0)
			continue;
		if (answer_scalar(v, val, sizeof val)) {
			answer_add(a, k, val);
			continue;
		}
		if (!json_is_array(v))
			continue;
		snprintf(n, sizeof n, "%zu", json_array_size(v));
		answer_add(a, k, n);
		json_array_foreach(v, i, item) {
			json_object_foreach(item, ik, iv) {
				if (!answer_scalar(iv, val, sizeof val))
					continue;
				snprintf(name, sizeof name, "%s.%zu.%s", k,
				    i + 1, ik);
				answer_add(a, name, val);
			}
		}
	}
	json_decref(root);
	return 0;
}

void
answer_clear(struct answer *a)
{
	for (size_t i = 0; i < a->nfields; i++) {
		free(a->names[i]);
		free(a->values[i]);
	}
	free(a->names);
	free(a->values);
	memset(a, 0, sizeof *a);
}

struct signer {
	EVP_MAC_CTX	*ctx;		/* keyed; re-initialised per call */
};

struct signer *
signer_new(const char *secret)
{
	struct signer	*sg = xcalloc(1, sizeof *sg);
	OSSL_PARAM	 params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    "SHA256", 0),
		OSSL_PARAM_construct_end()
	};
	EVP_MAC		*mac;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (sg->ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(sg->ctx, (const unsigned char *)secret,
	    strlen(secret), params) != 1)
		fatalx("HMAC-SHA256 is not available");
	EVP_MAC_free(mac);
	return sg;
}

/* EVP_MAC_init() without a key starts again under the key it has. */
void
signer_sign(struct signer *sg, const char *ts, const char *body, size_t len,
    char out[ADAPTER_SIG_LEN])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	size_t		 mdlen = 0;

	if (EVP_MAC_init(sg->ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(sg->ctx, (const unsigned char *)ts,
	    strlen(ts)) != 1 ||
	    EVP_MAC_update(sg->ctx, (const unsigned char *)".", 1) != 1 ||
	    EVP_MAC_update(sg->ctx, (const unsigned char *)body, len) != 1 ||
	    EVP_MAC_final(sg->ctx, md, &mdlen, sizeof md) != 1)
		fatalx("HMAC failed");
	memcpy(out, "v1=", 3);
	hex_encode(md, mdlen < 32 ? mdlen : 32, out + 3, ADAPTER_SIG_LEN - 3);
}

void
signer_free(struct signer *sg)
{
	if (sg == NULL)
		return;
	EVP_MAC_CTX_free(sg->ctx);
	free(sg);
}

void
adapter_sign(const char *secret, const char *ts, const char *body,
    size_t len, char out[ADAPTER_SIG_LEN])
{
	struct signer	*sg = signer_new(secret);

	signer_sign(sg, ts, body, len, out);
	signer_free(sg);
}

int
adapter_verify(const char *secret, const char *ts, const char *body,
    size_t len, const char *sig, long window_s)
{
	char		 want[ADAPTER_SIG_LEN], *end;
	long long	 t, now = (long long)time(NULL);

	if (ts == NULL || sig == NULL || strlen(sig) != ADAPTER_SIG_LEN - 1)
		return 0;
	t = strtoll(ts, &end, 10);
	/* Compared without subtracting: t may be LLONG_MIN. */
	if (*ts == '\0' || *end != '\0' || t < now - window_s ||
	    t > now + window_s)
		return 0;
	adapter_sign(secret, ts, body, len, want);
	return CRYPTO_memcmp(want, sig, ADAPTER_SIG_LEN - 1) == 0;
}
