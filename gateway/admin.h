/*
 * The operators' endpoints, for allowed addresses that present the
 * admin token as "Authorization: Bearer <token>":
 *
 *	POST /admin/send   to=MSISDN&text=...[&smsc=ID][&ussd_op=2|3]
 *	    sends a message through smsbox's sendsms; 202 {"id": ...}
 *	    once smsbox accepted it, 502 {"error": ...} if it did not.
 *	GET /admin/stats
 *	    {"inflight": N, "dlr": {"submitted": N, "accepted": N, ...}}
 */
#ifndef ASANIGW_ADMIN_H
#define ASANIGW_ADMIN_H

#include <stddef.h>

struct admin;
struct conf;
struct engine;
struct httpd;
struct sendsms;
struct store;

/* Routes /admin/... when the configuration has an admin group (else
 * does nothing); sendsms may be NULL (then /admin/send answers 503). */
struct admin	*admin_new(struct httpd *, const struct conf *,
		    struct engine *, struct store *, struct sendsms *,
		    char *err, size_t errlen);
void		 admin_free(struct admin *);

#endif
