/*
 * One hop, as a small state machine.  Callbacks only record what they got
 * and call hop_step(); hop_step() decides what happens next:
 *
 *	(LOAD) ─▶ STEP ─▶ (EFFECT) ─▶ SAVE ─▶ DONE
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
 * The session keeps a keyed hash of the last hop's text, never the text
 * (in path mode it holds every input, the ID digits too): enough to know
 * a retry and to find the new input after the old path.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/sha.h>

#include "adapter.h"
#include "cache.h"
#include "engine.h"
#include "log.h"
#include "menu.h"
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
#define DIGEST_HEX	32	/* hex digits of a text digest */

enum hop_state {
	HOP_WAIT,	/* behind another hop of the same session */
	HOP_LOAD,	/* read pending */
	HOP_STEP,
	HOP_EFFECT,	/* outbox add or adapter lookup pending */
	HOP_SAVE,	/* compare-and-set pending */
	HOP_DONE,
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
	char			*msisdn;
	char			 who[16];	/* keyed hash of msisdn, lazily */
	char			*session_id;
	char			*text;
	char			*hop_id;
	int			 begin;
	char			 digest[64];	/* of hop_id or text, lazily */
	enum text_mode		 mode;
	struct page_budget	 budget;
	unsigned		 retry_window_ms;
	char			*key;		/* the session's store key */

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
	int			 effect_ok;
	int			 limited;	/* a submit over the limit */

	engine_reply_cb		 cb;
	void			*arg;
	struct event		*deadline;
	struct event		*kick;		/* first step from the loop */
	struct timespec		 t0;

	struct hop		*next;		/* in a running bucket */
	struct hop		*waiters;	/* same session, queued */
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
	struct outbox		*outbox;
	struct sms		*sms;
	struct cache		*cache;
	struct event		*sweep;
	unsigned		 inflight;
	struct hop		*running[RUNNING_BUCKETS];
};

static void	hop_step(struct hop *);
static void	hop_save(struct hop *);
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

/* "LEN:DIGEST" of the first len bytes of text. */
static void
text_digest(const char *text, size_t len, char *buf, size_t buflen)
{
	int	 n = snprintf(buf, buflen, "%zu:", len);

	keyed_hash(text, len, buf + n, buflen - (size_t)n);
}

static double
hop_elapsed_ms(const struct hop *h)
{
	return elapsed_ms(&h->t0);
}

static unsigned
bucket_of(const char *key)
{
	unsigned	 h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % RUNNING_BUCKETS;
}

/* Registers h as running, or queues it behind the hop already running
 * for the same session.  Returns 1 if h may start now. */
static int
running_enter(struct engine *e, struct hop *h)
{
	struct hop	**b = &e->running[bucket_of(h->key)], *r, **w;

	for (r = *b; r != NULL; r = r->next)
		if (strcmp(r->key, h->key) == 0) {
			for (w = &r->waiters; *w != NULL; w = &(*w)->waiters)
				;
			*w = h;
			return 0;
		}
	h->next = *b;
	*b = h;
	return 1;
}

