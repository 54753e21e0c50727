/*
 * The strict form reader of form.h.  One pass over the input: each pair
 * is cut at '&', its name at the first '=', and both decoded into fresh
 * strings, refusing what a lenient reader (evhttp_parse_query_str, which
 * takes "%zz" literally and stops a value at "%00") would let through.
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

/* Decodes s[0..len) into a new string in *out; -1 with *what set to the
 * fault (and *out NULL) if an escape is bad or a byte is NUL. */
static int
decode(const char *s, size_t len, char **out, const char **what)
{
	char	*d = xmalloc(len + 1);
	size_t	 o = 0;
	int	 hi, lo;

	*out = NULL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (len - i < 3 || (hi = hex_digit(s[i + 1])) < 0 ||
			    (lo = hex_digit(s[i + 2])) < 0) {
				*what = "an invalid percent escape";
				free(d);
				return -1;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0') {
			*what = "a NUL byte";
			free(d);
			return -1;
		}
		d[o++] = c;
	}
	d[o] = '\0';
	*out = d;
	return 0;
}

int
form_parse(const char *s, size_t len, struct form *out, char *why,
    size_t whylen)
{
	const char	*p = s, *end, *amp, *eq, *v, *what;
	char		*name, *value;
	size_t		 cap = 0;

	out->fields = NULL;
	out->n = 0;
	if (len == 0)
		return 0;
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
		if (decode(p, (size_t)(eq - p), &name, &what) == -1) {
			err_set(why, whylen, "a field name holds %s", what);
			goto fail;
		}
		if (name[0] == '\0') {
			free(name);
			err_set(why, whylen, "a field has no name");
			goto fail;
		}
		if (form_get(out, name) != NULL) {
			err_set(why, whylen, "field %s is given twice",
			    shown(name));
			free(name);
			goto fail;
		}
		v = eq < amp ? eq + 1 : amp;
		if (decode(v, (size_t)(amp - v), &value, &what) == -1) {
			err_set(why, whylen, "field %s holds %s", shown(name),
			    what);
			free(name);
			goto fail;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			out->fields = xreallocarray(out->fields, cap,
			    sizeof *out->fields);
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
	for (size_t i = 0; i < f->n; i++) {
		free(f->fields[i].name);
		free(f->fields[i].value);
	}
	free(f->fields);
	f->fields = NULL;
	f->n = 0;
}
