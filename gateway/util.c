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

/* The digits counted first, then written from the end two at a time
 * from a table: the division by 100 is a multiply, and no copy. */
char *
dec_put(char *o, unsigned long long v)
{
	static const char	 pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "62636465666768697071727374757677787980818283848586878889909192"
	    "93949596979899";
	unsigned long long	 t;
	char			*end = o + 1, *p;

	for (t = v; t >= 10; t /= 10)
		end++;
	p = end;
	while (v >= 100) {
		p -= 2;
		memcpy(p, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(p - 2, pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return end;
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

size_t
align_max(size_t n)
{
	const size_t	 a = _Alignof(max_align_t);

	return (n + a - 1) / a * a;
}

size_t
event_room(void)
{
	return align_max(event_get_struct_event_size());
}

struct event *
timer_in(void *block, size_t at, struct event_base *base,
    event_callback_fn cb, void *arg)
{
	struct event	*ev = (struct event *)((char *)block + at);

	if (event_assign(ev, base, -1, 0, cb, arg) == -1)
		fatalx("event_assign failed");
	return ev;
}

uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*s = p;
	uint64_t		 w;
	size_t			 i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 1099511628211ULL;
		h ^= h >> 29;
	}
	/* The tail as one word, its length in the top byte (which no tail
	 * of at most 7 bytes reaches), so "a" and "a\0" differ. */
	w = (uint64_t)(n - i) << 56;
	for (unsigned k = 0; i < n; i++, k += 8)
		w |= (uint64_t)s[i] << k;
	h = (h ^ w) * 1099511628211ULL;
	return h ^ (h >> 32);
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
