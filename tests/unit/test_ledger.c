/*
 * Unit tests for the ledger's format and verifier (ledger_verify.c) and
 * the entry a request becomes (ledger.c): a chain sealed here verifies;
 * one changed byte, a removed entry, a reordered pair and a forged
 * checkpoint each fail, naming the first broken entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "ledger.h"
#include "ledger_verify.h"
#include "unit.h"

#define NENTRIES	10
#define EVERY		5	/* a checkpoint after every EVERY entries */
#define MAXLINES	(NENTRIES + NENTRIES / EVERY)

static EVP_PKEY *
new_key(void)
{
	EVP_PKEY_CTX	*ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY	*k = NULL;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_keygen(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* A ledger of NENTRIES entries with a checkpoint after every EVERY,
 * signed with key; returns the number of lines. */
static size_t
make_ledger(EVP_PKEY *key, char *lines[MAXLINES])
{
	char	 head[LEDGER_HASH_LEN + 1] = LEDGER_GENESIS;
	char	 hash[LEDGER_HASH_LEN + 1], err[160], ref[8];
	size_t	 n = 0;
	json_t	*e;

	for (int i = 1; i <= NENTRIES; i++) {
		snprintf(ref, sizeof ref, "REF%03d", i);
		e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s}}",
		    "time", "2026-12-05T07:30:00.000Z", "kind", "pledge",
		    "type", "pledge", "service", "*786#", "ref", ref, "who",
		    "abcdef012345", "key", "00112233445566778899aabbccddeeff",
		    "fields", "amount", "500");
		lines[n] = ledger_seal(e, i, head, hash);
		ck_assert_ptr_nonnull(lines[n]);
		n++;
		memcpy(head, hash, sizeof head);
		json_decref(e);
		if (i % EVERY == 0) {
			lines[n] = ledger_checkpoint(key, i, head,
			    "2026-12-05T07:31:00.000Z", err, sizeof err);
			ck_assert_msg(lines[n] != NULL, "%s", err);
			n++;
		}
	}
	return n;
}

static void
free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
}

/* Verifies lines[0..n) under pub: NULL when all hold, else the error
 * (static). */
static const char *
verify(EVP_PKEY *pub, char *const *lines, size_t n)
{
	static char		 out[256];
	struct ledger_verify	*v = ledger_verify_new(pub);
	const char		*r = NULL;

	for (size_t i = 0; i < n && r == NULL; i++)
		if (ledger_verify_line(v, lines[i], strlen(lines[i])) == -1) {
			snprintf(out, sizeof out, "%s", ledger_verify_error(v));
			r = out;
		}
	if (r == NULL) {
		ck_assert_int_eq(ledger_verify_entries(v), NENTRIES);
		ck_assert_int_eq(ledger_verify_signed(v), NENTRIES);
	}
	ledger_verify_free(v);
	return r;
}

/* The line index of entry seq (checkpoints counted in). */
static size_t
at(long long seq)
{
	return (size_t)(seq - 1 + (seq - 1) / EVERY);
}

static void
expect_broken(const char *err, const char *what)
{
	ck_assert_msg(err != NULL, "a tampered ledger verified (%s)", what);
	ck_assert_msg(strstr(err, what) != NULL, "\"%s\" does not name %s",
	    err, what);
}

