/* text_paginate() on any bytes and any budget: every page must fit, and
 * every non-space character of valid input must land on some page. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gsm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct page_budget	 b;
	char			*text, **pages;
	size_t			 n, in = 0, out = 0;

	if (len < 1)
		return 0;
	/* The first byte picks the budget: 40..295 septets. */
	b.gsm7_septets = 40 + data[0];
	b.ucs2_units = page_budget_ucs2_for(b.gsm7_septets);
	text = malloc(len);
	memcpy(text, data + 1, len - 1);
	text[len - 1] = '\0';
	if (!utf8_valid(text, strlen(text))) {
		free(text);
		return 0;
	}
	n = text_paginate(text, "\n98 More", &b, &pages);
	assert(n >= 1);
	for (size_t i = 0; i < n; i++) {
		assert(pages[i] != NULL);
		assert(text_fits(pages[i], strlen(pages[i]), &b));
		assert(utf8_valid(pages[i], strlen(pages[i])));
		for (const char *p = pages[i]; *p != '\0'; p++)
			out += *p != ' ' && *p != '\n';
	}
	assert(pages[n] == NULL);
	for (const char *p = text; *p != '\0'; p++)
		in += *p != ' ' && *p != '\n';
	/* Every page but the last carries the suffix's 6 visible chars. */
	assert(out == in + 6 * (n - 1));
	text_pages_free(pages);
	free(text);
	return 0;
}
