/*
 * Unit tests for refcode.c: reference codes for submitted requests.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "refcode.h"
#include "unit.h"

#define ALPHABET	"23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

static int
cmp_codes(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(test_new_valid)
{
	char	 buf[REFCODE_LEN + 1];

	ck_assert_uint_eq(REFCODE_LEN, 6);
	ck_assert_uint_eq(strlen(ALPHABET), 32);
	for (int i = 0; i < 1000; i++) {
		memset(buf, 'x', sizeof buf);
		refcode_new(buf, sizeof buf);
		ck_assert_uint_eq(strlen(buf), REFCODE_LEN);
		ck_assert_msg(refcode_valid(buf), "invalid code %s", buf);
		ck_assert_msg(strspn(buf, ALPHABET) == REFCODE_LEN,
		    "code %s has a symbol outside the alphabet", buf);
		ck_assert_msg(strpbrk(buf, "0O1Iabcdefghijklmnopqrstuvwxyz") ==
		    NULL, "code %s has a forbidden symbol", buf);
	}
}
END_TEST

START_TEST(test_new_buffer)
{
	char	 buf[16];

	/* Exactly the bytes promised, nothing past them. */
	memset(buf, '#', sizeof buf);
	refcode_new(buf, 7);
	ck_assert_int_eq(buf[6], '\0');
	for (size_t i = 7; i < sizeof buf; i++)
		ck_assert_int_eq(buf[i], '#');
	ck_assert(refcode_valid(buf));

	memset(buf, '#', sizeof buf);
	refcode_new(buf, sizeof buf);
	ck_assert_uint_eq(strlen(buf), 6);
	ck_assert_int_eq(buf[7], '#');
}
END_TEST

START_TEST(test_new_short_buffer)
{
	char	 buf[REFCODE_LEN];

	refcode_new(buf, sizeof buf);	/* exits */
}
END_TEST

START_TEST(test_new_distinct)
{
	enum { N = 1000 };
	char	(*codes)[REFCODE_LEN + 1];
	int	 dups = 0;

	codes = calloc(N, sizeof *codes);
	ck_assert_ptr_nonnull(codes);
	for (int i = 0; i < N; i++)
		refcode_new(codes[i], sizeof codes[i]);
	qsort(codes, N, sizeof *codes, cmp_codes);
	for (int i = 1; i < N; i++)
		if (strcmp(codes[i - 1], codes[i]) == 0)
			dups++;
	/* 30 bits: one pair repeats with probability 1000^2 / 2^31, about
	 * 1 in 2000; two pairs practically never. */
	ck_assert_msg(dups <= 1, "%d repeated codes in %d", dups, N);
	free(codes);
}
END_TEST

START_TEST(test_new_uniform)
{
	enum { N = 10000 };
	unsigned counts[REFCODE_LEN][32];
	unsigned total[32];
	char	 buf[REFCODE_LEN + 1];
	const char *p;

	memset(counts, 0, sizeof counts);
	memset(total, 0, sizeof total);
	for (int i = 0; i < N; i++) {
		refcode_new(buf, sizeof buf);
		for (int j = 0; j < REFCODE_LEN; j++) {
			p = strchr(ALPHABET, buf[j]);
			ck_assert_ptr_nonnull(p);
			counts[j][p - ALPHABET]++;
			total[p - ALPHABET]++;
		}
	}
	/* Each symbol is expected 60000 / 32 = 1875 times (sd ~43); a
	 * biased or narrowed draw lands far outside 1500..2250.  Every
	 * position sees every symbol. */
	for (int k = 0; k < 32; k++) {
		ck_assert_msg(total[k] >= 1500 && total[k] <= 2250,
		    "symbol %c drawn %u times", ALPHABET[k], total[k]);
		for (int j = 0; j < REFCODE_LEN; j++)
			ck_assert_msg(counts[j][k] > 0,
			    "symbol %c never at position %d", ALPHABET[k], j);
	}
}
END_TEST

START_TEST(test_valid)
{
	static const char *const good[] = {
		"7K3QX9", "7k3qx9", "7K3qX9", "222222", "ZZZZZZ", "abcdef",
		"23456H", "JKLMNP", "VWXYZ9",
	};
	static const char *const bad[] = {
		"", "7K3QX", "7K3QX99", "7K3QX0", "O23456", "o23456",
		"1ABCDE", "IABCDE", "iabcde", "7K3 X9", "7K3-X9", " 7K3QX",
		"7K3QX ", "7K3QX\n", "7K3QX\xc3", "\303\211BCDE", "7K3QX9\n",
		"ABCDEFGH", "@BCDEF", "[BCDEF", "`bcdef", "{bcdef",
	};

	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(refcode_valid(good[i]) == 1, "\"%s\" rejected",
		    good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(refcode_valid(bad[i]) == 0, "\"%s\" accepted",
		    bad[i]);
	ck_assert_int_eq(refcode_valid(NULL), 0);

	/* Every symbol, in both cases; nothing else of ASCII. */
	for (int c = 1; c < 128; c++) {
		char	 s[REFCODE_LEN + 1];
		int	 want;

		memset(s, 'A', REFCODE_LEN);
		s[REFCODE_LEN] = '\0';
		s[3] = (char)c;
		want = c != 0 && strchr(ALPHABET, c >= 'a' && c <= 'z' ?
		    c - 'a' + 'A' : c) != NULL;
		ck_assert_msg(refcode_valid(s) == want, "0x%02x: %d", c, !want);
	}
}
END_TEST

START_TEST(test_normalize)
{
	char	 s[32];

	strcpy(s, "7k3qx9");
	refcode_normalize(s);
	ck_assert_str_eq(s, "7K3QX9");
	ck_assert(refcode_valid(s));

	strcpy(s, "AbC-dEf \xc3\xa9z");
	refcode_normalize(s);
	ck_assert_str_eq(s, "ABC-DEF \xc3\xa9Z");

	strcpy(s, "");
	refcode_normalize(s);
	ck_assert_str_eq(s, "");
	refcode_normalize(NULL);

	/* A code the subscriber typed in lower case matches the issued one
	 * once normalized. */
	{
		char	 issued[REFCODE_LEN + 1], typed[REFCODE_LEN + 1];

		refcode_new(issued, sizeof issued);
		for (int i = 0; i <= REFCODE_LEN; i++)
			typed[i] = (char)(issued[i] >= 'A' &&
			    issued[i] <= 'Z' ? issued[i] - 'A' + 'a' :
			    issued[i]);
		ck_assert(refcode_valid(typed));
		refcode_normalize(typed);
		ck_assert_str_eq(typed, issued);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("refcode");
	TCase	*tc = tcase_create("refcode");
	SRunner	*sr;
	int	 failed;

	UNIT_ADD(tc, test_new_valid, test_new_buffer, test_new_distinct,
	    test_new_uniform, test_valid, test_normalize);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* fatalx() exits the process: only testable in a child. */
	if (srunner_fork_status(sr) != CK_NOFORK)
		tcase_add_exit_test(tc, test_new_short_buffer, 1);

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
