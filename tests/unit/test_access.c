/*
 * Unit tests for access.c: address allowlists and the shared secret.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string.h>

#include <check.h>

#include "access.h"
#include "unit.h"

static struct sockaddr_storage
addr(const char *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, s, &in->sin_addr) == 1)
		in->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, s, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
	}
	return ss;
}

static int
allowed(const char *const *nets, size_t n, const char *peer)
{
	struct access_net	 parsed[8];
	struct sockaddr_storage	 ss = addr(peer);
	char			 err[128];

	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(access_net_parse(nets[i], &parsed[i], err,
		    sizeof err) == 0, "%s: %s", nets[i], err);
	return access_allowed(parsed, n, (struct sockaddr *)&ss);
}

START_TEST(test_parse_good)
{
	static const char *const good[] = { "127.0.0.1", "10.0.0.0/8",
		"0.0.0.0/0", "192.0.2.128/25", "::1", "2001:db8::/32", "::/0",
		"fe80::/10" };
	struct access_net	 n;
	char			 err[128];

	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(access_net_parse(good[i], &n, err, sizeof err) ==
		    0, "%s: %s", good[i], err);
	access_net_parse("10.0.0.0/8", &n, err, sizeof err);
	ck_assert_int_eq(n.family, AF_INET);
	ck_assert_uint_eq(n.bits, 8);
	access_net_parse("::1", &n, err, sizeof err);
	ck_assert_int_eq(n.family, AF_INET6);
	ck_assert_uint_eq(n.bits, 128);
}
END_TEST

START_TEST(test_parse_bad)
{
	static const struct {
		const char	*in, *want;
	} bad[] = {
		{ "", "not an IPv4" },
		{ "localhost", "not an IPv4" },
		{ "10.0.0.256", "not an IPv4" },
		{ "10.0.0.1/33", "prefix length" },
		{ "10.0.0.1/", "prefix length" },
		{ "10.0.0.1/-1", "prefix length" },
		{ "10.0.0.1/8x", "prefix length" },
		{ "::1/129", "prefix length" },
		{ "10.0.0.1/8", "past its prefix" },
		{ "2001:db8::1/32", "past its prefix" },
		{ "0123456789012345678901234567890123456789012345678901234567890"
		  "1234567", "not an address" },
	};
	struct access_net	 n;
	char			 err[128];

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		ck_assert_msg(access_net_parse(bad[i].in, &n, err, sizeof err) ==
		    -1, "accepted \"%s\"", bad[i].in);
		ck_assert_msg(strstr(err, bad[i].want) != NULL,
		    "\"%s\": message \"%s\" lacks \"%s\"", bad[i].in, err,
		    bad[i].want);
	}
}
END_TEST

START_TEST(test_allowed)
{
	static const char *const lo[] = { "127.0.0.1" };
	static const char *const nets[] = { "10.0.0.0/8", "192.0.2.128/25",
		"2001:db8::/32" };
	static const char *const any4[] = { "0.0.0.0/0" };

	ck_assert(allowed(lo, 1, "127.0.0.1"));
	ck_assert(!allowed(lo, 1, "127.0.0.2"));
	ck_assert(!allowed(lo, 1, "::1"));
	/* IPv4 over an IPv6 socket is IPv4. */
	ck_assert(allowed(lo, 1, "::ffff:127.0.0.1"));
	ck_assert(allowed(nets, 3, "10.255.1.2"));
	ck_assert(!allowed(nets, 3, "11.0.0.1"));
	ck_assert(allowed(nets, 3, "192.0.2.128"));
	ck_assert(allowed(nets, 3, "192.0.2.255"));
	ck_assert(!allowed(nets, 3, "192.0.2.127"));
	ck_assert(allowed(nets, 3, "2001:db8:ffff::1"));
	ck_assert(!allowed(nets, 3, "2001:db9::1"));
	ck_assert(allowed(any4, 1, "203.0.113.9"));
	ck_assert(!allowed(any4, 1, "2001:db8::1"));
	ck_assert(!allowed(NULL, 0, "127.0.0.1"));
	ck_assert(!access_allowed(NULL, 0, NULL));
}
END_TEST

START_TEST(test_secret)
{
	ck_assert(access_secret_equal("s3cret", "s3cret"));
	ck_assert(!access_secret_equal("s3cre", "s3cret"));
	ck_assert(!access_secret_equal("s3cret!", "s3cret"));
	ck_assert(!access_secret_equal("S3cret", "s3cret"));
	ck_assert(!access_secret_equal("", "s3cret"));
	ck_assert(!access_secret_equal(NULL, "s3cret"));
	/* No secret configured opens nothing. */
	ck_assert(!access_secret_equal("", ""));
	ck_assert(!access_secret_equal("x", ""));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("access");
	TCase	*tc = tcase_create("access");

	UNIT_ADD(tc,
	    test_parse_good, test_parse_bad, test_allowed, test_secret);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
