/*
 * The session value and its two stored forms.
 *
 * What the gateway writes is compact: no key names, every string length-
 * prefixed (so any byte may be in it), one allocation to make and one
 * pass to read.  After the magic "S2;" come, in this order,
 *
 *	screen page lang service NVARS (name value)... NHISTORY screen...
 *	seq last_text last_reply last_end last_ms
 *
 * where a number is decimal digits (last_ms may be negative) ending in
 * ';', a string is its length in bytes, ':', then its bytes, and a
 * missing string is '~'.  A last_reply that was the very page the
 * session shows (no error above it, nothing submitted) is not kept but
 * written '=': a retry makes it again from the record, and the page,
 * most of a record, stays out of Redis.  E.g. a session on "main" with
 * one variable:
 *
 *	S2;4:main0;2:en5:*786#1;4:name3:Ali0;3;1:1~0;1700000000000;
 *
 * Ill-formed UTF-8 is stored as U+FFFD, as the JSON form had to.
 *
 * Records written before it are JSON, and are read as ever:
 *
 * {"v":1,"screen":"main"|null,"page":0,"lang":"ur"|null,"service":"*786#",
 *  "vars":[["name","value"],...],"history":["main",...],"seq":3,
 *  "last_text":"1"|null,"last_reply":"..."|null,"last_end":false,
 *  "last_ms":1700000000000}
 *
 * Variables are an array of pairs so their order survives.  Every key is
 * required and typed strictly, but for "service", which records written
 * before it existed lack; keys this version does not know are ignored.
 * A different "v" is rejected.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errlist.h"
#include "gsm.h"
#include "log.h"
#include "session.h"
#include "util.h"
#include "xmalloc.h"

#define SESSION_VERSION	1		/* of the JSON form */
#define COMPACT_MAGIC	"S2;"
#define NUM_MAX		21		/* "-9223372036854775808;" */

struct session *
session_new(void)
{
	return xcalloc(1, sizeof(struct session));
}

/* Frees p unless it is one of the strings of the session's own block. */
static void
session_release(const struct session *s, void *p)
{
	if (p != NULL && (uintptr_t)p - (uintptr_t)s->strings >=
	    s->strings_len)
		free(p);
}

/* The array at arr (n used of *cap, each of size bytes) with room for one
 * more. */
static void *
session_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = n < 4 ? 4 : 2 * n;
	return xreallocarray(arr, *cap, size);
}

static void
session_free_vars(struct session *s)
{
	for (size_t i = 0; i < s->nvars; i++) {
		session_release(s, s->vars[i].name);
		session_release(s, s->vars[i].value);
	}
	free(s->vars);
	s->vars = NULL;
	s->nvars = s->vars_cap = 0;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	session_release(s, s->screen);
	session_release(s, s->lang);
	session_release(s, s->service);
	session_free_vars(s);
	session_clear_history(s);
	session_release(s, s->last_text);
	session_release(s, s->last_reply);
	free(s);
}

static struct var *
session_find(const struct session *s, const char *name)
{
	for (size_t i = 0; i < s->nvars; i++)
		if (strcmp(s->vars[i].name, name) == 0)
			return &s->vars[i];
	return NULL;
}

const char *
session_get(const struct session *s, const char *name)
{
	struct var	*v;

	if ((v = session_find(s, name)) == NULL)
		return NULL;
	return v->value;
}

/* A NULL value unsets.  Replacing a value keeps the variable's place. */
void
session_set(struct session *s, const char *name, const char *value)
{
	struct var	*v;
	char		*copy;

	if (value == NULL) {
		session_unset(s, name);
		return;
	}
	copy = xstrdup(value);
	if ((v = session_find(s, name)) != NULL) {
		session_release(s, v->value);
		v->value = copy;
		return;
	}
	s->vars = session_grow(s->vars, &s->vars_cap, s->nvars,
	    sizeof *s->vars);
	s->vars[s->nvars].name = xstrdup(name);
	s->vars[s->nvars].value = copy;
	s->nvars++;
}

void
session_unset(struct session *s, const char *name)
{
	struct var	*v;
	size_t		 i;

	if ((v = session_find(s, name)) == NULL)
		return;
	i = (size_t)(v - s->vars);
	session_release(s, v->name);
	session_release(s, v->value);
	memmove(&s->vars[i], &s->vars[i + 1],
	    (s->nvars - i - 1) * sizeof *s->vars);
	s->nvars--;
}

