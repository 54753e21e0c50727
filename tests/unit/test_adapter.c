/*
 * Unit tests for what every adapter shares (adapter.c): the request and
 * query JSON, and reading a back office's answer to a lookup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "adapter.h"
#include "unit.h"

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
	    values, 2 };
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

static Suite *
adapter_suite(void)
{
	Suite	*s = suite_create("adapter");
	TCase	*tc = tcase_create("json");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, answer_scalars);
	tcase_add_test(tc, answer_found);
	tcase_add_test(tc, answer_arrays);
	tcase_add_test(tc, answer_limits);
	tcase_add_test(tc, answer_not_an_object);
	tcase_add_test(tc, query_and_request_json);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(adapter_suite());
}
