/*
 * A strict reader of application/x-www-form-urlencoded bodies (and query
 * strings), for every endpoint that takes a form from outside.  Strict
 * because a lenient reader is how a caller smuggles in what a later check
 * never sees: a NUL that cuts a field short in C, an escape taken
 * literally, a field given twice where the first one counts.  Pure: no
 * I/O and no evhttp types, so a fuzz target calls it directly.
 */
#ifndef ASANIGW_FORM_H
#define ASANIGW_FORM_H

#include <stddef.h>

struct form_field {
	char	*name;		/* decoded, NUL-terminated, in the
				 * fields' allocation */
	char	*value;		/* likewise; "" for "name" or "name=" */
};

struct form {
	struct form_field	*fields;
	size_t			 n;
};

/*
 * Reads len bytes of s (no NUL needed at the end) as name=value pairs
 * joined by '&'; '+' is a space and %XX a byte.  Returns 0 with the
 * fields in out (the caller clears it with form_clear), or -1 with a
 * one-line reason in why and out empty, when: a byte is NUL, raw or
 * escaped; an escape is not '%' and two hex digits; a name is empty; a
 * name comes twice; or there are more than 64 fields.  Empty pairs ("a=1&&b=2", a trailing '&') are
 * skipped.
 */
int		 form_parse(const char *s, size_t len, struct form *out,
		    char *why, size_t whylen);

/* form_parse() of a request body, after checking its Content-Type (NULL
 * when the request had none): it must be
 * application/x-www-form-urlencoded, with parameters (";charset=utf-8")
 * or none. */
int		 form_read(const char *body, size_t len,
		    const char *content_type, struct form *out, char *why,
		    size_t whylen);

/* The value of the field named name, or NULL. */
const char	*form_get(const struct form *, const char *name);

/* Frees what out holds; it may be cleared twice. */
void		 form_clear(struct form *);

#endif
