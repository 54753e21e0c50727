/*
 * The aggregator transport (Africa's Talking and Hubtel style): POST a
 * form with sessionId, serviceCode, phoneNumber, networkCode and text;
 * the answer is text/plain "CON <page>" to continue or "END <page>".
 * Only callers from the profile's allowlist that give its secret (when
 * it has one) are served: anyone else gets 403 and nothing is read.
 */
#ifndef ASANIGW_INGRESS_AGGREGATOR_H
#define ASANIGW_INGRESS_AGGREGATOR_H

#include <stddef.h>

#include "form.h"
#include "msisdn.h"

struct conf;
struct engine;
struct httpd;
struct ingress_aggregator;

/* The header that may carry a profile's secret; else the query field k. */
#define AGGREGATOR_SECRET_HEADER	"X-Asanigw-Secret"

/* One hop as an aggregator's form gives it, checked. */
struct aggregator_form {
	struct form	 form;		/* owns the strings below */
	const char	*session_id;	/* letters, digits, "-_.:" */
	const char	*service_code;	/* digits, '*', '#', '+' */
	const char	*text;		/* UTF-8, may be empty */
	char		 msisdn[MSISDN_SIZE];	/* normalised phoneNumber */
};

/*
 * Reads and checks an aggregator's POST body (len bytes, sent with
 * content_type, NULL for none).  Pure: no I/O, so fuzz targets call it.
 * Returns 0 with out filled (the caller clears it with
 * ingress_aggregator_form_clear), or -1 with a one-line reason in why
 * ("missing field: sessionId") and out empty.
 */
int		 ingress_aggregator_read(const char *body, size_t len,
		    const char *content_type, struct aggregator_form *out,
		    char *why, size_t whylen);
void		 ingress_aggregator_form_clear(struct aggregator_form *);

/* Routes every configured aggregator path; NULL with err if a path is
 * taken. */
struct ingress_aggregator *ingress_aggregator_new(struct httpd *,
		    const struct conf *, struct engine *, char *err,
		    size_t errlen);
void		 ingress_aggregator_free(struct ingress_aggregator *);

#endif
