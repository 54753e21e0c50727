/*
 * Every Redis key the gateway uses, built in one place (store.h has the
 * table of them).  A subscriber's keys carry the {MSISDN} hash tag, the
 * shared ones {dlr}, {stats} or {outbox}: the keys one script touches
 * always share a tag, hence a Redis Cluster slot.
 */
#include <stdio.h>

#include "store_int.h"
#include "xmalloc.h"

#define MS_PER_HOUR	3600000LL
#define MS_PER_DAY	86400000LL

char *
store_session_key(const char *msisdn, const char *session_id)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:ussd:%s", msisdn, session_id);
	return key;
}

char *
store_key_pledges(const char *msisdn)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:pledges", msisdn);
	return key;
}

char *
store_key_pledge_rate(const char *msisdn, long long now_ms)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:rate:pledge:%lld", msisdn,
	    now_ms / MS_PER_HOUR);
	return key;
}

char *
store_key_request_rate(const char *msisdn, const char *service,
    long long now_ms)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:rate:requests:%s:%lld", msisdn, service,
	    now_ms / MS_PER_DAY);
	return key;
}

char *
store_key_optout(const char *msisdn)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:optout", msisdn);
	return key;
}

char *
store_key_answer(const char *msisdn, const char *id)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:sms:%s", msisdn, id);
	return key;
}

char *
store_key_notify_claim(const char *msisdn, const char *ikey)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:notify:%s", msisdn, ikey);
	return key;
}

char *
store_key_notify_sig(const char *msisdn, const char *sig)
{
	char	*key;

	xasprintf(&key, "asanigw:{%s}:notify-sig:%s", msisdn, sig);
	return key;
}

char *
store_key_dlr(const char *msgid)
{
	char	*key;

	xasprintf(&key, "asanigw:{dlr}:%s", msgid);
	return key;
}

char *
store_key_outbox_seen(const char *ikey)
{
	char	*key;

	xasprintf(&key, "asanigw:{outbox}:seen:%s", ikey);
	return key;
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
