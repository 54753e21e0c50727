/*
 * Unit tests for gsm.c: UTF-8, GSM 03.38 septets, UCS-2 units, budgets
 * and pagination.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "gsm.h"
#include "unit.h"

#define URDU	"آپ کی درخواست موصول ہو گئی ہے"	/* 29 chars, 52 bytes */
#define ROMAN	"Aap ki darkhwast mausool ho gayi hai."
#define EMOJI	"\xf0\x9f\x98\x80"			/* U+1F600 */
#define BEH	"\xd8\xa8"				/* U+0628 */
#define MORE	"\n98 More"				/* 8 septets */
#define MORE_UR	"\n98 مزید"				/* 8 units */

static const struct page_budget ussd = { 182, 80 };
static const struct page_budget sms = { 160, 70 };

/* unit repeated n times, then tail; caller frees. */
static char *
rep(const char *unit, size_t n, const char *tail)
{
	size_t	 ulen = strlen(unit), tlen = strlen(tail);
	char	*s = malloc(ulen * n + tlen + 1);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ulen, unit, ulen);
	memcpy(s + ulen * n, tail, tlen + 1);
	return s;
}

static int
fits(const char *s, const struct page_budget *b)
{
	return text_fits(s, strlen(s), b);
}

static struct text_size
measure(const char *s)
{
	struct text_size ts;

	memset(&ts, 0xa5, sizeof ts);
	text_measure(s, strlen(s), &ts);
	return ts;
}

