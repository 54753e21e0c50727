/*
 * The redis-stream adapter: each request is XADDed, as the same JSON
 * object the other adapters send, to a stream that in-house consumers
 * read (with their own consumer group):
 *
 *	XADD <stream> MAXLEN ~ <maxlen> * request <json> key <idempotency key>
 *
 * Its own connection (store.c: reconnects with backoff, a timeout on
 * every command), so it may point at another Redis than the gateway's;
 * with `sentinels` ("host:port,host:port") and `master_name` it finds
 * and follows that Redis's master as the gateway's store does.
 * Any failure may pass: the outbox tries again.
 *
 * Its settings are declared in stream_keys and checked by the
 * configuration (a stream name is required; maxlen absent: no trimming).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "store.h"
#include "xmalloc.h"

#define STREAM_SENTINELS_MAX	16

struct stream_adapter {
	struct store	*store;
	char		*sentinel_list;	/* split in place */
	char		*stream;
	char		*maxlen;	/* "" for none */
};

struct stream_call {
	adapter_cb	 cb;
	void		*arg;
};

static const struct adapter_key stream_keys[] = {
	{ .name = "host", .kind = ADAPTER_STRING, .def = "127.0.0.1" },
	{ .name = "port", .kind = ADAPTER_INT, .idef = 6379, .min = 1,
	    .max = 65535 },
	{ .name = "sentinels", .kind = ADAPTER_STRING, .def = "" },
	{ .name = "master_name", .kind = ADAPTER_STRING, .def = "" },
	{ .name = "username", .kind = ADAPTER_STRING, .def = "" },
	{ .name = "password", .kind = ADAPTER_SECRET, .def = "" },
	{ .name = "db", .kind = ADAPTER_INT, .idef = 0, .min = 0,
	    .max = 1024 },
	{ .name = "stream", .kind = ADAPTER_STRING, .required = 1 },
	{ .name = "maxlen", .kind = ADAPTER_INT, .idef = 0,	/* no trim */
	    .min = 1, .max = 1000000000 },
	{ .name = "timeout_ms", .kind = ADAPTER_INT, .idef = 1000,
	    .min = 10, .max = 60000 },
	{ .name = NULL }
};

static void *
stream_open(struct event_base *base, const char *name,
    const struct adapter_settings *set, char *err, size_t errlen)
{
	struct stream_adapter	*sa;
	struct store_params	 p;
	long long		 maxlen = adapter_setting_int(set, "maxlen");
	const char		*sentinels[STREAM_SENTINELS_MAX];
	size_t			 n = 0;
	char			*s, *tok, *save;

	(void)name;
	sa = xcalloc(1, sizeof *sa);
	sa->sentinel_list = xstrdup(adapter_setting_str(set, "sentinels"));
	for (s = sa->sentinel_list; n < STREAM_SENTINELS_MAX &&
	    (tok = strtok_r(s, ", ", &save)) != NULL; s = NULL)
		sentinels[n++] = tok;
	if ((n > 0) != (adapter_setting_str(set, "master_name")[0] != '\0')) {
		snprintf(err, errlen, "sentinels and master_name go together");
		free(sa->sentinel_list);
		free(sa);
		return NULL;
	}
	p = (struct store_params){
		.sentinels = sentinels,
		.nsentinels = n,
		.master_name = adapter_setting_str(set, "master_name"),
		.username = adapter_setting_str(set, "username"),
		.host = adapter_setting_str(set, "host"),
		.port = (unsigned short)adapter_setting_int(set, "port"),
		.password = adapter_setting_str(set, "password"),
		.db = (int)adapter_setting_int(set, "db"),
		.timeout_ms = (unsigned)adapter_setting_int(set, "timeout_ms"),
	};
	sa->stream = xstrdup(adapter_setting_str(set, "stream"));
	if (maxlen > 0)
		xasprintf(&sa->maxlen, "%lld", maxlen);
	else
		sa->maxlen = xstrdup("");
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
	char			*made;
	const char		*json = request_text(req, &made);

	c->cb = cb;
	c->arg = arg;
	store_stream_add(sa->store, sa->stream, sa->maxlen,
	    json != NULL ? json : "", req->idempotency_key, stream_added, c);
	free(made);
}

static void
stream_close(void *impl)
{
	struct stream_adapter	*sa = impl;

	store_free(sa->store);	/* calls in flight hear back, with errors */
	free(sa->stream);
	free(sa->maxlen);
	free(sa->sentinel_list);
	free(sa);
}

const struct adapter_ops adapter_redis_stream_ops = {
	.type = "redis-stream",
	.keys = stream_keys,
	.open = stream_open,
	.submit = stream_submit,
	.close = stream_close,
};
