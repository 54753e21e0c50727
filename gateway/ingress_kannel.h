/*
 * The Kannel transport.  smsbox calls the sms-service get-url for every
 * message from a phone:
 *
 *	GET /kannel/mo?k=SECRET&from=%p&to=%P&text=%b&id=%I&smsc=%i
 *	    &meta=%D&coding=%c&charset=%C
 *
 * and sends the body of the answer back to the phone.  Whether a message
 * is USSD or SMS is the smsc-id's kind in the configuration; a USSD
 * message's ussd_service_op and session TLVs come in the meta-data and
 * go back in X-Kannel-Meta-Data, as the smsc's profile says.  Delivery
 * reports of the messages the gateway sends come to
 *
 *	GET /kannel/dlr?k=SECRET&type=%d&smscid=%F&id=ID
 *
 * Both answer only allowed addresses that give the shared secret (403
 * otherwise), and never with a 5xx for a message: smsbox would tell the
 * subscriber "Could not fetch content".
 */
#ifndef ASANIGW_INGRESS_KANNEL_H
#define ASANIGW_INGRESS_KANNEL_H

#include <stddef.h>

struct conf;
struct engine;
struct httpd;
struct ingress_kannel;
struct store;

/* Routes the configuration's Kannel paths (nothing if it has no kannel
 * group); NULL with err if a path is taken. */
struct ingress_kannel *ingress_kannel_new(struct httpd *, const struct conf *,
		    struct engine *, struct store *, char *err, size_t errlen);
void		 ingress_kannel_free(struct ingress_kannel *);

#endif
