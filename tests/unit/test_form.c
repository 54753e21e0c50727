/*
 * Unit tests for form.c: the strict reader of urlencoded forms that the
 * aggregator and /admin/send share.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "form.h"
#include "unit.h"

static struct form	 f;
static char		 why[128];

static int
parse(const char *s)
{
	form_clear(&f);
	why[0] = '\0';
	return form_parse(s, strlen(s), &f, why, sizeof why);
}

static void
teardown(void)
{
	form_clear(&f);
}

START_TEST(plain)
{
	ck_assert_int_eq(parse("a=1&b=x+y%2Az&c=&d"), 0);
	ck_assert_uint_eq(f.n, 4);
	ck_assert_str_eq(form_get(&f, "a"), "1");
	ck_assert_str_eq(form_get(&f, "b"), "x y*z");
	ck_assert_str_eq(form_get(&f, "c"), "");
	ck_assert_str_eq(form_get(&f, "d"), "");
	ck_assert_ptr_null(form_get(&f, "e"));
	/* empty pairs are skipped; a value may hold '=' */
	ck_assert_int_eq(parse("&&a=1&&b=x=y&"), 0);
	ck_assert_uint_eq(f.n, 2);
	ck_assert_str_eq(form_get(&f, "b"), "x=y");
	ck_assert_int_eq(parse(""), 0);
	ck_assert_uint_eq(f.n, 0);
	/* UTF-8 escaped and lower-case hex */
	ck_assert_int_eq(parse("t=%d8%a7%D8%A7"), 0);
	ck_assert_str_eq(form_get(&f, "t"), "\xd8\xa7\xd8\xa7");
}
END_TEST

START_TEST(nul)
{
	ck_assert_int_eq(parse("sessionId=nul1%00XYZ"), -1);
	ck_assert_str_eq(why, "field sessionId holds a NUL byte");
	ck_assert_uint_eq(f.n, 0);
	ck_assert_int_eq(parse("a=1&phoneNumber=923001117777%00junk"), -1);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_int_eq(parse("a%00=1"), -1);
	ck_assert_int_eq(form_parse("a=1\0b", 5, &f, why, sizeof why), -1);
	ck_assert_str_eq(why, "field a holds a NUL byte");
	ck_assert_int_eq(form_parse("a=1&\0=2", 7, &f, why, sizeof why), -1);
}
END_TEST

START_TEST(bad_escapes)
{
	const char *const bad[] = { "text=%zz", "text=1%", "text=%4",
		"text=%4g", "text=%%41", "te%xt=1", "a=1&b=%" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(parse(bad[i]) == -1, "%s", bad[i]);
		ck_assert_msg(strstr(why, "invalid percent escape") != NULL,
		    "%s: %s", bad[i], why);
	}
	ck_assert_str_eq((parse("text=1%"), why),
	    "field text holds an invalid percent escape");
	/* the input need not end with a NUL: "%4" then whatever follows
	 * in memory is not read */
	ck_assert_int_eq(form_parse("a=%41%4142", 6, &f, why, sizeof why),
	    -1);
	ck_assert_int_eq(form_parse("a=%41%4142", 7, &f, why, sizeof why),
	    -1);
	ck_assert_int_eq(form_parse("a=%41%4142", 8, &f, why, sizeof why),
	    0);
	ck_assert_str_eq(form_get(&f, "a"), "AA");
}
END_TEST

START_TEST(names)
{
	ck_assert_int_eq(parse("=1"), -1);
	ck_assert_str_eq(why, "a field has no name");
	ck_assert_int_eq(parse("a=1&b=2&a=3"), -1);
	ck_assert_str_eq(why, "field a is given twice");
	/* a name from outside is not echoed unless plain */
	ck_assert_int_eq(parse("a%0Ab=1&a%0Ab=2"), -1);
	ck_assert_ptr_null(strchr(why, '\n'));
	ck_assert_int_eq(parse("a%0Ab=%zz"), -1);
	ck_assert_ptr_null(strchr(why, '\n'));
}
END_TEST

START_TEST(too_many)
{
	char	 s[1024] = "";

	for (int i = 0; i < 64; i++)
		snprintf(s + strlen(s), sizeof s - strlen(s), "f%d=&", i);
	ck_assert_int_eq(parse(s), 0);
	ck_assert_uint_eq(f.n, 64);
	strcat(s, "one=more");
	ck_assert_int_eq(parse(s), -1);
	ck_assert_str_eq(why, "more than 64 fields");
}
END_TEST

START_TEST(content_type)
{
	const char	*good[] = { "application/x-www-form-urlencoded",
		"Application/X-WWW-Form-URLEncoded",
		"application/x-www-form-urlencoded; charset=utf-8",
		"application/x-www-form-urlencoded;charset=UTF-8",
		" application/x-www-form-urlencoded " };
	const char	*bad[] = { "", "text/plain", "application/json",
		"application/x-www-form-urlencodedX",
		"application/x-www-form-urlencoded, text/plain",
		"multipart/form-data; boundary=x" };

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_msg(form_read("a=1", 3, good[i], &f, why,
		    sizeof why) == 0, "%s: %s", good[i], why);
		ck_assert_str_eq(form_get(&f, "a"), "1");
		form_clear(&f);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(form_read("a=1", 3, bad[i], &f, why,
		    sizeof why) == -1, "%s", bad[i]);
		ck_assert_str_eq(why, "Content-Type must be "
		    "application/x-www-form-urlencoded");
		ck_assert_uint_eq(f.n, 0);
	}
	ck_assert_int_eq(form_read("a=1", 3, NULL, &f, why, sizeof why), -1);
	ck_assert_str_eq(why, "Content-Type is missing: use "
	    "application/x-www-form-urlencoded");
	/* the body's own faults come after */
	ck_assert_int_eq(form_read("a=%zz", 5,
	    "application/x-www-form-urlencoded", &f, why, sizeof why), -1);
	ck_assert_str_eq(why, "field a holds an invalid percent escape");
}
END_TEST

static Suite *
form_suite(void)
{
	Suite	*s = suite_create("form");
	TCase	*tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, teardown);
	UNIT_ADD(tc, plain, nul, bad_escapes, names, too_many, content_type);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(form_suite());
}