/* Replaces *dst by a copy of src (or NULL). */
static void
session_replace(struct session *s, char **dst, const char *src)
{
	char	*copy = src != NULL ? xstrdup(src) : NULL;

	session_release(s, *dst);
	*dst = copy;
}

void
session_set_screen(struct session *s, const char *screen)
{
	session_replace(s, &s->screen, screen);
}

void
session_set_lang(struct session *s, const char *lang)
{
	session_replace(s, &s->lang, lang);
}

void
session_set_service(struct session *s, const char *code)
{
	session_replace(s, &s->service, code);
}

void
session_push(struct session *s, const char *screen)
{
	s->history = session_grow(s->history, &s->history_cap, s->nhistory,
	    sizeof *s->history);
	s->history[s->nhistory++] = xstrdup(screen);
}

const char *
session_top(const struct session *s)
{
	return s->nhistory > 0 ? s->history[s->nhistory - 1] : NULL;
}

void
session_drop(struct session *s)
{
	if (s->nhistory > 0)
		session_release(s, s->history[--s->nhistory]);
}

void
session_clear_history(struct session *s)
{
	for (size_t i = 0; i < s->nhistory; i++)
		session_release(s, s->history[i]);
	free(s->history);
	s->history = NULL;
	s->nhistory = s->history_cap = 0;
}

/* Records the hop just answered.  Does not touch seq. */
void
session_set_last(struct session *s, const char *text, const char *reply,
    int end, long long ms)
{
	session_replace(s, &s->last_text, text);
	session_replace(s, &s->last_reply, reply);
	s->last_page = 0;
	s->last_end = end != 0;
	s->last_ms = ms;
}

void
session_set_last_page(struct session *s, const char *text, int end,
    long long ms)
{
	session_set_last(s, text, NULL, end, ms);
	s->last_page = 1;
}

/* Bytes str_put() writes for s: at most, when it is ill-formed. */
static size_t
str_size(const char *s)
{
	size_t	 len;

	if (s == NULL)
		return 1;
	len = strlen(s);
	return NUM_MAX + 3 * len;
}

/* v in decimal, then the byte end. */
static char *
dec_end(char *o, unsigned long long v, char end)
{
	o = dec_put(o, v);
	*o++ = end;
	return o;
}

/* s as "LEN:BYTES", ill-formed UTF-8 as U+FFFD; '~' for NULL. */
static char *
str_put(char *o, const char *s)
{
	size_t		 len, i, n, k;
	uint32_t	 cp;
	int		 d;

	if (s == NULL) {
		*o++ = '~';
		return o;
	}
	len = strlen(s);
	if (utf8_valid(s, len)) {
		o = dec_end(o, len, ':');
		memcpy(o, s, len);
		return o + len;
	}
	/* The clean length first, then the bytes. */
	for (i = n = 0; i < len; i += k) {
		d = utf8_decode(s + i, len - i, &cp);
		k = d == -1 ? 1 : (size_t)d;
		n += d == -1 ? 3 : k;
	}
	o = dec_end(o, n, ':');
	for (i = 0; i < len; i += k) {
		d = utf8_decode(s + i, len - i, &cp);
		k = d == -1 ? 1 : (size_t)d;
		memcpy(o, d == -1 ? "\xef\xbf\xbd" : s + i, d == -1 ? 3 : k);
		o += d == -1 ? 3 : k;
	}
	return o;
}

static char *
num_put(char *o, long long v)
{
	if (v >= 0)
		return dec_end(o, (unsigned long long)v, ';');
	*o++ = '-';
	return dec_end(o, 0 - (unsigned long long)v, ';');
}

