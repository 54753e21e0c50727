/*
 * Text as it travels over the air: UTF-8 validation, GSM 03.38 septet
 * counting, UCS-2 (UTF-16) unit counting, and splitting a text into pages
 * that each fit a USSD or SMS budget.
 *
 * A text travels in GSM-7 when every character is in the GSM 03.38 default
 * alphabet or its extension table (extension characters cost two septets);
 * otherwise it travels in UCS-2, counted in UTF-16 code units (characters
 * outside the BMP cost two).  Pure functions, no allocation except where
 * stated.
 */
#ifndef ASANIGW_GSM_H
#define ASANIGW_GSM_H

#include <stddef.h>
#include <stdint.h>

/* Returns 1 if s[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing past U+10FFFF), 0 otherwise. */
int	utf8_valid(const char *s, size_t len);

/* Upper-cases the ASCII letters of s in place (any other byte, Urdu
 * included, is left alone); returns s. */
char	*ascii_upper(char *s);

/* Decodes one code point from s[0..len).  Returns the number of bytes
 * consumed (1..4), or -1 on an ill-formed or truncated sequence. */
int	utf8_decode(const char *s, size_t len, uint32_t *cp);

/* The value of a decimal digit, ASCII, Urdu (U+06F0..U+06F9) or
 * Arabic-Indic (U+0660..U+0669); -1 for any other code point. */
int	digit_value(uint32_t cp);

/* A copy of s with its Urdu and Arabic-Indic digits made ASCII and every
 * other byte, ill-formed ones included, as it is; owned by the caller. */
char	*digits_ascii(const char *s);

/* Septets the code point costs in GSM-7: 1 (default alphabet), 2 (escape
 * to the extension table) or 0 (not representable). */
int	gsm7_septets(uint32_t cp);

enum coding {
	CODING_GSM7 = 0,
	CODING_UCS2 = 2,	/* the value Kannel's coding field uses */
};

struct text_size {
	enum coding	coding;		/* what the text must travel in */
	size_t		septets;	/* cost in GSM-7 (valid if gsm7) */
	size_t		ucs2_units;	/* cost in UTF-16 code units */
	size_t		chars;		/* code points */
};

/* Measures valid UTF-8 text.  Invalid bytes count as one UCS-2 unit each
 * and force UCS-2. */
void	text_measure(const char *s, size_t len, struct text_size *);

/* How much one page (or one SMS part) may hold, in each coding. */
struct page_budget {
	size_t	gsm7_septets;	/* USSD: 182; SMS: 160 */
	size_t	ucs2_units;	/* USSD: 80 for 182 septets; SMS: 70 */
};

/* The UCS-2 budget that carries as many octets as a GSM-7 budget of
 * septets (182 septets = 160 octets = 80 UTF-16 units). */
size_t	page_budget_ucs2_for(size_t gsm7_septets);

/* Returns 1 if the text fits one page of the budget in the coding it
 * needs. */
int	text_fits(const char *s, size_t len, const struct page_budget *);

/* What one SMS holds, alone and as a part of a concatenated message
 * (the rest of a part carries the concatenation header). */
#define SMS_GSM7_SINGLE	160
#define SMS_GSM7_PART	153
#define SMS_UCS2_SINGLE	70
#define SMS_UCS2_PART	67

/* The SMS parts text[0..len) travels in: 1 when it fits one message,
 * else the concatenated parts, filled in order, an escaped character or
 * a surrogate pair never split between two; 0 for an empty text.  The
 * coding it needs is stored in *coding unless NULL. */
size_t	text_sms_parts(const char *s, size_t len, enum coding *coding);

/*
 * Splits text into pages on word boundaries (a space or a newline; the
 * break character is dropped), so that every page, including `more`
 * appended to every page but the last, fits the budget in the coding that
 * page needs on its own.  A page ends at a sentence end (a newline, or a
 * space after '.', '!', '?', '۔' or '؟') when one leaves the page at least
 * half as long as the last word boundary would; else at the last word
 * boundary.  A word longer than a whole page is cut between characters,
 * never inside a UTF-8 sequence.  `more` is e.g. "\n98 More".
 *
 * Returns the number of pages (at least 1; an empty text is one empty
 * page) and stores a NULL-terminated array of NUL-terminated pages in
 * *pages; free it with text_pages_free().  Never fails.
 */
size_t	text_paginate(const char *text, const char *more,
	    const struct page_budget *, char ***pages);
void	text_pages_free(char **pages);

/*
 * text_paginate() for a text whose last navlen bytes are its navigation
 * line with the break before it (e.g. "\n0 Back 00 Home"; 0: none).  The
 * navigation is kept whole and never stands alone on a page: it shares
 * the last page with the end of the text (a line of it, or a word),
 * unless it alone does not fit one page.
 */
size_t	text_paginate_nav(const char *text, size_t navlen, const char *more,
	    const struct page_budget *, char ***pages);

/*
 * text_paginate_nav() through a small memo: the same screen in the same
 * language and budget is paginated once, not on every hop (a long text
 * walked with "98" would otherwise be measured whole on each page).
 * The pages are borrowed and stay valid until the next call; the memo is
 * for one thread.
 */
size_t	text_paginate_memo(const char *text, size_t navlen, const char *more,
	    const struct page_budget *, char *const **pages);

#endif
