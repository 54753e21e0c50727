/*
 * The strict form reader of form.h.  One pass over the input: each pair
 * is cut at '&', its name at the first '=', and both decoded into the
 * one allocation that holds the fields, refusing what a lenient reader
 * (evhttp_parse_query_str, which takes "%zz" literally and stops a value
 * at "%00") would let through.
 * A reason names the field, never its value: values come from outside
 * and reasons are logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errlist.h"
#include "form.h"
#include "util.h"
#include "xmalloc.h"

#define FORM_TYPE	"application/x-www-form-urlencoded"
#define FORM_FIELDS_MAX	64	/* every form here has a handful */

/* A field name as a reason may show it: a plain one, else a stand-in. */
static const char *
shown(const char *name)
{
	size_t	 n = strlen(name);

	if (n > 32 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != n)
		return "(a name not shown)";
	return name;
}

/* Decodes s[0..len) into d, NUL-terminated; returns the byte after
 * the NUL, or NULL with *what set to the fault if an escape is bad or a
 * byte is NUL. */
static char *
decode(const char *s, size_t len, char *d, const char **what)
{
	int	 hi, lo;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (len - i < 3 || (hi = hex_digit(s[i + 1])) < 0 ||
			    (lo = hex_digit(s[i + 2])) < 0) {
				*what = "an invalid percent escape";
				return NULL;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0') {
			*what = "a NUL byte";
			return NULL;
		}
		*d++ = c;
	}
	*d++ = '\0';
	return d;
}

int
form_parse(const char *s, size_t len, struct form *out, char *why,
    size_t whylen)
{
	const char	*p = s, *end, *amp, *eq, *v, *what;
	char		*name, *value, *o;
	size_t		 most;

	out->fields = NULL;
	out->n = 0;
	if (len == 0)
		return 0;
	/*
	 * One allocation for the fields and their strings.  A field takes
	 * at least one byte and an '&' after all but the last, and decoding
	 * never lengthens: the strings need the input's bytes and a NUL
	 * more for each field (two for the last, one for one with no '=').
	 */
	most = len / 2 + 1;
	if (most > FORM_FIELDS_MAX)
		most = FORM_FIELDS_MAX;
	out->fields = xmalloc(most * sizeof *out->fields + len + most + 1);
	o = (char *)(out->fields + most);
	end = s + len;
	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if (out->n == FORM_FIELDS_MAX) {
			err_set(why, whylen, "more than %d fields",
			    FORM_FIELDS_MAX);
			goto fail;
		}
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		name = o;
		if ((o = decode(p, (size_t)(eq - p), name, &what)) == NULL) {
			err_set(why, whylen, "a field name holds %s", what);
			goto fail;
		}
		if (name[0] == '\0') {
			err_set(why, whylen, "a field has no name");
			goto fail;
		}
		if (form_get(out, name) != NULL) {
			err_set(why, whylen, "field %s is given twice",
			    shown(name));
			goto fail;
		}
		v = eq < amp ? eq + 1 : amp;
		value = o;
		if ((o = decode(v, (size_t)(amp - v), value, &what)) == NULL) {
			err_set(why, whylen, "field %s holds %s", shown(name),
			    what);
			goto fail;
		}
		out->fields[out->n++] = (struct form_field){ name, value };
		p = amp < end ? amp + 1 : end;
	}
	return 0;
fail:
	form_clear(out);
	return -1;
}

int
form_read(const char *body, size_t len, const char *ct, struct form *out,
    char *why, size_t whylen)
{
	size_t		 n = sizeof FORM_TYPE - 1;
	const char	*rest = NULL;

	out->fields = NULL;
	out->n = 0;
	if (ct == NULL) {
		err_set(why, whylen, "Content-Type is missing: use "
		    FORM_TYPE);
		return -1;
	}
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, FORM_TYPE, n) == 0)
		rest = ct + n + strspn(ct + n, " \t");
	if (rest == NULL || (*rest != '\0' && *rest != ';')) {
		err_set(why, whylen, "Content-Type must be " FORM_TYPE);
		return -1;
	}
	return form_parse(body, len, out, why, whylen);
}

const char *
form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].value;
	return NULL;
}

void
form_clear(struct form *f)
{
	free(f->fields);
	f->fields = NULL;
	f->n = 0;
}
