#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapter.h"
#include "conf.h"
#include "xmalloc.h"

extern const struct adapter_ops adapter_file_ops;
extern const struct adapter_ops adapter_http_ops;

static const struct adapter_ops *const adapter_table[] = {
	&adapter_file_ops,
	&adapter_http_ops,
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
