/*
 * Unit tests for what every adapter shares (adapter.c): the request and
 * query JSON, reading a back office's answer to a lookup, and the typed
 * settings each type declares and receives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "adapter.h"
#include "conf.h"
#include "unit.h"
#include "xmalloc.h"

static struct answer	 a;
static char		 err[200];

static int
decode(const char *json)
{
	answer_clear(&a);
	return answer_decode(json, strlen(json), &a, err, sizeof err);
}

/* The answer's value of a field, or NULL. */
static const char *
field(const char *name)
{
	for (size_t i = 0; i < a.nfields; i++)
		if (strcmp(a.names[i], name) == 0)
			return a.values[i];
	return NULL;
}

static void
teardown(void)
{
	answer_clear(&a);
}

START_TEST(answer_scalars)
{
	ck_assert_int_eq(decode("{\"ref\":\"K7MX3Q\",\"amount\":500,"
	    "\"rate\":1.5,\"urgent\":true,\"paid\":false,\"note\":null,"
	    "\"city\":\"لاہور\"}"), 0);
	ck_assert_int_eq(a.found, 1);		/* no "found": it was */
	ck_assert_uint_eq(a.nfields, 6);	/* null is left out */
	ck_assert_str_eq(field("ref"), "K7MX3Q");
	ck_assert_str_eq(field("amount"), "500");
	ck_assert_str_eq(field("rate"), "1.5");
	ck_assert_str_eq(field("urgent"), "true");
	ck_assert_str_eq(field("paid"), "false");
	ck_assert_str_eq(field("city"), "لاہور");
	ck_assert_ptr_null(field("note"));
	ck_assert_ptr_null(field("found"));
}
END_TEST

START_TEST(answer_found)
{
	ck_assert_int_eq(decode("{\"found\":false,\"ref\":\"X\"}"), 0);
	ck_assert_int_eq(a.found, 0);
	ck_assert_str_eq(field("ref"), "X");
	ck_assert_int_eq(decode("{\"found\":true}"), 0);
	ck_assert_int_eq(a.found, 1);
	ck_assert_uint_eq(a.nfields, 0);
	/* anything but true is not found */
	ck_assert_int_eq(decode("{\"found\":\"yes\"}"), 0);
	ck_assert_int_eq(a.found, 0);
}
END_TEST

START_TEST(answer_arrays)
{
	ck_assert_int_eq(decode("{\"needs\":[{\"id\":\"N1\",\"amount\":300},"
	    "{\"id\":\"N2\",\"deep\":{\"x\":1}},7],\"empty\":[]}"), 0);
	ck_assert_str_eq(field("needs"), "3");
	ck_assert_str_eq(field("needs.1.id"), "N1");
	ck_assert_str_eq(field("needs.1.amount"), "300");
	ck_assert_str_eq(field("needs.2.id"), "N2");
	ck_assert_ptr_null(field("needs.2.deep"));
	ck_assert_str_eq(field("empty"), "0");
	ck_assert_uint_eq(a.nfields, 5);
}
END_TEST

START_TEST(answer_limits)
{
	char	 json[8192], *p = json;
	size_t	 i;

	p += sprintf(p, "{");
	for (i = 0; i < ANSWER_FIELDS_MAX + 10; i++)
		p += sprintf(p, "%s\"f%zu\":\"v\"", i ? "," : "", i);
	sprintf(p, "}");
	ck_assert_int_eq(decode(json), 0);
	ck_assert_uint_eq(a.nfields, ANSWER_FIELDS_MAX);

	/* a long value is cut on a character boundary: "ی" is 2 bytes */
	p = json;
	p += sprintf(p, "{\"long\":\"a");
	for (i = 0; i < ANSWER_VALUE_MAX; i++)
		p += sprintf(p, "ی");
	sprintf(p, "\"}");
	ck_assert_int_eq(decode(json), 0);
	ck_assert_uint_eq(strlen(field("long")), ANSWER_VALUE_MAX - 1);
}
END_TEST

START_TEST(answer_not_an_object)
{
	static const char *const bad[] = { "", "[1,2]", "\"found\"",
	    "{\"a\":", "null" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(decode(bad[i]), -1);
		ck_assert_msg(strstr(err, "not a JSON object") != NULL, "%s",
		    err);
		ck_assert_uint_eq(a.nfields, 0);
	}
}
END_TEST

