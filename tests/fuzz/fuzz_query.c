/* kannel_query_parse() splits the get-url query smsbox sends.  The raw
 * input as a query: whatever it accepts is NUL-terminated and no longer
 * than the query, and what it refuses leaves nothing behind.  The input
 * as a value: percent-encoded as smsbox does (each byte either %XX or
 * itself when safe, a space as '+'), among fields of other names and
 * parts without '=', it must come back byte for byte; a repeated field
 * is refused. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kannel_text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const names[] = { "k", "text", "id", "meta" };
#define NNAMES	(sizeof names / sizeof names[0])

static void
fuzz_raw(const uint8_t *data, size_t len)
{
	struct kannel_field	 f[NNAMES];
	char			*raw, err[256];
	size_t			 i;

	raw = malloc(len + 1);
	assert(raw != NULL);
	memcpy(raw, data, len);
	raw[len] = '\0';
	err[0] = '\0';
	if (kannel_query_parse(raw, names, NNAMES, f, err, sizeof err) != 0) {
		assert(err[0] != '\0');
		for (i = 0; i < NNAMES; i++)
			assert(f[i].v == NULL && f[i].len == 0);
	} else {
		for (i = 0; i < NNAMES; i++) {
			if (f[i].v == NULL)
				continue;
			assert(f[i].v[f[i].len] == '\0');
			assert(f[i].len <= strlen(raw));
		}
		kannel_query_free(f, NNAMES);
	}
	free(raw);
}

static int
safe(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '~' || c == '*';
}

static void
fuzz_value(const uint8_t *data, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	struct kannel_field	 f[NNAMES];
	char			*q, *o, err[256];
	size_t			 i;
	uint8_t			 c;

	q = malloc(64 + 3 * len);
	assert(q != NULL);
	o = q + sprintf(q, "ts=1&&=x&k=s3cr%%2At&junk&text=");
	for (i = 0; i < len; i++) {
		c = data[i];
		if (safe(c) && (i & 1))
			*o++ = (char)c;
		else if (c == ' ')
			*o++ = '+';
		else {
			*o++ = '%';
			*o++ = (i & 2) ? hex[c >> 4] : "0123456789ABCDEF"[c >> 4];
			*o++ = hex[c & 0xf];
		}
	}
	strcpy(o, "&texts=1&id=");
	err[0] = '\0';
	assert(kannel_query_parse(q, names, NNAMES, f, err, sizeof err) == 0);
	assert(f[1].v != NULL && f[1].len == len);
	assert(memcmp(f[1].v, data, len) == 0);
	assert(f[0].v != NULL && strcmp(f[0].v, "s3cr*t") == 0);
	assert(f[2].v != NULL && f[2].len == 0);
	assert(f[3].v == NULL);
	kannel_query_free(f, NNAMES);

	strcat(q, "&text=again");
	assert(kannel_query_parse(q, names, NNAMES, f, err, sizeof err) == -1);
	assert(strstr(err, "repeated") != NULL);
	free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_raw(data, len);
	fuzz_value(data, len);
	return 0;
}
