/*
 * One hop, as a small state machine.  The state names what the hop waits
 * for; callbacks only record what they got and call hop_step(), which
 * decides what happens next and starts it:
 *
 *	WAIT ─▶ START ─▶ (LOAD) ─▶ STEP ─┬──────────────────────▶ SAVE ─▶ DONE
 *	                    ▲      ▲     ├─▶ LOOKUP ────────────▶ SAVE
 *	                    │      │     ├─▶ (LIMIT) ─▶ QUEUE ──▶ SAVE
 *	                    │      │     └─▶ DONE: answered at once
 *	                    │      └── SAVE found the session moved on
 *	                    └───────── a submit stepped from a cached session
 *
 * LOAD only for a session not in the cache, LIMIT only when the service
 * has a daily limit of requests.  A LIMIT over the subscriber's count, or
 * a LIMIT or QUEUE that failed, goes to DONE with its answer.  DONE is
 * hop_end(): the one place that answers if nothing has, logs the hop's
 * line and frees it.
 *
 * One Redis round trip per hop: the session this gateway saved last is
 * kept in memory (cache.c), so the hop steps it at once and saves it with
 * a compare-and-set.  Only when the session is not cached (first hop on
 * this gateway, or after a restart) is it loaded first; and if another
 * gateway moved it on meanwhile, the save hands back the stored record
 * and the hop steps again from that.  A hop that would submit a request
 * never trusts the cache: it loads first, so nothing is booked from a
 * stale session.
 *
 * A hop that lands on a lookup screen asks the service's adapter and
 * waits for the answer only until hop_deadline_ms less redis.timeout_ms
 * from its start, so that the save still fits before the deadline; past
 * that it goes on with the screen's fallback text, and a late answer is
 * dropped.
 *
 * The hop's deadline timer can answer "service busy" at any point; the
 * hop then stops at its next step, once nothing of it is pending, so no
 * callback ever finds it freed.  Hops of one session run one at a time
 * (a retry racing its original waits for it and then finds its answer).
 *
 * A hop that opens a session may carry inputs already: a shortcut dial
 * (*786*1*2#, or a first path "1*2"), or in path mode the path of a
 * session whose record is gone (expired, lost, or gone between the read
 * and the save).  Its inputs are replayed through the same menu_step()
 * one per step from the first screen (hop_replay()), at most
 * session.replay_max of them, and the session is saved at the screen
 * they name.  In path mode a request's idempotency key counts the
 * inputs, not the hops, so a submit replayed is the same request.
 *
 * The session keeps a keyed hash of the last hop's text, never the text
 * (in path mode it holds every input, the ID digits too): enough to know
 * a retry and to find the new input after the old path.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/sha.h>

#include "adapter.h"
#include "cache.h"
#include "dial.h"
#include "engine.h"
#include "funnel.h"
#include "ledger.h"
#include "log.h"
#include "menu.h"
#include "metrics.h"
#include "outbox.h"
#include "refcode.h"
#include "session.h"
#include "sms.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define RUNNING_BUCKETS	1024
#define CACHE_MAX	100000	/* sessions kept in memory */
#define SAVE_ATTEMPTS	3	/* steps before a conflict is "busy" */

enum hop_state {
	HOP_WAIT,	/* behind another hop of the same session */
	HOP_START,	/* its turn has come: cached, or to be loaded */
	HOP_LOAD,	/* read pending */
	HOP_STEP,	/* a session to step, nothing pending */
	HOP_LIMIT,	/* the daily count of requests pending */
	HOP_QUEUE,	/* outbox add pending */
	HOP_LOOKUP,	/* the adapter's answer pending */
	HOP_SAVE,	/* compare-and-set pending */
	HOP_DONE,	/* to be answered and ended */
};

/* What went wrong with the store, if anything. */
enum hop_fault {
	FAULT_NONE,
	FAULT_LOAD,	/* no record could be read */
	FAULT_SAVE,	/* the save failed */
	FAULT_GONE,	/* the record expired between hops */
	FAULT_CONFLICT,	/* moved on elsewhere, and not to be stepped again */
};

struct hop {
	struct engine		*e;
	struct gen		*gen;
	enum hop_state		 state;
	int			 pending;	/* a callback is outstanding */
	int			 replied;
	const char		*outcome;	/* for the hop's log line */

	char			*service;	/* NULL until the session
						 * says, for a continuation */
	const char		*msisdn;	/* these four in the hop's */
	char			 who[16];	/* keyed hash of msisdn, lazily */
	const char		*session_id;	/* own allocation, as are */
	const char		*text;		/* the two timers */
	const char		*hop_id;
	int			 begin;
	char			 digest[64];	/* of hop_id or text, lazily */
	enum text_mode		 mode;
	size_t			 ninputs;	/* of the path, stepped so far */
	struct page_budget	 budget;
	unsigned		 retry_window_ms;
	char			*key;		/* the session's store key */
	struct session_record	 record;	/* h->s as last saved */

	const struct conf_service *svc;
	struct adapter		*adapter;
	struct session		*s;
	unsigned		 version;	/* of the record s came from */
	int			 cached;	/* s came from the cache */
	int			 blind;		/* first hop, stepped unread */
	int			 saved;		/* s is what the store holds */
	int			 attempts;
	char			 ref[8];
	struct step_result	 res;
	enum hop_fault		 fault;		/* from the last callback */
	int			 effect_ok;	/* the submit is queued */
	int			 limit_failed;	/* the count could not be
						 * made */
	int			 limited;	/* a submit over the limit */
	int			 conflict;	/* the save found the record
						 * moved on: */
	unsigned		 their_version;	/* its version */
	char			*theirs;	/* and the record */
	size_t			 theirs_len;

	engine_reply_cb		 cb;
	void			*arg;
	struct event		*deadline;
	struct event		*kick;		/* first step from the loop */
	struct timespec		 t0;

	LIST_ENTRY(hop)		 bucket;	/* running, by session key */
	TAILQ_ENTRY(hop)	 queue;		/* waiting behind another */
	TAILQ_HEAD(hopq, hop)	 waiters;	/* same session, behind this
						 * one, in order */
	const char		*transport;	/* the caller's literal */
	struct funnel_mark	 fmark;		/* the page answered */
};

