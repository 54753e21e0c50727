/* notify_check() reads a back office's callback: the timestamp,
 * signature and idempotency-key header values and the JSON body.  The
 * input is "flags ts\nsig\nkey\nbody"; the flags say whether the harness
 * signs the body itself (with the input's timestamp or the clock's), so
 * the body is reached, not only the signature check.  Oracles: a wrong
 * signature is always 401, a right one with a fresh timestamp never; a
 * timestamp is accepted only if it reads whole as a number within the
 * window; what is accepted has a key of 1 to 128 characters, an object
 * body, a normalized msisdn and an event. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "adapter.h"
#include "msisdn.h"
#include "notify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SECRET	"fuzz-secret"

/* The next line of [*p, end) as a string (NUL bytes cut it short). */
static char *
line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t	*nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t		 n = (nl != NULL ? nl : end) - *p;
	char		*s = malloc(n + 1);

	assert(s != NULL);
	memcpy(s, *p, n);
	s[n] = '\0';
	*p = nl != NULL ? nl + 1 : end;
	return s;
}

static int
fresh(const char *ts)
{
	char		*end;
	long long	 t;
	long double	 d;

	t = strtoll(ts, &end, 10);
	if (*ts == '\0' || *end != '\0')
		return 0;
	d = (long double)t - (long double)time(NULL);
	return d >= -NOTIFY_WINDOW_S && d <= NOTIFY_WINDOW_S;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t		*p = data, *end = data + len;
	struct notify_in	 in;
	const char		*why = NULL, *msisdn;
	char			*ts, *sig, *key, *body, now[32];
	char			 good[ADAPTER_SIG_LEN], again[MSISDN_SIZE];
	size_t			 blen;
	uint8_t			 flags;
	int			 status;

	if (len == 0)
		return 0;
	flags = *p++;
	ts = line(&p, end);
	sig = line(&p, end);
	key = line(&p, end);
	blen = (size_t)(end - p);
	body = malloc(blen + 1);
	assert(body != NULL);
	memcpy(body, p, blen);
	body[blen] = '\0';
	if (flags & 2) {
		snprintf(now, sizeof now, "%lld", (long long)time(NULL));
		free(ts);
		ts = strdup(now);
		assert(ts != NULL);
	}
	adapter_sign(SECRET, ts, body, blen, good);
	if (flags & 1) {
		free(sig);
		sig = strdup(good);
		assert(sig != NULL);
	}
	status = notify_check(SECRET, (flags & 4) ? NULL : ts, sig,
	    (flags & 8) ? NULL : key, body, blen, &in, &why);
	assert(status == 0 || status == 400 || status == 401 ||
	    status == 413);
	assert((status == 0) == (why == NULL));
	if (blen > NOTIFY_BODY_MAX)
		assert(status == 413);
	else if (strcmp(sig, good) != 0 || (flags & 4))
		assert(status == 401);
	else if (flags & 2)
		assert(status != 401);
	if (status != 401 && status != 413)
		assert(fresh(ts));
	if (status == 0) {
		assert(!(flags & 8) && key[0] != '\0' && strlen(key) <= 128);
		assert(json_is_object(in.body));
		msisdn = json_string_value(json_object_get(in.body, "msisdn"));
		assert(msisdn != NULL);
		assert(msisdn_normalize(msisdn, again, sizeof again) == 0);
		assert(strcmp(again, in.msisdn) == 0);
		assert(in.event != NULL && strcmp(in.event, json_string_value(
		    json_object_get(in.body, "event"))) == 0);
		notify_in_clear(&in);
	} else
		assert(in.body == NULL);
	free(ts);
	free(sig);
	free(key);
	free(body);
	return 0;
}
