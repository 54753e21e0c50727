/*
 * The session value and its JSON form.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errlist.h"
#include "gsm.h"
#include "log.h"
#include "session.h"
#include "xmalloc.h"

#define SESSION_VERSION	1

struct session *
session_new(void)
{
	return xcalloc(1, sizeof(struct session));
}

static void
session_free_vars(struct session *s)
{
	for (size_t i = 0; i < s->nvars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].value);
	}
	free(s->vars);
	s->vars = NULL;
	s->nvars = 0;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	free(s->screen);
	free(s->lang);
	free(s->service);
	session_free_vars(s);
	session_clear_history(s);
	free(s->last_text);
	free(s->last_reply);
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
		free(v->value);
		v->value = copy;
		return;
	}
	s->vars = xreallocarray(s->vars, s->nvars + 1, sizeof *s->vars);
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
	free(v->name);
	free(v->value);
	memmove(&s->vars[i], &s->vars[i + 1],
	    (s->nvars - i - 1) * sizeof *s->vars);
	s->nvars--;
}

/* Replaces *dst by a copy of src (or NULL). */
static void
session_replace(char **dst, const char *src)
{
	char	*copy = src != NULL ? xstrdup(src) : NULL;

	free(*dst);
	*dst = copy;
}

void
session_set_screen(struct session *s, const char *screen)
{
	session_replace(&s->screen, screen);
}

void
session_set_lang(struct session *s, const char *lang)
{
	session_replace(&s->lang, lang);
}

void
session_set_service(struct session *s, const char *code)
{
	session_replace(&s->service, code);
}

void
session_push(struct session *s, const char *screen)
{
	s->history = xreallocarray(s->history, s->nhistory + 1,
	    sizeof *s->history);
	s->history[s->nhistory++] = xstrdup(screen);
}

char *
session_pop(struct session *s)
{
	if (s->nhistory == 0)
		return NULL;
	return s->history[--s->nhistory];
}

void
session_clear_history(struct session *s)
{
	for (size_t i = 0; i < s->nhistory; i++)
		free(s->history[i]);
	free(s->history);
	s->history = NULL;
	s->nhistory = 0;
}

/* Records the hop just answered.  Does not touch seq. */
void
session_set_last(struct session *s, const char *text, const char *reply,
    int end, long long ms)
{
	session_replace(&s->last_text, text);
	session_replace(&s->last_reply, reply);
	s->last_end = end != 0;
	s->last_ms = ms;
}

/*
 * A JSON string for s, or null.  jansson refuses ill-formed UTF-8, so any
 * such byte is stored as U+FFFD rather than losing the whole session.
 */
static json_t *
session_json_string(const char *s)
{
	json_t		*j;
	char		*clean;
	size_t		 len, i, o;
	uint32_t	 cp;
	int		 n;

	if (s == NULL)
		return json_null();
	len = strlen(s);
	if (utf8_valid(s, len))
		j = json_stringn_nocheck(s, len);
	else {
		clean = xmalloc(len * 3 + 1);
		for (i = o = 0; i < len; i += (size_t)n) {
			if ((n = utf8_decode(s + i, len - i, &cp)) == -1) {
				memcpy(clean + o, "\xef\xbf\xbd", 3);
				o += 3;
				n = 1;
			} else {
				memcpy(clean + o, s + i, (size_t)n);
				o += (size_t)n;
			}
		}
		j = json_stringn_nocheck(clean, o);
		free(clean);
	}
	if (j == NULL)
		fatalx("session: out of memory");
	return j;
}

static void
session_json_set(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(obj, key, value) != 0)
		fatalx("session: out of memory");
}

static void
session_json_append(json_t *arr, json_t *value)
{
	if (value == NULL || json_array_append_new(arr, value) != 0)
		fatalx("session: out of memory");
}

char *
session_encode(const struct session *s)
{
	json_t	*root, *vars, *pair, *hist;
	char	*out;
	size_t	 i;

	if ((root = json_object()) == NULL ||
	    (vars = json_array()) == NULL ||
	    (hist = json_array()) == NULL)
		fatalx("session: out of memory");

	session_json_set(root, "v", json_integer(SESSION_VERSION));
	session_json_set(root, "screen", session_json_string(s->screen));
	session_json_set(root, "page", json_integer(s->page));
	session_json_set(root, "lang", session_json_string(s->lang));
	session_json_set(root, "service", session_json_string(s->service));
	for (i = 0; i < s->nvars; i++) {
		if ((pair = json_array()) == NULL)
			fatalx("session: out of memory");
		session_json_append(pair,
		    session_json_string(s->vars[i].name));
		session_json_append(pair,
		    session_json_string(s->vars[i].value));
		session_json_append(vars, pair);
	}
	session_json_set(root, "vars", vars);
	for (i = 0; i < s->nhistory; i++)
		session_json_append(hist, session_json_string(s->history[i]));
	session_json_set(root, "history", hist);
	session_json_set(root, "seq", json_integer(s->seq));
	session_json_set(root, "last_text", session_json_string(s->last_text));
	session_json_set(root, "last_reply",
	    session_json_string(s->last_reply));
	session_json_set(root, "last_end", json_boolean(s->last_end));
	session_json_set(root, "last_ms", json_integer(s->last_ms));

	if ((out = json_dumps(root, JSON_COMPACT)) == NULL)
		fatalx("session: out of memory");
	json_decref(root);
	return out;
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
