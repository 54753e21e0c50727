/*
 * Unit tests for session.c: variables, history, the compact form and the
 * JSON form of older records.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "session.h"
#include "unit.h"

#define URDU	"آپ کی درخواست موصول ہو گئی ہے"
#define EMOJI	"\xf0\x9f\x98\x80"

static void
assert_vars(const struct session *s, const char *const *pairs, size_t n)
{
	ck_assert_uint_eq(s->nvars, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(s->vars[i].name, pairs[2 * i]);
		ck_assert_str_eq(s->vars[i].value, pairs[2 * i + 1]);
	}
}

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_ptr_null(got);
	else {
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, want);
	}
}

/* Every field of a equals b's. */
static void
assert_same(const struct session *a, const struct session *b)
{
	assert_str_or_null(a->screen, b->screen);
	ck_assert_uint_eq(a->page, b->page);
	assert_str_or_null(a->lang, b->lang);
	assert_str_or_null(a->service, b->service);
	ck_assert_uint_eq(a->nvars, b->nvars);
	for (size_t i = 0; i < a->nvars; i++) {
		ck_assert_str_eq(a->vars[i].name, b->vars[i].name);
		ck_assert_str_eq(a->vars[i].value, b->vars[i].value);
	}
	ck_assert_uint_eq(a->nhistory, b->nhistory);
	for (size_t i = 0; i < a->nhistory; i++)
		ck_assert_str_eq(a->history[i], b->history[i]);
	ck_assert_uint_eq(a->seq, b->seq);
	assert_str_or_null(a->last_text, b->last_text);
	assert_str_or_null(a->last_reply, b->last_reply);
	ck_assert_int_eq(a->last_end, b->last_end);
	ck_assert(a->last_ms == b->last_ms);
}

/* Encodes, decodes from an exact-size heap copy, checks, returns it. */
static struct session *
round_trip(const struct session *s)
{
	struct session	*d;
	char		*json, *copy, err[256];
	size_t		 len;

	json = session_encode(s);
	ck_assert_ptr_nonnull(json);
	len = strlen(json);
	copy = malloc(len ? len : 1);	/* no NUL: decode must use len */
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, json, len);
	err[0] = '\0';
	d = session_decode(copy, len, err, sizeof err);
	ck_assert_msg(d != NULL, "decode failed: %s (%s)", err, json);
	assert_same(d, s);
	free(copy);
	free(json);
	return d;
}

START_TEST(test_new)
{
	struct session	*s = session_new();

	ck_assert_ptr_null(s->screen);
	ck_assert_uint_eq(s->page, 0);
	ck_assert_ptr_null(s->lang);
	ck_assert_uint_eq(s->nvars, 0);
	ck_assert_uint_eq(s->nhistory, 0);
	ck_assert_uint_eq(s->seq, 0);
	ck_assert_ptr_null(s->last_text);
	ck_assert_ptr_null(s->last_reply);
	ck_assert_int_eq(s->last_end, 0);
	ck_assert(s->last_ms == 0);
	ck_assert_ptr_null(session_get(s, "x"));
	ck_assert_ptr_null(session_top(s));
	session_drop(s);		/* nothing to drop: no effect */
	session_free(s);
	session_free(NULL);
}
END_TEST

