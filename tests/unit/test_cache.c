/* The in-memory session cache: take/put moves ownership, the least
 * recently used entry goes first, entries expire, sessions are kept as
 * records without their last reply. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "session.h"
#include "unit.h"

static struct session *
mk(unsigned seq)
{
	struct session	*s = session_new();

	s->seq = seq;
	return s;
}

START_TEST(test_take_moves_out)
{
	struct cache	*c = cache_new(4);
	struct session	*s;

	ck_assert_ptr_null(cache_take(c, "a", 0));
	cache_put(c, "a", mk(7), 1000);
	ck_assert_uint_eq(cache_count(c), 1);
	s = cache_take(c, "a", 10);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->seq, 7);
	ck_assert_uint_eq(cache_count(c), 0);
	ck_assert_ptr_null(cache_take(c, "a", 10));
	session_free(s);
	cache_free(c);
}
END_TEST

START_TEST(test_replace)
{
	struct cache	*c = cache_new(4);
	struct session	*s;

	cache_put(c, "a", mk(1), 1000);
	cache_put(c, "a", mk(2), 1000);
	ck_assert_uint_eq(cache_count(c), 1);
	s = cache_take(c, "a", 0);
	ck_assert_uint_eq(s->seq, 2);
	session_free(s);
	cache_free(c);
}
END_TEST

START_TEST(test_lru_eviction)
{
	struct cache	*c = cache_new(3);
	struct session	*s;

	cache_put(c, "a", mk(1), 1000);
	cache_put(c, "b", mk(2), 1000);
	cache_put(c, "c", mk(3), 1000);
	/* "a" used again: "b" is now the oldest. */
	cache_put(c, "a", cache_take(c, "a", 0), 1000);
	cache_put(c, "d", mk(4), 1000);
	ck_assert_uint_eq(cache_count(c), 3);
	ck_assert_ptr_null(cache_take(c, "b", 0));
	s = cache_take(c, "a", 0);
	ck_assert_ptr_nonnull(s);
	session_free(s);
	s = cache_take(c, "d", 0);
	ck_assert_uint_eq(s->seq, 4);
	session_free(s);
	cache_free(c);
}
END_TEST

START_TEST(test_expiry)
{
	struct cache	*c = cache_new(8);

	cache_put(c, "a", mk(1), 100);
	cache_put(c, "b", mk(2), 200);
	ck_assert_ptr_null(cache_take(c, "a", 100));	/* at expiry: gone */
	ck_assert_uint_eq(cache_count(c), 1);
	cache_expire(c, 199);
	ck_assert_uint_eq(cache_count(c), 1);
	cache_expire(c, 200);
	ck_assert_uint_eq(cache_count(c), 0);
	cache_free(c);
}
END_TEST

START_TEST(test_many_keys_and_zero_size)
{
	struct cache	*c = cache_new(1000);
	char		 key[32];

	for (unsigned i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%u", i);
		cache_put(c, key, mk(i), 1000);
	}
	ck_assert_uint_eq(cache_count(c), 1000);
	for (unsigned i = 4000; i < 5000; i++) {
		struct session *s;

		snprintf(key, sizeof key, "k%u", i);
		ck_assert_ptr_nonnull(s = cache_take(c, key, 0));
		ck_assert_uint_eq(s->seq, i);
		session_free(s);
	}
	cache_free(c);
	c = cache_new(0);
	cache_put(c, "a", mk(1), 1000);
	ck_assert_ptr_null(cache_take(c, "a", 0));
	cache_free(c);
}
END_TEST

/* Puts s under key as the engine does, from its record. */
static void
put(struct cache *c, const char *key, const struct session *s)
{
	struct session_record	 r;

	session_record_make(&r, s);
	cache_put_record(c, key, &r, 1000);
	session_record_clear(&r);
}

