#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "log.h"

enum log_level		 log_level_current = LOG_LEVEL_INFO;
static int		 log_foreground = 1;
static unsigned char	 log_secret[64];
static size_t		 log_secretlen;

static const char *const level_names[] = { "error", "warn", "info",
	"debug" };
static const int level_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	LOG_DEBUG };

void
log_init(int foreground, enum log_level level)
{
	log_foreground = foreground;
	log_level_current = level;
	if (!foreground)
		openlog("asanigw", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof level_names / sizeof *level_names; i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
log_set_secret(const char *key, size_t len)
{
	if (len > sizeof log_secret)
		len = sizeof log_secret;
	memcpy(log_secret, key, len);
	log_secretlen = len;
}

static void
vlog(enum log_level level, const char *emsg, const char *fmt, va_list ap)
{
	char		 line[2048];
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[32];

	vsnprintf(line, sizeof line, fmt, ap);
	if (!log_foreground) {
		if (emsg != NULL)
			syslog(level_prio[level], "%s: %s", line, emsg);
		else
			syslog(level_prio[level], "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (emsg != NULL)
		fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, level_names[level], line, emsg);
	else
		fprintf(stderr, "%s.%03ldZ %s %s\n", stamp,
		    ts.tv_nsec / 1000000, level_names[level], line);
}

#define LOG_FN(fn, level)						\
void									\
fn(const char *fmt, ...)						\
{									\
	va_list	 ap;							\
									\
	if (log_level_current < (level))				\
		return;							\
	va_start(ap, fmt);						\
	vlog((level), NULL, fmt, ap);					\
	va_end(ap);							\
}

LOG_FN(log_errorx, LOG_LEVEL_ERROR)
LOG_FN(log_warnx, LOG_LEVEL_WARN)
LOG_FN(log_infox, LOG_LEVEL_INFO)
LOG_FN(log_debugx, LOG_LEVEL_DEBUG)

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level_current < LOG_LEVEL_WARN)
		return;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
log_msisdn(const char *msisdn, char *buf, size_t len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	size_t		 i;

	HMAC(EVP_sha256(), log_secret, (int)log_secretlen,
	    (const unsigned char *)msisdn, strlen(msisdn), md, &mdlen);
	for (i = 0; i < 6 && 2 * i + 2 < len; i++) {
		buf[2 * i] = hex[md[i] >> 4];
		buf[2 * i + 1] = hex[md[i] & 0xf];
	}
	buf[2 * i] = '\0';
	return buf;
}

const char *
log_escape(const char *s, char *buf, size_t len)
{
	size_t	 o = 0;

	if (len == 0)
		return buf;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char	 tmp[5];
		size_t	 n;

		if (c == '"' || c == '\\')
			n = (size_t)snprintf(tmp, sizeof tmp, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			n = (size_t)snprintf(tmp, sizeof tmp, "%c", c);
		else
			n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", c);
		if (o + n >= len)
			break;
		memcpy(buf + o, tmp, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}