void
session_record_make(struct session_record *r, const struct session *s)
{
	size_t	 size = sizeof COMPACT_MAGIC + 6 * NUM_MAX, i;
	char	*out, *o;

	size += str_size(s->screen) + str_size(s->lang) +
	    str_size(s->service) + str_size(s->last_text) +
	    str_size(s->last_reply);
	for (i = 0; i < s->nvars; i++)
		size += str_size(s->vars[i].name) + str_size(s->vars[i].value);
	for (i = 0; i < s->nhistory; i++)
		size += str_size(s->history[i]);
	o = out = xmalloc(size);
	memcpy(o, COMPACT_MAGIC, sizeof COMPACT_MAGIC - 1);
	o += sizeof COMPACT_MAGIC - 1;
	o = str_put(o, s->screen);
	o = num_put(o, s->page);
	o = str_put(o, s->lang);
	o = str_put(o, s->service);
	o = num_put(o, (long long)s->nvars);
	for (i = 0; i < s->nvars; i++) {
		o = str_put(o, s->vars[i].name);
		o = str_put(o, s->vars[i].value);
	}
	o = num_put(o, (long long)s->nhistory);
	for (i = 0; i < s->nhistory; i++)
		o = str_put(o, s->history[i]);
	o = num_put(o, s->seq);
	o = str_put(o, s->last_text);
	r->reply_at = (size_t)(o - out);
	if (s->last_page)
		*o++ = '=';
	else
		o = str_put(o, s->last_reply);
	r->reply_len = (size_t)(o - out) - r->reply_at;
	r->page = s->last_page;
	r->end = s->last_end;
	o = num_put(o, s->last_end);
	o = num_put(o, s->last_ms);
	*o = '\0';
	r->text = out;
	r->len = (size_t)(o - out);
}

void
session_record_clear(struct session_record *r)
{
	free(r->text);
	memset(r, 0, sizeof *r);
}

char *
session_encode(const struct session *s)
{
	struct session_record	 r;

	session_record_make(&r, s);
	return r.text;
}

/* Reading the compact form: a cursor over the record. */
struct rd {
	const char	*p, *end, *start;
	char		*err;
	size_t		 errlen;
	int		 failed;
	char		*out;		/* where the next string is copied */
};

static void
rd_fail(struct rd *r, const char *what)
{
	if (!r->failed)
		err_set(r->err, r->errlen, "session record: %s at byte %zu",
		    what, (size_t)(r->p - r->start));
	r->failed = 1;
}

/* Decimal digits up to the byte end, into *v (within [min, max]). */
static int
rd_digits(struct rd *r, long long min, long long max, char end,
    long long *v)
{
	unsigned long long	 n = 0, lim;
	unsigned		 d;
	int			 neg = 0, digits = 0;

	if (r->failed)
		return -1;
	if (r->p < r->end && *r->p == '-' && min < 0) {
		neg = 1;
		r->p++;
	}
	lim = neg ? (unsigned long long)LLONG_MAX + 1 :
	    (unsigned long long)max;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		d = (unsigned)(*r->p - '0');
		if (d > lim || n > (lim - d) / 10) {
			rd_fail(r, "a number out of range");
			return -1;
		}
		n = n * 10 + d;
		r->p++;
		digits++;
	}
	if (digits == 0 || r->p >= r->end || *r->p != end) {
		rd_fail(r, "a malformed number");
		return -1;
	}
	r->p++;
	*v = neg ? (long long)(0 - n) : (long long)n;
	if (*v < min) {
		rd_fail(r, "a number out of range");
		return -1;
	}
	return 0;
}

static unsigned
rd_unsigned(struct rd *r)
{
	long long	 v = 0;

	rd_digits(r, 0, UINT_MAX, ';', &v);
	return (unsigned)v;
}

/* A string, or NULL for '~' (and on failure). */
static char *
rd_str(struct rd *r)
{
	long long	 len = 0;
	char		*s;

	if (r->failed)
		return NULL;
	if (r->p < r->end && *r->p == '~') {
		r->p++;
		return NULL;
	}
	if (rd_digits(r, 0, LLONG_MAX, ':', &len) == -1)
		return NULL;
	if ((unsigned long long)len > (size_t)(r->end - r->p)) {
		rd_fail(r, "a string cut short");
		return NULL;
	}
	if (memchr(r->p, '\0', (size_t)len) != NULL) {
		rd_fail(r, "a NUL byte in a string");
		return NULL;
	}
	s = r->out;
	memcpy(s, r->p, (size_t)len);
	s[len] = '\0';
	r->out += len + 1;
	r->p += len;
	return s;
}