/*
 * One generation of the configuration: the conf, its menus and the
 * adapters opened for it.  SIGHUP makes a new one; every hop holds the
 * generation it started in, so a reload never pulls a menu or an adapter
 * from under a hop in flight.  The last to let go frees it.
 */
struct gen {
	struct conf		*conf;
	struct adapter		**adapters;	/* one per conf adapter */
	unsigned		 refs;
};

struct engine {
	struct event_base	*base;
	struct gen		*gen;		/* the current one */
	struct store		*store;
	struct outbox		*outbox;	/* the caller's */
	struct sms		*sms;		/* the caller's */
	struct ledger		*ledger;	/* the caller's; NULL: none */
	struct cache		*cache;
	struct event		*sweep;
	unsigned		 inflight;
	LIST_HEAD(, hop)	 running[RUNNING_BUCKETS];
};

static void	hop_step(struct hop *);
static void	gen_release(struct gen *);
static struct adapter *gen_adapter(const struct gen *,
		    const struct conf_service *);

/* The keyed hash that stands for the MSISDN in logs: made on first use,
 * so hops that log nothing never pay for it. */
static const char *
hop_who(struct hop *h)
{
	if (h->who[0] == '\0')
		log_msisdn(h->msisdn, h->who, sizeof h->who);
	return h->who;
}

/* "LEN:sDIGEST" of the first len bytes of text: the short keyed hash
 * (SipHash, 64 bits), in hex, tells a session's hops apart (two
 * different texts of one session match once in 2^64), and every session
 * record keeps one.  Records of 0.9.0 and before keep "LEN:DIGEST", 16
 * to 64 hex digits of HMAC-SHA256, which digest_match() still reads: a
 * session live across an upgrade goes on. */
#define DIGEST_TAG	's'

static void
text_digest(const char *text, size_t len, char *buf, size_t buflen)
{
	char	*o = dec_put(buf, len);	/* buflen: 64 */

	*o++ = ':';
	*o++ = DIGEST_TAG;
	keyed_short_hash(text, len, o, buflen - (size_t)(o - buf));
}

/* The digest a session kept matches d, text_digest() of the len bytes
 * of text. */
static int
digest_match(const char *kept, const char *d, const char *text, size_t len)
{
	const char	*k = strchr(kept, ':');
	char		 full[96], *o;

	if (k == NULL || k[1] == DIGEST_TAG)
		return strcmp(kept, d) == 0;
	/* An earlier record's: a start of the whole HMAC's hex. */
	o = dec_put(full, len);
	*o++ = ':';
	keyed_hash(text, len, o, sizeof full - (size_t)(o - full));
	return strlen(kept) > (size_t)(k - kept) + 1 &&
	    strncmp(kept, full, strlen(kept)) == 0;
}

static double
hop_elapsed_ms(const struct hop *h)
{
	return elapsed_ms(&h->t0);
}

static unsigned
bucket_of(const char *key)
{
	return (unsigned)(hash_bytes(HASH_SEED, key, strlen(key)) %
	    RUNNING_BUCKETS);
}

/* Registers h as running, or queues it behind the hop already running
 * for the same session.  Returns 1 if h may start now. */
static int
running_enter(struct engine *e, struct hop *h)
{
	struct hop	*r;

	LIST_FOREACH(r, &e->running[bucket_of(h->key)], bucket)
		if (strcmp(r->key, h->key) == 0) {
			TAILQ_INSERT_TAIL(&r->waiters, h, queue);
			return 0;
		}
	LIST_INSERT_HEAD(&e->running[bucket_of(h->key)], h, bucket);
	return 1;
}

/* Removes h; the first hop queued behind it takes its place, with the
 * rest of the queue. */
static struct hop *
running_leave(struct engine *e, struct hop *h)
{
	struct hop	*n;

	LIST_REMOVE(h, bucket);
	if ((n = TAILQ_FIRST(&h->waiters)) != NULL) {
		TAILQ_REMOVE(&h->waiters, n, queue);
		TAILQ_CONCAT(&n->waiters, &h->waiters, queue);
		LIST_INSERT_HEAD(&e->running[bucket_of(n->key)], n, bucket);
	}
	return n;
}

/* The menu of a service of c, or of c's first service when service is
 * NULL or not served. */
static const struct menu *
service_menu(const struct conf *c, const char *service)
{
	const struct conf_service	*svc = NULL;

	if (service != NULL)
		svc = conf_service(c, service);
	return svc != NULL ? svc->menu : c->services[0].menu;
}

/* The language a text of m is given in: want, if m has it; else the
 * configuration's default, if m has that; else m's own. */
static const char *
menu_lang_of(const struct conf *c, const struct menu *m, const char *want)
{
	if (want != NULL && menu_has_lang(m, want))
		return want;
	if (menu_has_lang(m, c->default_language))
		return c->default_language;
	return menu_default_lang(m);
}

static const struct menu *
hop_menu(const struct hop *h)
{
	if (h->svc != NULL)
		return h->svc->menu;
	return h->gen->conf->services[0].menu;
}

static const char *
hop_lang(const struct hop *h)
{
	return menu_lang_of(h->gen->conf, hop_menu(h),
	    h->s != NULL ? h->s->lang : NULL);
}

static void
hop_reply(struct hop *h, const char *text, int end)
{
	if (h->replied)
		return;
	h->replied = 1;
	if (h->outcome == NULL)
		h->outcome = end ? "end" : "next";
	event_del(h->deadline);
	h->cb(text, end, h->arg);
}

static void
hop_reply_message(struct hop *h, const char *name)
{
	if (h->outcome == NULL)
		h->outcome = name;
	hop_reply(h, menu_message(hop_menu(h), name, hop_lang(h)), 1);
}

/*
 * The end of every hop, in DONE and nowhere else: answers "service busy"
 * if nothing has answered yet (the transport hears back exactly once),
 * logs the hop's line, puts a session the store holds back in the cache,
 * frees the hop and lets the next hop of the session start.
 */