START_TEST(test_vars)
{
	struct session	*s = session_new();
	char		 buf[16];

	session_set(s, "name", "Ali");
	session_set(s, "cnic", "12345");
	session_set(s, "city", URDU);
	assert_vars(s, (const char *const[]){ "name", "Ali", "cnic", "12345",
	    "city", URDU }, 3);
	ck_assert_str_eq(session_get(s, "cnic"), "12345");
	ck_assert_ptr_null(session_get(s, "Name"));

	/* Replacing keeps the place. */
	session_set(s, "cnic", "99999");
	assert_vars(s, (const char *const[]){ "name", "Ali", "cnic", "99999",
	    "city", URDU }, 3);

	/* Values and names are copied. */
	snprintf(buf, sizeof buf, "amount");
	session_set(s, buf, "500");
	snprintf(buf, sizeof buf, "changed");
	ck_assert_str_eq(session_get(s, "amount"), "500");
	ck_assert_ptr_null(session_get(s, "changed"));
	snprintf(buf, sizeof buf, "Lahore");
	session_set(s, "city", buf);
	buf[0] = 'X';
	ck_assert_str_eq(session_get(s, "city"), "Lahore");

	/* Unset keeps the order of the rest. */
	session_unset(s, "cnic");
	assert_vars(s, (const char *const[]){ "name", "Ali", "city", "Lahore",
	    "amount", "500" }, 3);
	session_unset(s, "missing");
	ck_assert_uint_eq(s->nvars, 3);
	session_unset(s, "amount");
	session_unset(s, "name");
	assert_vars(s, (const char *const[]){ "city", "Lahore" }, 1);

	/* An empty value is a value; NULL unsets. */
	session_set(s, "note", "");
	ck_assert_str_eq(session_get(s, "note"), "");
	session_set(s, "note", NULL);
	ck_assert_ptr_null(session_get(s, "note"));
	session_unset(s, "city");
	ck_assert_uint_eq(s->nvars, 0);
	session_set(s, "again", "1");
	assert_vars(s, (const char *const[]){ "again", "1" }, 1);
	session_free(s);
}
END_TEST

START_TEST(test_history)
{
	struct session	*s = session_new();
	char		 buf[16];

	snprintf(buf, sizeof buf, "main");
	session_push(s, buf);
	buf[0] = 'X';
	session_push(s, "loans");
	session_push(s, "apply");
	ck_assert_uint_eq(s->nhistory, 3);
	ck_assert_str_eq(s->history[0], "main");

	ck_assert_str_eq(session_top(s), "apply");
	session_drop(s);
	session_push(s, "status");
	ck_assert_str_eq(session_top(s), "status");
	session_drop(s);
	ck_assert_str_eq(session_top(s), "loans");
	session_drop(s);
	ck_assert_str_eq(session_top(s), "main");
	session_drop(s);
	ck_assert_ptr_null(session_top(s));
	ck_assert_uint_eq(s->nhistory, 0);

	session_push(s, "a");
	session_push(s, "b");
	session_clear_history(s);
	ck_assert_uint_eq(s->nhistory, 0);
	ck_assert_ptr_null(session_top(s));
	session_push(s, "c");
	ck_assert_uint_eq(s->nhistory, 1);
	session_free(s);		/* frees what is left */
}
END_TEST

START_TEST(test_setters)
{
	struct session	*s = session_new();
	char		 buf[16];

	snprintf(buf, sizeof buf, "main");
	session_set_screen(s, buf);
	buf[0] = 'X';
	ck_assert_str_eq(s->screen, "main");
	session_set_screen(s, "loans");
	ck_assert_str_eq(s->screen, "loans");
	session_set_screen(s, NULL);
	ck_assert_ptr_null(s->screen);

	session_set_lang(s, "ur");
	ck_assert_str_eq(s->lang, "ur");
	session_set_lang(s, "en");
	ck_assert_str_eq(s->lang, "en");
	session_set_lang(s, NULL);
	ck_assert_ptr_null(s->lang);

	/* Setting from the field's own value is safe. */
	session_set_screen(s, "self");
	session_set_screen(s, s->screen);
	ck_assert_str_eq(s->screen, "self");

	snprintf(buf, sizeof buf, "1");
	session_set_last(s, buf, "Shukriya", 7, 1700000000123LL);
	buf[0] = 'X';
	ck_assert_str_eq(s->last_text, "1");
	ck_assert_str_eq(s->last_reply, "Shukriya");
	ck_assert_int_eq(s->last_end, 1);
	ck_assert(s->last_ms == 1700000000123LL);
	ck_assert_uint_eq(s->seq, 0);	/* the engine counts hops */
	session_set_last(s, NULL, NULL, 0, 5);
	ck_assert_ptr_null(s->last_text);
	ck_assert_ptr_null(s->last_reply);
	ck_assert_int_eq(s->last_end, 0);
	ck_assert(s->last_ms == 5);
	session_free(s);
}
END_TEST