START_TEST(test_valid_passes)
{
	EVP_PKEY	*k = new_key();
	char		*lines[MAXLINES];
	size_t		 n = make_ledger(k, lines);
	const char	*err = verify(k, lines, n);

	ck_assert_uint_eq(n, MAXLINES);
	ck_assert_msg(err == NULL, "%s", err != NULL ? err : "");
	/* Canonical: keys sorted, no white space. */
	ck_assert(strncmp(lines[0], "{\"fields\":{\"amount\":\"500\"},"
	    "\"hash\":\"", 35) == 0);
	ck_assert_ptr_null(strchr(lines[0], ' '));
	free_lines(lines, n);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_changed_byte_fails)
{
	EVP_PKEY	*k = new_key();
	char		*lines[MAXLINES], *p;
	size_t		 n = make_ledger(k, lines);

	/* The amount of entry 3: still valid JSON, another content. */
	p = strstr(lines[at(3)], "\"500\"");
	ck_assert_ptr_nonnull(p);
	p[1] = '9';
	expect_broken(verify(k, lines, n), "entry 3 ");
	free_lines(lines, n);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_changed_hash_fails)
{
	EVP_PKEY	*k = new_key();
	char		*lines[MAXLINES], *p;
	size_t		 n = make_ledger(k, lines);

	p = strstr(lines[at(7)], "\"hash\":\"") + 8;
	*p = *p == 'a' ? 'b' : 'a';
	expect_broken(verify(k, lines, n), "entry 7 ");
	free_lines(lines, n);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_not_canonical_fails)
{
	EVP_PKEY	*k = new_key();
	char		*lines[MAXLINES], *p;
	size_t		 n = make_ledger(k, lines);

	/* One space added: the same JSON, other bytes. */
	p = lines[at(2)];
	lines[at(2)] = malloc(strlen(p) + 2);
	snprintf(lines[at(2)], strlen(p) + 2, "{ %s", p + 1);
	free(p);
	expect_broken(verify(k, lines, n), "entry 2 ");
	free_lines(lines, n);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_removed_entry_fails)
{
	EVP_PKEY	*k = new_key();
	char		*lines[MAXLINES], *gone;
	size_t		 n = make_ledger(k, lines), i = at(4);

	gone = lines[i];
	memmove(&lines[i], &lines[i + 1], (n - i - 1) * sizeof *lines);
	expect_broken(verify(k, lines, n - 1), "entry 4 ");
	lines[n - 1] = gone;
	free_lines(lines, n);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_reordered_pair_fails)
{
	EVP_PKEY	*k = new_key();
	char		*lines[MAXLINES], *t;
	size_t		 n = make_ledger(k, lines);

	t = lines[at(6)];
	lines[at(6)] = lines[at(7)];
	lines[at(7)] = t;
	expect_broken(verify(k, lines, n), "entry 6 ");
	free_lines(lines, n);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_forged_checkpoint_fails)
{
	EVP_PKEY	*k = new_key(), *other = new_key();
	char		*lines[MAXLINES], *forged, err[160], head[80];
	size_t		 n = make_ledger(k, lines), i = at(EVERY) + 1;
	struct ledger_line l;

	/* Signed by someone else, over the right head. */
	ck_assert_int_eq(ledger_line_parse(lines[i], strlen(lines[i]), &l,
	    err, sizeof err), 0);
	ck_assert_int_eq(l.kind, LEDGER_CHECKPOINT);
	snprintf(head, sizeof head, "%s", l.hash);
	ledger_line_clear(&l);
	forged = ledger_checkpoint(other, EVERY, head,
	    "2026-12-05T07:31:00.000Z", err, sizeof err);
	free(lines[i]);
	lines[i] = forged;
	expect_broken(verify(k, lines, n), "checkpoint at entry 5 ");
	expect_broken(verify(k, lines, n), "signature");
	/* Signed by the operator, but over another head. */
	free(lines[i]);
	lines[i] = ledger_checkpoint(k, EVERY, LEDGER_GENESIS,
	    "2026-12-05T07:31:00.000Z", err, sizeof err);
	expect_broken(verify(k, lines, n), "checkpoint at entry 5 ");
	free_lines(lines, n);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(test_not_json_names_the_entry)
{
	EVP_PKEY	*k = new_key();
	char		*lines[MAXLINES];
	size_t		 n = make_ledger(k, lines);

	lines[at(9)][0] = 'x';
	expect_broken(verify(k, lines, n), "entry 9 ");
	free_lines(lines, n);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_entry_of_request)
{
	static const char *const fields[] = { "amount", "cause", "category",
		"cnic4", "district" };
	const char	*req = "{\"idempotency_key\":\"ab12\",\"ref\":\"K7MX3Q\","
	    "\"service\":\"*786#\",\"request\":\"help\",\"msisdn\":"
	    "\"923001234567\",\"msisdn_hash\":\"0a1b2c3d4e5f\",\"lang\":\"en\","
	    "\"ts\":1764919800123,\"fields\":{\"category\":\"food\","
	    "\"cnic4\":\"1234\",\"district\":\"my home near the mosque\","
	    "\"amount\":\"35202123456789\"}}";
	char		 key[LEDGER_KEY_LEN + 1], key2[LEDGER_KEY_LEN + 1];
	char		*e = ledger_entry_of_request(req, fields, 5, key);
	json_t		*o;

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(strstr(e, "923001234567"));
	ck_assert_ptr_null(strstr(e, "35202123456789"));
	ck_assert_ptr_null(strstr(e, "mosque"));
	ck_assert_ptr_null(strstr(e, "ab12"));
	o = json_loads(e, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(o, "kind")),
	    "request");
	ck_assert_str_eq(json_string_value(json_object_get(o, "who")),
	    "0a1b2c3d4e5f");
	ck_assert_str_eq(json_string_value(json_object_get(o, "time")),
	    "2025-12-05T07:30:00.123Z");
	ck_assert_str_eq(json_string_value(json_object_get(o, "key")), key);
	/* cnic4 is named and short, but only 4 digits: the operator's
	 * field list decides; the shipped list leaves it out. */
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o,
	    "fields"), "category")), "food");
	ck_assert_ptr_null(json_object_get(json_object_get(o, "fields"),
	    "district"));
	ck_assert_ptr_null(json_object_get(json_object_get(o, "fields"),
	    "amount"));
	json_decref(o);
	free(e);
	/* The same request is the same key. */
	e = ledger_entry_of_request(req, fields, 5, key2);
	ck_assert_str_eq(key, key2);
	free(e);
	ck_assert_ptr_null(ledger_entry_of_request("{}", fields, 5, key));
	ck_assert_ptr_null(ledger_entry_of_request("nope", fields, 5, key));
}
END_TEST

START_TEST(test_pledge_kind)
{
	static const char *const fields[] = { "amount", "cause" };
	const char	*req = "{\"idempotency_key\":\"cd34\",\"ref\":\"P2QR7T\","
	    "\"service\":\"*786#\",\"request\":\"pledge\",\"msisdn\":"
	    "\"923001234567\",\"msisdn_hash\":\"0a1b2c3d4e5f\",\"lang\":\"en\","
	    "\"ts\":0,\"fields\":{\"amount\":\"500\",\"cause\":\"food\"}}";
	char		 key[LEDGER_KEY_LEN + 1];
	char		*e = ledger_entry_of_request(req, fields, 2, key);

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e, "\"kind\":\"pledge\""));
	ck_assert_ptr_nonnull(strstr(e, "\"fields\":{\"amount\":\"500\","
	    "\"cause\":\"food\"}"));
	free(e);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ledger");
	TCase	*tc = tcase_create("ledger");

	UNIT_ADD(tc, test_valid_passes, test_changed_byte_fails,
	    test_changed_hash_fails, test_not_canonical_fails,
	    test_removed_entry_fails, test_reordered_pair_fails,
	    test_forged_checkpoint_fails, test_not_json_names_the_entry,
	    test_entry_of_request, test_pledge_kind);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