/* Removes h; the first hop queued behind it takes its place. */
static struct hop *
running_leave(struct engine *e, struct hop *h)
{
	struct hop	**b = &e->running[bucket_of(h->key)], **pp, *n;

	for (pp = b; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h)
			break;
	*pp = h->next;
	if ((n = h->waiters) != NULL) {
		n->next = *b;
		*b = n;
	}
	return n;
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
	const struct menu	*m = hop_menu(h);

	if (h->s != NULL && h->s->lang != NULL && menu_has_lang(m, h->s->lang))
		return h->s->lang;
	if (menu_has_lang(m, h->gen->conf->default_language))
		return h->gen->conf->default_language;
	return menu_default_lang(m);
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

static void
hop_free(struct hop *h)
{
	struct engine	*e = h->e;
	struct hop	*next;

	next = running_leave(e, h);
	e->inflight--;
	step_result_clear(&h->res);
	if (h->saved && h->s != NULL) {
		cache_put(e->cache, h->key, h->s,
		    now_ms() + (long long)h->gen->conf->session_ttl * 1000);
		h->s = NULL;
	}
	session_free(h->s);
	event_free(h->deadline);
	event_free(h->kick);
	gen_release(h->gen);
	free(h->service);
	free(h->msisdn);
	free(h->session_id);
	free(h->text);
	free(h->hop_id);
	free(h->key);
	free(h);
	if (next != NULL) {
		next->state = HOP_STEP;
		event_active(next->kick, EV_TIMEOUT, 1);
	}
}

static void
hop_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hop	*h = arg;

	(void)fd;
	(void)what;
	log_warnx("event=hop-deadline sid=%s msisdn=%s state=%d ms=%.1f",
	    h->session_id, hop_who(h), (int)h->state, hop_elapsed_ms(h));
	hop_reply_message(h, "busy");
	if (h->state == HOP_WAIT) {
		/* Not started: leave the queue without touching anything. */
		h->state = HOP_DONE;
	}
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
	h->state = HOP_STEP;
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
	h->state = HOP_SAVE;
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

static void
hop_saved(const char *err, enum store_saved result, unsigned version,
    const char *data, size_t len, void *arg)
{
	struct hop	*h = arg;

	h->pending = 0;
	h->fault = FAULT_NONE;
	h->state = HOP_DONE;
	if (err != NULL) {
		log_warnx("event=session-save-failed sid=%s msisdn=%s "
		    "error=\"%s\"", h->session_id, hop_who(h), err);
		h->fault = FAULT_SAVE;
	} else if (result == STORE_SAVED)
		h->saved = 1;
	else if (result == STORE_GONE)
		h->fault = FAULT_GONE;
	else if (h->res.effect.kind == EFFECT_SUBMIT ||
	    ++h->attempts >= SAVE_ATTEMPTS) {
		/* Moved on elsewhere: a recorded request stands, with its
		 * reply; anything else is not stepped again forever. */
		log_warnx("event=session-conflict sid=%s msisdn=%s",
		    h->session_id, hop_who(h));
		h->fault = FAULT_CONFLICT;
	} else {
		/* Another gateway served a hop of this session: step again
		 * from the record as it stands. */
		step_result_clear(&h->res);
		if (hop_take_record(h, version, data, len) == -1)
			h->fault = FAULT_LOAD;
		h->state = HOP_STEP;
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
		if (strcmp(d, last) == 0)
			return h->text + n + 1;
	}
	star = strrchr(h->text, '*');
	return star != NULL ? star + 1 : h->text;
}

/* What marks the hop for a retry, made once: the retry check and the
 * save both need it.  The transport's hop id when it has one, else the
 * digest of the hop's whole text. */
static const char *
hop_digest(struct hop *h)
{
	if (h->digest[0] != '\0')
		return h->digest;
	if (h->hop_id != NULL)
		text_digest(h->hop_id, strlen(h->hop_id), h->digest,
		    sizeof h->digest);
	else
		text_digest(h->text, strlen(h->text), h->digest,
		    sizeof h->digest);
	return h->digest;
}

static int
hop_is_retry(struct hop *h)
{
	const struct session	*s = h->s;

	if (s->last_text == NULL)
		return 0;
	if (strcmp(s->last_text, hop_digest(h)) != 0)
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

static void
hop_idempotency_key(const struct hop *h, char *buf, size_t len)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*in;

	xasprintf(&in, "%s|%s|%s|%u", h->service, h->msisdn, h->session_id,
	    h->version);
	SHA256((const unsigned char *)in, strlen(in), md);
	free(in);
	hex_encode(md, 16, buf, len);
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

static void	hop_queue(struct hop *);

static void
hop_limit_checked(const char *err, enum store_limit limit, void *arg)
{
	struct hop	*h = arg;

	if (err != NULL) {
		hop_submitted(err, h);
		return;
	}
	if (limit == STORE_OVER) {
		log_info("event=limited kind=requests_per_day sid=%s msisdn=%s "
		    "svc=%s", h->session_id, hop_who(h), h->service);
		store_count(h->e->store, STORE_COUNT_LIMITED,
		    "requests_per_day");
		h->pending = 0;
		h->limited = 1;
		h->state = HOP_SAVE;
		hop_step(h);
		return;
	}
	hop_queue(h);
}

/* A submit: within the subscriber's daily limit for the service, into
 * the outbox. */
static void
hop_submit(struct hop *h)
{
	unsigned	 max = h->gen->conf->sms.requests_per_day;

	h->pending = 1;
	h->state = HOP_EFFECT;
	if (max == 0) {
		hop_queue(h);
		return;
	}
	store_requests_count(h->e->store, h->msisdn, h->service, max,
	    hop_limit_checked, h);
}

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
		env = (struct step_env){ .budget = h->budget, .ref = h->ref };
		menu_answer(h->svc->menu, h->s, a->found,
		    (const char *const *)a->names,
		    (const char *const *)a->values, a->nfields, &env,
		    &h->res);
	}
	h->state = HOP_SAVE;
	hop_step(h);
}