/* A string that may not be missing, for names and history. */
static char *
rd_str_required(struct rd *r)
{
	char	*s;

	if ((s = rd_str(r)) == NULL && !r->failed)
		rd_fail(r, "a missing string");
	return s;
}

/*
 * One allocation holds the session and every string of the record: a
 * string "N:bytes" takes N + 2 bytes of the record or more and N + 1 of
 * the block, so len bytes after the struct are enough.  The two arrays
 * are sized from their counts.  Strings set later are allocated alone;
 * session_release() tells the two apart.
 */
static struct session *
session_decode_compact(const char *rec, size_t len, char *err,
    size_t errlen)
{
	struct rd	 r = { rec + sizeof COMPACT_MAGIC - 1, rec + len, rec,
			    err, errlen, 0, NULL };
	struct session	*s;
	long long	 n = 0, v = 0;
	char		*name, *value;

	s = xmalloc(sizeof *s + len);
	memset(s, 0, sizeof *s);
	r.out = (char *)(s + 1);
	s->strings = r.out;
	s->strings_len = len;

	s->screen = rd_str(&r);
	s->page = rd_unsigned(&r);
	s->lang = rd_str(&r);
	s->service = rd_str(&r);
	rd_digits(&r, 0, (long long)(len / 4), ';', &n);
	if (n > 0)
		s->vars = xreallocarray(NULL, (size_t)n, sizeof *s->vars);
	s->vars_cap = (size_t)n;
	for (long long i = 0; i < n && !r.failed; i++) {
		name = rd_str_required(&r);
		value = rd_str_required(&r);
		if (!r.failed && session_find(s, name) != NULL)
			rd_fail(&r, "a variable named twice");
		if (!r.failed) {
			s->vars[s->nvars].name = name;
			s->vars[s->nvars++].value = value;
		}
	}
	rd_digits(&r, 0, (long long)(len / 2), ';', &n);
	if (n > 0 && !r.failed)
		s->history = xreallocarray(NULL, (size_t)n,
		    sizeof *s->history);
	s->history_cap = r.failed ? 0 : (size_t)n;
	for (long long i = 0; i < n && !r.failed; i++) {
		if ((name = rd_str_required(&r)) == NULL)
			break;
		s->history[s->nhistory++] = name;
	}
	s->seq = rd_unsigned(&r);
	s->last_text = rd_str(&r);
	if (r.p < r.end && *r.p == '=') {
		r.p++;
		s->last_page = 1;
	} else
		s->last_reply = rd_str(&r);
	rd_digits(&r, 0, 1, ';', &v);
	s->last_end = v != 0;
	rd_digits(&r, LLONG_MIN, LLONG_MAX, ';', &s->last_ms);
	if (!r.failed && r.p != r.end)
		rd_fail(&r, "bytes after the end");
	if (r.failed) {
		session_free(s);
		return NULL;
	}
	return s;
}

/* Fetches a required key; NULL and an error if it is missing. */
static json_t *
session_key(json_t *root, const char *key, char *err, size_t errlen)
{
	json_t	*j;

	if ((j = json_object_get(root, key)) == NULL)
		err_set(err, errlen, "session has no \"%s\"", key);
	return j;
}

/* A string or null into *dst. */
static int
session_get_string(json_t *root, const char *key, char **dst, char *err,
    size_t errlen)
{
	json_t	*j;

	if ((j = session_key(root, key, err, errlen)) == NULL)
		return -1;
	if (json_is_null(j)) {
		*dst = NULL;
		return 0;
	}
	if (!json_is_string(j)) {
		err_set(err, errlen,
		    "session \"%s\" is neither a string nor null", key);
		return -1;
	}
	*dst = xstrdup(json_string_value(j));
	return 0;
}

static int
session_get_unsigned(json_t *root, const char *key, unsigned *dst,
    char *err, size_t errlen)
{
	json_t		*j;
	json_int_t	 v;

	if ((j = session_key(root, key, err, errlen)) == NULL)
		return -1;
	if (!json_is_integer(j) || (v = json_integer_value(j)) < 0 ||
	    (unsigned long long)v > UINT_MAX) {
		err_set(err, errlen,
		    "session \"%s\" is not an unsigned integer", key);
		return -1;
	}
	*dst = (unsigned)v;
	return 0;
}

