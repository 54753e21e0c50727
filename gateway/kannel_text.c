/*
 * Kannel's text and meta-data, as smsbox hands them to a get-url.
 *
 * The text is decoded by hand (UTF-16BE with surrogate pairs, Latin-1,
 * Windows-1252, UTF-8 checked by utf8_valid()): no iconv, so nothing
 * depends on the host's locale tables.  Percent escapes in the query and
 * in its meta-data are checked here and decoded by libevent's
 * evhttp_uridecode().
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "errlist.h"
#include "gsm.h"
#include "kannel_text.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define KANNEL_SMPP_GROUP	"smpp"

enum kannel_charset {
	KCS_UTF8,
	KCS_UTF16BE,
	KCS_LATIN1,
	KCS_CP1252,
};

static const struct {
	const char		*name;
	enum kannel_charset	 cs;
} kannel_charsets[] = {
	{ "UTF-8",		KCS_UTF8 },
	{ "UTF8",		KCS_UTF8 },
	{ "UTF-16BE",		KCS_UTF16BE },
	{ "UTF-16",		KCS_UTF16BE },
	{ "UTF16BE",		KCS_UTF16BE },
	{ "UCS-2",		KCS_UTF16BE },
	{ "UCS-2BE",		KCS_UTF16BE },
	{ "UCS2",		KCS_UTF16BE },
	{ "ISO-8859-1",		KCS_LATIN1 },
	{ "ISO8859-1",		KCS_LATIN1 },
	{ "ISO_8859-1",		KCS_LATIN1 },
	{ "LATIN1",		KCS_LATIN1 },
	{ "WINDOWS-1252",	KCS_CP1252 },
	{ "CP1252",		KCS_CP1252 },
};

/* Windows-1252 0x80..0x9f; 0 where the code page leaves a hole, which
 * then maps to the C1 control of the same value, as browsers do. */
static const uint16_t kannel_cp1252[32] = {
	0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017d, 0,
	0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178,
};


/* Copies at most 32 bytes of untrusted s for an error message, anything
 * unprintable as '?'. */
static void
kannel_printable(const char *s, size_t len, char *buf, size_t size)
{
	size_t	 i;

	for (i = 0; i < len && i + 1 < size; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f)
			buf[i] = s[i];
		else
			buf[i] = '?';
	}
	buf[i] = '\0';
}

/* Appends code point cp (not a surrogate, at most U+10FFFF) as UTF-8. */
static size_t
kannel_utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Every 2 bytes give at most 3 (a BMP character) and every 4 at most 4
 * (a surrogate pair), so out needs rawlen * 3 / 2 + 1 bytes. */
