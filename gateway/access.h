/*
 * Who may call an HTTP endpoint that is not for the public: an address
 * allowlist (single addresses or CIDR prefixes, IPv4 and IPv6) and a
 * shared secret compared in constant time.
 */
#ifndef ASANIGW_ACCESS_H
#define ASANIGW_ACCESS_H

#include <stddef.h>

struct sockaddr;

struct access_net {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network byte order, host bits 0 */
	unsigned	bits;		/* prefix length */
};

/* Parses "192.0.2.1", "10.0.0.0/8", "::1" or "2001:db8::/32"; -1 with a
 * sentence in err if it is none of these or has host bits set. */
int	access_net_parse(const char *, struct access_net *, char *err,
	    size_t errlen);

/* 1 if the peer address is in one of the nets.  An IPv4 peer that came
 * over IPv6 (::ffff:a.b.c.d) is matched as IPv4. */
int	access_allowed(const struct access_net *, size_t n,
	    const struct sockaddr *);

/* 1 if given equals secret, in time that tells nothing of how much of it
 * matched, or of the secret's length.  An empty secret matches nothing. */
int	access_secret_equal(const char *given, const char *secret);

#endif
