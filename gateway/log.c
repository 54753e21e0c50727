/*
 * The logger of log.h: one line per event, to stderr with an ISO time in
 * the foreground, to syslog as a daemon.  The keyed hash that stands for
 * an MSISDN is HMAC-SHA256 under the deployment's secret, truncated for
 * the log; its OpenSSL context is made once and duplicated per use, so a
 * hash costs no key schedule.  Every line is made one line before it is
 * written (one_line()), whatever its values hold; libevent's messages,
 * which may quote a peer, are also quoted as one key="value"
 * (log_escape()).  With log.format = "json" the same fields go out as one
 * JSON object a line.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

enum log_level		 log_level_current = LOG_LEVEL_INFO;
static int		 log_foreground = 1;
static int		 log_json;
static unsigned char	 log_secret[64];
static size_t		 log_secretlen;
/* HMAC-SHA256 under log_secret, its two padded keys hashed once: a hash
 * is a copy of each state and two short updates, no allocation. */
static EVP_MD_CTX	*keyed_inner, *keyed_outer, *keyed_work;
/* SipHash-2-4 under a key drawn from log_secret: its keyed state is
 * kept by the MAC and put back by each init, no allocation. */
static EVP_MAC_CTX	*short_mac;

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
	EVP_MD_CTX_free(keyed_inner);	/* made again with the new key */
	EVP_MD_CTX_free(keyed_outer);
	keyed_inner = keyed_outer = NULL;
	EVP_MAC_CTX_free(short_mac);
	short_mac = NULL;
}

/* Quotes text for a log line: printable ASCII kept, '"' and '\\'
 * escaped, anything else as \xNN, cut at len-1 bytes.  Returns buf. */
static const char *log_escape(const char *, char *, size_t);

#define LIBEVENT_LINES_PER_S	10

/* libevent's messages may quote what a peer sent: escaped, and rate
 * limited so a storm (accept failing at the descriptor limit, say)
 * cannot fill the disk. */
static void
libevent_cb(int severity, const char *msg)
{
	static time_t	 window;
	static unsigned	 lines, dropped;
	char		 esc[512];
	time_t		 now = time(NULL);

	if (now != window) {
		if (dropped > 0)
			log_warnx("event=libevent-suppressed lines=%u", dropped);
		window = now;
		lines = dropped = 0;
	}
	if (++lines > LIBEVENT_LINES_PER_S) {
		dropped++;
		return;
	}
	log_escape(msg, esc, sizeof esc);
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("event=libevent msg=\"%s\"", esc);
		break;
	case EVENT_LOG_MSG:
		log_info("event=libevent msg=\"%s\"", esc);
		break;
	case EVENT_LOG_WARN:
		log_warnx("event=libevent msg=\"%s\"", esc);
		break;
	default:
		log_errorx("event=libevent msg=\"%s\"", esc);
		break;
	}
}

void
log_libevent(void)
{
	event_set_log_callback(libevent_cb);
}

/*
 * Makes a formatted line one line whatever its values held: every control
 * byte (a newline or carriage return that would start a forged line
 * among them) becomes \xNN.  Done here, once, so no call site has to
 * remember which of its values came from outside.  UTF-8 text passes.
 */
static void
one_line(const char *in, char *out, size_t outlen)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 o = 0;

	for (; *in != '\0' && o + 5 <= outlen; in++) {
		unsigned char	 c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 0xf];
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

void
log_set_json(int on)
{
	log_json = on;
}

/*
 * The same event as a JSON object: each key=value of the line (a value
 * in quotes may hold spaces and \" \\ escapes) becomes a member, words
 * that are no pair join "msg".  jansson escapes what JSON must, so a
 * value from outside stays inside its string.
 */
/* A value that is not UTF-8 cannot be a JSON string: it says so. */
static json_t *
utf8_string(const char *s)
{
	json_t	*j = json_string(s);

	return j != NULL ? j : json_string("(not UTF-8)");
}

static char *
json_line(const char *stamp, const char *level, const char *line,
    const char *emsg)
{
	json_t		*o = json_object();
	char		*key, *val, *out, *msg = NULL;
	const char	*p = line, *eq, *end;
	size_t		 k, n;

	json_object_set_new(o, "ts", json_string(stamp));
	json_object_set_new(o, "level", json_string(level));
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, " ");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p) {
			n = msg != NULL ? strlen(msg) : 0;
			msg = xreallocarray(msg, n + (size_t)(end - p) + 2, 1);
			if (n > 0)
				msg[n++] = ' ';
			memcpy(msg + n, p, (size_t)(end - p));
			msg[n + (size_t)(end - p)] = '\0';
			p = end;
			continue;
		}
		key = xstrndup(p, (size_t)(eq - p));
		p = eq + 1;
		if (*p == '"') {
			val = xmalloc(strlen(p));
			for (p++, k = 0; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				val[k++] = *p;
			}
			val[k] = '\0';
			if (*p == '"')
				p++;
		} else {
			end = p + strcspn(p, " ");
			val = xstrndup(p, (size_t)(end - p));
			p = end;
		}
		json_object_set_new(o, key, utf8_string(val));
		free(key);
		free(val);
	}
	if (msg != NULL)
		json_object_set_new(o, "msg", utf8_string(msg));
	if (emsg != NULL)
		json_object_set_new(o, "error", utf8_string(emsg));
	out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	free(msg);
	return out;
}