static int
kannel_from_utf16be(const unsigned char *raw, size_t rawlen, char *out,
    size_t *outlen, char *err, size_t errlen)
{
	size_t		 i, o = 0;
	uint32_t	 hi, lo;

	if (rawlen % 2 != 0) {
		err_set(err, errlen, "UTF-16BE text has an odd number of "
		    "bytes (%zu)", rawlen);
		return -1;
	}
	for (i = 0; i < rawlen; i += 2) {
		hi = (uint32_t)raw[i] << 8 | raw[i + 1];
		if (hi >= 0xdc00 && hi <= 0xdfff) {
			err_set(err, errlen, "UTF-16BE text has an "
			    "unpaired low surrogate at byte %zu", i);
			return -1;
		}
		if (hi >= 0xd800 && hi <= 0xdbff) {
			if (i + 4 > rawlen) {
				err_set(err, errlen, "UTF-16BE text has "
				    "an unpaired high surrogate at byte %zu",
				    i);
				return -1;
			}
			lo = (uint32_t)raw[i + 2] << 8 | raw[i + 3];
			if (lo < 0xdc00 || lo > 0xdfff) {
				err_set(err, errlen, "UTF-16BE text has "
				    "an unpaired high surrogate at byte %zu",
				    i);
				return -1;
			}
			hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (hi == 0) {
			err_set(err, errlen, "text holds a NUL at byte "
			    "%zu", i);
			return -1;
		}
		o += kannel_utf8_put(out + o, hi);
	}
	*outlen = o;
	return 0;
}

/* Every byte gives at most 3 (the euro sign), so out needs rawlen * 3 + 1
 * bytes. */
static int
kannel_from_8bit(const unsigned char *raw, size_t rawlen, int cp1252,
    char *out, size_t *outlen, char *err, size_t errlen)
{
	size_t		 i, o = 0;
	uint32_t	 cp;

	for (i = 0; i < rawlen; i++) {
		cp = raw[i];
		if (cp == 0) {
			err_set(err, errlen, "text holds a NUL at byte "
			    "%zu", i);
			return -1;
		}
		if (cp1252 && cp >= 0x80 && cp <= 0x9f &&
		    kannel_cp1252[cp - 0x80] != 0)
			cp = kannel_cp1252[cp - 0x80];
		o += kannel_utf8_put(out + o, cp);
	}
	*outlen = o;
	return 0;
}

char *
kannel_text_decode(const char *raw, size_t rawlen, int coding,
    const char *charset, size_t *outlen, char *err, size_t errlen)
{
	enum kannel_charset	 cs;
	const unsigned char	*u = (const unsigned char *)raw;
	const char		*nul;
	char			*out, name[33];
	size_t			 i, len = 0;
	int			 rc;

	if (coding == KANNEL_CODING_8BIT) {
		err_set(err, errlen, "binary message (coding 1) has no "
		    "text");
		return NULL;
	}
	if (coding != KANNEL_CODING_7BIT && coding != KANNEL_CODING_UCS2 &&
	    coding != -1) {
		err_set(err, errlen, "unknown coding %d", coding);
		return NULL;
	}
	if (charset != NULL && *charset != '\0') {
		for (i = 0; i < sizeof kannel_charsets /
		    sizeof kannel_charsets[0]; i++) {
			if (strcasecmp(charset, kannel_charsets[i].name) == 0)
				break;
		}
		if (i == sizeof kannel_charsets / sizeof kannel_charsets[0]) {
			kannel_printable(charset, strlen(charset), name,
			    sizeof name);
			err_set(err, errlen, "unknown charset \"%s\"",
			    name);
			return NULL;
		}
		cs = kannel_charsets[i].cs;
	} else if (coding == KANNEL_CODING_UCS2)
		cs = KCS_UTF16BE;
	else
		cs = KCS_UTF8;

	if (rawlen > (SIZE_MAX - 1) / 3) {
		err_set(err, errlen, "text of %zu bytes is too long",
		    rawlen);
		return NULL;
	}
	if (cs == KCS_UTF8) {
		if (!utf8_valid(raw, rawlen)) {
			err_set(err, errlen, "text is not valid UTF-8");
			return NULL;
		}
		if ((nul = memchr(raw, '\0', rawlen)) != NULL) {
			err_set(err, errlen, "text holds a NUL at byte "
			    "%zu", (size_t)(nul - raw));
			return NULL;
		}
		out = xmalloc(rawlen + 1);
		memcpy(out, raw, rawlen);
		len = rawlen;
	} else {
		out = xmalloc(rawlen * 3 + 1);
		if (cs == KCS_UTF16BE)
			rc = kannel_from_utf16be(u, rawlen, out, &len, err,
			    errlen);
		else
			rc = kannel_from_8bit(u, rawlen, cs == KCS_CP1252,
			    out, &len, err, errlen);
		if (rc != 0) {
			free(out);
			return NULL;
		}
	}
	out[len] = '\0';
	if (outlen != NULL)
		*outlen = len;
	return out;
}

/*
 * Decodes s[0..n) ('+' is a space, %XX a byte) into a new NUL-terminated
 * buffer the caller frees.  what names the part for the error; a '%'
 * not followed by two hex digits is one.
 */
static int
kannel_unescape(const char *s, size_t n, const char *what, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	char	*copy, *dec, shown[33];
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3 || hex_digit(s[i + 1]) == -1 ||
		    hex_digit(s[i + 2]) == -1) {
			kannel_printable(s + i, n - i < 3 ? n - i : 3, shown,
			    sizeof shown);
			err_set(err, errlen, "%s has a bad percent escape "
			    "\"%s\"", what, shown);
			return -1;
		}
		i += 2;
	}
	copy = xstrndup(s, n);
	dec = evhttp_uridecode(copy, 1, outlen);
	free(copy);
	if (dec == NULL)
		fatalx("kannel: out of memory decoding meta-data");
	*out = dec;
	return 0;
}

