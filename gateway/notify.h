/*
 * The back office's callbacks: POST <notify.path> with a JSON object
 *
 *	{"msisdn":"923001234567","service":"*786#","event":"pledge_paid",
 *	 "lang":"ur","ref":"K7MX3Q","fields":{"amount":"500"}}
 *
 * signed as the gateway signs its own calls (X-Asanigw-Timestamp and
 * X-Asanigw-Signature over the body, within five minutes) and carrying an
 * X-Asanigw-Idempotency-Key.  The gateway sends the subscriber the
 * service menu's text for that event (its `notifications`), in their
 * language, through smsbox's sendsms, with a delivery report — unless
 * they sent STOP — and once per key.  The key is not signed, so a
 * signature is taken once: the same signed call again under another key
 * is a replay (409).
 */
#ifndef ASANIGW_NOTIFY_H
#define ASANIGW_NOTIFY_H

#include <stddef.h>

struct conf;
struct engine;
struct httpd;
struct notify;
struct sendsms;
struct store;

/* Routes notify.path when the configuration has one; NULL with err if
 * it cannot (the path is taken, or there is no sendsms to send with). */
struct notify	*notify_new(struct httpd *, const struct conf *,
		    struct engine *, struct store *, struct sendsms *,
		    char *err, size_t errlen);
void		 notify_free(struct notify *);

#endif
