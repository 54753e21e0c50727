/*
 * The redis-stream adapter: each request is XADDed, as the same JSON
 * object the other adapters send, to a stream that in-house consumers
 * read (with their own consumer group):
 *
 *	XADD <stream> MAXLEN ~ <maxlen> * request <json> key <idempotency key>
 *
 * Its own connection (store.c: reconnects with backoff, a timeout on
 * every command), so it may point at another Redis than the gateway's.
 * Any failure may pass: the outbox tries again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "conf.h"
#include "store.h"
#include "xmalloc.h"

struct stream_adapter {
	struct store	*store;
	char		*stream;
	char		*maxlen;	/* "" for none */
};

struct stream_call {
	adapter_cb	 cb;
	void		*arg;
};

static const char *const stream_keys[] = { "host", "port", "password", "db",
	"stream", "maxlen", "timeout_ms", NULL };

static void *
stream_open(struct event_base *base, const struct conf_adapter *ca,
    char *err, size_t errlen)
{
	const char		*stream = conf_adapter_get(ca, "stream");
	const char		*host = conf_adapter_get(ca, "host");
	const char		*port = conf_adapter_get(ca, "port");
	const char		*db = conf_adapter_get(ca, "db");
	const char		*to = conf_adapter_get(ca, "timeout_ms");
	const char		*maxlen = conf_adapter_get(ca, "maxlen");
	struct stream_adapter	*sa;
	struct store_params	 p;
	long			 n;

	if (stream == NULL || *stream == '\0') {
		snprintf(err, errlen, "adapter %s: stream is not set",
		    ca->name);
		return NULL;
	}
	n = port ? atol(port) : 6379;
	if (n < 1 || n > 65535) {
		snprintf(err, errlen, "adapter %s: port must be 1 to 65535",
		    ca->name);
		return NULL;
	}
	p = (struct store_params){
		.host = host ? host : "127.0.0.1",
		.port = (unsigned short)n,
		.password = conf_adapter_get(ca, "password"),
		.db = db ? atoi(db) : 0,
		.timeout_ms = to ? (unsigned)atol(to) : 1000,
	};
	if (p.timeout_ms < 10 || p.timeout_ms > 60000) {
		snprintf(err, errlen, "adapter %s: timeout_ms must be 10 to "
		    "60000", ca->name);
		return NULL;
	}
	sa = xcalloc(1, sizeof *sa);
	sa->stream = xstrdup(stream);
	sa->maxlen = xstrdup(maxlen ? maxlen : "");
	sa->store = store_new(base, &p);
	return sa;
}

static void
stream_added(const char *err, void *arg)
{
	struct stream_call	*c = arg;

	c->cb(err, 0, c->arg);
	free(c);
}

static void
stream_submit(void *impl, const struct request *req, adapter_cb cb,
    void *arg)
{
	struct stream_adapter	*sa = impl;
	struct stream_call	*c = xcalloc(1, sizeof *c);
	char			*json = request_json(req);

	c->cb = cb;
	c->arg = arg;
	store_stream_add(sa->store, sa->stream, sa->maxlen,
	    json != NULL ? json : "", req->idempotency_key, stream_added, c);
	free(json);
}

static void
stream_close(void *impl)
{
	struct stream_adapter	*sa = impl;

	store_free(sa->store);	/* calls in flight hear back, with errors */
	free(sa->stream);
	free(sa->maxlen);
	free(sa);
}

const struct adapter_ops adapter_redis_stream_ops = {
	.type = "redis-stream",
	.keys = stream_keys,
	.open = stream_open,
	.submit = stream_submit,
	.close = stream_close,
};
