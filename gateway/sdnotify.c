/*
 * systemd's notification protocol, written by hand: one datagram of
 * "KEY=VALUE" lines to the AF_UNIX socket named in $NOTIFY_SOCKET (a
 * name starting with '@' is in the abstract namespace).  sd_notify(3)
 * documents the protocol as stable; linking libsystemd for these thirty
 * lines would add a dependency, and a build for machines without
 * systemd, for nothing.
 */
#define _DEFAULT_SOURCE
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"

int
sdnotify(const char *state)
{
	const char		*path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un	 sun;
	size_t			 n;
	int			 fd, rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	if ((path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof sun.sun_path) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rc = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) == -1 ?
	    -1 : 0;
	close(fd);
	return rc;
}

int
sdnotify_reloading(void)
{
	struct timespec	 ts;
	char		 msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return sdnotify(msg);
}