static int
is_break(char c)
{
	return c == ' ' || c == '\n';
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Fits with more appended to s[0..len). */
static int
fits_with(const char *s, size_t len, const char *more,
    const struct page_budget *b)
{
	size_t	 mlen = strlen(more);
	char	*t = malloc(len + mlen + 1);
	int	 r;

	ck_assert_ptr_nonnull(t);
	memcpy(t, s, len);
	memcpy(t + len, more, mlen + 1);
	r = fits(t, b);
	free(t);
	return r;
}

static size_t
char_len(const char *s, size_t len)
{
	uint32_t cp;
	int	 n = utf8_decode(s, len, &cp);

	return n == -1 ? 1 : (size_t)n;
}

/* Characters (code points; a stray byte is one) in s[0..len). */
static size_t
chars(const char *s, size_t len)
{
	size_t	 n = 0;

	for (size_t i = 0; i < len; i += char_len(s + i, len - i))
		n++;
	return n;
}

/* 1 if a page that ends at the space text[pos] ends a sentence: after
 * '.', '!', '?', '۔' or '؟', but not after a list number starting a line
 * ("\n3.") or a dotted abbreviation ("e.g."). */
static int
ends_sentence(const char *text, size_t pos)
{
	size_t	 w;
	int	 digits = 1;

	if (pos >= 2 && (memcmp(text + pos - 2, "۔", 2) == 0 ||
	    memcmp(text + pos - 2, "؟", 2) == 0))
		return 1;
	if (pos == 0 || strchr(".!?", text[pos - 1]) == NULL)
		return 0;
	if (text[pos - 1] != '.')
		return 1;
	for (w = pos - 1; w > 0 && !is_break(text[w - 1]); w--)
		;
	if (memchr(text + w, '.', pos - 1 - w) != NULL)
		return 0;
	for (size_t i = w; i < pos - 1; i++)
		digits &= text[i] >= '0' && text[i] <= '9';
	return !(digits && w < pos - 1 && (w == 0 || text[w - 1] == '\n'));
}

/* The end of the longest page from ws that ends at a break and fits with
 * more: NONE-like len if none. */
static size_t
longest_break(const char *text, size_t ws, const char *more,
    const struct page_budget *b)
{
	size_t	 len = strlen(text), best = len, we = ws;

	for (;;) {
		while (we < len && !is_break(text[we]))
			we++;
		if (we == len || !fits_with(text + ws, we - ws, more, b))
			return best;
		best = we++;
	}
}

/*
 * Checks every promise text_paginate() makes for (text, more, b) on its
 * result: the array is NULL-terminated; every page fits; all but the last
 * end in more; the pages with the dropped break characters give back the
 * text; a page ends mid-word only if the rest of that word cannot fit a
 * page, and then as late as possible and between characters; a page that
 * ends at a space could not have taken the next word too, unless it ends
 * a sentence and holds at least half the characters of the longest page
 * ending at a break.
 */
static void
check_result(const char *text, const char *more,
    const struct page_budget *b, int valid_utf8, char **pages, size_t n)
{
	size_t	 i, pos = 0, len = strlen(text), mlen = strlen(more);
	size_t	 clen, ws, we, lw;

	ck_assert_ptr_nonnull(pages);
	ck_assert_uint_ge(n, 1);
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(pages[i]);
	ck_assert_ptr_null(pages[n]);

	for (i = 0; i < n; i++) {
		const char *pg = pages[i];
		int	 last = i == n - 1;

		ck_assert_msg(fits(pg, b), "page %zu of %zu does not fit: "
		    "\"%s\"", i, n, pg);
		if (valid_utf8)
			ck_assert_msg(utf8_valid(pg, strlen(pg)),
			    "page %zu is not valid UTF-8", i);
		clen = strlen(pg);
		if (!last) {
			ck_assert_msg(ends_with(pg, more),
			    "page %zu lacks the suffix: \"%s\"", i, pg);
			clen -= mlen;
		}
		ck_assert_msg(pos + clen <= len &&
		    memcmp(text + pos, pg, clen) == 0,
		    "page %zu is not the next part of the text: \"%s\"", i, pg);
		pos += clen;
		if (last)
			break;
		ck_assert_uint_lt(pos, len);
		ck_assert_uint_gt(clen, 0);
		ws = pos - clen;

		if (is_break(text[pos])) {
			/* A word boundary: the break is dropped.  If it was
			 * a space, the next word would not have fitted, or
			 * the page ends a sentence late enough. */
			if (text[pos] == ' ') {
				we = pos + 1;
				while (we < len && !is_break(text[we]))
					we++;
				if (we < len && fits_with(text + ws, we - ws,
				    more, b)) {
					lw = longest_break(text, ws, more, b);
					ck_assert_msg(ends_sentence(text, pos) &&
					    2 * chars(text + ws, pos - ws) >=
					    chars(text + ws, lw - ws),
					    "page %zu broke too early", i);
				} else if (we == len)
					ck_assert_msg(!fits(text + ws, b),
					    "page %zu is not the last", i);
			}
			pos++;
			continue;
		}

		/* A hard cut: never inside a UTF-8 sequence, only in a word
		 * whose rest cannot fit a page, and as late as possible. */
		if (valid_utf8)
			ck_assert_msg(((unsigned char)text[pos] & 0xc0) != 0x80,
			    "page %zu cut inside a character", i);
		ck_assert_msg(memchr(pg, ' ', clen) == NULL &&
		    memchr(pg, '\n', clen) == NULL,
		    "page %zu cut a word although it has a break", i);
		we = pos;
		while (we < len && !is_break(text[we]))
			we++;
		if (we < len)
			ck_assert_msg(!fits_with(text + ws, we - ws, more, b),
			    "page %zu cut a word that fits a page", i);
		else
			ck_assert_msg(!fits(text + ws, b),
			    "page %zu cut the last word, which fits", i);
		ck_assert_msg(!fits_with(text + ws,
		    clen + char_len(text + pos, len - pos), more, b),
		    "page %zu cut too early", i);
	}
	ck_assert_msg(pos == len || (pos + 1 == len && is_break(text[pos])),
	    "pages stop at byte %zu of %zu", pos, len);
}

/* Paginates and checks; returns the page count. */
static size_t
check_pages(const char *text, const char *more,
    const struct page_budget *b, int valid_utf8)
{
	char	**pages;
	size_t	 n;

	n = text_paginate(text, more, b, &pages);
	check_result(text, more, b, valid_utf8, pages, n);
	text_pages_free(pages);
	return n;
}

/* Paginates and returns the pages; for exact expectations. */
static size_t
paginate(const char *text, const char *more, const struct page_budget *b,
    char ***pages)
{
	size_t	 n = text_paginate(text, more, b, pages);

	ck_assert_ptr_null((*pages)[n]);
	return n;
}

/* ---- UTF-8 ---- */

struct decode_case {
	const char	*s;
	size_t		 len;
	int		 n;
	uint32_t	 cp;
};

START_TEST(test_utf8_decode_valid)
{
	static const struct decode_case cases[] = {
		{ "A", 1, 1, 0x41 },
		{ "", 1, 1, 0x00 },
		{ "\x7f", 1, 1, 0x7f },
		{ "\xc2\x80", 2, 2, 0x80 },
		{ "\xc2\xa3", 2, 2, 0xa3 },
		{ "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 },
		{ "\xe2\x82\xac", 3, 3, 0x20ac },
		{ "\xed\x9f\xbf", 3, 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ EMOJI, 4, 4, 0x1f600 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "ab", 2, 1, 'a' },
		{ "\xd8\xa8xyz", 5, 2, 0x628 },
	};
	uint32_t cp;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cp = 0xdeadbeef;
		ck_assert_msg(utf8_decode(cases[i].s, cases[i].len, &cp) ==
		    cases[i].n, "case %zu: wrong length", i);
		ck_assert_msg(cp == cases[i].cp, "case %zu: U+%04X", i,
		    (unsigned)cp);
	}
}
END_TEST

START_TEST(test_utf8_decode_invalid)
{
	static const struct decode_case cases[] = {
		{ "", 0, -1, 0 },
		{ "\xc0\xaf", 2, -1, 0 },		/* overlong '/' */
		{ "\xc1\xbf", 2, -1, 0 },		/* overlong */
		{ "\xe0\x80\x80", 3, -1, 0 },		/* overlong NUL */
		{ "\xe0\x9f\xbf", 3, -1, 0 },		/* overlong */
		{ "\xf0\x8f\xbf\xbf", 4, -1, 0 },	/* overlong */
		{ "\xed\xa0\x80", 3, -1, 0 },		/* U+D800 */
		{ "\xed\xbf\xbf", 3, -1, 0 },		/* U+DFFF */
		{ "\xe2\x82", 2, -1, 0 },		/* truncated € */
		{ "\xe2\x82\xac", 2, -1, 0 },		/* € cut by len */
		{ "\xf0\x9f\x98", 3, -1, 0 },		/* truncated */
		{ "\xc2", 1, -1, 0 },			/* truncated */
		{ "\xf4\x90\x80\x80", 4, -1, 0 },	/* U+110000 */
		{ "\xf5\x80\x80\x80", 4, -1, 0 },
		{ "\xff", 1, -1, 0 },
		{ "\xfe", 1, -1, 0 },
		{ "\x80", 1, -1, 0 },			/* lone continuation */
		{ "\xbf", 1, -1, 0 },
		{ "\xe2\x28\xa1", 3, -1, 0 },		/* bad continuation */
		{ "\xc3\x28", 2, -1, 0 },
		{ "\xf0\x9f\x98\x28", 4, -1, 0 },
	};
	uint32_t cp;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(utf8_decode(cases[i].s, cases[i].len, &cp) == -1,
		    "case %zu decoded", i);
}
END_TEST

START_TEST(test_utf8_valid)
{
	static const char *const bad[] = {
		"\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80",
		"\x80", "\xff",
	};
	char	 buf[64];

	ck_assert_int_eq(utf8_valid("", 0), 1);
	ck_assert_int_eq(utf8_valid(URDU, strlen(URDU)), 1);
	ck_assert_int_eq(utf8_valid(ROMAN " " EMOJI " £€",
	    strlen(ROMAN " " EMOJI " £€")), 1);
	ck_assert_int_eq(utf8_valid("a\0b", 3), 1);
	/* Only len bytes are looked at. */
	ck_assert_int_eq(utf8_valid("ab\xff", 2), 1);
	ck_assert_int_eq(utf8_valid("\xe2\x82\xac", 2), 0);

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_int_eq(utf8_valid(bad[i], strlen(bad[i])), 0);
		snprintf(buf, sizeof buf, "ok %s ok", bad[i]);
		ck_assert_msg(utf8_valid(buf, strlen(buf)) == 0,
		    "case %zu valid inside text", i);
	}
}
END_TEST

/* ---- GSM 03.38 ---- */

