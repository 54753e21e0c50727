/*
 * One hop, as a small state machine.  Callbacks only record what they got
 * and call hop_step(); hop_step() decides what happens next:
 *
 *	LOAD ─▶ STEP ─▶ (EFFECT) ─▶ SAVE ─▶ DONE
 *
 * The hop's deadline timer can answer "service busy" at any point; the
 * hop then stops at its next step, once nothing of it is pending, so no
 * callback ever finds it freed.  Hops of one session run one at a time
 * (a retry racing its original waits for it and then finds its answer).
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/sha.h>

#include "adapter.h"
#include "engine.h"
#include "log.h"
#include "menu.h"
#include "refcode.h"
#include "session.h"
#include "store.h"
#include "xmalloc.h"

#define RUNNING_BUCKETS	1024

enum hop_state {
	HOP_WAIT,	/* behind another hop of the same session */
	HOP_LOAD,	/* GET pending */
	HOP_STEP,
	HOP_EFFECT,	/* adapter submit pending */
	HOP_SAVE,	/* SET pending */
	HOP_DONE,
};

struct hop {
	struct engine		*e;
	enum hop_state		 state;
	int			 pending;	/* a callback is outstanding */
	int			 replied;
	const char		*outcome;	/* for the hop's log line */

	char			*service;
	char			*msisdn;
	char			 msisdn_hash[16];
	char			*session_id;
	char			*text;
	enum text_mode		 mode;
	struct page_budget	 budget;
	unsigned		 retry_window_ms;
	char			*key;		/* the session's store key */

	const struct conf_service *svc;
	struct adapter		*adapter;
	struct session		*s;
	char			 ref[8];
	struct step_result	 res;
	const char		*err;		/* from the last callback */
	int			 effect_ok;

	engine_reply_cb		 cb;
	void			*arg;
	struct event		*deadline;
	struct event		*kick;		/* first step from the loop */
	struct timespec		 t0;

	struct hop		*next;		/* in a running bucket */
	struct hop		*waiters;	/* same session, queued */
};

struct engine {
	struct event_base	*base;
	const struct conf	*conf;
	struct store		*store;
	struct adapter		**adapters;	/* one per conf adapter */
	unsigned		 inflight;
	struct hop		*running[RUNNING_BUCKETS];
};

static void	hop_step(struct hop *);

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
hop_elapsed_ms(const struct hop *h)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)(ts.tv_sec - h->t0.tv_sec) * 1e3 +
	    (double)(ts.tv_nsec - h->t0.tv_nsec) / 1e6;
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
	return h->e->conf->services[0].menu;
}

static const char *
hop_lang(const struct hop *h)
{
	const struct menu	*m = hop_menu(h);

	if (h->s != NULL && h->s->lang != NULL && menu_has_lang(m, h->s->lang))
		return h->s->lang;
	if (menu_has_lang(m, h->e->conf->default_language))
		return h->e->conf->default_language;
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
	session_free(h->s);
	event_free(h->deadline);
	event_free(h->kick);
	free(h->service);
	free(h->msisdn);
	free(h->session_id);
	free(h->text);
	free(h->key);
	free(h);
	if (next != NULL) {
		next->state = next->svc != NULL ? HOP_LOAD : HOP_STEP;
		hop_step(next);
	}
}

static void
hop_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hop	*h = arg;

	(void)fd;
	(void)what;
	log_warnx("event=hop-deadline sid=%s msisdn=%s state=%d ms=%.1f",
	    h->session_id, h->msisdn_hash, (int)h->state, hop_elapsed_ms(h));
	hop_reply_message(h, "busy");
	if (h->state == HOP_WAIT) {
		/* Not started: leave the queue without touching anything. */
		h->state = HOP_DONE;
	}
}

