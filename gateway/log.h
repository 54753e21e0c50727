/*
 * Logging: one line per event, key=value, to stderr (foreground) or
 * syslog (daemon).  The level is tested before anything is formatted.
 * Never log a full MSISDN or an ID number: log_msisdn() gives a keyed
 * hash that is stable for one deployment and useless to anyone without
 * its secret.  Every line is made one line here (control bytes become
 * \xNN), so no value from outside can forge a line.
 */
#ifndef ASANIGW_LOG_H
#define ASANIGW_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG };

extern enum log_level log_level_current;

/* Foreground logs to stderr; otherwise to syslog as "asanigw". */
void	log_init(int foreground, enum log_level);
/* Lines as JSON objects (the same fields, for log shippers) or as
 * key=value text (the default). */
void	log_set_json(int);
/* Parses "error", "warn", "info", "debug"; returns -1 if unknown. */
int	log_level_parse(const char *);
/* Routes libevent's own messages through this log, escaped and at most
 * a few lines a second (a flood is counted and said once a second). */
void	log_libevent(void);
/* Sets the key for log_msisdn(); copied. */
void	log_set_secret(const char *key, size_t len);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_infox(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debugx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#define log_info(...) do {						\
	if (log_level_current >= LOG_LEVEL_INFO)			\
		log_infox(__VA_ARGS__);					\
} while (0)
#define log_debug(...) do {						\
	if (log_level_current >= LOG_LEVEL_DEBUG)			\
		log_debugx(__VA_ARGS__);				\
} while (0)

/* The deployment's keyed hash (HMAC-SHA256 under the log secret) of
 * data, as hex, cut to fit buflen.  Returns buf. */
const char *keyed_hash(const void *data, size_t len, char *buf,
	    size_t buflen);
/* A short keyed hash of data, cheap enough for every hop: SipHash-2-4
 * (SHORT_HASH_BYTES, 64 bits) under a key drawn from the log secret, as
 * hex cut to fit buflen.  Apart from texts and unguessable without the
 * secret, like keyed_hash(), at a sixth of its cost; for digests that
 * live only as long as a session.  Returns buf. */
#define SHORT_HASH_BYTES	8
const char *keyed_short_hash(const void *data, size_t len, char *buf,
	    size_t buflen);
/* A 12-hex-digit keyed hash (HMAC-SHA256) of an MSISDN; buf >= 13. */
const char *log_msisdn(const char *msisdn, char *buf, size_t len);

#endif
