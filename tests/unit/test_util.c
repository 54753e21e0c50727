/*
 * Unit tests for util.c: the shared toolkit of clocks, numbers, hex,
 * backoff and deferred calls; and xstrcat() of xmalloc.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"
#include "util.h"
#include "xmalloc.h"

static void
dec_agrees(unsigned long long v)
{
	char	 want[24], buf[24];

	snprintf(want, sizeof want, "%llu", v);
	*dec_put(buf, v) = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(test_dec_put)
{
	static const struct {
		unsigned long long	 v;
		const char		*want;
	} cases[] = {
		{ 0, "0" }, { 7, "7" }, { 10, "10" }, { 4294967295ULL,
		"4294967295" }, { 18446744073709551615ULL,
		"18446744073709551615" },
	};
	char	 buf[24], *end;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		memset(buf, 'x', sizeof buf);
		end = dec_put(buf, cases[i].v);
		ck_assert_int_eq(*end, 'x');	/* unterminated */
		*end = '\0';
		ck_assert_str_eq(buf, cases[i].want);
		memset(buf, 'x', sizeof buf);
		ck_assert_ptr_eq(dec_str(buf, cases[i].v), buf);
		ck_assert_str_eq(buf, cases[i].want);
	}
	/* Every value up to 100 000 and each power of ten's neighbours
	 * agree with printf: the two-digit steps and the odd digit out. */
	for (unsigned long long v = 0; v <= 100000; v++)
		dec_agrees(v);
	for (unsigned long long p = 100000; p <= 10000000000000000000ULL;
	    p *= 10) {
		dec_agrees(p - 1);
		dec_agrees(p);
		dec_agrees(p + 1);
		if (p == 10000000000000000000ULL)
			break;
	}
}
END_TEST

START_TEST(test_hash_bytes)
{
	const char	 text[] = "ussd:923001234567:786";
	uint64_t	 h = hash_bytes(HASH_SEED, text, strlen(text));
	char		 copy[sizeof text + 8];

	/* The same bytes anywhere in memory hash the same. */
	memcpy(copy + 3, text, sizeof text);
	ck_assert_uint_eq(hash_bytes(HASH_SEED, copy + 3, strlen(text)), h);
	/* A change in the word part, in the tail, or of the length shows. */
	copy[3 + 2] ^= 1;
	ck_assert_uint_ne(hash_bytes(HASH_SEED, copy + 3, strlen(text)), h);
	copy[3 + 2] ^= 1;
	copy[3 + 20] ^= 1;
	ck_assert_uint_ne(hash_bytes(HASH_SEED, copy + 3, strlen(text)), h);
	ck_assert_uint_ne(hash_bytes(HASH_SEED, text, strlen(text) - 1), h);
	/* Chaining is not concatenation's order-blind sum. */
	ck_assert_uint_ne(hash_bytes(hash_bytes(HASH_SEED, "ab", 2), "c", 1),
	    hash_bytes(hash_bytes(HASH_SEED, "c", 1), "ab", 2));
	/* Keys differing in one digit spread over a small table. */
	{
		unsigned	 used[16] = { 0 }, n = 0;
		char		 key[] = "923001234560";

		for (int d = 0; d < 10; d++) {
			key[11] = (char)('0' + d);
			used[hash_bytes(HASH_SEED, key, 12) % 16]++;
		}
		for (int i = 0; i < 16; i++)
			n += used[i] != 0;
		ck_assert_uint_ge(n, 5);
	}
}
END_TEST

START_TEST(test_xstrcat)
{
	char	*s;

	s = xstrcat("asanigw:{", "923001234567", "}:ussd:", "", "b1",
	    (char *)NULL);
	ck_assert_str_eq(s, "asanigw:{923001234567}:ussd:b1");
	free(s);
	s = xstrcat("", (char *)NULL);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_hex)
{
	const unsigned char	 b[] = { 0x00, 0x9f, 0xa0, 0xff };
	char			 out[9], small[6];

	ck_assert_str_eq(hex_encode(b, sizeof b, out, sizeof out),
	    "009fa0ff");
	/* Only whole bytes that fit, always terminated. */
	ck_assert_str_eq(hex_encode(b, sizeof b, small, sizeof small),
	    "009f");
	ck_assert_str_eq(hex_encode(b, 0, out, sizeof out), "");
	ck_assert_int_eq(hex_digit('0'), 0);
	ck_assert_int_eq(hex_digit('9'), 9);
	ck_assert_int_eq(hex_digit('a'), 10);
	ck_assert_int_eq(hex_digit('F'), 15);
	ck_assert_int_eq(hex_digit('g'), -1);
	ck_assert_int_eq(hex_digit('%'), -1);
	ck_assert_int_eq(hex_digit('\0'), -1);
}
END_TEST

START_TEST(test_ms_to_tv)
{
	struct timeval	 tv = ms_to_tv(2750);

	ck_assert_int_eq(tv.tv_sec, 2);
	ck_assert_int_eq(tv.tv_usec, 750000);
	tv = ms_to_tv(0);
	ck_assert_int_eq(tv.tv_sec, 0);
	ck_assert_int_eq(tv.tv_usec, 0);
}
END_TEST

START_TEST(test_backoff_bounds)
{
	for (int i = 0; i < 1000; i++) {
		unsigned	 d;

		d = backoff_delay_ms(100, 30000, 1);
		ck_assert_uint_ge(d, 50);
		ck_assert_uint_le(d, 100);
		d = backoff_delay_ms(100, 30000, 4);
		ck_assert_uint_ge(d, 400);
		ck_assert_uint_le(d, 800);
		/* Capped, however many attempts. */
		d = backoff_delay_ms(100, 30000, 200);
		ck_assert_uint_ge(d, 15000);
		ck_assert_uint_le(d, 30000);
		ck_assert_uint_le(jitter_ms(1), 1);
	}
}
END_TEST

/* The first few delays a fresh process draws, as a gateway would after
 * losing Redis at the same instant as its peers. */
static void
first_delays(unsigned *d, size_t n)
{
	int	 fd[2];
	pid_t	 pid;

	ck_assert_int_eq(pipe(fd), 0);
	if ((pid = fork()) == 0) {
		close(fd[0]);
		for (size_t i = 0; i < n; i++)
			d[i] = backoff_delay_ms(1000, 30000, 5);
		_exit(write(fd[1], d, n * sizeof *d) ==
		    (ssize_t)(n * sizeof *d) ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	close(fd[1]);
	ck_assert_int_eq(read(fd[0], d, n * sizeof *d),
	    (ssize_t)(n * sizeof *d));
	close(fd[0]);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}

START_TEST(test_backoff_differs_between_processes)
{
	unsigned	 a[8], b[8];

	first_delays(a, 8);
	first_delays(b, 8);
	/* 8 draws from 8001 values each: equal only by a fault. */
	ck_assert_msg(memcmp(a, b, sizeof a) != 0,
	    "two processes drew the same backoff delays");
}
END_TEST

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	ck_assert_int_eq(what, EV_TIMEOUT);
	(*(int *)arg)++;
}

START_TEST(test_defer_call)
{
	struct event_base	*base = event_base_new();
	int			 n = 0;

	defer_call(base, count_cb, &n);
	ck_assert_int_eq(n, 0);		/* never from inside the call */
	event_base_dispatch(base);
	ck_assert_int_eq(n, 1);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("util");

	UNIT_ADD(tc, test_dec_put, test_hash_bytes, test_xstrcat, test_hex,
	    test_ms_to_tv, test_backoff_bounds,
	    test_backoff_differs_between_processes, test_defer_call);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
