/*
 * Every Redis key the gateway uses, built in one place (store.h has the
 * table of them).  A subscriber's keys carry the {MSISDN} hash tag, the
 * shared ones {dlr}, {stats}, {outbox} or {ledger}: the keys one script touches
 * always share a tag, hence a Redis Cluster slot.
 */
#include <stdarg.h>
#include <stdio.h>

#include "store_int.h"
#include "xmalloc.h"

#define MS_PER_HOUR	3600000LL
#define MS_PER_DAY	86400000LL

static char *key_fmt(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2)));

static char *
key_fmt(const char *fmt, ...)
{
	va_list	 ap;
	char	*key;

	va_start(ap, fmt);
	xvasprintf(&key, fmt, ap);
	va_end(ap);
	return key;
}

char *
store_session_key(const char *msisdn, const char *session_id)
{
	/* Every hop makes one: not through printf. */
	return xstrcat("asanigw:{", msisdn, "}:ussd:", session_id,
	    (char *)NULL);
}

char *
store_key_pledges(const char *msisdn)
{
	return key_fmt("asanigw:{%s}:pledges", msisdn);
}

char *
store_key_pledge_rate(const char *msisdn, long long now_ms)
{
	return key_fmt("asanigw:{%s}:rate:pledge:%lld", msisdn,
	    now_ms / MS_PER_HOUR);
}

char *
store_key_request_rate(const char *msisdn, const char *service,
    long long now_ms)
{
	return key_fmt("asanigw:{%s}:rate:requests:%s:%lld", msisdn, service,
	    now_ms / MS_PER_DAY);
}

char *
store_key_optout(const char *msisdn)
{
	return key_fmt("asanigw:{%s}:optout", msisdn);
}

char *
store_key_answer(const char *msisdn, const char *id)
{
	return key_fmt("asanigw:{%s}:sms:%s", msisdn, id);
}

char *
store_key_notify_claim(const char *msisdn, const char *ikey)
{
	return key_fmt("asanigw:{%s}:notify:%s", msisdn, ikey);
}

char *
store_key_notify_sig(const char *msisdn, const char *sig)
{
	return key_fmt("asanigw:{%s}:notify-sig:%s", msisdn, sig);
}

char *
store_key_dlr(const char *msgid)
{
	return key_fmt("asanigw:{dlr}:%s", msgid);
}

char *
store_key_outbox_seen(const char *ikey)
{
	return key_fmt("asanigw:{outbox}:seen:%s", ikey);
}

char *
store_key_ledger_seen(const char *key)
{
	return key_fmt("asanigw:{ledger}:seen:%s", key);
}

const char *
store_key_counter(enum store_counter c)
{
	switch (c) {
	case STORE_COUNT_DLR:
		return STORE_KEY_DLR_COUNTS;
	case STORE_COUNT_LIMITED:
		return STORE_KEY_LIMITED;
	case STORE_COUNT_NOTIFY:
		return STORE_KEY_NOTIFY;
	}
	return STORE_KEY_LIMITED;	/* not reached */
}
