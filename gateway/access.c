/*
 * Access checks of access.h.  Addresses are compared as raw bytes against
 * a prefix mask, so IPv4, IPv6 and IPv4 mapped into IPv6 (what a dual-stack
 * listener sees) are one code path.  Secrets are compared as SHA-256
 * digests with CRYPTO_memcmp: equal lengths whatever was sent, so neither
 * how much matched nor the secret's length shows in the time taken.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "access.h"
#include "errlist.h"

int
access_net_parse(const char *s, struct access_net *n, char *err,
    size_t errlen)
{
	char		 buf[64], *slash, *end;
	unsigned	 max;
	long		 bits;

	if (strlen(s) >= sizeof buf) {
		err_set(err, errlen, "\"%s\" is not an address", s);
		return -1;
	}
	memset(n, 0, sizeof *n);
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else {
		err_set(err, errlen, "\"%s\" is not an IPv4 or IPv6 address",
		    s);
		return -1;
	}
	n->bits = max;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 ||
		    bits > (long)max) {
			err_set(err, errlen, "\"%s\": the prefix length must "
			    "be 0 to %u", s, max);
			return -1;
		}
		n->bits = (unsigned)bits;
	}
	for (unsigned i = n->bits; i < max; i++)
		if (n->addr[i / 8] & (0x80 >> (i % 8))) {
			err_set(err, errlen, "\"%s\" has bits set past its "
			    "prefix", s);
			return -1;
		}
	return 0;
}

static int
prefix_match(const unsigned char *a, const unsigned char *net,
    unsigned bits)
{
	unsigned	 whole = bits / 8, rest = bits % 8;
	unsigned char	 mask;

	if (memcmp(a, net, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == net[whole];
}

int
access_allowed(const struct access_net *nets, size_t n,
    const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };
	const unsigned char	*a;
	int			 family;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		family = AF_INET6;
		a = (const unsigned char *)
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (memcmp(a, mapped, sizeof mapped) == 0) {
			family = AF_INET;
			a += sizeof mapped;
		}
	} else
		return 0;
	for (size_t i = 0; i < n; i++)
		if (nets[i].family == family &&
		    prefix_match(a, nets[i].addr, nets[i].bits))
			return 1;
	return 0;
}

int
access_secret_equal(const char *given, const char *secret)
{
	unsigned char	 a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];

	if (given == NULL || secret == NULL || secret[0] == '\0')
		return 0;
	/* Digests are of equal length whatever the inputs: comparing them
	 * in constant time hides the secret's length too. */
	SHA256((const unsigned char *)given, strlen(given), a);
	SHA256((const unsigned char *)secret, strlen(secret), b);
	return CRYPTO_memcmp(a, b, sizeof a) == 0;
}
