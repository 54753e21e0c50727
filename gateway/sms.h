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

struct engine;
struct outbox;
struct sms;
struct store;

struct sms_in {
	const char	*service;	/* short code the message was sent to */
	const char	*msisdn;	/* digits */
	const char	*text;		/* UTF-8 */
	const char	*id;		/* the same on a retry; NULL: none */
};

/* The answer (UTF-8, valid during the call); fires exactly once, never
 * from inside sms_handle(). */
typedef void (*sms_reply_cb)(const char *text, void *arg);

struct sms	*sms_new(struct engine *, struct store *, struct outbox *);
/* Messages still being handled must have been answered. */
void		 sms_free(struct sms *);
void		 sms_handle(struct sms *, const struct sms_in *, sms_reply_cb,
		    void *arg);
/* Messages being handled. */
unsigned	 sms_inflight(const struct sms *);

#endif
