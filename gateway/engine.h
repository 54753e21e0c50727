/*
 * The engine runs one hop: it loads the session from the store, steps
 * the menu, runs the effect through the service's adapter, saves the
 * session and hands the reply back to the transport — all on the event
 * loop, within the hop's deadline.  Only the engine ties transports,
 * menus, the store and adapters together.
 */
#ifndef ASANIGW_ENGINE_H
#define ASANIGW_ENGINE_H

#include "adapter.h"
#include "conf.h"
#include "gsm.h"
#include "outbox.h"

struct event_base;
struct engine;
struct gen;
struct outbox;
struct sms;
struct store;

/* One hop as a transport hands it over; borrowed for the call. */
struct hop_in {
	const char		*service;	/* short code dialled; NULL:
						 * the session's own */
	const char		*msisdn;	/* digits, no '+' */
	const char		*session_id;	/* the transport's id */
	const char		*text;		/* as the transport sent it; on
						 * a begin, the inputs dialled
						 * after the code ("1*2") */
	enum text_mode		 mode;		/* how text is to be read */
	struct page_budget	 budget;
	unsigned		 retry_window_ms; /* TEXT_LATEST retries */
	const char		*hop_id;	/* the same on every retry of
						 * this hop and no other; NULL:
						 * retries known by text */
	int			 begin;		/* the transport knows this hop
						 * opens a session */
	const char		*transport;	/* its name, a literal */
};

/* The reply: text valid during the call; end is 1 when the session ends.
 * Fires exactly once per engine_hop(), never from inside it. */
typedef void (*engine_reply_cb)(const char *text, int end, void *arg);

/* Opens every adapter the services use and takes ownership of conf;
 * NULL with a sentence in err (conf then still the caller's).  The store,
 * the outbox hops queue confirmed requests in and the SMS commands are
 * the caller's, and must outlive the engine. */
struct engine	*engine_new(struct event_base *, struct conf *,
		    struct store *, struct outbox *, struct sms *, char *err,
		    size_t errlen);
/* Hops still running must have finished (engine_inflight() == 0). */
void		 engine_free(struct engine *);

/* Serves new hops from conf (taking ownership) once its adapters are
 * open; hops in flight finish on the configuration they started with.
 * -1 with err (conf still the caller's) keeps the current one. */
int		 engine_reload(struct engine *, struct conf *, char *err,
		    size_t errlen);
const struct conf *engine_conf(const struct engine *);

void		 engine_hop(struct engine *, const struct hop_in *,
		    engine_reply_cb, void *arg);
/* The text of a service's message name ("unreadable", "busy", ...; see
 * menu.h) in the language a subscriber without a session hears: the
 * configuration's default language if the menu has it, else the menu's
 * own.  service NULL or not served: the first service's.  Valid until
 * the next engine_reload(). */
const char	*engine_message(const struct engine *, const char *service,
		    const char *name);
/* Where confirmed requests wait for their back office. */
struct outbox	*engine_outbox(const struct engine *);
/* The outbox's delivery (outbox_deliver_fn): the request to its
 * service's adapter in the configuration serving now. */
void		 engine_deliver(struct engine *, const struct request *,
		    outbox_done_cb, void *arg);
/* Hops and text messages accepted and not yet finished (replied and
 * cleaned up). */
unsigned	 engine_inflight(const struct engine *);

/*
 * For work that spans callbacks outside a hop (SMS commands): the
 * configuration generation serving now, held, so that a reload frees
 * neither its conf, nor its menus, nor its adapters until released.
 */
struct gen	*engine_hold(struct engine *);
void		 engine_release(struct gen *);
const struct conf *gen_conf(const struct gen *);
/* Asks the adapter of a service of g.  The callback fires exactly once,
 * never from inside this call and within timeout_ms: with the answer, or
 * an error (the adapter failed, answered too late — the late answer is
 * dropped —, or the service has none). */
void		 engine_lookup(struct engine *, struct gen *g,
		    const char *service, const struct query *,
		    unsigned timeout_ms, adapter_answer_cb, void *arg);
/* The ledger that answers LEDGER_QUERY lookups (VERIFY); borrowed. */
struct ledger;
void		 engine_set_ledger(struct engine *, struct ledger *);

/* The SMS commands (sms.h) handed to engine_new(). */
struct sms	*engine_sms(const struct engine *);

#endif
