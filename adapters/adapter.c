#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapter.h"
#include "conf.h"
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
	if ((impl = ops->open(base, ca, err, errlen)) == NULL)
		return NULL;
	a = xcalloc(1, sizeof *a);
	a->ops = ops;
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

void
adapter_close(struct adapter *a)
{
	if (a == NULL)
		return;
	a->ops->close(a->impl);
	free(a->name);
	free(a);
}

const char *
adapter_name(const struct adapter *a)
{
	return a->name;
}

char *
request_json(const struct request *req)
{
	json_t	*o, *fields;
	char	*s;

	fields = json_object();
	for (size_t i = 0; i < req->nfields; i++)
		json_object_set_new(fields, req->names[i],
		    json_string(req->values[i]));
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

/* A decoded request and what its strings live in. */
struct request_box {
	struct request	 r;		/* first: the box is the request */
	json_t		*root;
	const char	**names, **values;
};

static const char *
field(json_t *o, const char *name, int *bad)
{
	const char	*s = json_string_value(json_object_get(o, name));

	if (s == NULL)
		*bad = 1;
	return s;
}

struct request *
request_decode(const char *json, char *err, size_t errlen)
{
	struct request_box	*b;
	json_error_t		 jerr;
	json_t			*root, *fields, *v, *ts;
	const char		*k;
	int			 bad = 0;
	size_t			 i = 0;

	if ((root = json_loads(json, 0, &jerr)) == NULL ||
	    !json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object: %s",
		    root ? "wrong type" : jerr.text);
		json_decref(root);
		return NULL;
	}
	fields = json_object_get(root, "fields");
	ts = json_object_get(root, "ts");
	b = xcalloc(1, sizeof *b);
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