static int
kannel_meta_add(struct kannel_meta *m, const char *pair, size_t n,
    int keep, char *err, size_t errlen)
{
	struct kannel_tlv	*t;
	const char		*eq;
	char			*key, *value, shown[33];
	size_t			 klen, vlen;

	if ((eq = memchr(pair, '=', n)) == NULL) {
		kannel_printable(pair, n, shown, sizeof shown);
		err_set(err, errlen, "meta-data pair \"%s\" has no '='",
		    shown);
		return -1;
	}
	if (kannel_unescape(pair, (size_t)(eq - pair), "meta-data key", &key,
	    &klen, err, errlen) != 0)
		return -1;
	if (klen == 0 || memchr(key, '\0', klen) != NULL) {
		err_set(err, errlen, "meta-data key is %s",
		    klen == 0 ? "empty" : "holding a NUL");
		free(key);
		return -1;
	}
	if (kannel_unescape(eq + 1, n - (size_t)(eq + 1 - pair),
	    "meta-data value", &value, &vlen, err, errlen) != 0) {
		free(key);
		return -1;
	}
	if (!keep) {
		free(key);
		free(value);
		return 0;
	}
	if (kannel_meta_get(m, key) != NULL) {
		kannel_printable(key, klen, shown, sizeof shown);
		err_set(err, errlen, "meta-data key \"%s\" is repeated",
		    shown);
		free(key);
		free(value);
		return -1;
	}
	m->tlvs = xreallocarray(m->tlvs, m->ntlvs + 1, sizeof *m->tlvs);
	t = &m->tlvs[m->ntlvs++];
	t->name = key;
	t->value = (unsigned char *)value;
	t->len = vlen;
	return 0;
}

static int
kannel_meta_parse1(const char *meta, struct kannel_meta *out, char *err,
    size_t errlen)
{
	const char	*p = meta, *q;
	char		*group, shown[33];
	size_t		 glen, n;
	int		 keep;

	out->tlvs = NULL;
	out->ntlvs = 0;
	if (meta == NULL)
		return 0;
	while (*p != '\0') {
		if (*p != '?') {
			kannel_printable(p, strlen(p), shown, sizeof shown);
			err_set(err, errlen, "meta-data \"%s\" is not in "
			    "a ?group?", shown);
			return -1;
		}
		p++;
		if ((q = strchr(p, '?')) == NULL) {
			kannel_printable(p, strlen(p), shown, sizeof shown);
			err_set(err, errlen, "meta-data group \"%s\" has "
			    "no closing '?'", shown);
			return -1;
		}
		if (kannel_unescape(p, (size_t)(q - p), "meta-data group",
		    &group, &glen, err, errlen) != 0)
			return -1;
		keep = glen == strlen(KANNEL_SMPP_GROUP) &&
		    strcasecmp(group, KANNEL_SMPP_GROUP) == 0;
		free(group);
		p = q + 1;
		while (*p != '\0' && *p != '?') {
			n = strcspn(p, "&?");
			if (kannel_meta_add(out, p, n, keep, err, errlen) != 0)
				return -1;
			p += n;
			if (*p == '&')
				p++;
		}
	}
	return 0;
}

int
kannel_meta_parse(const char *meta, struct kannel_meta *out, char *err,
    size_t errlen)
{
	if (kannel_meta_parse1(meta, out, err, errlen) != 0) {
		kannel_meta_free(out);
		return -1;
	}
	return 0;
}

const struct kannel_tlv *
kannel_meta_get(const struct kannel_meta *m, const char *name)
{
	size_t	 i;

	for (i = 0; i < m->ntlvs; i++) {
		if (strcmp(m->tlvs[i].name, name) == 0)
			return &m->tlvs[i];
	}
	return NULL;
}

void
kannel_meta_free(struct kannel_meta *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ntlvs; i++) {
		free(m->tlvs[i].name);
		free(m->tlvs[i].value);
	}
	free(m->tlvs);
	m->tlvs = NULL;
	m->ntlvs = 0;
}

static int
kannel_name_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