START_TEST(query_and_request_json)
{
	static const char *const names[] = { "ref", "district" };
	static const char *const values[] = { "K7MX3Q", "لاہور" };
	static const char *const bad[] = { "K7\xff" };
	struct query	 q = { "complaint_status", "*787#", "923001234567",
	    "2a9b40a5ff98", "ur", names, values, 2 };
	struct request	 r = { "key1", "K7MX3Q", "*786#", "help",
	    "923001234567", "2a9b40a5ff98", "en", 1795427139953LL, names,
	    values, 2, NULL };
	struct request	*back;
	char		*s;

	s = query_json(&q);
	ck_assert_str_eq(s, "{\"kind\":\"complaint_status\",\"service\":"
	    "\"*787#\",\"msisdn\":\"923001234567\",\"msisdn_hash\":"
	    "\"2a9b40a5ff98\",\"lang\":\"ur\",\"params\":{\"ref\":\"K7MX3Q\","
	    "\"district\":\"لاہور\"}}");
	free(s);
	s = request_json(&r);
	back = request_decode(s, err, sizeof err);
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(back->kind, "help");
	ck_assert_uint_eq(back->nfields, 2);
	ck_assert_str_eq(back->values[1], "لاہور");
	request_free(back);
	free(s);

	/* a value that is not UTF-8 makes no JSON at all */
	q.values = bad;
	q.nparams = 1;
	ck_assert_ptr_null(query_json(&q));
	r.values = bad;
	r.nfields = 1;
	ck_assert_ptr_null(request_json(&r));
}
END_TEST

/* The request s with prefix first in its object: decoded, it has no
 * json of its own and goes as request_json() writes it, s. */
static void
check_rewritten(const char *prefix, const char *s)
{
	struct request	*back;
	char		*other, *made;

	xasprintf(&other, "{%s%s", prefix, s + 1);
	back = request_decode(other, err, sizeof err);
	ck_assert_ptr_nonnull(back);
	ck_assert_ptr_null(back->json);
	ck_assert_str_eq(request_text(back, &made), s);
	free(made);
	request_free(back);
	free(other);
}

/* A decoded request carries its text to send, when that is what
 * request_json() would write. */
START_TEST(request_text_as_read)
{
	static const char *const names[] = { "district" };
	static const char *const values[] = { "لاہور" };
	struct request	 r = { "key1", "K7MX3Q", "*786#", "help",
	    "923001234567", "2a9b40a5ff98", "en", 1795427139953LL, names,
	    values, 1, NULL };
	struct request	*back;
	const char	*text;
	char		*s, *made;

	/* built field by field: written now */
	s = request_json(&r);
	text = request_text(&r, &made);
	ck_assert_ptr_nonnull(made);
	ck_assert_str_eq(text, s);
	free(made);

	/* decoded: the text as it came, not written again */
	back = request_decode(s, err, sizeof err);
	ck_assert_ptr_nonnull(back);
	ck_assert_ptr_nonnull(back->json);
	ck_assert_ptr_ne(back->json, s);
	text = request_text(back, &made);
	ck_assert_ptr_null(made);
	ck_assert_ptr_eq(text, back->json);
	ck_assert_str_eq(text, s);
	request_free(back);

	/* a member more, a line break, a key twice (the last counts):
	 * written again, as before */
	check_rewritten("\"extra\":1,", s);
	check_rewritten("\n", s);
	check_rewritten("\"ref\":\"X\",", s);
	free(s);

	/* not a request: refused as before */
	ck_assert_ptr_null(request_decode("{\"ref\":\"K7MX3Q\"}", err,
	    sizeof err));
	ck_assert_str_eq(err, "a request field is missing or not a string");
	ck_assert_ptr_null(request_decode("[1]", err, sizeof err));
	ck_assert_str_eq(err, "not a JSON object: wrong type");
}
END_TEST

static const char *const types[] = { "file", "http", "redis-stream" };

/* Every type's table: names unique and not "type"; a required setting
 * has no default; an integer's default lies in its range, or is 0 for
 * "none". */
/* Signatures as the back office checks them (vectors from Python's hmac
 * module); a signer keyed once signs call after call alike. */
START_TEST(signatures)
{
	static const char	 body_a[] = "{\"a\":1}",
				 body_b[] = "{\"a\":2}";
	static const char	 want_a[] = "v1=ea46b5605e477a634bf504e1b42c1ea2"
				    "a3ce36203f1d6bc8df820c42a58cdf8f";
	static const char	 want_b[] = "v1=75ca90a93c54f13343f0ae9d5dd3067"
				    "5e75fde91459542a32f3763afa91462c3";
	struct signer		*sg = signer_new("bench-secret");
	char			 sig[ADAPTER_SIG_LEN];

	for (int i = 0; i < 3; i++) {
		signer_sign(sg, "1700000000", body_a, strlen(body_a), sig);
		ck_assert_str_eq(sig, want_a);
		signer_sign(sg, "1700000001", body_b, strlen(body_b), sig);
		ck_assert_str_eq(sig, want_b);
	}
	signer_free(sg);
	adapter_sign("bench-secret", "1700000000", body_a, strlen(body_a), sig);
	ck_assert_str_eq(sig, want_a);
	adapter_sign("other-secret", "1700000000", body_a, strlen(body_a), sig);
	ck_assert_str_ne(sig, want_a);
}
END_TEST

