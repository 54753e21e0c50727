/*
 * The subscriber's number as every transport and endpoint hands it to
 * the gateway: E.164 digits, no '+', so that one subscriber has one key
 * in Redis however the number was written.
 */
#ifndef ASANIGW_MSISDN_H
#define ASANIGW_MSISDN_H

#include <stddef.h>

/* Longest MSISDN with its NUL: 15 digits (E.164) and one. */
#define MSISDN_SIZE	16

/* Checks an MSISDN (E.164: optional '+', 8 to 15 digits, no leading 0)
 * and writes its digits to out (at least MSISDN_SIZE bytes).  Returns 0,
 * or -1 and leaves out as it was. */
int		 msisdn_normalize(const char *in, char *out, size_t outlen);

#endif
