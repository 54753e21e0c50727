/*
 * The operators' endpoints, for allowed addresses that present the
 * admin token as "Authorization: Bearer <token>":
 *
 *	POST /admin/send   to=MSISDN&text=...[&smsc=ID][&ussd_op=2|3]
 *	    sends a message through smsbox's sendsms; 202 {"id": ...}
 *	    once smsbox accepted it, 502 {"error": ...} if it did not;
 *	    400 {"error": reason} for a form that is not strictly right
 *	    (see admin_send_read), empty text included.
 *	GET /admin/stats
 *	    {"inflight": N, "dlr": {"submitted": N, "accepted": N, ...}}
 */
#ifndef ASANIGW_ADMIN_H
#define ASANIGW_ADMIN_H

#include <stddef.h>

#include "form.h"
#include "msisdn.h"

struct admin;
struct conf;
struct conf_admin;
struct engine;
struct evhttp_request;
struct httpd;
struct sendsms;
struct store;

/* What POST /admin/send asks for, checked. */
struct admin_send {
	struct form	 form;		/* owns the strings below */
	const char	*to;		/* as given */
	const char	*text;		/* 1 to 1600 bytes */
	const char	*smsc;		/* NULL: smsbox's default */
	int		 ussd_op;	/* 0: an SMS; 2 or 3: a USSD push */
	char		 msisdn[MSISDN_SIZE];	/* to, normalised */
};

/* Reads and checks /admin/send's body (len bytes, sent with
 * content_type, NULL for none) with the strict form reader.  Pure, for
 * fuzz targets.  0 with out filled (cleared with admin_send_clear), or -1
 * with a one-line reason in why and out empty. */
int		 admin_send_read(const char *body, size_t len,
		    const char *content_type, struct admin_send *out,
		    char *why, size_t whylen);
void		 admin_send_clear(struct admin_send *);

/*
 * 1 if req comes from an address of conf's allowlist with its token, as
 * "Authorization: Bearer <token>" or else as given (NULL: none; e.g. what
 * a browser's cookie carries).  Otherwise answers req — 403 outside the
 * allowlist or with a wrong token, 401 with none — and returns 0.  Every
 * /admin/ path asks this first.
 */
int		 admin_request_allowed(const struct conf_admin *conf,
		    struct evhttp_request *req, const char *given);

/* Routes /admin/... when the configuration has an admin group (else
 * does nothing); sendsms may be NULL (then /admin/send answers 503). */
struct admin	*admin_new(struct httpd *, const struct conf *,
		    struct engine *, struct store *, struct sendsms *,
		    char *err, size_t errlen);
void		 admin_free(struct admin *);

#endif