static void
hop_end(struct hop *h)
{
	struct engine	*e = h->e;
	struct hop	*next;

	if (!h->replied)
		hop_reply_message(h, "busy");
	log_info("event=hop sid=%s msisdn=%s svc=%s seq=%u screen=%s "
	    "outcome=%s cached=%d ms=%.2f", h->session_id, hop_who(h),
	    h->service ? h->service : "-", h->s ? h->s->seq : 0,
	    h->s && h->s->screen ? h->s->screen : "-",
	    h->outcome ? h->outcome : "late", h->cached, hop_elapsed_ms(h));
	metrics_hop(h->svc ? h->svc->code : "", h->transport, h->outcome ?
	    h->outcome : "late", hop_elapsed_ms(h) / 1000);
	/* A refusal may show the screen from its first page again. */
	if (h->res.refused && h->fmark.result == NULL)
		h->fmark.result = "invalid";
	funnel_hop(&h->fmark, h->svc ? h->svc->code : "", h->s, hop_lang(h),
	    h->outcome);

	next = running_leave(e, h);
	e->inflight--;
	step_result_clear(&h->res);
	if (h->saved && h->s != NULL && h->record.text != NULL)
		cache_put_record(e->cache, h->key, &h->record, now_ms() +
		    (long long)h->gen->conf->session_ttl * 1000);
	else if (h->saved && h->s != NULL) {
		cache_put(e->cache, h->key, h->s,
		    now_ms() + (long long)h->gen->conf->session_ttl * 1000);
		h->s = NULL;
	}
	session_free(h->s);
	session_record_clear(&h->record);
	event_del(h->deadline);
	event_del(h->kick);
	gen_release(h->gen);
	free(h->service);
	free(h->key);
	free(h->theirs);
	free(h);
	if (next != NULL) {
		next->state = HOP_START;
		event_active(next->kick, EV_TIMEOUT, 1);
	}
}

/* The deadline answers "service busy" at once; the hop stops at its next
 * step (hop_step() sees it answered), once nothing of it is pending. */
static void
hop_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hop	*h = arg;

	(void)fd;
	(void)what;
	log_warnx("event=hop-deadline sid=%s msisdn=%s state=%d ms=%.1f",
	    h->session_id, hop_who(h), (int)h->state, hop_elapsed_ms(h));
	hop_reply_message(h, "busy");
}

/* Takes the session in a stored record; -1 if it cannot be read. */
static int
hop_take_record(struct hop *h, unsigned version, const char *data,
    size_t len)
{
	char	 why[128];

	session_free(h->s);
	h->s = NULL;
	h->version = version;
	h->cached = h->blind = 0;
	if (data == NULL)
		return 0;
	if ((h->s = session_decode(data, len, why, sizeof why)) == NULL) {
		log_warnx("event=session-corrupt sid=%s msisdn=%s error=\"%s\"",
		    h->session_id, hop_who(h), why);
		return -1;
	}
	return 0;
}

static void
hop_loaded(const char *err, unsigned version, const char *data, size_t len,
    void *arg)
{
	struct hop	*h = arg;

	h->pending = 0;
	h->fault = FAULT_NONE;
	if (err != NULL) {
		log_warnx("event=session-load-failed sid=%s msisdn=%s "
		    "error=\"%s\"", h->session_id, hop_who(h), err);
		h->fault = FAULT_LOAD;
	} else if (hop_take_record(h, version, data, len) == -1)
		h->fault = FAULT_LOAD;
	hop_step(h);
}

static void
hop_submitted(const char *err, void *arg)
{
	struct hop	*h = arg;

	h->pending = 0;
	h->effect_ok = err == NULL;
	if (err != NULL)
		log_warnx("event=submit-failed sid=%s msisdn=%s ref=%s "
		    "error=\"%s\"", h->session_id, hop_who(h), h->ref, err);
	else
		log_info("event=queued sid=%s msisdn=%s ref=%s request=%s",
		    h->session_id, hop_who(h), h->ref,
		    h->res.effect.request);
	hop_step(h);
}

/* A request that cannot be encoded, reported from the loop. */
static void
hop_unencodable_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hop_submitted("the request cannot be encoded", arg);
}

/* The save came back.  A record another hop saved meanwhile is kept as
 * it came: hop_step() decides whether to step again from it. */
static void
hop_saved(const char *err, enum store_saved result, unsigned version,
    const char *data, size_t len, void *arg)
{
	struct hop	*h = arg;

	h->pending = 0;
	h->fault = FAULT_NONE;
	if (err != NULL || result != STORE_SAVED)
		session_record_clear(&h->record); /* not what Redis holds */
	if (err != NULL) {
		log_warnx("event=session-save-failed sid=%s msisdn=%s "
		    "error=\"%s\"", h->session_id, hop_who(h), err);
		h->fault = FAULT_SAVE;
	} else if (result == STORE_SAVED)
		h->saved = 1;
	else if (result == STORE_GONE)
		h->fault = FAULT_GONE;
	else {
		h->conflict = 1;
		h->their_version = version;
		free(h->theirs);
		h->theirs = NULL;
		h->theirs_len = len;
		if (data != NULL) {
			h->theirs = xmalloc(len + 1);
			memcpy(h->theirs, data, len);
			h->theirs[len] = '\0';
		}
	}
	hop_step(h);
}

/*
 * What the subscriber typed on this hop, from the transport's text and
 * the text of the hop before.  In path mode the text is every input so
 * far joined by '*': the new input is what follows the previous text.
 */
static const char *
hop_input(const struct hop *h)
{
	const char	*last = h->s->last_text, *star;
	char		 d[64];
	size_t		 n, len = strlen(h->text);

	if (h->mode == TEXT_LATEST || last == NULL)
		return h->text;
	n = strtoul(last, NULL, 10);
	if (n == 0)
		return h->text;
	if (n < len && h->text[n] == '*') {
		text_digest(h->text, n, d, sizeof d);
		if (digest_match(last, d, h->text, n))
			return h->text + n + 1;
	}
	star = strrchr(h->text, '*');
	return star != NULL ? star + 1 : h->text;
}

/* What marks the hop for a retry, made once: the retry check and the
 * save both need it.  The transport's hop id when it has one, else the
 * digest of the hop's whole text. */
static const char *
hop_mark(const struct hop *h)
{
	return h->hop_id != NULL ? h->hop_id : h->text;
}

static const char *
hop_digest(struct hop *h)
{
	if (h->digest[0] == '\0')
		text_digest(hop_mark(h), strlen(hop_mark(h)), h->digest,
		    sizeof h->digest);
	return h->digest;
}

static int
hop_is_retry(struct hop *h)
{
	const struct session	*s = h->s;

	if (s->last_text == NULL)
		return 0;
	if (!digest_match(s->last_text, hop_digest(h), hop_mark(h),
	    strlen(hop_mark(h))))
		return 0;
	if (h->mode == TEXT_PATH || h->hop_id != NULL)
		return 1;
	return now_ms() - s->last_ms <= (long long)h->retry_window_ms;
}