/* Asks the service's back office for as long as the deadline allows:
 * until hop_deadline_ms less redis.timeout_ms from the hop's start, so
 * the save still fits. */
static void
hop_lookup(struct hop *h)
{
	const struct effect	*ef = &h->res.effect;
	const char		**names, **values;
	struct query		 q;
	double			 left;

	left = (double)h->gen->conf->hop_deadline_ms -
	    (double)h->gen->conf->redis_timeout_ms - hop_elapsed_ms(h);
	if (left < 1) {
		log_warnx("event=lookup-failed sid=%s msisdn=%s query=%s "
		    "error=\"no time left before the deadline\"",
		    h->session_id, hop_who(h), ef->request);
		hop_save(h);
		return;
	}
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
	h->state = HOP_EFFECT;
	engine_lookup(h->e, h->gen, h->service, &q, (unsigned)left,
	    hop_answered, h);
	free(names);
	free(values);
}

/* Steps the menu; returns 0 when the hop goes on to save, -1 when it has
 * answered already. */
static int
hop_run_menu(struct hop *h)
{
	struct step_env	 env = { .budget = h->budget, .ref = h->ref };
	const char	*input = NULL;

	if (h->s == NULL) {
		if (!hop_is_first(h)) {
			hop_reply_message(h, "expired");
			return -1;
		}
		h->s = session_new();
		session_set_service(h->s, h->service);
	} else if (hop_is_retry(h)) {
		h->outcome = "retry";
		h->saved = h->cached;	/* unchanged: back to the cache */
		hop_reply(h, h->s->last_reply ? h->s->last_reply : "",
		    h->s->last_end);
		return -1;
	} else if (h->begin) {
		/* The transport opens a session under an id the last one
		 * used: start over, saving over the old record. */
		session_free(h->s);
		h->s = session_new();
		session_set_service(h->s, h->service);
	} else if (h->s->last_end || h->s->screen == NULL) {
		h->saved = h->cached;
		hop_reply_message(h, "expired");
		return -1;
	} else
		input = hop_input(h);

	refcode_new(h->ref, sizeof h->ref);
	menu_step(h->svc->menu, h->s, input, &env, &h->res);
	return 0;
}

static void
hop_save(struct hop *h)
{
	char	*json;

	h->s->seq = h->version + 1;
	session_set_last(h->s, hop_digest(h), h->res.text, h->res.end,
	    now_ms());
	json = session_encode(h->s);
	h->pending = 1;
	h->state = HOP_SAVE;
	store_save(h->e->store, h->key, h->version, h->s->seq, json,
	    strlen(json), h->gen->conf->session_ttl, hop_saved, h);
	free(json);
}