/* The default alphabet in septet order, without 0x1B (escape). */
static const uint32_t gsm_default[] = {
	'@', 0xa3, '$', 0xa5, 0xe8, 0xe9, 0xf9, 0xec,
	0xf2, 0xc7, '\n', 0xd8, 0xf8, '\r', 0xc5, 0xe5,
	0x394, '_', 0x3a6, 0x393, 0x39b, 0x3a9, 0x3a0, 0x3a8,
	0x3a3, 0x398, 0x39e, 0xc6, 0xe6, 0xdf, 0xc9,
	' ', '!', '"', '#', 0xa4, '%', '&', '\'',
	'(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7',
	'8', '9', ':', ';', '<', '=', '>', '?',
	0xa1, 'A', 'B', 'C', 'D', 'E', 'F', 'G',
	'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W',
	'X', 'Y', 'Z', 0xc4, 0xd6, 0xd1, 0xdc, 0xa7,
	0xbf, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
	'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
	'x', 'y', 'z', 0xe4, 0xf6, 0xf1, 0xfc, 0xe0,
};

static const uint32_t gsm_extension[] = {
	'\f', '^', '{', '}', '\\', '[', '~', ']', '|', 0x20ac,
};

START_TEST(test_digits)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "۰۱۲۳۴۵۶۷۸۹", "0123456789" },
		{ "٠١٢٣٤٥٦٧٨٩", "0123456789" },
		{ "12۳٤", "1234" },
		{ "گلی ۱۲", "گلی 12" },
		{ "ab\xff" "۱", "ab\xff" "1" },
		{ "", "" },
	};
	char	*v;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = digits_ascii(cases[i].in);
		ck_assert_str_eq(v, cases[i].want);
		free(v);
	}
	ck_assert_int_eq(digit_value('7'), 7);
	ck_assert_int_eq(digit_value(0x06f9), 9);
	ck_assert_int_eq(digit_value(0x0660), 0);
	ck_assert_int_eq(digit_value(0x06ef), -1);
	ck_assert_int_eq(digit_value(0x066a), -1);	/* ٪ */
	ck_assert_int_eq(digit_value('a'), -1);
}
END_TEST

START_TEST(test_gsm7_default_alphabet)
{
	size_t	 n = sizeof gsm_default / sizeof *gsm_default;

	ck_assert_uint_eq(n, 127);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(gsm7_septets(gsm_default[i]) == 1,
		    "U+%04X is not 1 septet", (unsigned)gsm_default[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert(gsm_default[i] != gsm_default[j]);
	}
}
END_TEST

START_TEST(test_gsm7_extension)
{
	for (size_t i = 0; i < sizeof gsm_extension / sizeof *gsm_extension;
	    i++)
		ck_assert_msg(gsm7_septets(gsm_extension[i]) == 2,
		    "U+%04X is not 2 septets", (unsigned)gsm_extension[i]);
}
END_TEST

START_TEST(test_gsm7_not_representable)
{
	static const uint32_t no[] = {
		'`', '\t', 0x00, 0x01, 0x1b, 0x7f, 0x80, 0xa0, 0xa2, 0xb0,
		0xe1, 0xe2, 0xe7, 0xea, 0xfb, 0xc0, 0xc8, 0x2019, 0x201c,
		0x2026, 0x0628, 0x0622, 0x06d2, 0x0950, 0x20b9, 0x03b1,
		0x1f600, 0xfeff, 0x10ffff,
	};

	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		ck_assert_msg(gsm7_septets(no[i]) == 0, "U+%04X is GSM-7",
		    (unsigned)no[i]);
}
END_TEST

START_TEST(test_gsm7_ascii)
{
	int	 want;

	for (uint32_t c = 0; c < 0x80; c++) {
		if (c == '`' || c == 0x7f)
			want = 0;
		else if (strchr("^{}\\[~]|\f", (int)c) != NULL && c != 0)
			want = 2;
		else if (c >= 0x20 || c == '\n' || c == '\r')
			want = 1;
		else
			want = 0;
		ck_assert_msg(gsm7_septets(c) == want, "0x%02X: %d, want %d",
		    (unsigned)c, gsm7_septets(c), want);
	}
}
END_TEST

/* ---- measuring ---- */

struct measure_case {
	const char	*s;
	enum coding	 coding;
	size_t		 septets;	/* checked if GSM-7 */
	size_t		 units;
	size_t		 chars;
};

START_TEST(test_measure)
{
	static const struct measure_case cases[] = {
		{ "", CODING_GSM7, 0, 0, 0 },
		{ "Hello {world}", CODING_GSM7, 15, 13, 13 },
		{ "Price: £5 or 10€ [promo]", CODING_GSM7, 27, 24, 24 },
		{ "@$_\n\r", CODING_GSM7, 5, 5, 5 },
		{ "\f", CODING_GSM7, 2, 1, 1 },
		{ "a^b~c|d\\e", CODING_GSM7, 13, 9, 9 },
		{ "ΔΦΓΛΩΠΨΣΘΞ", CODING_GSM7, 10, 10, 10 },
		{ "Ça coûte 5€", CODING_UCS2, 0, 11, 11 },
		{ "it`s", CODING_UCS2, 0, 4, 4 },
		{ "it’s", CODING_UCS2, 0, 4, 4 },
		{ ROMAN, CODING_GSM7, 37, 37, 37 },
		{ URDU, CODING_UCS2, 0, 29, 29 },
		{ "Hi " EMOJI, CODING_UCS2, 0, 5, 4 },
		{ EMOJI EMOJI EMOJI, CODING_UCS2, 0, 6, 3 },
		{ "\xf4\x8f\xbf\xbf", CODING_UCS2, 0, 2, 1 },
		{ "a\xc0\xaf" "b", CODING_UCS2, 0, 4, 4 },
		{ "\xed\xa0\x80", CODING_UCS2, 0, 3, 3 },
		{ "\xe2\x82", CODING_UCS2, 0, 2, 2 },
		{ "\xe2\x82" "a", CODING_UCS2, 0, 3, 3 },
		{ "\xf4\x90\x80\x80", CODING_UCS2, 0, 4, 4 },
	};
	struct text_size ts;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ts = measure(cases[i].s);
		ck_assert_msg(ts.coding == cases[i].coding,
		    "case %zu: coding %d", i, ts.coding);
		if (cases[i].coding == CODING_GSM7)
			ck_assert_msg(ts.septets == cases[i].septets,
			    "case %zu: %zu septets", i, ts.septets);
		ck_assert_msg(ts.ucs2_units == cases[i].units,
		    "case %zu: %zu units", i, ts.ucs2_units);
		ck_assert_msg(ts.chars == cases[i].chars,
		    "case %zu: %zu chars", i, ts.chars);
	}
}
END_TEST

