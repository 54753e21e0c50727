/*
 * Reference codes.  Each symbol takes the low five bits of one byte from
 * RAND_bytes(): the alphabet has exactly 32 symbols, so there is no
 * modulo bias.
 */
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "log.h"
#include "refcode.h"

static const char refcode_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/* Random bytes are drawn in batches: one RAND_bytes() call serves many
 * codes, and every hop draws one.  Used bytes are wiped at once. */
static unsigned char	refcode_pool[REFCODE_LEN * 64];
static size_t		refcode_used = sizeof refcode_pool;

void
refcode_from(const unsigned char *bytes, char *buf, size_t len)
{
	size_t	 i;

	if (len < REFCODE_LEN + 1)
		fatalx("refcode: buffer of %zu bytes is too short", len);
	for (i = 0; i < REFCODE_LEN; i++)
		buf[i] = refcode_alphabet[bytes[i] & 0x1f];
	buf[i] = '\0';
}

void
refcode_new(char *buf, size_t len)
{
	unsigned char	*rnd;

	if (len < REFCODE_LEN + 1)
		fatalx("refcode: buffer of %zu bytes is too short", len);
	if (refcode_used + REFCODE_LEN > sizeof refcode_pool) {
		if (RAND_bytes(refcode_pool, sizeof refcode_pool) != 1)
			fatalx("refcode: RAND_bytes failed");
		refcode_used = 0;
	}
	rnd = refcode_pool + refcode_used;
	refcode_used += REFCODE_LEN;
	refcode_from(rnd, buf, len);
	OPENSSL_cleanse(rnd, REFCODE_LEN);
}

static char
refcode_upper(char c)
{
	if (c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	return c;
}

int
refcode_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return 0;
	for (i = 0; i < REFCODE_LEN; i++) {
		if (s[i] == '\0' ||
		    strchr(refcode_alphabet, refcode_upper(s[i])) == NULL)
			return 0;
	}
	return s[i] == '\0';
}

void
refcode_normalize(char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++)
		*s = refcode_upper(*s);
}