static void
hop_step(struct hop *h)
{
	if (h->pending)
		return;
	if (h->replied && h->state != HOP_DONE) {
		/* Answered by the deadline: stop here. */
		h->state = HOP_DONE;
	}

	switch (h->state) {
	case HOP_WAIT:
		return;
	case HOP_LOAD:
		h->pending = 1;
		store_load(h->e->store, h->key, hop_loaded, h);
		return;
	case HOP_STEP:
		hop_service_from_session(h);
		if (h->svc == NULL && h->service == NULL) {
			/* A continuation of no session we know. */
			hop_reply_message(h, h->fault != FAULT_NONE ? "busy" :
			    "expired");
			break;
		}
		if (h->svc == NULL) {
			log_info("event=unknown-service sid=%s msisdn=%s "
			    "code=\"%s\"", h->session_id, hop_who(h),
			    h->service);
			hop_reply_message(h, "unknown");
			break;
		}
		if (h->fault != FAULT_NONE) {
			hop_reply_message(h, "busy");
			break;
		}
		if (hop_run_menu(h) == -1)
			break;
		if (h->res.effect.kind == EFFECT_SUBMIT &&
		    (h->cached || h->blind)) {
			/* Book nothing from a cached session: read the
			 * record and step again. */
			step_result_clear(&h->res);
			session_free(h->s);
			h->s = NULL;
			h->cached = h->blind = 0;
			h->state = HOP_LOAD;
			hop_step(h);
			return;
		}
		if (h->res.effect.kind == EFFECT_SUBMIT) {
			if (h->adapter == NULL) {
				log_errorx("event=no-adapter service=%s",
				    h->service);
				hop_reply_message(h, "failed");
				break;
			}
			hop_submit(h);
			return;
		}
		if (h->res.effect.kind == EFFECT_LOOKUP) {
			hop_lookup(h);
			return;
		}
		hop_save(h);
		return;
	case HOP_EFFECT:
		return;		/* waiting for the adapter */
	case HOP_SAVE:
		if (h->limited) {
			/* Not recorded, the session not advanced. */
			hop_reply_message(h, "limited");
			break;
		}
		if (h->res.effect.kind == EFFECT_SUBMIT && !h->effect_ok) {
			hop_reply_message(h, "failed");
			break;
		}
		hop_save(h);
		return;
	case HOP_DONE:
		if (h->fault == FAULT_GONE && !h->effect_ok) {
			hop_reply_message(h, "expired");
			break;
		}
		if (h->fault != FAULT_NONE && !h->res.end && !h->effect_ok) {
			/* Unsaved, the next hop would meet the old screen. */
			hop_reply_message(h, "busy");
			break;
		}
		if (h->res.text != NULL)
			hop_reply(h, h->res.text, h->res.end);
		break;
	}

	log_info("event=hop sid=%s msisdn=%s svc=%s seq=%u screen=%s "
	    "outcome=%s cached=%d ms=%.2f", h->session_id, hop_who(h),
	    h->service ? h->service : "-", h->s ? h->s->seq : 0,
	    h->s && h->s->screen ? h->s->screen : "-",
	    h->outcome ? h->outcome : "late", h->cached, hop_elapsed_ms(h));
	h->state = HOP_DONE;
	hop_free(h);
}

/* A hop's turn has come: step the cached session, or load it. */
static void
hop_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hop	*h = arg;

	(void)fd;
	(void)what;
	if (h->state == HOP_STEP && (h->svc != NULL || h->service == NULL) &&
	    !h->replied) {
		h->s = cache_take(h->e->cache, h->key, now_ms());
		if (h->s != NULL) {
			h->version = h->s->seq;
			h->cached = 1;
		} else if (hop_is_first(h)) {
			/* A dial needs no read: it is saved only if no record
			 * exists, else the save hands the record back (a retry
			 * of the dial) and the hop steps again from it. */
			h->blind = 1;
		} else
			h->state = HOP_LOAD;
	}
	hop_step(h);
}