static int
hop_is_first(const struct hop *h)
{
	if (h->begin)
		return 1;
	if (h->service == NULL)
		return 0;
	if (h->text[0] == '\0')
		return 1;
	return h->mode == TEXT_LATEST && strcmp(h->text, h->service) == 0;
}

/* The service and adapter, once the short code is known. */
static void
hop_set_service(struct hop *h, const char *code)
{
	const struct conf	*c = h->gen->conf;

	if (h->service == NULL)
		h->service = xstrdup(code);
	h->svc = conf_service(c, code);
	h->adapter = gen_adapter(h->gen, h->svc);
}

/* A continuation learns its service from the session. */
static void
hop_service_from_session(struct hop *h)
{
	if (h->service == NULL && h->s != NULL && h->s->service != NULL)
		hop_set_service(h, h->s->service);
}

/*
 * The key that makes a request one request however often it is sent.
 * Its hop is named by the session's version, or in path mode by the
 * number of inputs stepped: the same as the version on a walk of one
 * input per hop, and also the same when a session without a record is
 * rebuilt from the path (see hop_replay()), so a submit replayed is the
 * request already queued, never a second one.
 */
static void
hop_idempotency_key(const struct hop *h, char *buf, size_t len)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*in;

	xasprintf(&in, "%s|%s|%s|%zu", h->service, h->msisdn, h->session_id,
	    h->mode == TEXT_PATH ? h->ninputs : (size_t)h->version);
	SHA256((const unsigned char *)in, strlen(in), md);
	free(in);
	hex_encode(md, 16, buf, len);
}

/*
 * The hop's reference: a keyed hash of its idempotency key, so a hop
 * sent again (a transport retry, or the subscriber after "failed")
 * shows the reference of the request the first one may have queued —
 * the outbox keeps one request per key — and never a new one that no
 * back office will see.  Unguessable without the deployment's secret.
 */
static void
hop_refcode(struct hop *h)
{
	char		 ikey[64], hex[2 * REFCODE_LEN + 1];
	unsigned char	 bytes[REFCODE_LEN];

	hop_idempotency_key(h, ikey, sizeof ikey);
	keyed_hash(ikey, strlen(ikey), hex, sizeof hex);
	for (size_t i = 0; i < REFCODE_LEN; i++)
		bytes[i] = (unsigned char)strtoul((char[3]){ hex[2 * i],
		    hex[2 * i + 1], '\0' }, NULL, 16);
	refcode_from(bytes, h->ref, sizeof h->ref);
}

/* The step_env's ref_fn: the hop's reference, made when a submit
 * needs it. */
static const char *
hop_ref(void *arg)
{
	struct hop	*h = arg;

	hop_refcode(h);
	return h->ref;
}

/* The effect's fields as the two arrays adapters take (to be freed;
 * the strings are the effect's). */
static void
effect_arrays(const struct effect *ef, const char ***names,
    const char ***values)
{
	*names = xcalloc(ef->nfields + 1, sizeof **names);
	*values = xcalloc(ef->nfields + 1, sizeof **values);
	for (size_t i = 0; i < ef->nfields; i++) {
		(*names)[i] = ef->fields[i].name;
		(*values)[i] = ef->fields[i].value;
	}
}

/* The daily count came back: over the limit, or failed, is recorded
 * for hop_step(). */
static void
hop_limit_checked(const char *err, enum store_limit limit, void *arg)
{
	struct hop	*h = arg;

	h->pending = 0;
	if (err != NULL) {
		log_warnx("event=submit-failed sid=%s msisdn=%s ref=%s "
		    "error=\"%s\"", h->session_id, hop_who(h), h->ref, err);
		h->limit_failed = 1;
	} else if (limit == STORE_OVER) {
		log_info("event=limited kind=requests_per_day sid=%s msisdn=%s "
		    "svc=%s", h->session_id, hop_who(h), h->service);
		store_count(h->e->store, STORE_COUNT_LIMITED,
		    "requests_per_day");
		metrics_count(METRICS_LIMITED, "requests_per_day");
		h->limited = 1;
	}
	hop_step(h);
}

/* A submit: counted against the subscriber's daily limit for the
 * service. */
static void
hop_submit(struct hop *h)
{
	unsigned	 max = h->gen->conf->sms.requests_per_day;

	h->pending = 1;
	h->state = HOP_LIMIT;
	store_requests_count(h->e->store, h->msisdn, h->service, max,
	    hop_limit_checked, h);
}

/* The submit's request into the outbox. */
static void
hop_queue(struct hop *h)
{
	const struct effect	*ef = &h->res.effect;
	const char		**names, **values;
	char			 ikey[40] = "", *json;
	struct request		 req;

	effect_arrays(ef, &names, &values);
	hop_idempotency_key(h, ikey, sizeof ikey);
	req = (struct request){
		.idempotency_key = ikey,
		.ref = ef->ref,
		.service = h->service,
		.kind = ef->request,
		.msisdn = h->msisdn,
		.msisdn_hash = hop_who(h),
		.lang = hop_lang(h),
		.ts_ms = now_ms(),
		.names = names,
		.values = values,
		.nfields = ef->nfields,
	};
	json = request_json(&req);
	free(names);
	free(values);
	h->pending = 1;
	h->state = HOP_QUEUE;
	if (json == NULL) {
		/* Not UTF-8: the menu validates input, so never seen. */
		defer_call(h->e->base, hop_unencodable_cb, h);
		return;
	}
	/* Durable in Redis before the subscriber hears "received"; the
	 * back office gets it from the outbox. */
	outbox_add(h->e->outbox, ikey, json, hop_submitted, h);
	free(json);
}

static void
hop_answered(const char *err, const struct answer *a, void *arg)
{
	struct hop	*h = arg;
	struct step_env	 env;

	h->pending = 0;
	if (err != NULL)
		log_warnx("event=lookup-failed sid=%s msisdn=%s error=\"%s\"",
		    h->session_id, hop_who(h), err);
	else {
		env = (struct step_env){ .budget = h->budget, .ref_fn = hop_ref,
	    .ref_arg = h };
		menu_answer(h->svc->menu, h->s, a->found,
		    (const char *const *)a->names,
		    (const char *const *)a->values, a->nfields, &env,
		    &h->res);
	}
	hop_step(h);
}

