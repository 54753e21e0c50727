/*
 * Unit tests for msisdn.c: the one check every number goes through.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "msisdn.h"
#include "unit.h"

START_TEST(test_valid)
{
	char	 out[MSISDN_SIZE];

	ck_assert_int_eq(msisdn_normalize("923001234567", out, sizeof out), 0);
	ck_assert_str_eq(out, "923001234567");
	/* The '+' is dropped: one subscriber, one key. */
	ck_assert_int_eq(msisdn_normalize("+923001234567", out, sizeof out),
	    0);
	ck_assert_str_eq(out, "923001234567");
	/* The shortest and the longest E.164 allows. */
	ck_assert_int_eq(msisdn_normalize("12345678", out, sizeof out), 0);
	ck_assert_str_eq(out, "12345678");
	ck_assert_int_eq(msisdn_normalize("+123456789012345", out,
	    sizeof out), 0);
	ck_assert_str_eq(out, "123456789012345");
}
END_TEST

START_TEST(test_invalid)
{
	static const char *const bad[] = {
		"", "+", "1234567", "1234567890123456", "0923001234567",
		"+0923001234567", "92300123456x", "9230 01234567",
		"++923001234567", "-923001234567", "92300123\xd9\xa4",
	};
	char	 out[MSISDN_SIZE];

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(out, sizeof out, "untouched");
		ck_assert_msg(msisdn_normalize(bad[i], out, sizeof out) == -1,
		    "\"%s\" taken for an MSISDN", bad[i]);
		ck_assert_str_eq(out, "untouched");
	}
}
END_TEST

START_TEST(test_short_buffer)
{
	char	 out[MSISDN_SIZE];

	/* Twelve digits need thirteen bytes: refused, not cut. */
	memset(out, '#', sizeof out);
	ck_assert_int_eq(msisdn_normalize("923001234567", out, 12), -1);
	ck_assert_int_eq(out[0], '#');
	ck_assert_int_eq(msisdn_normalize("923001234567", out, 13), 0);
	ck_assert_str_eq(out, "923001234567");
	ck_assert_int_eq(out[13], '#');
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("msisdn");
	TCase	*tc = tcase_create("msisdn");

	UNIT_ADD(tc, test_valid, test_invalid, test_short_buffer);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