START_TEST(test_measure_len)
{
	struct text_size ts;
	char	*s;

	/* Only len bytes count, NULs included. */
	text_measure("abc{def", 4, &ts);
	ck_assert_int_eq(ts.coding, CODING_GSM7);
	ck_assert_uint_eq(ts.septets, 5);
	text_measure("a\0b", 3, &ts);
	ck_assert_int_eq(ts.coding, CODING_UCS2);
	ck_assert_uint_eq(ts.ucs2_units, 3);

	/* Long texts add up the same way. */
	s = rep(URDU " ", 10, EMOJI);
	ts = measure(s);
	ck_assert_int_eq(ts.coding, CODING_UCS2);
	ck_assert_uint_eq(ts.chars, 301);
	ck_assert_uint_eq(ts.ucs2_units, 302);
	free(s);
	s = rep(ROMAN " ", 10, "{}");
	ts = measure(s);
	ck_assert_int_eq(ts.coding, CODING_GSM7);
	ck_assert_uint_eq(ts.septets, 384);
	ck_assert_uint_eq(ts.chars, 382);
	ck_assert_uint_eq(ts.ucs2_units, 382);
	free(s);
}
END_TEST

/* ---- budgets ---- */

START_TEST(test_budget_ucs2_for)
{
	ck_assert_uint_eq(page_budget_ucs2_for(182), 80);
	ck_assert_uint_eq(page_budget_ucs2_for(160), 70);
	ck_assert_uint_eq(page_budget_ucs2_for(140), 61);
	ck_assert_uint_eq(page_budget_ucs2_for(16), 7);
	ck_assert_uint_eq(page_budget_ucs2_for(8), 3);
	ck_assert_uint_eq(page_budget_ucs2_for(2), 1);
	ck_assert_uint_eq(page_budget_ucs2_for(1), 0);
	ck_assert_uint_eq(page_budget_ucs2_for(0), 0);
}
END_TEST

struct fit_case {
	const char	*unit;
	size_t		 n;
	const char	*tail;
	int		 fits;
};

static void
check_fit_cases(const struct fit_case *cases, size_t n,
    const struct page_budget *b)
{
	char	*s;

	for (size_t i = 0; i < n; i++) {
		s = rep(cases[i].unit, cases[i].n, cases[i].tail);
		ck_assert_msg(fits(s, b) == cases[i].fits,
		    "case %zu: %zu x \"%s\" + \"%s\" fits=%d", i, cases[i].n,
		    cases[i].unit, cases[i].tail, !cases[i].fits);
		free(s);
	}
}

START_TEST(test_fits_ussd)
{
	static const struct fit_case cases[] = {
		{ "a", 0, "", 1 },
		{ "a", 182, "", 1 },
		{ "a", 183, "", 0 },
		{ "a", 180, "€", 1 },		/* 182 septets */
		{ "a", 181, "€", 0 },		/* 183 */
		{ "a", 180, "{", 1 },
		{ "a", 181, "{", 0 },
		{ "a", 181, "é", 1 },
		{ "{", 91, "", 1 },
		{ "{", 92, "", 0 },
		{ "€", 91, "", 1 },
		{ "€", 91, "a", 0 },
		{ "a", 180, "\f", 1 },
		{ "a", 181, "\f", 0 },
		{ BEH, 80, "", 1 },
		{ BEH, 81, "", 0 },
		{ "a", 79, "`", 1 },		/* backtick forces UCS-2 */
		{ "a", 80, "`", 0 },
		{ "a", 79, BEH, 1 },
		{ "a", 100, BEH, 0 },		/* 101 units, not septets */
		{ EMOJI, 40, "", 1 },
		{ EMOJI, 41, "", 0 },
		{ BEH, 78, EMOJI, 1 },
		{ BEH, 79, EMOJI, 0 },
		{ "a", 79, "\xc0", 1 },		/* invalid byte: 1 unit */
		{ "a", 80, "\xc0", 0 },
	};

	check_fit_cases(cases, sizeof cases / sizeof *cases, &ussd);
}
END_TEST

START_TEST(test_fits_sms)
{
	static const struct fit_case cases[] = {
		{ "a", 160, "", 1 },
		{ "a", 161, "", 0 },
		{ "a", 158, "]", 1 },
		{ "a", 159, "]", 0 },
		{ BEH, 70, "", 1 },
		{ BEH, 71, "", 0 },
		{ EMOJI, 35, "", 1 },
		{ EMOJI, 35, "a", 0 },
	};

	check_fit_cases(cases, sizeof cases / sizeof *cases, &sms);
}
END_TEST

START_TEST(test_sms_parts)
{
	static const struct {
		const char	*unit;
		size_t		 n;
		size_t		 parts;
		enum coding	 coding;
	} cases[] = {
		{ "a", 0, 0, CODING_GSM7 },
		{ "a", 1, 1, CODING_GSM7 },
		{ "a", 160, 1, CODING_GSM7 },
		{ "a", 161, 2, CODING_GSM7 },
		{ "a", 306, 2, CODING_GSM7 },
		{ "a", 307, 3, CODING_GSM7 },
		{ "]", 80, 1, CODING_GSM7 },	/* two septets each */
		{ "]", 81, 2, CODING_GSM7 },
		{ "]", 153, 3, CODING_GSM7 },	/* 76 + 76 + 1: no split */
		{ BEH, 70, 1, CODING_UCS2 },
		{ BEH, 71, 2, CODING_UCS2 },
		{ BEH, 134, 2, CODING_UCS2 },
		{ BEH, 135, 3, CODING_UCS2 },
		{ EMOJI, 35, 1, CODING_UCS2 },
		{ EMOJI, 67, 3, CODING_UCS2 },	/* 33 + 33 + 1: no split */
	};
	enum coding	 coding;
	char		*s;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = rep(cases[i].unit, cases[i].n, "");
		coding = (enum coding)-1;
		ck_assert_msg(text_sms_parts(s, strlen(s), &coding) ==
		    cases[i].parts, "case %zu: %zu parts", i,
		    text_sms_parts(s, strlen(s), NULL));
		ck_assert_int_eq(coding, cases[i].coding);
		free(s);
	}
	/* One Urdu letter makes the whole message UCS-2. */
	s = rep("a", 69, BEH);
	ck_assert_uint_eq(text_sms_parts(s, strlen(s), &coding), 1);
	ck_assert_int_eq(coding, CODING_UCS2);
	free(s);
	s = rep("a", 70, BEH);
	ck_assert_uint_eq(text_sms_parts(s, strlen(s), &coding), 2);
	free(s);
}
END_TEST