START_TEST(key_tables)
{
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		const struct adapter_ops *ops = adapter_find(types[t]);
		const struct adapter_key *k;

		ck_assert_ptr_nonnull(ops);
		ck_assert_ptr_nonnull(ops->keys);
		for (k = ops->keys; k->name != NULL; k++) {
			ck_assert_str_ne(k->name, "type");
			ck_assert_ptr_eq(adapter_key_find(ops->keys, k->name),
			    k);
			if (k->required)
				ck_assert_ptr_null(k->def);
			if (k->kind != ADAPTER_INT)
				continue;
			ck_assert_int_le(k->min, k->max);
			ck_assert(k->idef == 0 ||
			    (k->idef >= k->min && k->idef <= k->max));
		}
		ck_assert_ptr_null(adapter_key_find(ops->keys, "nconns"));
	}
	ck_assert_ptr_null(adapter_find("carrier-pigeon"));
}
END_TEST

START_TEST(settings_defaults)
{
	struct adapter_settings	*s;

	s = adapter_settings_new(adapter_find("http")->keys);
	ck_assert_ptr_null(adapter_setting_str(s, "url"));
	ck_assert_ptr_null(adapter_setting_str(s, "secret"));
	ck_assert_ptr_null(adapter_setting_str(s, "lookup_path"));
	ck_assert_int_eq(adapter_setting_int(s, "timeout_ms"), 5000);
	ck_assert_int_eq(adapter_setting_int(s, "connections"), 4);
	adapter_settings_free(s);

	s = adapter_settings_new(adapter_find("redis-stream")->keys);
	ck_assert_str_eq(adapter_setting_str(s, "host"), "127.0.0.1");
	ck_assert_str_eq(adapter_setting_str(s, "password"), "");
	ck_assert_int_eq(adapter_setting_int(s, "port"), 6379);
	ck_assert_int_eq(adapter_setting_int(s, "db"), 0);
	ck_assert_int_eq(adapter_setting_int(s, "maxlen"), 0);
	ck_assert_int_eq(adapter_setting_int(s, "timeout_ms"), 1000);
	adapter_settings_free(s);
	adapter_settings_free(NULL);
}
END_TEST

/* Asking for an undeclared setting, or one of another kind, is a bug
 * (held in a static: the process exits with it still allocated). */
static struct adapter_settings *doomed;

START_TEST(settings_undeclared)
{
	doomed = adapter_settings_new(adapter_find("file")->keys);
	(void)adapter_setting_str(doomed, "url");
}
END_TEST

START_TEST(settings_wrong_kind)
{
	doomed = adapter_settings_new(adapter_find("http")->keys);
	(void)adapter_setting_int(doomed, "url");
}
END_TEST

/* Sets a text setting of s by name. */
static void
set_str(struct adapter_settings *s, const char *name, const char *v)
{
	const struct adapter_key *k = adapter_key_find(s->keys, name);

	ck_assert_ptr_nonnull(k);
	free(s->values[k - s->keys].str);
	s->values[k - s->keys].str = xstrdup(v);
}

/* An http adapter opens from the values alone: nothing to parse. */
START_TEST(http_opens_from_settings)
{
	struct event_base	*base = event_base_new();
	struct conf_adapter	 ca = { .name = "bo", .type = "http" };
	struct adapter		*ad;
	char			 why[200];

	ca.settings = adapter_settings_new(adapter_find("http")->keys);
	set_str(ca.settings, "url", "http://127.0.0.1:9/requests?x=1");
	set_str(ca.settings, "secret", "s3cret");
	ad = adapter_open(base, &ca, why, sizeof why);
	ck_assert_msg(ad != NULL, "%s", why);
	adapter_close(ad);
	adapter_settings_free(ca.settings);
	event_base_free(base);
}
END_TEST

static Suite *
adapter_suite(void)
{
	Suite	*s = suite_create("adapter");
	TCase	*tc = tcase_create("json");
	TCase	*ts = tcase_create("settings");

	tcase_add_checked_fixture(tc, NULL, teardown);
	UNIT_ADD(tc, signatures, answer_scalars, answer_found, answer_arrays,
	    answer_limits, answer_not_an_object, query_and_request_json,
	    request_text_as_read);
	suite_add_tcase(s, tc);
	tcase_add_test(ts, key_tables);
	tcase_add_test(ts, settings_defaults);
	tcase_add_exit_test(ts, settings_undeclared, 1);
	tcase_add_exit_test(ts, settings_wrong_kind, 1);
	tcase_add_test(ts, http_opens_from_settings);
	suite_add_tcase(s, ts);
	return s;
}

int
main(void)
{
	return unit_run(adapter_suite());
}