/* How long a lookup may take: until hop_deadline_ms less
 * redis.timeout_ms from the hop's start, so the save still fits. */
static double
hop_lookup_ms(const struct hop *h)
{
	return (double)h->gen->conf->hop_deadline_ms -
	    (double)h->gen->conf->redis_timeout_ms - hop_elapsed_ms(h);
}

/* Asks the service's back office, for at most timeout_ms. */
static void
hop_lookup(struct hop *h, unsigned timeout_ms)
{
	const struct effect	*ef = &h->res.effect;
	const char		**names, **values;
	struct query		 q;

	effect_arrays(ef, &names, &values);
	q = (struct query){
		.kind = ef->request,
		.service = h->service,
		.msisdn = h->msisdn,
		.msisdn_hash = hop_who(h),
		.lang = hop_lang(h),
		.names = names,
		.values = values,
		.nparams = ef->nfields,
	};
	h->pending = 1;
	h->state = HOP_LOOKUP;
	engine_lookup(h->e, h->gen, h->service, &q, timeout_ms,
	    hop_answered, h);
	free(names);
	free(values);
}

/* The inputs a hop that opens its session carries: the path in path
 * mode; on a transport's begin, the inputs dialled after the code. */
static const char *
hop_opening_inputs(const struct hop *h)
{
	return h->mode == TEXT_PATH || h->begin ? h->text : "";
}

/* The reply ends a replay: refused input, the end, or an effect. */
static int
replay_stops(const struct step_result *r)
{
	return r->refused || r->end || r->effect.kind != EFFECT_NONE;
}

/*
 * A new session at the first screen, then the inputs of path stepped
 * through the menu one by one, exactly as hops of their own would have:
 * language choices, menu choices and free text (CNIC digits, names) are
 * validated as usual.  The replay stops at the first input refused (its
 * screen's error shows), at a screen that ends the session, submits or
 * looks something up (the hop then runs that effect as any other), and
 * what is left of the path is dropped: it was typed for screens the
 * caller has not seen.  Each step has the reference of its own
 * idempotency key, so a submit replayed is the request once queued.
 */
static void
hop_replay(struct hop *h, const char *path)
{
	struct step_env	 env = { .budget = h->budget, .ref_fn = hop_ref,
	    .ref_arg = h };
	size_t		 n = path_count(path), len;
	const char	*cursor = path, *in;
	char		*input;

	h->s = session_new();
	session_set_service(h->s, h->service);
	funnel_mark(&h->fmark, h->s, NULL, hop_lang(h));
	h->ninputs = 0;
	menu_step(h->svc->menu, h->s, NULL, &env, &h->res);
	while (h->ninputs < n && !replay_stops(&h->res)) {
		in = path_next(&cursor, &len);
		input = xstrndup(in, len);
		step_result_clear(&h->res);
		h->ninputs++;
		menu_step(h->svc->menu, h->s, input, &env, &h->res);
		free(input);
	}
	if (n > 0)
		log_info("event=replay sid=%s msisdn=%s inputs=%zu stepped=%zu "
		    "screen=%s", h->session_id, hop_who(h), n, h->ninputs,
		    h->s->screen);
}

/* Opens a session for the hop, at the screen its inputs name; -1 when
 * they are more than the configuration lets a hop replay. */
static int
hop_open(struct hop *h)
{
	const char	*path = hop_opening_inputs(h);

	session_free(h->s);
	h->s = NULL;
	if (path_count(path) > h->gen->conf->replay_max) {
		log_info("event=replay-refused sid=%s msisdn=%s inputs=%zu "
		    "max=%u", h->session_id, hop_who(h), path_count(path),
		    h->gen->conf->replay_max);
		hop_reply_message(h, "too_long");
		return -1;
	}
	hop_replay(h, path);
	return 0;
}

/* A retry gets what its hop got: the reply kept, or the page the
 * session shows, made again; "busy" if a reload took its screen. */
static void
hop_repeat(struct hop *h)
{
	struct step_env	 env = { .budget = h->budget };
	char		*page;

	if (!h->s->last_page)
		hop_reply(h, h->s->last_reply ? h->s->last_reply : "",
		    h->s->last_end);
	else if ((page = menu_page(h->svc->menu, h->s, &env)) == NULL)
		hop_reply_message(h, "busy");
	else {
		hop_reply(h, page, h->s->last_end);
		free(page);
	}
}

/* Steps the menu; returns 0 when the hop goes on to save, -1 when it has
 * answered already.  A hop that opens a session (a dial, a transport's
 * begin, or in path mode a path without a record) replays its inputs. */
static int
hop_run_menu(struct hop *h)
{
	struct step_env	 env = { .budget = h->budget, .ref_fn = hop_ref,
	    .ref_arg = h };
	const char	*input;

	if (h->s == NULL) {
		if (!hop_is_first(h) && h->mode != TEXT_PATH) {
			hop_reply_message(h, "expired");
			return -1;
		}
		return hop_open(h);
	} else if (hop_is_retry(h)) {
		h->outcome = "retry";
		h->saved = h->cached;	/* unchanged: back to the cache */
		hop_repeat(h);
		return -1;
	} else if (h->begin) {
		/* The transport opens a session under an id the last one
		 * used: start over, saving over the old record. */
		return hop_open(h);
	} else if (h->s->last_end || h->s->screen == NULL) {
		h->saved = h->cached;
		hop_reply_message(h, "expired");
		return -1;
	}
	input = hop_input(h);
	h->ninputs = path_count(h->text);
	funnel_mark(&h->fmark, h->s, input, hop_lang(h));
	menu_step(h->svc->menu, h->s, input, &env, &h->res);
	return 0;
}

static void
hop_load(struct hop *h)
{
	h->pending = 1;
	h->state = HOP_LOAD;
	store_load(h->e->store, h->key, hop_loaded, h);
}

static void
hop_save(struct hop *h)
{
	h->s->seq = h->version + 1;
	if (h->res.page)
		session_set_last_page(h->s, hop_digest(h), h->res.end,
		    now_ms());
	else
		session_set_last(h->s, hop_digest(h), h->res.text,
		    h->res.end, now_ms());
	session_record_clear(&h->record);
	session_record_make(&h->record, h->s);	/* kept for the cache */
	h->pending = 1;
	h->state = HOP_SAVE;
	store_save(h->e->store, h->key, h->version, h->s->seq,
	    h->record.text, h->record.len, h->gen->conf->session_ttl,
	    hop_saved, h);
}