/* ---- pagination: exact results ---- */

START_TEST(test_paginate_empty)
{
	char	**pages;

	ck_assert_uint_eq(paginate("", MORE, &ussd, &pages), 1);
	ck_assert_str_eq(pages[0], "");
	text_pages_free(pages);
}
END_TEST

START_TEST(test_paginate_one_page)
{
	char	**pages, *s;

	ck_assert_uint_eq(paginate(ROMAN, MORE, &ussd, &pages), 1);
	ck_assert_str_eq(pages[0], ROMAN);
	text_pages_free(pages);

	/* Exactly a full page: no suffix, no second page. */
	s = rep("a", 182, "");
	ck_assert_uint_eq(paginate(s, MORE, &ussd, &pages), 1);
	ck_assert_str_eq(pages[0], s);
	text_pages_free(pages);
	free(s);

	s = rep(BEH, 80, "");
	ck_assert_uint_eq(paginate(s, MORE, &ussd, &pages), 1);
	ck_assert_str_eq(pages[0], s);
	text_pages_free(pages);
	free(s);
}
END_TEST

START_TEST(test_paginate_words)
{
	const struct page_budget b = { 15, 6 };
	char	**pages;

	ck_assert_uint_eq(paginate("one two three four five six", "+", &b,
	    &pages), 2);
	ck_assert_str_eq(pages[0], "one two three+");
	ck_assert_str_eq(pages[1], "four five six");
	text_pages_free(pages);
}
END_TEST

START_TEST(test_paginate_full_plus_one)
{
	char	**pages, *s, *want;

	/* 183 septets: 174 + "\n98 More", then the other 9. */
	s = rep("a", 183, "");
	ck_assert_uint_eq(paginate(s, MORE, &ussd, &pages), 2);
	want = rep("a", 174, MORE);
	ck_assert_str_eq(pages[0], want);
	free(want);
	want = rep("a", 9, "");
	ck_assert_str_eq(pages[1], want);
	free(want);
	text_pages_free(pages);
	free(s);
}
END_TEST

START_TEST(test_paginate_long_word)
{
	char	**pages, *s, *want;

	s = rep("x", 500, "");
	ck_assert_uint_eq(paginate(s, MORE, &ussd, &pages), 3);
	want = rep("x", 174, MORE);
	ck_assert_str_eq(pages[0], want);
	ck_assert_str_eq(pages[1], want);
	free(want);
	want = rep("x", 152, "");
	ck_assert_str_eq(pages[2], want);
	free(want);
	text_pages_free(pages);
	free(s);

	/* A long word after a short one: the short one stays whole. */
	s = rep("x", 300, "");
	want = malloc(strlen(s) + 8);
	ck_assert_ptr_nonnull(want);
	snprintf(want, strlen(s) + 8, "Link: %s", s);
	ck_assert_uint_eq(paginate(want, MORE, &ussd, &pages), 3);
	ck_assert_str_eq(pages[0], "Link:" MORE);
	ck_assert_uint_eq(strlen(pages[1]), 182);
	ck_assert_uint_eq(strlen(pages[2]), 300 - 174);
	text_pages_free(pages);
	check_pages(want, MORE, &ussd, 1);
	free(want);
	free(s);
}
END_TEST

START_TEST(test_paginate_extension_boundary)
{
	char	**pages, *s, *want;

	/* 180 + € = 182 septets: one page. */
	s = rep("a", 180, "€");
	ck_assert_uint_eq(paginate(s, "", &ussd, &pages), 1);
	text_pages_free(pages);
	free(s);

	/* 181 + € = 183: the € goes to the next page whole. */
	s = rep("a", 181, "€");
	ck_assert_uint_eq(paginate(s, "", &ussd, &pages), 2);
	want = rep("a", 181, "");
	ck_assert_str_eq(pages[0], want);
	ck_assert_str_eq(pages[1], "€");
	free(want);
	text_pages_free(pages);

	ck_assert_uint_eq(paginate(s, "+", &ussd, &pages), 2);
	want = rep("a", 181, "+");
	ck_assert_str_eq(pages[0], want);
	ck_assert_str_eq(pages[1], "€");
	free(want);
	text_pages_free(pages);
	free(s);

	/* With the suffix, a { that would be septet 174-175 moves on. */
	s = rep("a", 173, "{bbbbbbbbbb");
	ck_assert_uint_eq(paginate(s, MORE, &ussd, &pages), 2);
	want = rep("a", 173, MORE);
	ck_assert_str_eq(pages[0], want);
	ck_assert_str_eq(pages[1], "{bbbbbbbbbb");
	free(want);
	text_pages_free(pages);
	free(s);
}
END_TEST

START_TEST(test_paginate_emoji)
{
	char	**pages, *s, *want;

	/* (80 - 8) / 2 = 36 emoji a page; never half a pair. */
	s = rep(EMOJI, 100, "");
	ck_assert_uint_eq(paginate(s, MORE, &ussd, &pages), 3);
	want = rep(EMOJI, 36, MORE);
	ck_assert_str_eq(pages[0], want);
	ck_assert_str_eq(pages[1], want);
	free(want);
	want = rep(EMOJI, 28, "");
	ck_assert_str_eq(pages[2], want);
	free(want);
	text_pages_free(pages);
	check_pages(s, MORE, &ussd, 1);
	free(s);

	/* An odd budget: 81 - 8 = 73 units hold 36 emoji, not 36.5. */
	s = rep(EMOJI, 50, "");
	check_pages(s, MORE, &(struct page_budget){ 182, 81 }, 1);
	free(s);
}
END_TEST

START_TEST(test_paginate_newlines)
{
	const struct page_budget b = { 40, 17 };
	char	**pages;

	/* A list breaks between items, not inside the second one. */
	ck_assert_uint_eq(paginate("1. Apply for a loan\n2. Check "
	    "application status\n3. Talk to an agent", MORE, &b, &pages), 3);
	ck_assert_str_eq(pages[0], "1. Apply for a loan" MORE);
	ck_assert_str_eq(pages[1], "2. Check application status" MORE);
	ck_assert_str_eq(pages[2], "3. Talk to an agent");
	text_pages_free(pages);

	/* An early newline does not leave a page nearly empty. */
	ck_assert_uint_eq(paginate("Notice\nyour request has been received "
	    "and will be processed soon", "+", &b, &pages), 2);
	ck_assert_str_eq(pages[0], "Notice\nyour request has been received+");
	ck_assert_str_eq(pages[1], "and will be processed soon");
	text_pages_free(pages);

	/* A final newline that alone makes the text overflow is dropped. */
	ck_assert_uint_eq(paginate("0123456789012345678901234567890123456789"
	    "\n", MORE, &b, &pages), 1);
	ck_assert_str_eq(pages[0], "0123456789012345678901234567890123456789");
	text_pages_free(pages);
}
END_TEST

