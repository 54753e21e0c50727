/*
 * MSISDN checking, shared by every door a number comes in through (the
 * aggregator and Kannel transports, the admin and notify endpoints).  It
 * is pure, so it has its own module: a transport need not pull in
 * another transport, nor the event loop, to read a phone number.
 */
#include <ctype.h>
#include <string.h>

#include "msisdn.h"

int
msisdn_normalize(const char *in, char *out, size_t outlen)
{
	size_t	 n;

	if (*in == '+')
		in++;
	n = strlen(in);
	if (n < 8 || n > 15 || n + 1 > outlen || in[0] == '0')
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)in[i]))
			return -1;
	memcpy(out, in, n + 1);
	return 0;
}