/* START: the cached session is stepped at once; a dial needs no read
 * (it is saved only if no record exists, else the save hands the record
 * back — a retry of the dial — and the hop steps again from it); anything
 * else is read first.  Returns 1 if it started a call. */
static int
hop_start(struct hop *h)
{
	h->state = HOP_STEP;
	if (h->svc == NULL && h->service != NULL)
		return 0;	/* an unknown code: answered at once */
	if ((h->s = cache_take(h->e->cache, h->key, now_ms())) != NULL &&
	    h->s->last_reply == NULL && !h->s->last_page && hop_is_retry(h)) {
		/* The cache keeps no reply but a receipt, and this one is
		 * no page the session makes again: Redis has it. */
		session_free(h->s);
		h->s = NULL;
		hop_load(h);
		return 1;
	} else if (h->s != NULL) {
		h->version = h->s->seq;
		h->cached = 1;
	} else if (hop_is_first(h))
		h->blind = 1;
	else {
		hop_load(h);
		return 1;
	}
	return 0;
}

/* STEP: the menu stepped and what it asks for started (returns 1), or
 * the hop answered and DONE (returns 0). */
static int
hop_run(struct hop *h)
{
	double	 left;

	h->state = HOP_DONE;
	hop_service_from_session(h);
	if (h->svc == NULL && h->service == NULL) {
		/* A continuation of no session we know. */
		hop_reply_message(h, h->fault != FAULT_NONE ? "busy" :
		    "expired");
		return 0;
	}
	if (h->svc == NULL) {
		log_info("event=unknown-service sid=%s msisdn=%s code=\"%s\"",
		    h->session_id, hop_who(h), h->service);
		hop_reply_message(h, "unknown");
		return 0;
	}
	if (h->fault != FAULT_NONE) {
		hop_reply_message(h, "busy");
		return 0;
	}
	if (hop_run_menu(h) == -1)
		return 0;
	switch (h->res.effect.kind) {
	case EFFECT_SUBMIT:
		if (h->cached || h->blind) {
			/* Book nothing from a cached session: read the
			 * record and step again. */
			step_result_clear(&h->res);
			session_free(h->s);
			h->s = NULL;
			h->cached = h->blind = 0;
			hop_load(h);
		} else if (h->adapter == NULL) {
			log_errorx("event=no-adapter service=%s", h->service);
			hop_reply_message(h, "failed");
			return 0;
		} else if (h->gen->conf->sms.requests_per_day == 0)
			hop_queue(h);
		else
			hop_submit(h);
		return 1;
	case EFFECT_LOOKUP:
		if ((left = hop_lookup_ms(h)) < 1) {
			log_warnx("event=lookup-failed sid=%s msisdn=%s "
			    "query=%s error=\"no time left before the "
			    "deadline\"", h->session_id, hop_who(h),
			    h->res.effect.request);
			hop_save(h);
		} else
			hop_lookup(h, (unsigned)left);
		return 1;
	default:
		hop_save(h);
		return 1;
	}
}

/* In path mode, a session whose record went while the hop stepped it
 * (from the cache, or read just before) is rebuilt from the path, as if
 * it had never been read — but never past a submit, whose request
 * stands. */
static int
hop_rebuilds(struct hop *h)
{
	if (h->fault != FAULT_GONE || h->mode != TEXT_PATH ||
	    h->res.effect.kind == EFFECT_SUBMIT ||
	    ++h->attempts >= SAVE_ATTEMPTS)
		return 0;
	log_info("event=session-gone sid=%s msisdn=%s action=rebuild",
	    h->session_id, hop_who(h));
	step_result_clear(&h->res);
	hop_take_record(h, 0, NULL, 0);
	h->fault = FAULT_NONE;
	return 1;
}

/* SAVE came back: the hop is done, or steps again from a record another
 * gateway moved on meanwhile, or from none. */
static void
hop_save_done(struct hop *h)
{
	h->state = HOP_DONE;
	if (hop_rebuilds(h)) {
		h->state = HOP_STEP;
		return;
	}
	if (!h->conflict)
		return;
	h->conflict = 0;
	if (h->res.effect.kind == EFFECT_SUBMIT ||
	    ++h->attempts >= SAVE_ATTEMPTS) {
		/* A recorded request stands, with its reply; anything else
		 * is not stepped again forever. */
		log_warnx("event=session-conflict sid=%s msisdn=%s",
		    h->session_id, hop_who(h));
		h->fault = FAULT_CONFLICT;
		return;
	}
	step_result_clear(&h->res);
	if (hop_take_record(h, h->their_version, h->theirs,
	    h->theirs_len) == -1)
		h->fault = FAULT_LOAD;
	h->state = HOP_STEP;
}

/* DONE: the answer the hop has come to, and its end. */
static void
hop_done(struct hop *h)
{
	if (h->fault == FAULT_GONE && !h->effect_ok)
		hop_reply_message(h, "expired");
	else if (h->fault != FAULT_NONE && !h->res.end && !h->effect_ok) {
		/* Unsaved, the next hop would meet the old screen. */
		hop_reply_message(h, "busy");
	} else if (h->res.text != NULL)
		hop_reply(h, h->res.text, h->res.end);
	hop_end(h);
}

/*
 * What happens next, from what the last callback recorded.  Each state
 * but START, STEP and DONE waits for one call, and its case runs once
 * that call has come back.  Whatever starts a call returns at once, so a
 * callback that fires from inside its call (and may end the hop) is never
 * followed by more of this function.
 */