static void
hop_loaded(const char *err, const char *data, size_t len, void *arg)
{
	struct hop	*h = arg;
	char		 why[128];

	h->pending = 0;
	h->err = NULL;
	if (err != NULL) {
		log_warnx("event=session-load-failed sid=%s msisdn=%s "
		    "error=\"%s\"", h->session_id, h->msisdn_hash, err);
		h->err = "load";
	} else if (data != NULL &&
	    (h->s = session_decode(data, len, why, sizeof why)) == NULL) {
		log_warnx("event=session-corrupt sid=%s msisdn=%s error=\"%s\"",
		    h->session_id, h->msisdn_hash, why);
		h->err = "load";
	}
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
		    "error=\"%s\"", h->session_id, h->msisdn_hash, h->ref, err);
	else
		log_info("event=submitted sid=%s msisdn=%s ref=%s request=%s",
		    h->session_id, h->msisdn_hash, h->ref,
		    h->res.effect.request);
	h->state = HOP_SAVE;
	hop_step(h);
}

static void
hop_saved(const char *err, void *arg)
{
	struct hop	*h = arg;

	h->pending = 0;
	h->err = NULL;
	if (err != NULL) {
		log_warnx("event=session-save-failed sid=%s msisdn=%s "
		    "error=\"%s\"", h->session_id, h->msisdn_hash, err);
		h->err = "save";
	}
	h->state = HOP_DONE;
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
	const char	*last = h->s->last_text ? h->s->last_text : "";
	size_t		 n = strlen(last);
	const char	*star;

	if (h->mode == TEXT_LATEST || n == 0)
		return h->text;
	if (strncmp(h->text, last, n) == 0 && h->text[n] == '*')
		return h->text + n + 1;
	star = strrchr(h->text, '*');
	return star != NULL ? star + 1 : h->text;
}

static int
hop_is_retry(const struct hop *h)
{
	const struct session *s = h->s;

	if (s->last_text == NULL || strcmp(s->last_text, h->text) != 0)
		return 0;
	if (h->mode == TEXT_PATH)
		return 1;
	return now_ms() - s->last_ms <= (long long)h->retry_window_ms;
}

static int
hop_is_first(const struct hop *h)
{
	if (h->text[0] == '\0')
		return 1;
	return h->mode == TEXT_LATEST && strcmp(h->text, h->service) == 0;
}

static void
hop_idempotency_key(const struct hop *h, char *buf, size_t len)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*in;
	size_t		 i;

	xasprintf(&in, "%s|%s|%s|%u", h->service, h->msisdn, h->session_id,
	    h->s->seq);
	SHA256((const unsigned char *)in, strlen(in), md);
	free(in);
	for (i = 0; i < 16 && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", md[i]);
}

static void
hop_submit(struct hop *h)
{
	const struct effect	*ef = &h->res.effect;
	const char		**names, **values;
	char			 ikey[40] = "";
	struct request		 req;

	names = xcalloc(ef->nfields + 1, sizeof *names);
	values = xcalloc(ef->nfields + 1, sizeof *values);
	for (size_t i = 0; i < ef->nfields; i++) {
		names[i] = ef->fields[i].name;
		values[i] = ef->fields[i].value;
	}
	hop_idempotency_key(h, ikey, sizeof ikey);
	req = (struct request){
		.idempotency_key = ikey,
		.ref = ef->ref,
		.service = h->service,
		.kind = ef->request,
		.msisdn = h->msisdn,
		.msisdn_hash = h->msisdn_hash,
		.lang = hop_lang(h),
		.ts_ms = now_ms(),
		.names = names,
		.values = values,
		.nfields = ef->nfields,
	};
	h->pending = 1;
	h->state = HOP_EFFECT;
	adapter_submit(h->adapter, &req, hop_submitted, h);
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
	} else if (hop_is_retry(h)) {
		h->outcome = "retry";
		hop_reply(h, h->s->last_reply ? h->s->last_reply : "",
		    h->s->last_end);
		return -1;
	} else if (h->s->last_end || h->s->screen == NULL) {
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

	h->s->seq++;
	session_set_last(h->s, h->text, h->res.text, h->res.end, now_ms());
	json = session_encode(h->s);
	h->pending = 1;
	h->state = HOP_SAVE;
	store_set(h->e->store, h->key, json, strlen(json),
	    h->e->conf->session_ttl, hop_saved, h);
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
		store_get(h->e->store, h->key, hop_loaded, h);
		return;
	case HOP_STEP:
		if (h->svc == NULL) {
			log_info("event=unknown-service sid=%s msisdn=%s "
			    "code=\"%s\"", h->session_id, h->msisdn_hash,
			    h->service);
			hop_reply_message(h, "unknown");
			break;
		}
		if (h->err != NULL) {
			hop_reply_message(h, "busy");
			break;
		}
		if (hop_run_menu(h) == -1)
			break;
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
		hop_save(h);
		return;
	case HOP_EFFECT:
		return;		/* waiting for the adapter */
	case HOP_SAVE:
		if (h->res.effect.kind == EFFECT_SUBMIT && !h->effect_ok) {
			hop_reply_message(h, "failed");
			break;
		}
		hop_save(h);
		return;
	case HOP_DONE:
		if (h->err != NULL && !h->res.end && !h->effect_ok) {
			/* Unsaved, the next hop would meet the old screen. */
			hop_reply_message(h, "busy");
			break;
		}
		if (h->res.text != NULL)
			hop_reply(h, h->res.text, h->res.end);
		break;
	}

	log_info("event=hop sid=%s msisdn=%s svc=%s seq=%u screen=%s "
	    "outcome=%s ms=%.2f", h->session_id, h->msisdn_hash, h->service,
	    h->s ? h->s->seq : 0, h->s && h->s->screen ? h->s->screen : "-",
	    h->outcome ? h->outcome : "late", hop_elapsed_ms(h));
	h->state = HOP_DONE;
	hop_free(h);
}