START_TEST(test_round_trip_full)
{
	struct session	*s = session_new(), *d;
	char		*a, *b, want[512];

	session_set_screen(s, "apply_amount");
	s->page = 2;
	session_set_lang(s, "ur");
	session_set_service(s, "*786#");
	session_set(s, "name", "Ali \"the\" \\ Khan\n\t/");
	session_set(s, "city", URDU);
	session_set(s, "mood", EMOJI " £€ `");
	session_set(s, "empty", "");
	session_push(s, "main");
	session_push(s, "loans");
	s->seq = 41;
	session_set_last(s, "2", URDU "\n98 مزید", 1, 1700000000123LL);

	d = round_trip(s);
	/* Encoding is deterministic and compact: no key names. */
	a = session_encode(s);
	b = session_encode(d);
	ck_assert_str_eq(a, b);
	snprintf(want, sizeof want, "S2;12:apply_amount2;2:ur5:*786#4;"
	    "4:name19:Ali \"the\" \\ Khan\n\t/4:city%zu:%s4:mood%zu:%s"
	    "5:empty0:2;4:main5:loans41;1:2%zu:%s1;1700000000123;",
	    strlen(URDU), URDU, strlen(EMOJI " £€ `"), EMOJI " £€ `",
	    strlen(URDU "\n98 مزید"), URDU "\n98 مزید");
	ck_assert_str_eq(a, want);
	free(a);
	free(b);
	session_free(d);
	session_free(s);
}
END_TEST

START_TEST(test_round_trip_empty)
{
	struct session	*s = session_new(), *d;

	d = round_trip(s);
	ck_assert_ptr_null(d->screen);
	ck_assert_ptr_null(d->lang);
	ck_assert_ptr_null(d->service);
	ck_assert_ptr_null(d->last_text);
	ck_assert_ptr_null(d->last_reply);
	session_free(d);
	session_free(s);
}
END_TEST

START_TEST(test_round_trip_limits)
{
	struct session	*s = session_new(), *d;

	s->page = UINT_MAX;
	s->seq = UINT_MAX;
	s->last_ms = LLONG_MAX;
	session_set_last(s, "", "", 0, LLONG_MAX);
	d = round_trip(s);
	session_free(d);

	s->last_ms = -1;
	d = round_trip(s);
	session_free(d);
	session_free(s);
}
END_TEST