static void
hop_step(struct hop *h)
{
	if (h->pending)
		return;
	for (;;) {
		if (h->replied && h->state != HOP_WAIT) {
			/* Answered by the deadline: stop here. */
			h->state = HOP_DONE;
		}
		switch (h->state) {
		case HOP_WAIT:
			return;
		case HOP_START:
			if (hop_start(h))
				return;
			break;
		case HOP_LOAD:		/* the record, or a fault */
			h->state = HOP_STEP;
			break;
		case HOP_STEP:
			/* The session moves on. */
			session_record_clear(&h->record);
			if (hop_run(h))
				return;
			break;
		case HOP_LIMIT:
			h->state = HOP_DONE;
			if (h->limit_failed)
				hop_reply_message(h, "failed");
			else if (h->limited) {
				/* Not recorded, the session not advanced. */
				hop_reply_message(h, "limited");
			} else {
				hop_queue(h);
				return;
			}
			break;
		case HOP_QUEUE:
			h->state = HOP_DONE;
			if (!h->effect_ok)
				hop_reply_message(h, "failed");
			else {
				hop_save(h);
				return;
			}
			break;
		case HOP_LOOKUP:	/* answered or not, the screen is set */
			hop_save(h);
			return;
		case HOP_SAVE:
			hop_save_done(h);
			break;
		case HOP_DONE:
			hop_done(h);
			return;
		}
	}
}

/* A hop's turn has come (or it is the first of its session). */
static void
hop_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hop_step(arg);
}

/* A copy of s at *at, which moves past it. */
static const char *
place(char **at, const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p = memcpy(*at, s, n);

	*at += n;
	return p;
}

/*
 * One allocation for the hop, its two timers (libevent's struct event is
 * opaque: its size is asked at run time) and the caller's strings: a hop
 * holds its memory across a Redis round trip, while dozens of others do
 * the same, and each block fewer is one the allocator does not sort.
 */
void
engine_hop(struct engine *e, const struct hop_in *in, engine_reply_cb cb,
    void *arg)
{
	size_t		 head = align_max(sizeof(struct hop));
	size_t		 ev = event_room();
	size_t		 size = head + 2 * ev + strlen(in->msisdn) +
			    strlen(in->session_id) + strlen(in->text) + 3 +
			    (in->hop_id != NULL ? strlen(in->hop_id) + 1 : 0);
	struct hop	*h = xmalloc(size);
	char		*at = (char *)h + head + 2 * ev;
	struct timeval	 tv;

	memset(h, 0, sizeof *h);
	h->e = e;
	h->cb = cb;
	h->arg = arg;
	h->msisdn = place(&at, in->msisdn);
	h->session_id = place(&at, in->session_id);
	h->text = place(&at, in->text);
	h->mode = in->mode;
	h->budget = in->budget;
	h->retry_window_ms = in->retry_window_ms;
	h->hop_id = in->hop_id != NULL ? place(&at, in->hop_id) : NULL;
	h->begin = in->begin;
	h->transport = in->transport != NULL ? in->transport : "-";
	h->key = store_session_key(h->msisdn, h->session_id);
	TAILQ_INIT(&h->waiters);
	h->gen = e->gen;
	h->gen->refs++;
	if (in->service != NULL)
		hop_set_service(h, in->service);
	clock_gettime(CLOCK_MONOTONIC, &h->t0);
	h->deadline = timer_in(h, head, e->base, hop_deadline_cb, h);
	h->kick = timer_in(h, head + ev, e->base, hop_kick_cb, h);
	tv = ms_to_tv(h->gen->conf->hop_deadline_ms);
	evtimer_add(h->deadline, &tv);
	e->inflight++;

	if (!running_enter(e, h)) {
		h->state = HOP_WAIT;
		return;
	}
	/* Started from the loop, so no reply ever comes from inside
	 * engine_hop(). */
	h->state = HOP_START;
	event_active(h->kick, EV_TIMEOUT, 1);
}

/* One request from the outbox on its way to its back office, holding
 * the generation whose adapter it went to. */
struct delivery_ctx {
	struct gen	*gen;
	const struct request *req;	/* the outbox's */
	outbox_done_cb	 done;
	void		*arg;
	char		*err;		/* failed before the adapter */
	struct event	*ev;
	const char	*adapter;	/* its name, interned */
	struct timespec	 t0;
};

static void
delivered(const char *err, int final, void *arg)
{
	struct delivery_ctx	*dc = arg;

	metrics_delivery(dc->adapter, err == NULL ? "ok" : final ? "failed" :
	    "retry", elapsed_ms(&dc->t0) / 1000);
	if (err == NULL)
		log_info("event=delivered ref=%s key=%s service=%s",
		    dc->req->ref, dc->req->idempotency_key, dc->req->service);
	dc->done(err, final, dc->arg);
	if (dc->gen != NULL)
		gen_release(dc->gen);
	if (dc->ev != NULL)
		event_free(dc->ev);
	free(dc->err);
	free(dc);
}

static void
deliver_refused(evutil_socket_t fd, short what, void *arg)
{
	struct delivery_ctx	*dc = arg;

	(void)fd;
	(void)what;
	dc->done(dc->err, 1, dc->arg);
	event_free(dc->ev);
	free(dc->err);
	free(dc);
}

void
engine_deliver(struct engine *e, const struct request *r,
    outbox_done_cb done, void *arg)
{
	struct delivery_ctx		*dc = xcalloc(1, sizeof *dc);
	const struct conf		*c = e->gen->conf;
	const struct conf_service	*svc;

	dc->done = done;
	dc->arg = arg;
	dc->req = r;
	if ((svc = conf_service(c, r->service)) == NULL)
		xasprintf(&dc->err, "no service %s", dc->req->service);
	else {
		for (size_t i = 0; i < c->nadapters; i++)
			if (strcmp(c->adapters[i].name, svc->adapter) == 0) {
				dc->gen = e->gen;
				dc->gen->refs++;
				dc->adapter = metrics_intern(svc->adapter);
				clock_gettime(CLOCK_MONOTONIC, &dc->t0);
				adapter_submit(e->gen->adapters[i], dc->req,
				    delivered, dc);
				return;
			}
		xasprintf(&dc->err, "service %s has no adapter", svc->code);
	}
	/* Nothing any retry could change. */
	dc->ev = event_new(e->base, -1, 0, deliver_refused, dc);
	event_active(dc->ev, EV_TIMEOUT, 1);
}

/* Sessions past their TTL leave memory even when no hop comes. */
static void
engine_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct engine	*e = arg;

	(void)fd;
	(void)what;
	cache_expire(e->cache, now_ms());
}

