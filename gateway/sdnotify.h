/*
 * Telling systemd how the daemon is doing (a Type=notify unit): READY=1
 * once it serves, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 on
 * the way out.  Without $NOTIFY_SOCKET (not started by systemd) nothing
 * is sent.
 */
#ifndef ASANIGW_SDNOTIFY_H
#define ASANIGW_SDNOTIFY_H

/* Sends state ("READY=1", ...) to the service manager; 0 when sent or
 * there is none to tell, -1 with errno if the socket refused it. */
int	sdnotify(const char *state);
/* RELOADING=1 with the MONOTONIC_USEC systemd wants beside it. */
int	sdnotify_reloading(void);

#endif
