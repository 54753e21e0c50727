/*
 * UTF-8, GSM 03.38 and UCS-2 arithmetic, and pagination.
 *
 * Everything works on byte ranges of UTF-8.  A byte that does not start a
 * well-formed sequence is taken as one character of its own that is not
 * GSM-7 and costs one UTF-16 unit, so malformed input is measured and cut
 * like any other text and never splits a well-formed sequence.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gsm.h"
#include "util.h"
#include "xmalloc.h"

#define NONE	((size_t)-1)

/* The running cost of a piece of text. */
struct cost {
	size_t	septets;
	size_t	units;
	size_t	chars;
	int	gsm7;		/* every character so far is GSM-7 */
};

char *
ascii_upper(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p -= 'a' - 'A';
	return s;
}

int
utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned char		 lo = 0x80, hi = 0xbf;
	uint32_t		 c;
	int			 n, i;

	if (len == 0)
		return -1;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		c = u[0] & 0x0f;
		if (u[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (u[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		c = u[0] & 0x07;
		if (u[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (u[0] == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return -1;
	if (len < (size_t)n)
		return -1;
	for (i = 1; i < n; i++) {
		if (u[i] < lo || u[i] > hi)
			return -1;
		lo = 0x80;
		hi = 0xbf;
		c = (c << 6) | (u[i] & 0x3f);
	}
	*cp = c;
	return n;
}

int
digit_value(uint32_t cp)
{
	if (cp >= '0' && cp <= '9')
		return (int)(cp - '0');
	if (cp >= 0x06f0 && cp <= 0x06f9)	/* Urdu (Persian) digits */
		return (int)(cp - 0x06f0);
	if (cp >= 0x0660 && cp <= 0x0669)	/* Arabic-Indic digits */
		return (int)(cp - 0x0660);
	return -1;
}

char *
digits_ascii(const char *s)
{
	size_t		 len = strlen(s), o = 0;
	char		*out = xmalloc(len + 1);
	uint32_t	 cp;
	int		 n, d;

	for (size_t i = 0; i < len; i += (size_t)n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) < 0)
			n = 1;
		else if ((d = digit_value(cp)) != -1) {
			out[o++] = (char)('0' + d);
			continue;
		}
		memcpy(out + o, s + i, (size_t)n);
		o += (size_t)n;
	}
	out[o] = '\0';
	return out;
}

int
utf8_valid(const char *s, size_t len)
{
	uint32_t	 cp;
	uint64_t	 w;
	size_t		 i = 0;
	int		 n;

	while (i < len) {
		/* ASCII, most text: eight bytes at a time while it lasts. */
		if (i + 8 <= len && (memcpy(&w, s + i, 8),
		    (w & 0x8080808080808080ULL) == 0)) {
			i += 8;
			continue;
		}
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_decode(s + i, len - i, &cp)) == -1)
			return 0;
		i += (size_t)n;
	}
	return 1;
}

int
gsm7_septets(uint32_t cp)
{
	if (cp < 0x80) {
		switch (cp) {
		case '\n':
		case '\r':
			return 1;
		case '\f':
		case '^':
		case '{':
		case '}':
		case '\\':
		case '[':
		case '~':
		case ']':
		case '|':
			return 2;
		case '`':
			return 0;
		}
		return (cp >= 0x20 && cp < 0x7f) ? 1 : 0;
	}
	switch (cp) {
	case 0x00a1:	/* ¡ */
	case 0x00a3:	/* £ */
	case 0x00a4:	/* ¤ */
	case 0x00a5:	/* ¥ */
	case 0x00a7:	/* § */
	case 0x00bf:	/* ¿ */
	case 0x00c4:	/* Ä */
	case 0x00c5:	/* Å */
	case 0x00c6:	/* Æ */
	case 0x00c7:	/* Ç */
	case 0x00c9:	/* É */
	case 0x00d1:	/* Ñ */
	case 0x00d6:	/* Ö */
	case 0x00d8:	/* Ø */
	case 0x00dc:	/* Ü */
	case 0x00df:	/* ß */
	case 0x00e0:	/* à */
	case 0x00e4:	/* ä */
	case 0x00e5:	/* å */
	case 0x00e6:	/* æ */
	case 0x00e8:	/* è */
	case 0x00e9:	/* é */
	case 0x00ec:	/* ì */
	case 0x00f1:	/* ñ */
	case 0x00f2:	/* ò */
	case 0x00f6:	/* ö */
	case 0x00f8:	/* ø */
	case 0x00f9:	/* ù */
	case 0x00fc:	/* ü */
	case 0x0393:	/* Γ */
	case 0x0394:	/* Δ */
	case 0x0398:	/* Θ */
	case 0x039b:	/* Λ */
	case 0x039e:	/* Ξ */
	case 0x03a0:	/* Π */
	case 0x03a3:	/* Σ */
	case 0x03a6:	/* Φ */
	case 0x03a8:	/* Ψ */
	case 0x03a9:	/* Ω */
		return 1;
	case 0x20ac:	/* € */
		return 2;
	}
	return 0;
}

/* Adds the character at s[0..len) to c; returns its length in bytes. */
static size_t
cost_add(struct cost *c, const char *s, size_t len)
{
	uint32_t	 cp;
	int		 n, sep;

	c->chars++;
	if ((n = utf8_decode(s, len, &cp)) == -1) {
		c->units++;
		c->gsm7 = 0;
		return 1;
	}
	if ((sep = gsm7_septets(cp)) == 0)
		c->gsm7 = 0;
	c->septets += (size_t)sep;
	c->units += cp > 0xffff ? 2 : 1;
	return (size_t)n;
}

static void
cost_text(struct cost *c, const char *s, size_t len)
{
	size_t	 i = 0;

	memset(c, 0, sizeof *c);
	c->gsm7 = 1;
	while (i < len)
		i += cost_add(c, s + i, len - i);
}

/* The cost of a followed by b. */
static struct cost
cost_join(const struct cost *a, const struct cost *b)
{
	struct cost	 c;

	c.septets = a->septets + b->septets;
	c.units = a->units + b->units;
	c.chars = a->chars + b->chars;
	c.gsm7 = a->gsm7 && b->gsm7;
	return c;
}

static int
cost_fits(const struct cost *c, const struct page_budget *b)
{
	if (c->gsm7)
		return c->septets <= b->gsm7_septets;
	return c->units <= b->ucs2_units;
}

/*
 * 1 if no text starting with this one can fit: both counts only grow and
 * a text that is not GSM-7 never becomes GSM-7 again.
 */
static int
cost_hopeless(const struct cost *c, const struct page_budget *b)
{
	return c->units > b->ucs2_units &&
	    (!c->gsm7 || c->septets > b->gsm7_septets);
}

void
text_measure(const char *s, size_t len, struct text_size *ts)
{
	struct cost	 c;

	cost_text(&c, s, len);
	ts->coding = c.gsm7 ? CODING_GSM7 : CODING_UCS2;
	ts->septets = c.septets;
	ts->ucs2_units = c.units;
	ts->chars = c.chars;
}

size_t
page_budget_ucs2_for(size_t gsm7_septets)
{
	return (gsm7_septets * 7 + 7) / 8 / 2;
}

size_t
text_sms_parts(const char *s, size_t len, enum coding *coding)
{
	struct cost	 whole, part, one;
	size_t		 i = 0, n = 1, single, each;

	cost_text(&whole, s, len);
	if (coding != NULL)
		*coding = whole.gsm7 ? CODING_GSM7 : CODING_UCS2;
	if (len == 0)
		return 0;
	single = whole.gsm7 ? SMS_GSM7_SINGLE : SMS_UCS2_SINGLE;
	if ((whole.gsm7 ? whole.septets : whole.units) <= single)
		return 1;
	/* Concatenated: a part is full when the next character would not
	 * fit it whole (an escape pair or a surrogate pair is not split). */
	each = whole.gsm7 ? SMS_GSM7_PART : SMS_UCS2_PART;
	memset(&part, 0, sizeof part);
	while (i < len) {
		memset(&one, 0, sizeof one);
		one.gsm7 = 1;
		i += cost_add(&one, s + i, len - i);
		if ((whole.gsm7 ? part.septets + one.septets :
		    part.units + one.units) > each) {
			n++;
			memset(&part, 0, sizeof part);
		}
		part.septets += one.septets;
		part.units += one.units;
	}
	return n;
}

int
text_fits(const char *s, size_t len, const struct page_budget *b)
{
	struct cost	 c;

	cost_text(&c, s, len);
	return cost_fits(&c, b);
}

static int
is_break(char ch)
{
	return ch == ' ' || ch == '\n';
}

static void
pages_add(char ***pages, size_t *n, const char *s, size_t len,
    const char *more)
{
	size_t	 mlen = more != NULL ? strlen(more) : 0;
	char	*page;

	page = xmalloc(len + mlen + 1);
	memcpy(page, s, len);
	if (mlen != 0)
		memcpy(page + len, more, mlen);
	page[len + mlen] = '\0';
	*pages = xreallocarray(*pages, *n + 2, sizeof **pages);
	(*pages)[(*n)++] = page;
	(*pages)[*n] = NULL;
}

/* Where one page starting at p may end, found by one scan. */
struct cut {
	int	last;		/* the rest of the text fits as is */
	size_t	trail;		/* the rest fits without its final break */
	size_t	brk_word;	/* last break ending a page with more */
	size_t	word_chars;	/* characters on that page */
	size_t	brk_sent;	/* last such break that ends a sentence */
	size_t	sent_chars;	/* characters on that page */
	size_t	hard;		/* last character boundary, with more */
	size_t	brk_alone;	/* last break ending a page without more */
	size_t	hard_alone;	/* last character boundary, without more */
};

/* 1 if the word text[w..q) is a list number at the start of a line
 * ("3." in "\n3. Education") or a dotted abbreviation ("e.g."): its
 * final '.' ends no sentence. */
static int
not_a_full_stop(const char *text, size_t q)
{
	size_t	 w = q - 1, i;
	int	 digits = 1;

	while (w > 0 && !is_break(text[w - 1]))
		w--;
	for (i = w; i < q - 1; i++) {
		if (text[i] == '.')
			return 1;
		if (text[i] < '0' || text[i] > '9')
			digits = 0;
	}
	return digits && w < q - 1 && (w == 0 || text[w - 1] == '\n');
}

/*
 * 1 if a page ending at the break text[q] ends a sentence: at a newline,
 * or at a space after '.', '!', '?', the Urdu full stop '۔' (U+06D4) or
 * the Arabic question mark '؟' (U+061F).
 */
static int
sentence_end(const char *text, size_t q)
{
	const unsigned char	*u = (const unsigned char *)text;

	if (text[q] == '\n')
		return 1;
	if (q >= 2 && ((u[q - 2] == 0xdb && u[q - 1] == 0x94) ||
	    (u[q - 2] == 0xd8 && u[q - 1] == 0x9f)))
		return 1;
	if (q >= 1 && (text[q - 1] == '!' || text[q - 1] == '?'))
		return 1;
	return q >= 1 && text[q - 1] == '.' && !not_a_full_stop(text, q);
}

/* Records that a page text[p..q) with more fits: where it could end. */
static void
cut_with_more(const char *text, size_t len, size_t q, size_t chars,
    struct cut *cut)
{
	cut->hard = q;
	if (q == len || !is_break(text[q]))
		return;
	cut->brk_word = q;
	cut->word_chars = chars;
	if (sentence_end(text, q)) {
		cut->brk_sent = q;
		cut->sent_chars = chars;
	}
}

/*
 * Scans the page that starts at p.  nav is where the navigation line
 * starts (its leading break included), or NONE: while the page starts
 * before it, the page may not end at or after it with more, so the
 * navigation is neither split nor left alone on the next page.
 */
static void
cut_scan(const char *text, size_t len, size_t p, size_t nav,
    const struct cost *more, const struct page_budget *b, struct cut *cut)
{
	struct cost	 pre, with;
	size_t		 q = p;

	memset(cut, 0, sizeof *cut);
	cut->trail = cut->brk_word = cut->brk_sent = cut->hard = NONE;
	cut->brk_alone = cut->hard_alone = NONE;

	memset(&pre, 0, sizeof pre);
	pre.gsm7 = 1;
	for (;;) {
		/* pre is the cost of text[p..q). */
		if (q == len) {
			cut->last = cost_fits(&pre, b);
			if (cut->last)
				break;
		}
		if (q > p) {
			with = cost_join(&pre, more);
			if (cost_fits(&with, b) && (nav == NONE || p >= nav ||
			    q < nav))
				cut_with_more(text, len, q, pre.chars, cut);
			if (cost_fits(&pre, b)) {
				cut->hard_alone = q;
				if (q < len && is_break(text[q])) {
					cut->brk_alone = q;
					if (q + 1 == len)
						cut->trail = q;
				}
			}
		}
		if (q == len || cost_hopeless(&pre, b))
			break;
		q += cost_add(&pre, text + q, len - q);
	}
}

/* The length of the character at s[0..len), at least 1. */
static size_t
char_len(const char *s, size_t len)
{
	uint32_t	 cp;
	int		 n;

	if ((n = utf8_decode(s, len, &cp)) == -1)
		return 1;
	return (size_t)n;
}

/*
 * Greedy: each page takes as much as fits.  A page ends, in order of
 * preference, at the last sentence end (a newline, or a space after a
 * full stop, '!' or '?', see sentence_end()) unless that would leave the
 * page less than half as long, in characters, as ending at the last word
 * break; at the last word break (a space or a newline); or, when a single
 * word does not fit, at the last character boundary that fits.  If `more`
 * leaves no room for even one character on a page, that page is cut to
 * fit without it: the budget is never exceeded, except by a single
 * character that alone is larger than the whole budget.
 */
static size_t
paginate(const char *text, size_t nav, const char *more,
    const struct page_budget *b, char ***pages)
{
	struct cost	 mc;
	struct cut	 cut;
	size_t		 len = strlen(text), p = 0, n = 0, end;
	int		 cut_last = 0;

	*pages = NULL;
	/* Most screens are one page: measure once and be done. */
	if (text_fits(text, len, b)) {
		pages_add(pages, &n, text, len, NULL);
		return n;
	}
	if (more == NULL)
		more = "";
	cost_text(&mc, more, strlen(more));

	for (;;) {
		if (p == len && cut_last && n > 0)
			break;
		cut_scan(text, len, p, nav, &mc, b, &cut);
		if (cut.last) {
			pages_add(pages, &n, text + p, len - p, NULL);
			break;
		}
		if (cut.trail != NONE) {
			pages_add(pages, &n, text + p, cut.trail - p, NULL);
			break;
		}

		end = cut.brk_word;
		if (cut.brk_sent != NONE && 2 * cut.sent_chars >= cut.word_chars)
			end = cut.brk_sent;
		if (end != NONE) {
			pages_add(pages, &n, text + p, end - p, more);
			p = end + 1;
			cut_last = 0;
			continue;
		}
		if (cut.hard != NONE) {
			pages_add(pages, &n, text + p, cut.hard - p, more);
			p = cut.hard;
			cut_last = 1;
			continue;
		}

		/* No room for more: cut this page without it. */
		if (cut.brk_alone != NONE) {
			pages_add(pages, &n, text + p, cut.brk_alone - p, NULL);
			p = cut.brk_alone + 1;
			cut_last = 0;
			continue;
		}
		if (cut.hard_alone != NONE)
			end = cut.hard_alone;
		else
			end = p + char_len(text + p, len - p);
		pages_add(pages, &n, text + p, end - p, NULL);
		p = end;
		cut_last = 1;
	}
	return n;
}

size_t
text_paginate(const char *text, const char *more,
    const struct page_budget *b, char ***pages)
{
	return paginate(text, NONE, more, b, pages);
}

/* Where the navigation of text starts, if its last navlen bytes are one. */
static size_t
nav_start(const char *text, size_t navlen)
{
	size_t	 len = strlen(text);

	return navlen == 0 || navlen >= len ? NONE : len - navlen;
}

size_t
text_paginate_nav(const char *text, size_t navlen, const char *more,
    const struct page_budget *b, char ***pages)
{
	return paginate(text, nav_start(text, navlen), more, b, pages);
}

void
text_pages_free(char **pages)
{
	if (pages == NULL)
		return;
	for (size_t i = 0; pages[i] != NULL; i++)
		free(pages[i]);
	free(pages);
}

#define MEMO_SLOTS	256

struct memo {
	unsigned long long	 hash;
	char			*text;		/* NULL: slot empty */
	char			*more;
	size_t			 navlen;
	struct page_budget	 budget;
	char			**pages;
	size_t			 n;
};

static struct memo	memo[MEMO_SLOTS];

size_t
text_paginate_memo(const char *text, size_t navlen, const char *more,
    const struct page_budget *b, char *const **pages)
{
	unsigned long long	 h;
	struct memo		*m;

	if (more == NULL)
		more = "";
	h = hash_bytes(hash_bytes(HASH_SEED, text, strlen(text)), more,
	    strlen(more));
	h ^= (unsigned long long)b->gsm7_septets * 31 + b->ucs2_units;
	h ^= (unsigned long long)navlen << 40;
	m = &memo[h % MEMO_SLOTS];
	if (m->text == NULL || m->hash != h ||
	    m->budget.gsm7_septets != b->gsm7_septets ||
	    m->budget.ucs2_units != b->ucs2_units || m->navlen != navlen ||
	    strcmp(m->text, text) != 0 || strcmp(m->more, more) != 0) {
		free(m->text);
		free(m->more);
		text_pages_free(m->pages);
		m->hash = h;
		m->text = xstrdup(text);
		m->more = xstrdup(more);
		m->navlen = navlen;
		m->budget = *b;
		m->n = text_paginate_nav(text, navlen, more, b, &m->pages);
	}
	*pages = m->pages;
	return m->n;
}
