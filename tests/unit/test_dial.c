/*
 * Unit tests for dial.c: a USSD dial split into its code and inputs, and
 * a path walked input by input.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dial.h"
#include "unit.h"

/* Splits text; ck-asserts the code and inputs it gives. */
static void
split_ok(const char *text, const char *code, const char *inputs)
{
	char	 got[40], *in = NULL;

	ck_assert_msg(dial_split(text, got, sizeof got, &in) == 0,
	    "%s refused", text);
	ck_assert_str_eq(got, code);
	ck_assert_str_eq(in, inputs);
	free(in);
}

START_TEST(test_split)
{
	split_ok("*786#", "*786#", "");
	split_ok("*786*1#", "*786#", "1");
	split_ok("*786*1*2#", "*786#", "1*2");
	split_ok("#786*1*2#", "#786#", "1*2");
	split_ok("*786*3520212345671*Ali#", "*786#", "3520212345671*Ali");
	/* Empty inputs are kept, for the menu to refuse. */
	split_ok("*786**1#", "*786#", "*1");
	split_ok("*786*#", "*786#", "");
	/* A '#' right after the code ends the dial: nothing after counts. */
	split_ok("*786#1#", "*786#", "");
}
END_TEST

START_TEST(test_split_refused)
{
	static const char *const bad[] = {
		"", "*", "#", "*#", "**#", "786", "*786", "786#", "1*2",
		"*78a6#", "*786*1*2", "* 786#", "*786 #",
	};
	char	 code[40], *in;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		strcpy(code, "untouched");
		in = (char *)"untouched";
		ck_assert_msg(dial_split(bad[i], code, sizeof code, &in) == -1,
		    "%s taken", bad[i]);
		ck_assert_str_eq(code, "untouched");
		ck_assert_str_eq(in, "untouched");
	}
}
END_TEST

START_TEST(test_split_code_too_long)
{
	char	 code[6], *in = NULL;

	/* "*7866#" needs seven bytes with its NUL. */
	ck_assert_int_eq(dial_split("*7866*1#", code, sizeof code, &in), -1);
	ck_assert_ptr_null(in);
	ck_assert_int_eq(dial_split("*786*1#", code, sizeof code, &in), 0);
	ck_assert_str_eq(code, "*786#");
	ck_assert_str_eq(in, "1");
	free(in);
}
END_TEST

START_TEST(test_count)
{
	ck_assert_uint_eq(path_count(""), 0);
	ck_assert_uint_eq(path_count("1"), 1);
	ck_assert_uint_eq(path_count("1*2"), 2);
	ck_assert_uint_eq(path_count("1*"), 2);
	ck_assert_uint_eq(path_count("*"), 2);
	ck_assert_uint_eq(path_count("1*1*1*1*1234*1"), 6);
}
END_TEST

/* Walks path; ck-asserts it gives exactly the inputs expected. */
static void
walk_ok(const char *path, const char *const *want, size_t nwant)
{
	const char	*cursor = path, *in;
	size_t		 n = path_count(path), len;

	ck_assert_uint_eq(n, nwant);
	for (size_t i = 0; i < n; i++) {
		in = path_next(&cursor, &len);
		ck_assert_uint_eq(len, strlen(want[i]));
		ck_assert_msg(strncmp(in, want[i], len) == 0,
		    "%s: input %zu is %.*s, not %s", path, i, (int)len, in,
		    want[i]);
	}
	ck_assert_str_eq(cursor, "");
}

START_TEST(test_next)
{
	walk_ok("1", (const char *[]){ "1" }, 1);
	walk_ok("1*2", (const char *[]){ "1", "2" }, 2);
	walk_ok("1*1*1*1*Ali Khan*1234",
	    (const char *[]){ "1", "1", "1", "1", "Ali Khan", "1234" }, 6);
	walk_ok("1**2", (const char *[]){ "1", "", "2" }, 3);
	walk_ok("1*", (const char *[]){ "1", "" }, 2);
	walk_ok("*", (const char *[]){ "", "" }, 2);
	walk_ok("۱*۲", (const char *[]){ "۱", "۲" }, 2);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("dial");
	TCase	*tc = tcase_create("dial");

	UNIT_ADD(tc, test_split, test_split_refused, test_split_code_too_long,
	    test_count, test_next);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