/* ---- pagination: properties ---- */

START_TEST(test_paginate_urdu)
{
	char	*s;
	char	**pages;
	size_t	 n;
	struct text_size ts;

	s = rep(URDU " ", 12, URDU);
	ck_assert_uint_ge(check_pages(s, MORE, &ussd, 1), 5);
	ck_assert_uint_ge(check_pages(s, MORE_UR, &ussd, 1), 5);
	ck_assert_uint_ge(check_pages(s, MORE, &sms, 1), 6);

	n = text_paginate(s, MORE_UR, &ussd, &pages);
	for (size_t i = 0; i < n; i++) {
		ts = measure(pages[i]);
		ck_assert_int_eq(ts.coding, CODING_UCS2);
		ck_assert_uint_le(ts.ucs2_units, 80);
		/* Greedy: each full page is nearly full. */
		if (i < n - 1)
			ck_assert_uint_ge(ts.ucs2_units, 80 - 10);
	}
	text_pages_free(pages);
	free(s);
}
END_TEST

START_TEST(test_paginate_roman_urdu)
{
	char	*s;
	char	**pages;
	size_t	 n;
	struct text_size ts;

	s = rep(ROMAN " ", 20, "Shukriya.");
	ck_assert_uint_ge(check_pages(s, MORE, &ussd, 1), 4);

	/* GSM-7 pages use the 182-septet budget, far more than 80, and
	 * end at the last sentence that fits. */
	n = text_paginate(s, MORE, &ussd, &pages);
	for (size_t i = 0; i < n; i++) {
		ts = measure(pages[i]);
		ck_assert_int_eq(ts.coding, CODING_GSM7);
		ck_assert_uint_le(ts.septets, 182);
		if (i < n - 1) {
			ck_assert(ends_with(pages[i], "hai." MORE));
			ck_assert_uint_gt(ts.septets, 182 - sizeof ROMAN);
		}
	}
	text_pages_free(pages);

	/* A suffix in Urdu makes every page but the last UCS-2. */
	check_pages(s, MORE_UR, &ussd, 1);
	n = text_paginate(s, MORE_UR, &ussd, &pages);
	for (size_t i = 0; i < n - 1; i++) {
		ts = measure(pages[i]);
		ck_assert_int_eq(ts.coding, CODING_UCS2);
		ck_assert_uint_le(ts.ucs2_units, 80);
	}
	ck_assert_int_eq(measure(pages[n - 1]).coding, CODING_GSM7);
	text_pages_free(pages);
	free(s);
}
END_TEST

START_TEST(test_paginate_mixed_coding)
{
	char	*s;
	char	**pages;
	size_t	 n;

	/* Each page is measured on its own: the Roman Urdu pages travel
	 * in GSM-7 even though the text ends in Urdu script. */
	s = rep(ROMAN " ", 8, URDU);
	ck_assert_int_eq(measure(s).coding, CODING_UCS2);
	check_pages(s, MORE, &ussd, 1);
	n = text_paginate(s, MORE, &ussd, &pages);
	ck_assert_uint_ge(n, 2);
	ck_assert_int_eq(measure(pages[0]).coding, CODING_GSM7);
	ck_assert_uint_gt(strlen(pages[0]), 182 - sizeof ROMAN);
	ck_assert(ends_with(pages[0], "hai." MORE));
	ck_assert_int_eq(measure(pages[n - 1]).coding, CODING_UCS2);
	text_pages_free(pages);
	free(s);
}
END_TEST

START_TEST(test_paginate_rejoin)
{
	const char *text = "The quick brown fox\njumps over the lazy dog "
	    "and keeps running far away";
	const struct page_budget b = { 24, 10 };
	char	**pages;
	char	 buf[256];
	size_t	 n, i;

	/* Pages without their suffix, joined by the text's own breaks. */
	n = text_paginate(text, "+", &b, &pages);
	ck_assert_uint_gt(n, 2);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t len = strlen(pages[i]);

		if (i < n - 1) {
			ck_assert_int_eq(pages[i][len - 1], '+');
			pages[i][len - 1] = '\0';
		}
		ck_assert(!is_break(pages[i][0]));
		strcat(buf, pages[i]);
		if (i < n - 1) {
			ck_assert(is_break(text[strlen(buf)]));
			strncat(buf, text + strlen(buf), 1);
		}
	}
	ck_assert_str_eq(buf, text);
	text_pages_free(pages);
	check_pages(text, "+", &b, 1);
}
END_TEST

START_TEST(test_paginate_more_too_long)
{
	char	*more, *s, **pages;
	size_t	 n;

	/* No room for any text beside the suffix: best effort, the pages
	 * are cut as if there were no suffix, every page still fits, the
	 * text is all there, and it terminates. */
	more = rep("m", 200, "");
	s = rep("word ", 100, "end");
	n = text_paginate(s, more, &ussd, &pages);
	ck_assert_uint_ge(n, 3);
	check_result(s, "", &ussd, 1, pages, n);
	text_pages_free(pages);
	free(s);
	free(more);

	/* Room on GSM-7 pages, none on UCS-2 ones. */
	more = rep("m", 100, "");
	s = rep(URDU " ", 10, ROMAN);
	n = text_paginate(s, more, &ussd, &pages);
	ck_assert_uint_ge(n, 4);
	for (size_t i = 0; i < n; i++) {
		ck_assert(fits(pages[i], &ussd));
		ck_assert(!ends_with(pages[i], more) ||
		    measure(pages[i]).coding == CODING_GSM7);
	}
	text_pages_free(pages);
	free(s);
	free(more);
}
END_TEST

START_TEST(test_paginate_zero_budget)
{
	const struct page_budget b = { 0, 0 };
	char	**pages;

	/* Nothing fits: one character a page, and it terminates. */
	ck_assert_uint_eq(paginate("ab€", MORE, &b, &pages), 3);
	ck_assert_str_eq(pages[0], "a");
	ck_assert_str_eq(pages[1], "b");
	ck_assert_str_eq(pages[2], "€");
	text_pages_free(pages);

	ck_assert_uint_eq(paginate("", MORE, &b, &pages), 1);
	ck_assert_str_eq(pages[0], "");
	text_pages_free(pages);
}
END_TEST