static void
vlog(enum log_level level, const char *emsg, const char *fmt, va_list ap)
{
	char		 raw[2048], line[2048];
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[32];

	vsnprintf(raw, sizeof raw, fmt, ap);
	one_line(raw, line, sizeof line);
	if (log_json) {
		char	 full[48], *js;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(full, sizeof full, "%s.%03ldZ", stamp,
		    ts.tv_nsec / 1000000);
		if ((js = json_line(full, level_names[level], raw, emsg)) ==
		    NULL)
			return;
		if (log_foreground)
			fprintf(stderr, "%s\n", js);
		else
			syslog(level_prio[level], "%s", js);
		free(js);
		return;
	}
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

/*
 * HMAC-SHA256 (RFC 2104) of a secret of at most one SHA-256 block (64
 * bytes), so the key is padded, never hashed first: the inner and outer
 * states after (key ^ ipad) and (key ^ opad), made once.
 */
static void
keyed_states(void)
{
	unsigned char	 ipad[64], opad[64];
	EVP_MD		*md;

	if (keyed_inner != NULL)
		return;
	for (size_t i = 0; i < sizeof ipad; i++) {
		unsigned char k = i < log_secretlen ? log_secret[i] : 0;

		ipad[i] = k ^ 0x36;
		opad[i] = k ^ 0x5c;
	}
	if ((md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (keyed_inner = EVP_MD_CTX_new()) == NULL ||
	    (keyed_outer = EVP_MD_CTX_new()) == NULL ||
	    (keyed_work == NULL && (keyed_work = EVP_MD_CTX_new()) == NULL) ||
	    EVP_DigestInit_ex2(keyed_inner, md, NULL) != 1 ||
	    EVP_DigestUpdate(keyed_inner, ipad, sizeof ipad) != 1 ||
	    EVP_DigestInit_ex2(keyed_outer, md, NULL) != 1 ||
	    EVP_DigestUpdate(keyed_outer, opad, sizeof opad) != 1)
		fatalx("HMAC is not available");
	EVP_MD_free(md);
}

static unsigned int
keyed_raw(const void *data, size_t len, unsigned char *md)
{
	unsigned int	 mdlen = 0;

	keyed_states();
	if (EVP_MD_CTX_copy_ex(keyed_work, keyed_inner) != 1 ||
	    EVP_DigestUpdate(keyed_work, data, len) != 1 ||
	    EVP_DigestFinal_ex(keyed_work, md, &mdlen) != 1 ||
	    EVP_MD_CTX_copy_ex(keyed_work, keyed_outer) != 1 ||
	    EVP_DigestUpdate(keyed_work, md, mdlen) != 1 ||
	    EVP_DigestFinal_ex(keyed_work, md, &mdlen) != 1)
		fatalx("HMAC failed");
	return mdlen;
}

const char *
keyed_hash(const void *data, size_t len, char *buf, size_t buflen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = keyed_raw(data, len, md);

	return hex_encode(md, mdlen, buf, buflen);
}

/* The short MAC's key: the first 16 bytes of the keyed hash of a label,
 * so it changes with the secret and says nothing of it. */
static void
short_mac_make(void)
{
	static const char	 label[] = "asanigw short keyed hash";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	size_t			 size = SHORT_HASH_BYTES;
	OSSL_PARAM		 params[] = {
		OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
		OSSL_PARAM_END
	};
	EVP_MAC			*mac;

	keyed_raw(label, sizeof label - 1, md);
	if ((mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL)) == NULL ||
	    (short_mac = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(short_mac, md, 16, params) != 1)
		fatalx("SipHash is not available");
	EVP_MAC_free(mac);
	OPENSSL_cleanse(md, sizeof md);
}

const char *
keyed_short_hash(const void *data, size_t len, char *buf, size_t buflen)
{
	unsigned char	 md[SHORT_HASH_BYTES];
	size_t		 mdlen = 0;

	if (short_mac == NULL)
		short_mac_make();
	if (EVP_MAC_init(short_mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(short_mac, data, len) != 1 ||
	    EVP_MAC_final(short_mac, md, &mdlen, sizeof md) != 1)
		fatalx("SipHash failed");
	return hex_encode(md, mdlen, buf, buflen);
}

const char *
log_msisdn(const char *msisdn, char *buf, size_t len)
{
	return keyed_hash(msisdn, strlen(msisdn), buf, len < 13 ? len : 13);
}

static const char *
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
