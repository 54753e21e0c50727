/*
 * Unit tests for the store's keys and scripts: every Lua script of the
 * registry must touch keys of one Redis Cluster hash slot, or a Cluster
 * deployment fails it with CROSSSLOT.  The keys are built by the
 * registry's own builders — the code the live verbs use — for sample
 * arguments, and hashed as the Cluster specification says: CRC16/XMODEM
 * of the hash tag (between the first { and the next }, when not empty;
 * else the whole key), mod 16384.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "store.h"
#include "store_int.h"
#include "unit.h"

#define CLUSTER_SLOTS	16384

/* CRC16/XMODEM: polynomial 0x1021, initial 0, no reflection. */
static uint16_t
crc16(const char *buf, size_t len)
{
	uint16_t	 crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)((unsigned char)buf[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) :
			    (uint16_t)(crc << 1);
	}
	return crc;
}

/* The part of a key that is hashed; its length in *len. */
static const char *
hash_tag(const char *key, size_t *len)
{
	const char	*open = strchr(key, '{'), *close;

	if (open != NULL && (close = strchr(open + 1, '}')) != NULL &&
	    close > open + 1) {
		*len = (size_t)(close - open - 1);
		return open + 1;
	}
	*len = strlen(key);
	return key;
}

static unsigned
key_slot(const char *key)
{
	size_t		 len;
	const char	*tag = hash_tag(key, &len);

	return crc16(tag, len) % CLUSTER_SLOTS;
}

/* Sample arguments, some with braces of their own: only the first
 * {...} of a key counts. */
static const struct store_keyargs samples[] = {
	{ .msisdn = "923001112233", .service = "*786#", .msgid = "m-1",
	  .ikey = "0123456789abcdef", .sig = "c2lnbmF0dXJl",
	  .now_ms = 1700000000000LL },
	{ .msisdn = "441234567890", .service = "{other}", .msgid = "{x}",
	  .ikey = "{k}", .sig = "{s}", .now_ms = 0 },
};

START_TEST(test_crc16_spec)
{
	/* The check value of CRC16/XMODEM, as the Cluster spec gives it. */
	ck_assert_uint_eq(crc16("123456789", 9), 0x31C3);
	/* The hash tag rules of the spec. */
	ck_assert_uint_eq(key_slot("{user1000}.following"),
	    key_slot("{user1000}.followers"));
	ck_assert_uint_eq(key_slot("foo{}{bar}"),
	    crc16("foo{}{bar}", 10) % CLUSTER_SLOTS);
	ck_assert_uint_eq(key_slot("foo{{bar}}zap"), crc16("{bar", 4) %
	    CLUSTER_SLOTS);
	ck_assert_uint_eq(key_slot("foo{bar}{zap}"), key_slot("bar"));
}
END_TEST

START_TEST(test_registry_complete)
{
	char	 ref[16];

	for (int i = 0; i < NSCRIPTS; i++) {
		const struct store_script_def *s = &store_scripts[i];

		ck_assert_msg(s->name != NULL && s->src != NULL &&
		    s->keys != NULL, "script %d is not in the registry", i);
		ck_assert_int_ge(s->nkeys, 1);
		ck_assert_int_le(s->nkeys, SCRIPT_KEYS_MAX);
		/* It uses the keys it declares, and no more. */
		for (int k = 1; k <= SCRIPT_KEYS_MAX + 1; k++) {
			snprintf(ref, sizeof ref, "KEYS[%d]", k);
			ck_assert_msg((strstr(s->src, ref) != NULL) ==
			    (k <= s->nkeys), "%s: %s used or unused against "
			    "its declared %d keys", s->name, ref, s->nkeys);
		}
	}
}
END_TEST

/*
 * Every script's keys, for every sample, have a hash tag and share one
 * slot.  No script is excepted: a script spanning slots must change.
 */
START_TEST(test_scripts_one_slot)
{
	for (int i = 0; i < NSCRIPTS; i++) {
		const struct store_script_def *s = &store_scripts[i];

		for (size_t j = 0; j < sizeof samples / sizeof samples[0];
		    j++) {
			struct store_keyargs	 ka = samples[j];
			char			*keys[SCRIPT_KEYS_MAX] = { 0 };
			char			*session;
			size_t			 len;

			session = store_session_key(ka.msisdn, "sid-42");
			ka.session_key = session;
			s->keys(&ka, keys);
			for (int k = 0; k < s->nkeys; k++) {
				ck_assert_msg(keys[k] != NULL, "%s: key %d "
				    "not built", s->name, k + 1);
				ck_assert_msg(hash_tag(keys[k], &len) !=
				    keys[k], "%s: key %s has no hash tag",
				    s->name, keys[k]);
				ck_assert_msg(key_slot(keys[k]) ==
				    key_slot(keys[0]), "%s: key %s (slot %u) "
				    "is not in the slot of %s (%u)", s->name,
				    keys[k], key_slot(keys[k]), keys[0],
				    key_slot(keys[0]));
			}
			for (int k = 0; k < s->nkeys; k++)
				free(keys[k]);
			free(session);
		}
	}
}
END_TEST

/* A subscriber's keys, whoever builds them, share the subscriber's
 * slot; the shared ones each have their own tag. */
START_TEST(test_subscriber_keys)
{
	const char	*m = "923001112233";
	char		*k[] = {
		store_session_key(m, "s1"),
		store_key_pledges(m),
		store_key_pledge_rate(m, 1700000000000LL),
		store_key_request_rate(m, "{x}", 1700000000000LL),
		store_key_optout(m),
		store_key_answer(m, "{id}"),
		store_key_notify_claim(m, "{k}"),
		store_key_notify_sig(m, "{s}"),
	};

	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		ck_assert_uint_eq(key_slot(k[i]), key_slot("{923001112233}"));
		free(k[i]);
	}
	ck_assert_str_eq(store_key_counter(STORE_COUNT_DLR),
	    STORE_KEY_DLR_COUNTS);
	ck_assert_str_eq(store_key_counter(STORE_COUNT_LIMITED),
	    "asanigw:{stats}:limited");
	ck_assert_str_eq(store_key_counter(STORE_COUNT_NOTIFY),
	    "asanigw:{stats}:notify");
}
END_TEST

/* The layout the table in store.h documents, for sample arguments. */
START_TEST(test_key_layout)
{
	char	*k;

	k = store_session_key("92300", "abc");
	ck_assert_str_eq(k, "asanigw:{92300}:ussd:abc");
	free(k);
	k = store_key_pledge_rate("92300", 7200000LL + 5);
	ck_assert_str_eq(k, "asanigw:{92300}:rate:pledge:2");
	free(k);
	k = store_key_request_rate("92300", "*786#", 86400000LL * 3 + 1);
	ck_assert_str_eq(k, "asanigw:{92300}:rate:requests:*786#:3");
	free(k);
	k = store_key_answer("92300", "id1");
	ck_assert_str_eq(k, "asanigw:{92300}:sms:id1");
	free(k);
	k = store_key_dlr("m1");
	ck_assert_str_eq(k, "asanigw:{dlr}:m1");
	free(k);
	k = store_key_outbox_seen("ik");
	ck_assert_str_eq(k, "asanigw:{outbox}:seen:ik");
	free(k);
}
END_TEST

static Suite *
store_keys_suite(void)
{
	Suite	*s = suite_create("store_keys");
	TCase	*tc = tcase_create("core");

	UNIT_ADD(tc,
	    test_crc16_spec, test_registry_complete, test_scripts_one_slot,
	    test_subscriber_keys, test_key_layout);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(store_keys_suite());
}
