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
/* Records every status change accepted in the ledger (borrowed). */
struct ledger;
void		 notify_set_ledger(struct notify *, struct ledger *);

#define NOTIFY_BODY_MAX		8192
#define NOTIFY_WINDOW_S		300	/* an older signature is a replay */

struct json_t;

/* A callback that passed notify_check(). */
struct notify_in {
	struct json_t	*body;		/* the JSON object */
	char		 msisdn[16];	/* normalized */
	const char	*event;		/* borrowed from body */
};

/*
 * Checks a callback as it came: the values of its X-Asanigw-Timestamp,
 * X-Asanigw-Signature and X-Asanigw-Idempotency-Key headers (NULL when
 * absent) and its body[0..len), against the shared secret.  Pure but for
 * the clock the timestamp is held against.
 *
 * Returns 0 with *in filled (free with notify_in_clear()); or the HTTP
 * status to answer — 413 for a body over NOTIFY_BODY_MAX, 401 for a
 * signature that is wrong or older than NOTIFY_WINDOW_S, 400 for a
 * missing key or a body that is not an object with an msisdn and an
 * event — with a sentence in *why and *in empty.
 */
int		 notify_check(const char *secret, const char *ts,
		    const char *sig, const char *key, const char *body,
		    size_t len, struct notify_in *in, const char **why);
void		 notify_in_clear(struct notify_in *);

#endif
