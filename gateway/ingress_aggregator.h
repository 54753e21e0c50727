/*
 * The aggregator transport (Africa's Talking and Hubtel style): POST a
 * form with sessionId, serviceCode, phoneNumber, networkCode and text;
 * the answer is text/plain "CON <page>" to continue or "END <page>".
 */
#ifndef ASANIGW_INGRESS_AGGREGATOR_H
#define ASANIGW_INGRESS_AGGREGATOR_H

#include <stddef.h>

struct conf;
struct engine;
struct httpd;
struct ingress_aggregator;

/* Routes every configured aggregator path; NULL with err if a path is
 * taken. */
struct ingress_aggregator *ingress_aggregator_new(struct httpd *,
		    const struct conf *, struct engine *, char *err,
		    size_t errlen);
void		 ingress_aggregator_free(struct ingress_aggregator *);

#endif
