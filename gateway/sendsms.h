/*
 * Messages the gateway starts (receipts, status updates, pushed USSD),
 * sent through smsbox's sendsms interface on libevent's HTTP client.
 * 202 (or any 2xx) is success; a connection error, a timeout or a 5xx
 * is tried again with exponential backoff and jitter, up to the
 * configured attempts; any other answer fails at once.  Each message gets
 * an id of the gateway's, carried in its dlr-url, so Kannel's delivery
 * reports come back to the DLR endpoint under that id.
 */
#ifndef ASANIGW_SENDSMS_H
#define ASANIGW_SENDSMS_H

struct conf_kannel;
struct event_base;
struct sendsms;
struct store;

struct sendsms_msg {
	const char	*to;		/* MSISDN, digits, '+' allowed */
	const char	*text;		/* UTF-8 */
	const char	*smsc;		/* NULL: the configured default */
	int		 ussd_op;	/* 0: an SMS; 2 (USSR request) or 3
					 * (USSN request): network-initiated
					 * USSD */
};

#define SENDSMS_ID_LEN	16

/* err NULL on success; id is the message's id in either case. */
typedef void (*sendsms_cb)(const char *err, const char *id, void *arg);

/* Copies what it needs of k; NULL with a sentence in err when k has no
 * sendsms url. */
struct sendsms	*sendsms_new(struct event_base *, const struct conf_kannel *k,
		    struct store *, char *err, size_t errlen);
/* Fires every pending callback with an error, then frees. */
void		 sendsms_free(struct sendsms *);

/* Sends a copy of msg; the callback fires exactly once, never from
 * inside this call.  A text that is not valid UTF-8 fails. */
void		 sendsms_send(struct sendsms *, const struct sendsms_msg *,
		    sendsms_cb, void *arg);

#endif