/* Opens the adapters of conf; NULL (conf not taken) with err. */
static struct gen *
gen_new(struct event_base *base, struct conf *conf, char *err,
    size_t errlen)
{
	struct gen	*g = xcalloc(1, sizeof *g);

	g->adapters = xcalloc(conf->nadapters + 1, sizeof *g->adapters);
	for (size_t i = 0; i < conf->nadapters; i++) {
		g->adapters[i] = adapter_open(base, &conf->adapters[i], err,
		    errlen);
		if (g->adapters[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				adapter_close(g->adapters[j]);
			free(g->adapters);
			free(g);
			return NULL;
		}
	}
	g->conf = conf;
	g->refs = 1;
	return g;
}

static void
gen_release(struct gen *g)
{
	if (--g->refs > 0)
		return;
	for (size_t i = 0; i < g->conf->nadapters; i++)
		adapter_close(g->adapters[i]);
	free(g->adapters);
	conf_free(g->conf);
	free(g);
}

struct engine *
engine_new(struct event_base *base, struct conf *conf, struct store *store,
    struct outbox *outbox, struct sms *sms, char *err, size_t errlen)
{
	struct engine	*e;
	struct gen	*g;

	if ((g = gen_new(base, conf, err, errlen)) == NULL)
		return NULL;
	e = xcalloc(1, sizeof *e);
	e->base = base;
	e->gen = g;
	e->store = store;
	e->cache = cache_new(CACHE_MAX);
	e->outbox = outbox;
	e->sms = sms;
	e->sweep = event_new(base, -1, EV_PERSIST, engine_sweep, e);
	event_add(e->sweep, &(struct timeval){ 1, 0 });
	return e;
}

int
engine_reload(struct engine *e, struct conf *conf, char *err, size_t errlen)
{
	struct gen	*g;

	if ((g = gen_new(e->base, conf, err, errlen)) == NULL)
		return -1;
	gen_release(e->gen);
	e->gen = g;
	return 0;
}

const struct conf *
engine_conf(const struct engine *e)
{
	return e->gen->conf;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	gen_release(e->gen);
	event_free(e->sweep);
	cache_free(e->cache);
	free(e);
}

struct outbox *
engine_outbox(const struct engine *e)
{
	return e->outbox;
}

struct gen *
engine_hold(struct engine *e)
{
	e->gen->refs++;
	return e->gen;
}

void
engine_release(struct gen *g)
{
	gen_release(g);
}

const struct conf *
gen_conf(const struct gen *g)
{
	return g->conf;
}

/* The adapter a service of g uses, or NULL. */
static struct adapter *
gen_adapter(const struct gen *g, const struct conf_service *svc)
{
	const struct conf	*c = g->conf;

	for (size_t i = 0; svc != NULL && i < c->nadapters; i++)
		if (strcmp(c->adapters[i].name, svc->adapter) == 0)
			return g->adapters[i];
	return NULL;
}

/*
 * A lookup with a time limit.  The caller hears back exactly once: with
 * the answer, or with an error when the adapter fails or does not answer
 * in time.  The adapter always calls back in the end (also when it is
 * closed), and only then is the ask freed; an answer that comes after the
 * time limit is logged and dropped.
 */
struct ask {
	struct engine		*e;
	adapter_answer_cb	 cb;
	void			*arg;
	char			*query;
	struct event		*timer;
	struct timespec		 t0;
	int			 told;		/* cb has fired */
	const char		*adapter;	/* its name, interned */
};

static void
ask_free(struct ask *a)
{
	event_free(a->timer);
	free(a->query);
	free(a);
}

static void
ask_late(evutil_socket_t fd, short what, void *arg)
{
	struct ask	*a = arg;

	(void)fd;
	(void)what;
	log_warnx("event=lookup-late query=%s ms=%.1f", a->query,
	    elapsed_ms(&a->t0));
	metrics_lookup(a->adapter, "late");
	a->told = 1;
	a->cb("no answer in time", NULL, a->arg);
}

static void
ask_answered(const char *err, const struct answer *ans, void *arg)
{
	struct ask	*a = arg;

	metrics_lookup(a->adapter, a->told ? "dropped" : err != NULL ?
	    "failed" : ans->found ? "found" : "not_found");
	if (a->told) {
		log_info("event=lookup query=%s outcome=dropped ms=%.1f "
		    "error=\"%s\"", a->query, elapsed_ms(&a->t0),
		    err != NULL ? err : "answered after the time limit");
		ask_free(a);
		return;
	}
	log_info("event=lookup query=%s outcome=%s ms=%.1f", a->query,
	    err != NULL ? "failed" : ans->found ? "found" : "not_found",
	    elapsed_ms(&a->t0));
	event_del(a->timer);
	a->told = 1;
	a->cb(err, ans, a->arg);
	ask_free(a);
}

static void
ask_no_adapter(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ask_answered("the service has no adapter", NULL, arg);
}

void
engine_lookup(struct engine *e, struct gen *g, const char *service,
    const struct query *q, unsigned timeout_ms, adapter_answer_cb cb,
    void *arg)
{
	struct ask	*a = xcalloc(1, sizeof *a);
	struct adapter	*ad;
	struct timeval	 tv;

	a->e = e;
	a->cb = cb;
	a->arg = arg;
	a->query = xstrdup(q->kind);
	a->adapter = metrics_intern(conf_service(g->conf, service) != NULL ?
	    conf_service(g->conf, service)->adapter : "");
	clock_gettime(CLOCK_MONOTONIC, &a->t0);
	a->timer = evtimer_new(e->base, ask_late, a);
	tv = ms_to_tv(timeout_ms);
	evtimer_add(a->timer, &tv);
	if (strcmp(q->kind, LEDGER_QUERY) == 0 && e->ledger != NULL) {
		/* VERIFY: the ledger answers, not the back office. */
		a->adapter = metrics_intern("ledger");
		ledger_find(e->ledger, q, ask_answered, a);
	} else if ((ad = gen_adapter(g, conf_service(g->conf, service))) !=
	    NULL)
		adapter_lookup(ad, q, ask_answered, a);
	else
		defer_call(e->base, ask_no_adapter, a);
}

void
engine_set_ledger(struct engine *e, struct ledger *l)
{
	e->ledger = l;
}

const char *
engine_message(const struct engine *e, const char *service,
    const char *name)
{
	const struct menu	*m = service_menu(e->gen->conf, service);

	return menu_message(m, name, menu_lang_of(e->gen->conf, m, NULL));
}

unsigned
engine_inflight(const struct engine *e)
{
	return e->inflight + sms_inflight(e->sms);
}

struct sms *
engine_sms(const struct engine *e)
{
	return e->sms;
}
