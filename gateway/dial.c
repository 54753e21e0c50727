/*
 * Reading a USSD dial and a path of inputs (dial.h).  Pure string work,
 * no allocation but the inputs dial_split() hands over, so the parsers
 * are tested and fuzzed on their own.
 */
#include <stdio.h>
#include <string.h>

#include "dial.h"
#include "xmalloc.h"

int
dial_split(const char *text, char *code, size_t codelen, char **inputs)
{
	size_t	 n = strlen(text), d;

	if (n < 3 || (text[0] != '*' && text[0] != '#') || text[n - 1] != '#')
		return -1;
	d = strspn(text + 1, "0123456789");
	if (d == 0 || (text[1 + d] != '*' && text[1 + d] != '#') ||
	    d + 3 > codelen)
		return -1;
	snprintf(code, codelen, "%c%.*s#", text[0], (int)d, text + 1);
	if (text[1 + d] == '#')	/* "*786#": no inputs */
		*inputs = xstrdup("");
	else			/* between "*786*" and the last '#' */
		*inputs = xstrndup(text + d + 2, n - d - 3);
	return 0;
}

size_t
path_count(const char *path)
{
	size_t	 n = 1;

	if (*path == '\0')
		return 0;
	for (; (path = strchr(path, '*')) != NULL; path++)
		n++;
	return n;
}

const char *
path_next(const char **cursor, size_t *len)
{
	const char	*in = *cursor;

	*len = strcspn(in, "*");
	*cursor = in + *len + (in[*len] == '*');
	return in;
}
