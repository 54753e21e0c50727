/* A USSD string as a phone dials it, and a path as an aggregator sends
 * it.  A dial either is refused, or splits into a code of digits between
 * its '*' or '#' and a '#', and inputs that put back between "CODE*" and
 * "#" give the dial again; a path walked input by input gives its inputs,
 * path_count() of them, that joined by '*' give the path again. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dial.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_dial(const char *text)
{
	char	 code[40], *inputs = NULL, *again;
	size_t	 n, clen;

	if (dial_split(text, code, sizeof code, &inputs) == -1) {
		assert(inputs == NULL);
		return;
	}
	clen = strlen(code);
	assert(clen >= 3 && code[clen - 1] == '#');
	assert(strspn(code + 1, "0123456789") == clen - 2);
	assert(strncmp(text, code, clen - 1) == 0);
	if (inputs[0] != '\0') {
		n = clen + strlen(inputs) + 1;
		again = malloc(n);
		assert(again != NULL);
		memcpy(again, code, clen - 1);
		again[clen - 1] = '*';
		memcpy(again + clen, inputs, strlen(inputs));
		again[n - 1] = '#';
		assert(n == strlen(text) && memcmp(again, text, n) == 0);
		free(again);
	}
	free(inputs);
}

static void
check_path(const char *path)
{
	const char	*cursor = path, *in;
	size_t		 n = path_count(path), len, at = 0;

	for (size_t i = 0; i < n; i++) {
		in = path_next(&cursor, &len);
		assert(in == path + at);
		assert(memchr(in, '*', len) == NULL);
		at += len;
		if (i + 1 < n)
			assert(path[at++] == '*');
	}
	assert(at == strlen(path) && *cursor == '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text = malloc(size + 1);

	assert(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';	/* what comes after a NUL is not seen */
	check_dial(text);
	check_path(text);
	free(text);
	return 0;
}