START_TEST(test_paginate_invalid_utf8)
{
	char	*s;

	s = rep("ab\xc0\xaf cd\xed\xa0\x80 \xe2\x82 \xf4\x90\x80\x80 ", 20,
	    "\xff");
	check_pages(s, MORE, &ussd, 0);
	check_pages(s, "+", &(struct page_budget){ 20, 8 }, 0);
	free(s);
	s = rep("\x80", 300, "");
	check_pages(s, MORE, &ussd, 0);
	free(s);
}
END_TEST

/* ---- pagination: sentences ---- */

/* Paginates text into two pages, the first being want (more included),
 * and checks every promise on the result. */
static void
first_of_two(const char *text, const char *more, const struct page_budget *b,
    const char *want)
{
	char	**pages;

	ck_assert_uint_eq(paginate(text, more, b, &pages), 2);
	ck_assert_str_eq(pages[0], want);
	text_pages_free(pages);
	check_pages(text, more, b, 1);
}

START_TEST(test_paginate_sentence_en)
{
	static const struct {
		const char	*text;
		const char	*first;
	} cases[] = {
		/* after the sentence, not after the next word */
		{ "Your complaint is registered. Your reference is K7MX3Q.",
		  "Your complaint is registered.+" },
		/* '!' and '?' end sentences too */
		{ "Thank you for your pledge! We will send a receipt",
		  "Thank you for your pledge!+" },
		{ "Is this your district today? Answer 1 or 2",
		  "Is this your district today?+" },
		/* a sentence end in the first half of the page is too early */
		{ "Hi. This text goes on and on for a while yet",
		  "Hi. This text goes on and on for a+" },
		/* an abbreviation ends no sentence */
		{ "Send your own reference e.g. K7MX3Q to us",
		  "Send your own reference e.g. K7MX3Q to+" },
	};
	const struct page_budget b = { 40, 20 };
	char	**pages;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		first_of_two(cases[i].text, "+", &b, cases[i].first);

	/* Nor does a list number starting a line. */
	first_of_two("Choose one of these\n1. Othersomething else", "+",
	    &(struct page_budget){ 36, 18 }, "Choose one of these+");
	ck_assert_uint_eq(paginate("Choose one of these\n1. Othersomething "
	    "else", "+", &(struct page_budget){ 36, 18 }, &pages), 2);
	ck_assert_str_eq(pages[1], "1. Othersomething else");
	text_pages_free(pages);
}
END_TEST

/* The receipt of *787# in each language: the first page ends with the
 * sentence that gives the reference, not with "*787#". */
START_TEST(test_paginate_sentence_receipts)
{
	static const char ur[] = "آپ کی شکایت درج ہو گئی۔ حوالہ نمبر AB12CD "
	    "ہے۔ صورتحال جاننے کے لیے *787# ڈائل کر کے 2 چنیں۔ حوالہ نمبر "
	    "سنبھال کر رکھیں۔";
	const struct page_budget half = { 100, 50 };
	char	**pages;

	ck_assert_uint_eq(paginate(ur, MORE_UR, &ussd, &pages), 2);
	ck_assert_str_eq(pages[0], "آپ کی شکایت درج ہو گئی۔ حوالہ نمبر AB12CD "
	    "ہے۔" MORE_UR);
	ck_assert_str_eq(pages[1], "صورتحال جاننے کے لیے *787# ڈائل کر کے 2 "
	    "چنیں۔ حوالہ نمبر سنبھال کر رکھیں۔");
	ck_assert_uint_le(measure(pages[1]).ucs2_units, 80);
	text_pages_free(pages);
	check_pages(ur, MORE_UR, &ussd, 1);

	/* The Urdu question mark too. */
	first_of_two("کیا آپ کی شکایت پولیس کے بارے میں ہے؟ جواب دیں ایک یا دو "
	    "اور انتظار کریں", MORE_UR, &(struct page_budget){ 100, 48 },
	    "کیا آپ کی شکایت پولیس کے بارے میں ہے؟" MORE_UR);

	first_of_two("Aap ki shikayat darj ho gayi hai. Aap ka reference AB12CD "
	    "hai. Status dekhne ke liye *787# dial kar ke 2 chunein. "
	    "Reference sambhal kar rakhein.", MORE, &half,
	    "Aap ki shikayat darj ho gayi hai. Aap ka reference AB12CD hai."
	    MORE);
	first_of_two("Your complaint is registered. Your reference is AB12CD. "
	    "To check its status, dial *787# and choose 2. Please keep the "
	    "reference.", MORE, &half,
	    "Your complaint is registered. Your reference is AB12CD." MORE);
}
END_TEST

/* ---- pagination: the navigation line ---- */

/* No page is the navigation alone; it is on the last page, whole. */
static void
check_nav(const char *text, const char *nav, const char *more,
    const struct page_budget *b)
{
	char	**pages;
	size_t	 n, i, navlen = strlen(nav) + 1;

	n = text_paginate_nav(text, navlen, more, b, &pages);
	for (i = 0; i < n; i++) {
		ck_assert_msg(fits(pages[i], b), "page %zu does not fit", i);
		ck_assert_msg(strcmp(pages[i], nav) != 0 &&
		    strcmp(pages[i], nav + 1) != 0, "page %zu is the "
		    "navigation alone", i);
		if (i < n - 1) {
			ck_assert(ends_with(pages[i], more));
			ck_assert_ptr_null(strstr(pages[i], nav));
		}
	}
	ck_assert_msg(n == 1 || ends_with(pages[n - 1], nav),
	    "the navigation is not whole on the last page: \"%s\"",
	    pages[n - 1]);
	ck_assert_msg(strlen(pages[n - 1]) > strlen(nav),
	    "the last page has only the navigation");
	text_pages_free(pages);
}

