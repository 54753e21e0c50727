/*
 * Donors by SMS: a text message to a service is read as one of the
 * commands its menu file declares (command.c) and carried out — a fixed
 * reply, a lookup through the service's adapter, a pledge proposed with a
 * one-time code and confirmed by YES <code> into the outbox, NO, STOP and
 * START — then answered in the sender's language.  The state it keeps per
 * MSISDN (pledges, the pledge rate, the opt-out, answers remembered for
 * smsbox's retries) is kept by the store: see the key table in store.h.
 */
#ifndef ASANIGW_SMS_H
#define ASANIGW_SMS_H

#include "adapter.h"

struct conf;
struct event_base;
struct gen;
struct outbox;
struct sms;
struct store;

/*
 * What the SMS commands need of whoever serves the configuration (the
 * engine; main.c wires it), and no more: the event loop; the generation
 * serving now, held with its configuration until released, so that a
 * reload frees neither its menus nor its adapters under a message; and a
 * lookup through a service's adapter in a held generation, whose callback
 * fires exactly once, never from inside the call and within timeout_ms.
 */
struct sms_host {
	struct event_base	*base;
	void			*ctx;		/* the functions' first */
	struct gen		*(*hold)(void *ctx, const struct conf **);
	void			 (*release)(void *ctx, struct gen *);
	void			 (*lookup)(void *ctx, struct gen *,
				    const char *service, const struct query *,
				    unsigned timeout_ms, adapter_answer_cb,
				    void *arg);
};

struct sms_in {
	const char	*service;	/* short code the message was sent to */
	const char	*msisdn;	/* digits */
	const char	*text;		/* UTF-8 */
	const char	*id;		/* the same on a retry; NULL: none */
};

/* The answer (UTF-8, valid during the call); fires exactly once, never
 * from inside sms_handle(). */
typedef void (*sms_reply_cb)(const char *text, void *arg);

/* host is copied; store and outbox must outlive the sms. */
struct sms	*sms_new(const struct sms_host *, struct store *,
		    struct outbox *);
/* Messages still being handled must have been answered. */
void		 sms_free(struct sms *);
void		 sms_handle(struct sms *, const struct sms_in *, sms_reply_cb,
		    void *arg);
/* Messages being handled. */
unsigned	 sms_inflight(const struct sms *);

#endif