START_TEST(test_encode_invalid_utf8)
{
	struct session	*s = session_new(), *d;
	char		*json, err[256];

	/* Ill-formed bytes cannot go into JSON; they become U+FFFD and
	 * the rest survives. */
	session_set(s, "raw", "a\xc0\xaf" "b\xe2\x82");
	session_set_screen(s, "main");
	json = session_encode(s);
	ck_assert_ptr_nonnull(json);
	d = session_decode(json, strlen(json), err, sizeof err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_str_eq(session_get(d, "raw"),
	    "a\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(d->screen, "main");
	free(json);
	session_free(d);
	session_free(s);
}
END_TEST

/* ---- decoding bad input ---- */

static const char *const base_keys[] = {
	"v", "screen", "page", "lang", "vars", "history", "seq",
	"last_text", "last_reply", "last_end", "last_ms",
};
static const char *const base_values[] = {
	"1", "\"main\"", "0", "\"ur\"", "[[\"a\",\"1\"],[\"b\",\"2\"]]",
	"[\"home\"]", "3", "\"1\"", "\"ok\"", "false", "1700000000000",
};
#define NKEYS	(sizeof base_keys / sizeof *base_keys)

/* The base document with key's value replaced (NULL: key left out),
 * plus extra before the closing brace. */
static char *
doc(const char *key, const char *value, const char *extra)
{
	char	*s;
	size_t	 n = 0, size = 4096;

	s = malloc(size);
	ck_assert_ptr_nonnull(s);
	s[n++] = '{';
	for (size_t i = 0; i < NKEYS; i++) {
		const char *v = base_values[i];

		if (key != NULL && strcmp(key, base_keys[i]) == 0) {
			if (value == NULL)
				continue;
			v = value;
		}
		n += (size_t)snprintf(s + n, size - n, "%s\"%s\":%s",
		    n > 1 ? "," : "", base_keys[i], v);
	}
	n += (size_t)snprintf(s + n, size - n, "%s}", extra);
	ck_assert_uint_lt(n, size);
	return s;
}

static void
assert_rejected(const char *json, size_t len, const char *want)
{
	struct session	*s;
	char		 err[256];

	memset(err, 0, sizeof err);
	s = session_decode(json, len, err, sizeof err);
	ck_assert_msg(s == NULL, "accepted: %.*s", (int)len, json);
	ck_assert_msg(err[0] != '\0', "no message for: %.*s", (int)len, json);
	ck_assert_msg(strstr(err, want) != NULL,
	    "message \"%s\" lacks \"%s\" for: %.*s", err, want, (int)len,
	    json);
}

START_TEST(test_decode_base)
{
	struct session	*s;
	char		*json = doc(NULL, NULL, ""), err[256];

	/* The base document is fine, so each rejection below is about the
	 * one thing changed. */
	s = session_decode(json, strlen(json), err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s->screen, "main");
	ck_assert_str_eq(session_get(s, "b"), "2");
	ck_assert_uint_eq(s->nhistory, 1);
	ck_assert_uint_eq(s->seq, 3);
	ck_assert(s->last_ms == 1700000000000LL);
	session_free(s);
	free(json);

	/* Keys a later writer may add are ignored. */
	json = doc(NULL, NULL, ",\"future\":{\"x\":[1,2]}");
	s = session_decode(json, strlen(json), err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	session_free(s);
	free(json);

	/* "service" is optional (older records lack it), typed when there. */
	json = doc(NULL, NULL, ",\"service\":\"*786#\"");
	s = session_decode(json, strlen(json), err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s->service, "*786#");
	session_free(s);
	free(json);
	json = doc(NULL, NULL, ",\"service\":786");
	assert_rejected(json, strlen(json), "service");
	free(json);

	/* Whitespace is fine, and no "service" is no service. */
	json = "{ \"v\" : 1, \"screen\" : null, \"page\" : 0, \"lang\" : null,"
	    " \"vars\" : [ ], \"history\" : [ ], \"seq\" : 0, \"last_text\" :"
	    " null, \"last_reply\" : null, \"last_end\" : true, \"last_ms\" :"
	    " 0 }\n";
	s = session_decode(json, strlen(json), err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(s->last_end, 1);
	ck_assert_ptr_null(s->service);
	session_free(s);
}
END_TEST

START_TEST(test_decode_missing_keys)
{
	char	*json;

	for (size_t i = 0; i < NKEYS; i++) {
		json = doc(base_keys[i], NULL, "");
		assert_rejected(json, strlen(json), base_keys[i]);
		free(json);
	}
}
END_TEST

struct bad_case {
	const char	*key;
	const char	*value;
	const char	*want;		/* in the message */
};

START_TEST(test_decode_wrong_types)
{
	static const struct bad_case cases[] = {
		{ "v", "2", "version 2" },
		{ "v", "0", "version 0" },
		{ "v", "\"1\"", "\"v\"" },
		{ "v", "1.0", "\"v\"" },
		{ "v", "null", "\"v\"" },
		{ "screen", "5", "screen" },
		{ "screen", "[]", "screen" },
		{ "screen", "false", "screen" },
		{ "page", "-1", "page" },
		{ "page", "1.5", "page" },
		{ "page", "\"0\"", "page" },
		{ "page", "null", "page" },
		{ "page", "4294967296", "page" },
		{ "lang", "{}", "lang" },
		{ "vars", "{}", "vars" },
		{ "vars", "null", "vars" },
		{ "vars", "[[\"a\"]]", "variable 0" },
		{ "vars", "[[\"a\",\"1\",\"x\"]]", "variable 0" },
		{ "vars", "[[\"a\",\"1\"],[\"b\",1]]", "variable 1" },
		{ "vars", "[[\"a\",null]]", "variable 0" },
		{ "vars", "[[1,\"a\"]]", "variable 0" },
		{ "vars", "[\"a\"]", "variable 0" },
		{ "vars", "[{\"a\":\"1\"}]", "variable 0" },
		{ "vars", "[[\"a\",\"1\"],[\"a\",\"2\"]]", "repeats" },
		{ "history", "\"main\"", "history" },
		{ "history", "[\"a\",1]", "history entry 1" },
		{ "history", "[null]", "history entry 0" },
		{ "seq", "-3", "seq" },
		{ "seq", "true", "seq" },
		{ "last_text", "1", "last_text" },
		{ "last_reply", "[\"x\"]", "last_reply" },
		{ "last_end", "1", "last_end" },
		{ "last_end", "\"true\"", "last_end" },
		{ "last_end", "null", "last_end" },
		{ "last_ms", "\"0\"", "last_ms" },
		{ "last_ms", "1.0", "last_ms" },
		{ "last_ms", "null", "last_ms" },
	};
	char	*json;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		json = doc(cases[i].key, cases[i].value, "");
		assert_rejected(json, strlen(json), cases[i].want);
		free(json);
	}
}
END_TEST

START_TEST(test_decode_malformed)
{
	static const char *const bad[] = {
		"",
		"{",
		"}",
		"nope",
		"{\"v\":1,}",
		"{'v':1}",
		"{\"v\":1 \"page\":0}",
	};
	char	*json, *json2;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_rejected(bad[i], strlen(bad[i]), "not valid JSON");

	/* Not an object at the top. */
	assert_rejected("[]", 2, "not a JSON object");
	assert_rejected("[{\"v\":1}]", 9, "not a JSON object");
	assert_rejected("null", 4, "JSON");
	assert_rejected("1", 1, "JSON");

	/* Trailing garbage, a repeated key, NUL in a string, bad UTF-8. */
	json = doc(NULL, NULL, "");
	json2 = malloc(strlen(json) + 16);
	ck_assert_ptr_nonnull(json2);
	snprintf(json2, strlen(json) + 16, "%s x", json);
	assert_rejected(json2, strlen(json2), "not valid JSON");
	snprintf(json2, strlen(json) + 16, "%s{}", json);
	assert_rejected(json2, strlen(json2), "not valid JSON");
	free(json2);
	free(json);

	json = doc(NULL, NULL, ",\"v\":1");
	assert_rejected(json, strlen(json), "not valid JSON");
	free(json);
	json = doc("screen", "\"ma\\u0000in\"", "");
	assert_rejected(json, strlen(json), "not valid JSON");
	free(json);
	json = doc("screen", "\"ma\xc0\xafin\"", "");
	assert_rejected(json, strlen(json), "not valid JSON");
	free(json);
	json = doc("screen", "\"\\ud800\"", "");
	assert_rejected(json, strlen(json), "not valid JSON");
	free(json);

	/* A NUL byte inside the buffer ends nothing: len rules. */
	json = doc(NULL, NULL, "");
	assert_rejected(json, strlen(json) + 1, "not valid JSON");
	assert_rejected(json, strlen(json) - 1, "not valid JSON");
	free(json);
}
END_TEST

START_TEST(test_compact_example)
{
	static const char rec[] = "S2;4:main0;2:en5:*786#1;4:name3:Ali0;3;"
	    "1:1~0;1700000000000;";
	struct session	*s;
	char		 err[256];

	s = session_decode(rec, sizeof rec - 1, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s->screen, "main");
	ck_assert_str_eq(s->lang, "en");
	ck_assert_str_eq(s->service, "*786#");
	ck_assert_str_eq(session_get(s, "name"), "Ali");
	ck_assert_uint_eq(s->nhistory, 0);
	ck_assert_uint_eq(s->seq, 3);
	ck_assert_str_eq(s->last_text, "1");
	ck_assert_ptr_null(s->last_reply);
	ck_assert(s->last_ms == 1700000000000LL);
	session_free(s);
}
END_TEST

/* A decoded session's strings share its allocation: every way of
 * replacing, dropping or growing them must leave it whole (run under
 * AddressSanitizer, this test is what says so). */
START_TEST(test_compact_mutated)
{
	static const char rec[] = "S2;4:main0;2:en5:*786#2;4:name3:Ali"
	    "4:city6:Lahore2;8:language4:main3;1:1~0;1700000000000;";
	struct session	*s, *d;
	char		*enc, err[256];

	s = session_decode(rec, sizeof rec - 1, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	session_set(s, "name", "Sana");		/* replaces a block string */
	session_unset(s, "city");		/* drops two */
	for (int i = 0; i < 9; i++) {		/* grows past the count */
		char	 name[8] = "v0";

		name[1] = (char)('0' + i);
		session_set(s, name, "x");
	}
	session_unset(s, "v3");
	ck_assert_str_eq(session_top(s), "main");
	session_drop(s);
	for (int i = 0; i < 5; i++)
		session_push(s, "more");
	session_drop(s);
	session_set_screen(s, "apply");
	session_set_lang(s, NULL);
	session_set_service(s, "*787#");
	session_set_last(s, "2", "CON Apply", 0, 1700000000001LL);

	enc = session_encode(s);
	d = session_decode(enc, strlen(enc), err, sizeof err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_str_eq(d->screen, "apply");
	ck_assert_ptr_null(d->lang);
	ck_assert_str_eq(d->service, "*787#");
	ck_assert_str_eq(session_get(d, "name"), "Sana");
	ck_assert_ptr_null(session_get(d, "city"));
	ck_assert_ptr_null(session_get(d, "v3"));
	ck_assert_str_eq(session_get(d, "v8"), "x");
	ck_assert_uint_eq(d->nvars, 9);
	ck_assert_uint_eq(d->nhistory, 5);
	ck_assert_str_eq(d->history[0], "language");
	ck_assert_str_eq(d->last_reply, "CON Apply");
	ck_assert_int_eq(d->last_page, 0);
	/* A reply that was the session's page is marked, not kept; the
	 * mark reads back and goes with the next reply kept. */
	session_set_last_page(d, "3", 1, 1700000000002LL);
	free(enc);
	enc = session_encode(d);
	ck_assert_ptr_nonnull(strstr(enc, "1:3=1;1700000000002;"));
	session_free(d);
	d = session_decode(enc, strlen(enc), err, sizeof err);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_int_eq(d->last_page, 1);
	ck_assert_int_eq(d->last_end, 1);
	ck_assert_ptr_null(d->last_reply);
	session_set_last(d, "4", "CON x", 0, 1);
	ck_assert_int_eq(d->last_page, 0);
	ck_assert_str_eq(d->last_reply, "CON x");
	session_clear_history(d);
	session_push(d, "main");
	ck_assert_str_eq(session_top(d), "main");
	free(enc);
	session_free(d);
	session_free(s);
}
END_TEST

START_TEST(test_compact_malformed)
{
	static const struct {
		const char	*rec;
		const char	*want;
	} bad[] = {
		{ "S2;", "malformed number" },
		{ "S2;4:mai", "cut short" },
		{ "S2;4:main", "malformed number" },
		{ "S2;4:main0", "malformed number" },
		{ "S2;4:main4294967296;", "out of range" },
		{ "S2;4:main-1;", "malformed number" },
		{ "S2;x:main0;", "malformed number" },
		{ "S2;~0;~~1;~3:Ali", "missing string" },
		{ "S2;~0;~~2;1:a1:11:a1:20;0;~~0;0;", "named twice" },
		{ "S2;~0;~~0;1;~0;~~0;0;", "missing string" },
		{ "S2;~0;~~0;0;0;~~2;0;", "out of range" },
		{ "S2;~0;~~0;0;0;~~0;0;x", "bytes after the end" },
		{ "S2;~0;~~0;0;0;~~0;99999999999999999999;", "out of range" },
		{ "S2;~0;~~99999999;", "out of range" },
	};
	static const char nul[] = "S2;3:a\0b0;~~0;0;0;~~0;0;";
	struct session	*s;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_rejected(bad[i].rec, strlen(bad[i].rec), bad[i].want);
	assert_rejected(nul, sizeof nul - 1, "NUL");
	/* The shortest record is fine, so each rejection is about its one
	 * fault; a negative last_ms is fine too. */
	s = session_decode("S2;~0;~~0;0;0;~~0;-5;", 21, NULL, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert(s->last_ms == -5);
	session_free(s);
}
END_TEST

/* The record and where its last reply is, as the encoder wrote it. */
START_TEST(test_record_reply_span)
{
	struct session		*s = session_new();
	struct session_record	 r;
	char			*rec;

	session_set_screen(s, "main");
	session_set(s, "name", "5:a;b");	/* looks like a string */
	session_push(s, "language");
	session_set_last(s, "3:1*2", "CON 1;2~", 0, 1700000000000LL);
	session_record_make(&r, s);
	rec = session_encode(s);
	ck_assert_str_eq(r.text, rec);
	ck_assert_uint_eq(r.len, strlen(rec));
	free(rec);
	ck_assert_uint_eq(r.reply_len, 10);
	ck_assert_int_eq(r.end, 0);
	ck_assert(memcmp(r.text + r.reply_at, "8:CON 1;2~", r.reply_len) == 0);
	session_record_clear(&r);
	ck_assert_ptr_null(r.text);
	session_free(s);
	/* None: "~". */
	s = session_new();
	s->last_end = 1;
	s->last_ms = -5;
	session_record_make(&r, s);
	ck_assert_str_eq(r.text, "S2;~0;~~0;0;0;~~1;-5;");
	ck_assert_uint_eq(r.reply_at, 15);
	ck_assert_uint_eq(r.reply_len, 1);
	ck_assert_int_eq(r.end, 1);
	session_record_clear(&r);
	session_free(s);
}
END_TEST

START_TEST(test_decode_err_buffer)
{
	char	 err[8];
	char	*json = doc("v", "7", "");

	/* A short buffer is cut and terminated; no buffer is fine. */
	memset(err, 'Z', sizeof err);
	ck_assert_ptr_null(session_decode(json, strlen(json), err,
	    sizeof err));
	ck_assert_uint_eq(strlen(err), sizeof err - 1);
	ck_assert_ptr_null(session_decode(json, strlen(json), NULL, 0));
	ck_assert_ptr_null(session_decode(json, strlen(json), err, 0));
	ck_assert_ptr_null(session_decode("{", 1, NULL, 0));
	free(json);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite	*s = suite_create("session");
	TCase	*tc;

	tc = tcase_create("value");
	UNIT_ADD(tc, test_new, test_vars, test_history, test_setters);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	UNIT_ADD(tc,
	    test_round_trip_full, test_round_trip_empty, test_round_trip_limits,
	    test_encode_invalid_utf8, test_decode_base,
	    test_decode_missing_keys, test_decode_wrong_types,
	    test_decode_malformed, test_compact_example,
	    test_compact_mutated, test_compact_malformed,
	    test_record_reply_span,
	    test_decode_err_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(session_suite());
}