static int
session_decode_vars(struct session *s, json_t *root, char *err,
    size_t errlen)
{
	json_t		*vars, *pair, *name, *value;
	size_t		 i;

	if ((vars = session_key(root, "vars", err, errlen)) == NULL)
		return -1;
	if (!json_is_array(vars)) {
		err_set(err, errlen, "session \"vars\" is not an array");
		return -1;
	}
	json_array_foreach(vars, i, pair) {
		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    !json_is_string(name = json_array_get(pair, 0)) ||
		    !json_is_string(value = json_array_get(pair, 1))) {
			err_set(err, errlen, "session variable %zu is "
			    "not a [name, value] pair of strings", i);
			return -1;
		}
		if (session_find(s, json_string_value(name)) != NULL) {
			err_set(err, errlen,
			    "session variable %zu repeats a name", i);
			return -1;
		}
		session_set(s, json_string_value(name),
		    json_string_value(value));
	}
	return 0;
}

static int
session_decode_history(struct session *s, json_t *root, char *err,
    size_t errlen)
{
	json_t		*hist, *screen;
	size_t		 i;

	if ((hist = session_key(root, "history", err, errlen)) == NULL)
		return -1;
	if (!json_is_array(hist)) {
		err_set(err, errlen,
		    "session \"history\" is not an array");
		return -1;
	}
	json_array_foreach(hist, i, screen) {
		if (!json_is_string(screen)) {
			err_set(err, errlen,
			    "session history entry %zu is not a string", i);
			return -1;
		}
		session_push(s, json_string_value(screen));
	}
	return 0;
}

static int
session_decode_root(struct session *s, json_t *root, char *err,
    size_t errlen)
{
	json_t	*j;

	if (!json_is_object(root)) {
		err_set(err, errlen, "session is not a JSON object");
		return -1;
	}
	if ((j = session_key(root, "v", err, errlen)) == NULL)
		return -1;
	if (!json_is_integer(j)) {
		err_set(err, errlen, "session \"v\" is not an integer");
		return -1;
	}
	if (json_integer_value(j) != SESSION_VERSION) {
		err_set(err, errlen,
		    "session format version %" JSON_INTEGER_FORMAT
		    " is not supported", json_integer_value(j));
		return -1;
	}

	if (session_get_string(root, "screen", &s->screen, err, errlen) ||
	    session_get_unsigned(root, "page", &s->page, err, errlen) ||
	    session_get_string(root, "lang", &s->lang, err, errlen) ||
	    (json_object_get(root, "service") != NULL &&
	    session_get_string(root, "service", &s->service, err, errlen)) ||
	    session_decode_vars(s, root, err, errlen) ||
	    session_decode_history(s, root, err, errlen) ||
	    session_get_unsigned(root, "seq", &s->seq, err, errlen) ||
	    session_get_string(root, "last_text", &s->last_text, err,
	    errlen) ||
	    session_get_string(root, "last_reply", &s->last_reply, err,
	    errlen))
		return -1;

	if ((j = session_key(root, "last_end", err, errlen)) == NULL)
		return -1;
	if (!json_is_boolean(j)) {
		err_set(err, errlen,
		    "session \"last_end\" is not a boolean");
		return -1;
	}
	s->last_end = json_is_true(j);

	if ((j = session_key(root, "last_ms", err, errlen)) == NULL)
		return -1;
	if (!json_is_integer(j)) {
		err_set(err, errlen,
		    "session \"last_ms\" is not an integer");
		return -1;
	}
	s->last_ms = json_integer_value(j);
	return 0;
}

struct session *
session_decode(const char *json, size_t len, char *err, size_t errlen)
{
	struct session	*s;
	json_t		*root;
	json_error_t	 jerr;

	if (len >= sizeof COMPACT_MAGIC - 1 &&
	    memcmp(json, COMPACT_MAGIC, sizeof COMPACT_MAGIC - 1) == 0)
		return session_decode_compact(json, len, err, errlen);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		err_set(err, errlen,
		    "session is not valid JSON (line %d, column %d): %s",
		    jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	s = session_new();
	if (session_decode_root(s, root, err, errlen) != 0) {
		session_free(s);
		s = NULL;
	}
	json_decref(root);
	return s;
}