START_TEST(test_records)
{
	static char json[] = "{\"v\":1,\"screen\":\"main\",\"page\":0,"
	    "\"lang\":\"en\",\"service\":\"*786#\",\"vars\":[],\"history\":[],"
	    "\"seq\":3,\"last_text\":\"1\",\"last_reply\":\"CON x\","
	    "\"last_end\":false,\"last_ms\":1}";
	static char broken[] = "S2;x";
	struct session_record	 whole = { .text = json,
				    .len = sizeof json - 1 };
	struct session_record	 bad = { .text = broken,
				    .len = sizeof broken - 1 };
	struct cache		*c = cache_new(4);
	struct session		*s = mk(3), *t;

	/* A session comes back whole from its record. */
	session_set_screen(s, "main");
	session_set(s, "name", "Ali");
	session_push(s, "language");
	session_set_last(s, "1:ab", "CON x", 0, 1700000000000LL);
	put(c, "a", s);
	t = cache_take(c, "a", 0);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->screen, "main");
	ck_assert_str_eq(session_get(t, "name"), "Ali");
	ck_assert_uint_eq(t->nhistory, 1);
	ck_assert_uint_eq(t->seq, 3);
	ck_assert_str_eq(t->last_text, "1:ab");
	ck_assert(t->last_ms == 1700000000000LL);
	/* All but the last reply, which only a retry needs. */
	ck_assert_ptr_null(t->last_reply);
	session_free(t);
	/* A reply that ended the session stays. */
	session_set_last(s, "1:ab", "END ref AB12CD", 1, 1700000000000LL);
	put(c, "e", s);
	t = cache_take(c, "e", 0);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->last_reply, "END ref AB12CD");
	session_free(t);
	/* So does the mark of a reply that was the session's page. */
	session_set_last_page(s, "1:ab", 0, 1700000000000LL);
	put(c, "p", s);
	t = cache_take(c, "p", 0);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->last_page, 1);
	ck_assert_ptr_null(t->last_reply);
	session_free(t);
	/* A session that ended on such a page is not kept, and takes what
	 * its key held with it. */
	put(c, "p", s);
	session_set_last_page(s, "1:ab", 1, 1700000000000LL);
	put(c, "p", s);
	ck_assert_ptr_null(cache_take(c, "p", 0));
	session_free(s);
	/* A record with no reply marked is kept whole. */
	cache_put_record(c, "j", &whole, 1000);
	t = cache_take(c, "j", 0);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->last_reply, "CON x");
	session_free(t);
	/* One that does not read is not there. */
	cache_put_record(c, "b", &bad, 1000);
	ck_assert_ptr_null(cache_take(c, "b", 0));
	ck_assert_uint_eq(cache_count(c), 0);
	cache_free(c);
}
END_TEST

/* Entries of every size, taken and put back in turn, and evicted: the
 * blocks the cache keeps for reuse (smaller ones given back, larger ones
 * grown) hold each record intact (under AddressSanitizer, the test that
 * no block is overrun or used after it is freed). */
START_TEST(test_blocks_reused)
{
	struct cache	*c = cache_new(50);
	struct session	*s, *t;
	char		 key[32], value[600];

	for (unsigned round = 0; round < 4; round++)
		for (unsigned i = 0; i < 400; i++) {
			size_t	 len = (i * 37 + round * 101) % (sizeof value);

			memset(value, 'a' + (int)(i % 26), len);
			value[len] = '\0';
			snprintf(key, sizeof key, "k%u", i % 120);
			if ((t = cache_take(c, key, 0)) != NULL)
				session_free(t);
			s = mk(i);
			session_set(s, "v", value);
			put(c, key, s);
			t = cache_take(c, key, 0);
			ck_assert_ptr_nonnull(t);
			ck_assert_str_eq(session_get(t, "v"), value);
			put(c, key, t);
			session_free(t);
			session_free(s);
		}
	ck_assert_uint_eq(cache_count(c), 50);
	cache_free(c);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cache");
	TCase	*tc = tcase_create("cache");

	UNIT_ADD(tc,
	    test_take_moves_out, test_replace, test_lru_eviction, test_expiry,
	    test_many_keys_and_zero_size, test_records, test_blocks_reused);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
