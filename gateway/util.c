/*
 * The shared toolkit of util.h.  backoff_delay_ms() draws from RAND_bytes
 * rather than random(): random() unseeded gives every process the same
 * sequence, so a fleet of gateways that lost Redis together would all
 * reconnect at the same instants — the very thing jitter is for.
 */
#include <string.h>

#include <openssl/rand.h>

#include "log.h"
#include "util.h"

long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)(ts.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(ts.tv_nsec - t0->tv_nsec) / 1e6;
}

struct timeval
ms_to_tv(unsigned ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

char *
dec_put(char *o, unsigned long long v)
{
	char	 tmp[20];
	size_t	 n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*o++ = tmp[--n];
	return o;
}

char *
dec_str(char *buf, unsigned long long v)
{
	*dec_put(buf, v) = '\0';
	return buf;
}

char *
hex_encode(const void *b, size_t n, char *out, size_t outlen)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*p = b;
	size_t			 i;

	if (outlen == 0)
		return out;
	for (i = 0; i < n && 2 * i + 2 < outlen; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * i] = '\0';
	return out;
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

unsigned
jitter_ms(unsigned ms)
{
	unsigned	 r;

	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		fatalx("RAND_bytes failed");
	return ms / 2 + r % (ms / 2 + 1);
}

unsigned
backoff_nominal_ms(unsigned min_ms, unsigned max_ms, unsigned attempt)
{
	unsigned long long	 ms = min_ms;

	for (unsigned i = 1; i < attempt && ms < max_ms; i++)
		ms *= 2;
	if (ms > max_ms)
		ms = max_ms;
	return (unsigned)ms;
}

unsigned
backoff_delay_ms(unsigned min_ms, unsigned max_ms, unsigned attempt)
{
	return jitter_ms(backoff_nominal_ms(min_ms, max_ms, attempt));
}

void
defer_call(struct event_base *base, event_callback_fn fn, void *arg)
{
	if (event_base_once(base, -1, EV_TIMEOUT, fn, arg, NULL) == -1)
		fatalx("event_base_once failed");
}