void
engine_hop(struct engine *e, const struct hop_in *in, engine_reply_cb cb,
    void *arg)
{
	struct hop	*h = xcalloc(1, sizeof *h);
	struct timeval	 tv;

	h->e = e;
	h->cb = cb;
	h->arg = arg;
	h->msisdn = xstrdup(in->msisdn);
	h->session_id = xstrdup(in->session_id);
	h->text = xstrdup(in->text);
	h->mode = in->mode;
	h->budget = in->budget;
	h->retry_window_ms = in->retry_window_ms;
	h->hop_id = in->hop_id != NULL ? xstrdup(in->hop_id) : NULL;
	h->begin = in->begin;
	h->key = store_session_key(h->msisdn, h->session_id);
	h->gen = e->gen;
	h->gen->refs++;
	if (in->service != NULL)
		hop_set_service(h, in->service);
	clock_gettime(CLOCK_MONOTONIC, &h->t0);
	h->deadline = evtimer_new(e->base, hop_deadline_cb, h);
	h->kick = evtimer_new(e->base, hop_kick_cb, h);
	tv = ms_to_tv(h->gen->conf->hop_deadline_ms);
	evtimer_add(h->deadline, &tv);
	e->inflight++;

	if (!running_enter(e, h)) {
		h->state = HOP_WAIT;
		return;
	}
	/* Started from the loop, so no reply ever comes from inside
	 * engine_hop(). */
	h->state = HOP_STEP;
	event_active(h->kick, EV_TIMEOUT, 1);
}

/* One request from the outbox on its way to its back office, holding
 * the generation whose adapter it went to. */
struct delivery_ctx {
	struct gen	*gen;
	struct request	*req;
	outbox_done_cb	 done;
	void		*arg;
	char		*err;		/* failed before the adapter */
	struct event	*ev;
};

static void
delivered(const char *err, int final, void *arg)
{
	struct delivery_ctx	*dc = arg;

	if (err == NULL)
		log_info("event=delivered ref=%s key=%s service=%s",
		    dc->req->ref, dc->req->idempotency_key, dc->req->service);
	dc->done(err, final, dc->arg);
	request_free(dc->req);
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
	request_free(dc->req);
	event_free(dc->ev);
	free(dc->err);
	free(dc);
}

/* The outbox's deliver function: the request to its service's adapter
 * in the configuration serving now. */
static void
engine_deliver(void *ctx, const char *json, outbox_done_cb done, void *arg)
{
	struct engine			*e = ctx;
	struct delivery_ctx		*dc = xcalloc(1, sizeof *dc);
	const struct conf		*c = e->gen->conf;
	const struct conf_service	*svc;
	char				 err[160];

	dc->done = done;
	dc->arg = arg;
	if ((dc->req = request_decode(json, err, sizeof err)) == NULL)
		dc->err = xstrdup(err);
	else if ((svc = conf_service(c, dc->req->service)) == NULL)
		xasprintf(&dc->err, "no service %s", dc->req->service);
	else {
		for (size_t i = 0; i < c->nadapters; i++)
			if (strcmp(c->adapters[i].name, svc->adapter) == 0) {
				dc->gen = e->gen;
				dc->gen->refs++;
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
    char *err, size_t errlen)
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
	e->outbox = outbox_new(base, store, &(struct outbox_params){
		.consumer = conf->outbox.consumer,
		.attempts = conf->outbox.attempts,
		.backoff_min_ms = conf->outbox.backoff_min_ms,
		.backoff_max_ms = conf->outbox.backoff_max_ms,
		.claim_idle_ms = conf->outbox.claim_idle_ms,
		.batch = conf->outbox.batch,
		.inflight = conf->outbox.inflight,
		.dedupe_ttl = conf->outbox.dedupe_ttl,
	}, engine_deliver, e);
	e->sms = sms_new(e, store, e->outbox);
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
	sms_free(e->sms);
	outbox_free(e->outbox);
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
	a->told = 1;
	a->cb("no answer in time", NULL, a->arg);
}

static void
ask_answered(const char *err, const struct answer *ans, void *arg)
{
	struct ask	*a = arg;

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
	clock_gettime(CLOCK_MONOTONIC, &a->t0);
	a->timer = evtimer_new(e->base, ask_late, a);
	tv = ms_to_tv(timeout_ms);
	evtimer_add(a->timer, &tv);
	if ((ad = gen_adapter(g, conf_service(g->conf, service))) != NULL)
		adapter_lookup(ad, q, ask_answered, a);
	else
		defer_call(e->base, ask_no_adapter, a);
}

struct event_base *
engine_base(const struct engine *e)
{
	return e->base;
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