static void
hop_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hop_step(arg);
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
	h->service = xstrdup(in->service);
	h->msisdn = xstrdup(in->msisdn);
	log_msisdn(in->msisdn, h->msisdn_hash, sizeof h->msisdn_hash);
	h->session_id = xstrdup(in->session_id);
	h->text = xstrdup(in->text);
	h->mode = in->mode;
	h->budget = in->budget;
	h->retry_window_ms = in->retry_window_ms;
	h->key = store_session_key(h->msisdn, h->session_id);
	h->svc = conf_service(e->conf, in->service);
	clock_gettime(CLOCK_MONOTONIC, &h->t0);
	h->deadline = evtimer_new(e->base, hop_deadline_cb, h);
	h->kick = evtimer_new(e->base, hop_kick_cb, h);
	tv.tv_sec = e->conf->hop_deadline_ms / 1000;
	tv.tv_usec = (e->conf->hop_deadline_ms % 1000) * 1000;
	evtimer_add(h->deadline, &tv);
	e->inflight++;

	if (h->svc != NULL) {
		for (size_t i = 0; i < e->conf->nadapters; i++)
			if (strcmp(e->conf->adapters[i].name,
			    h->svc->adapter) == 0)
				h->adapter = e->adapters[i];
	}
	if (!running_enter(e, h)) {
		h->state = HOP_WAIT;
		return;
	}
	/* An unknown service is answered from the loop, as every reply is:
	 * never from inside engine_hop(). */
	h->state = h->svc != NULL ? HOP_LOAD : HOP_STEP;
	if (h->state == HOP_LOAD)
		hop_step(h);
	else
		event_active(h->kick, EV_TIMEOUT, 1);
}

struct engine *
engine_new(struct event_base *base, const struct conf *conf,
    struct store *store, char *err, size_t errlen)
{
	struct engine	*e = xcalloc(1, sizeof *e);

	e->base = base;
	e->conf = conf;
	e->store = store;
	e->adapters = xcalloc(conf->nadapters + 1, sizeof *e->adapters);
	for (size_t i = 0; i < conf->nadapters; i++) {
		e->adapters[i] = adapter_open(base, &conf->adapters[i], err,
		    errlen);
		if (e->adapters[i] == NULL) {
			engine_free(e);
			return NULL;
		}
	}
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->conf->nadapters; i++)
		adapter_close(e->adapters[i]);
	free(e->adapters);
	free(e);
}

unsigned
engine_inflight(const struct engine *e)
{
	return e->inflight;
}