START_TEST(test_paginate_nav_not_alone)
{
	static const char en[] = "Select your district:\n1. Lahore\n"
	    "2. Karachi\n3. Islamabad\n4. Rawalpindi\n5. Faisalabad\n"
	    "6. Multan\n7. Peshawar\n8. Quetta\n9. Hyderabad\n10. Gujranwala\n"
	    "11. Sialkot\n12. Other district\n0 Back 00 Home";
	static const char ur_latn[] = "Apna zila chunein:\n1. Lahore\n"
	    "2. Karachi\n3. Islamabad\n4. Rawalpindi\n5. Faisalabad\n"
	    "6. Multan\n7. Peshawar\n8. Quetta\n9. Hyderabad\n10. Gujranwala\n"
	    "11. Sialkot\n12. Koi aur zila\n0 Wapas 00 Shuru";
	static const char ur[] = "اپنا ضلع چنیں:\n1. لاہور\n2. کراچی\n"
	    "3. اسلام آباد\n4. راولپنڈی\n5. فیصل آباد\n6. ملتان\n7. پشاور\n"
	    "8. کوئٹہ\n9. حیدرآباد\n10. گوجرانوالہ\n11. سیالکوٹ\n"
	    "12. کوئی اور ضلع\n0 واپس 00 شروع";
	char	**pages;

	/* Without the rule, page 2 is "0 Back 00 Home": the last option
	 * goes with it instead. */
	ck_assert_uint_eq(paginate(en, MORE, &ussd, &pages), 2);
	ck_assert_str_eq(pages[1], "0 Back 00 Home");
	text_pages_free(pages);
	ck_assert_uint_eq(text_paginate_nav(en, strlen("\n0 Back 00 Home"),
	    MORE, &ussd, &pages), 2);
	ck_assert(ends_with(pages[0], "\n11. Sialkot" MORE));
	ck_assert_str_eq(pages[1], "12. Other district\n0 Back 00 Home");
	text_pages_free(pages);

	ck_assert_uint_eq(text_paginate_nav(ur_latn,
	    strlen("\n0 Wapas 00 Shuru"), "\n98 Aur", &ussd, &pages), 2);
	ck_assert_str_eq(pages[1], "12. Koi aur zila\n0 Wapas 00 Shuru");
	text_pages_free(pages);

	check_nav(en, "\n0 Back 00 Home", MORE, &ussd);
	check_nav(ur_latn, "\n0 Wapas 00 Shuru", "\n98 Aur", &ussd);
	check_nav(ur, "\n0 واپس 00 شروع", MORE_UR, &ussd);
	/* SMS-sized and small pages in every language. */
	for (size_t k = 40; k <= 182; k += 3) {
		const struct page_budget b = { k, page_budget_ucs2_for(k) };

		check_nav(en, "\n0 Back 00 Home", MORE, &b);
		check_nav(ur_latn, "\n0 Wapas 00 Shuru", "\n98 Aur", &b);
		check_nav(ur, "\n0 واپس 00 شروع", MORE_UR, &b);
	}
	/* The navigation folds into a page that has room for it. */
	ck_assert_uint_eq(text_paginate_nav("Pick:\n1. Yes\n0 Back 00 Home",
	    strlen("\n0 Back 00 Home"), MORE, &ussd, &pages), 1);
	text_pages_free(pages);
	/* A navigation longer than the text is not a navigation. */
	ck_assert_uint_eq(text_paginate_nav("ab", 10, MORE, &ussd, &pages),
	    1);
	ck_assert_str_eq(pages[0], "ab");
	text_pages_free(pages);
}
END_TEST

/* Random texts from a mix of tokens, checked against every promise. */
START_TEST(test_paginate_random)
{
	static const char *const tokens[] = {
		"a", "Aap", "darkhwast", "{x}", "€", "`", "ہے", "درخواست",
		EMOJI, "é", "Ω", "reference-number-7K3QX9", "\f",
		"supercalifragilisticexpialidocious", "end.", "ہے۔", "kya?",
		"ok!", "3.", "e.g.", "کیا؟",
		("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	};
	static const char *const mores[] = { MORE, MORE_UR, "", "+", ">" };
	static const size_t sizes[] = { 182, 160, 70, 40, 24 };
	uint32_t seed = 12345;
	char	 text[4096];
	size_t	 len, ntok, i, t;

#define RND()	(seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
	for (i = 0; i < 1500; i++) {
		struct page_budget b;

		b.gsm7_septets = sizes[RND() % 5];
		b.ucs2_units = page_budget_ucs2_for(b.gsm7_septets);
		len = 0;
		ntok = RND() % 120;
		for (t = 0; t < ntok; t++) {
			const char *tok = tokens[RND() %
			    (sizeof tokens / sizeof *tokens)];

			if (len + strlen(tok) + 2 >= sizeof text)
				break;
			memcpy(text + len, tok, strlen(tok));
			len += strlen(tok);
			switch (RND() % 8) {
			case 0:
				text[len++] = '\n';
				break;
			case 1:
				break;		/* glue to the next token */
			default:
				text[len++] = ' ';
				break;
			}
		}
		text[len] = '\0';
		check_pages(text, mores[RND() % 5], &b, 1);
	}
#undef RND
}
END_TEST

static Suite *
gsm_suite(void)
{
	Suite	*s = suite_create("gsm");
	TCase	*tc;

	tc = tcase_create("utf8");
	UNIT_ADD(tc,
	    test_utf8_decode_valid, test_utf8_decode_invalid, test_utf8_valid,
	    test_digits);
	suite_add_tcase(s, tc);

	tc = tcase_create("gsm7");
	UNIT_ADD(tc, test_gsm7_default_alphabet, test_gsm7_extension,
	    test_gsm7_not_representable, test_gsm7_ascii);
	suite_add_tcase(s, tc);

	tc = tcase_create("measure");
	UNIT_ADD(tc, test_measure, test_measure_len, test_budget_ucs2_for,
	    test_fits_ussd, test_fits_sms, test_sms_parts);
	suite_add_tcase(s, tc);

	tc = tcase_create("paginate");
	tcase_set_timeout(tc, 60);
	UNIT_ADD(tc,
	    test_paginate_empty, test_paginate_one_page, test_paginate_words,
	    test_paginate_full_plus_one, test_paginate_long_word,
	    test_paginate_extension_boundary, test_paginate_emoji,
	    test_paginate_newlines, test_paginate_urdu,
	    test_paginate_roman_urdu, test_paginate_mixed_coding,
	    test_paginate_rejoin, test_paginate_more_too_long,
	    test_paginate_zero_budget, test_paginate_invalid_utf8,
	    test_paginate_sentence_en, test_paginate_sentence_receipts,
	    test_paginate_nav_not_alone, test_paginate_random);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(gsm_suite());
}