char *
kannel_meta_build(const struct kannel_tlv *tlvs, size_t n)
{
	static const char	 hexits[] = "0123456789ABCDEF";
	const unsigned char	*s;
	char			*out, *o;
	size_t			 i, j, size, add, nlen;

	if (n == 0)
		return xstrdup("");
	size = sizeof "?" KANNEL_SMPP_GROUP "?";
	for (i = 0; i < n; i++) {
		nlen = strlen(tlvs[i].name);
		if (nlen > SIZE_MAX / 8 || tlvs[i].len > SIZE_MAX / 8)
			fatalx("kannel: meta-data too long to build");
		add = 3 * nlen + 3 * tlvs[i].len + 2;	/* '=' and '&' */
		if (add > SIZE_MAX - size)
			fatalx("kannel: meta-data too long to build");
		size += add;
	}
	o = out = xmalloc(size);
	o += sprintf(o, "?%s?", KANNEL_SMPP_GROUP);
	for (i = 0; i < n; i++) {
		s = (const unsigned char *)tlvs[i].name;
		for (; *s != '\0'; s++) {
			if (kannel_name_safe(*s))
				*o++ = (char)*s;
			else {
				*o++ = '%';
				*o++ = hexits[*s >> 4];
				*o++ = hexits[*s & 0xf];
			}
		}
		*o++ = '=';
		for (j = 0; j < tlvs[i].len; j++) {
			*o++ = '%';
			*o++ = hexits[tlvs[i].value[j] >> 4];
			*o++ = hexits[tlvs[i].value[j] & 0xf];
		}
		*o++ = '&';
	}
	*o = '\0';
	return out;
}

int
kannel_query_parse(const char *raw, const char *const *names, size_t n,
    struct kannel_field *out, char *err, size_t errlen)
{
	const char	*p = raw, *amp, *eq;
	char		 what[48];
	size_t		 plen, i;

	memset(out, 0, n * sizeof *out);
	for (; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		plen = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if ((eq = memchr(p, '=', plen)) == NULL)
			continue;
		for (i = 0; i < n; i++)
			if ((size_t)(eq - p) == strlen(names[i]) &&
			    strncmp(p, names[i], (size_t)(eq - p)) == 0)
				break;
		if (i == n)
			continue;
		if (out[i].v != NULL) {
			err_set(err, errlen, "field %s is repeated", names[i]);
			goto fail;
		}
		snprintf(what, sizeof what, "field %s", names[i]);
		if (kannel_unescape(eq + 1, plen - (size_t)(eq + 1 - p), what,
		    &out[i].v, &out[i].len, err, errlen) != 0)
			goto fail;
	}
	return 0;
fail:
	kannel_query_free(out, n);
	return -1;
}

void
kannel_query_free(struct kannel_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].v);
		f[i].v = NULL;
		f[i].len = 0;
	}
}

/* Kannel's report types (%d) and what they mean for a message. */
static const struct kannel_dlr_type {
	int		 type;
	const char	*state;
	int		 final;
} kannel_dlr_types[] = {
	{ 1, "delivered", 1 },
	{ 2, "failed", 1 },
	{ 4, "buffered", 0 },
	{ 8, "accepted", 0 },
	{ 16, "rejected", 1 },
};

int
kannel_dlr_parse(const struct kannel_field *id, const struct kannel_field *type,
    const struct kannel_field *smscid, struct kannel_dlr *out, char *err,
    size_t errlen)
{
	const struct kannel_dlr_type	*t = NULL;
	size_t				 i;
	int				 v;

	memset(out, 0, sizeof *out);
	if (id->v == NULL || id->len != KANNEL_DLR_ID_LEN ||
	    strspn(id->v, "0123456789abcdef") != KANNEL_DLR_ID_LEN) {
		err_set(err, errlen, "id is not a message id of this gateway");
		return -1;
	}
	if (type->v != NULL && type->len > 0 && type->len <= 5 &&
	    strspn(type->v, "0123456789") == type->len) {
		v = atoi(type->v);
		for (i = 0; i < sizeof kannel_dlr_types /
		    sizeof *kannel_dlr_types; i++)
			if (kannel_dlr_types[i].type == v)
				t = &kannel_dlr_types[i];
	}
	if (t == NULL) {
		err_set(err, errlen, "type (%%d) is not a report type");
		return -1;
	}
	memcpy(out->id, id->v, KANNEL_DLR_ID_LEN);
	out->state = t->state;
	out->final = t->final;
	if (smscid->v == NULL || smscid->len > KANNEL_SMSC_ID_MAX)
		return 0;
	for (i = 0; i < smscid->len; i++)
		if (smscid->v[i] < 0x20 || smscid->v[i] > 0x7e)
			return 0;
	memcpy(out->smsc_id, smscid->v, smscid->len);
	return 0;
}
