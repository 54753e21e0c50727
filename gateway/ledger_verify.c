/*
 * The ledger's format: sealing entries, signing checkpoints, and the
 * verifier that checks both (ledger_verify.h).  The gateway writes with
 * these functions and asanigw-verify reads with them, so the two can
 * never disagree on what a hash covers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "ledger_verify.h"
#include "util.h"
#include "xmalloc.h"

#define CANON_FLAGS	(JSON_SORT_KEYS | JSON_COMPACT)
#define SIG_LEN		64	/* an Ed25519 signature, in bytes */

char *
ledger_canonical(const json_t *o)
{
	return json_dumps(o, CANON_FLAGS);
}

/* SHA-256(prev ‖ canonical(o without "hash")) in hex, into out. */
static int
entry_hash(const json_t *o, const char *prev, char *out)
{
	json_t		*copy = json_copy((json_t *)o);
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*canon, *in;

	json_object_del(copy, "hash");
	canon = ledger_canonical(copy);
	json_decref(copy);
	if (canon == NULL)
		return -1;
	xasprintf(&in, "%s%s", prev, canon);
	SHA256((unsigned char *)in, strlen(in), md);
	free(in);
	free(canon);
	hex_encode(md, sizeof md, out, LEDGER_HASH_LEN + 1);
	return 0;
}

char *
ledger_seal(json_t *body, long long seq, const char *prev, char *hash)
{
	json_object_set_new(body, "seq", json_integer(seq));
	json_object_set_new(body, "prev", json_string(prev));
	json_object_del(body, "hash");
	if (entry_hash(body, prev, hash) == -1)
		return NULL;
	json_object_set_new(body, "hash", json_string(hash));
	return ledger_canonical(body);
}

/* The bytes a checkpoint's signature covers: the line without "sig". */
static char *
checkpoint_signed(const json_t *o)
{
	json_t	*copy = json_copy((json_t *)o);
	char	*s;

	json_object_del(copy, "sig");
	s = ledger_canonical(copy);
	json_decref(copy);
	return s;
}

char *
ledger_checkpoint(EVP_PKEY *key, long long seq, const char *head,
    const char *time, char *err, size_t errlen)
{
	json_t		*o;
	EVP_MD_CTX	*md = NULL;
	unsigned char	 sig[SIG_LEN];
	size_t		 siglen = sizeof sig;
	char		*msg, hex[2 * SIG_LEN + 1], *line = NULL;

	o = json_pack("{s:I,s:s,s:s}", "checkpoint", (json_int_t)seq, "head",
	    head, "time", time);
	if (o == NULL || (msg = checkpoint_signed(o)) == NULL) {
		snprintf(err, errlen, "the checkpoint cannot be encoded");
		json_decref(o);
		return NULL;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)msg,
	    strlen(msg)) != 1)
		snprintf(err, errlen, "signing the checkpoint failed (is the "
		    "key Ed25519?)");
	else {
		hex_encode(sig, siglen, hex, sizeof hex);
		json_object_set_new(o, "sig", json_string(hex));
		line = ledger_canonical(o);
	}
	EVP_MD_CTX_free(md);
	free(msg);
	json_decref(o);
	return line;
}

static EVP_PKEY *
key_read(const char *path, int private, char *err, size_t errlen)
{
	FILE		*f;
	EVP_PKEY	*k;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read %s", path);
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) :
	    PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_id(k) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "%s holds no Ed25519 %s key in PEM", path,
		    private ? "private" : "public");
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

EVP_PKEY *
ledger_key_private(const char *path, char *err, size_t errlen)
{
	return key_read(path, 1, err, errlen);
}

EVP_PKEY *
ledger_key_public(const char *path, char *err, size_t errlen)
{
	return key_read(path, 0, err, errlen);
}

/* A lower-case hex hash of LEDGER_HASH_LEN characters. */
static int
is_hash(const char *s)
{
	if (s == NULL || strlen(s) != LEDGER_HASH_LEN)
		return 0;
	for (; *s != '\0'; s++)
		if (hex_digit(*s) == -1 || (*s >= 'A' && *s <= 'F'))
			return 0;
	return 1;
}

static void
copy_hash(char *dst, const json_t *o, const char *name)
{
	const char	*s = json_string_value(json_object_get(o, name));

	snprintf(dst, LEDGER_HASH_LEN + 1, "%s", s != NULL ? s : "");
}

int
ledger_line_parse(const char *line, size_t len, struct ledger_line *out,
    char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*o, *seq;
	char		*canon;
	int		 canonical;

	memset(out, 0, sizeof *out);
	if (len > LEDGER_LINE_MAX) {
		snprintf(err, errlen, "longer than %d bytes", LEDGER_LINE_MAX);
		return -1;
	}
	if ((o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		snprintf(err, errlen, "not JSON: %s", jerr.text);
		return -1;
	}
	canon = json_is_object(o) ? ledger_canonical(o) : NULL;
	canonical = canon != NULL && strlen(canon) == len &&
	    memcmp(canon, line, len) == 0;
	free(canon);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "not a JSON object");
		goto fail;
	}
	if (!canonical) {
		snprintf(err, errlen, "not in canonical form (the line was "
		    "changed)");
		goto fail;
	}
	out->o = o;
	if ((seq = json_object_get(o, "checkpoint")) != NULL) {
		out->kind = LEDGER_CHECKPOINT;
		copy_hash(out->hash, o, "head");
		if (!json_is_integer(seq) || !is_hash(out->hash) ||
		    !json_is_string(json_object_get(o, "sig")) ||
		    !json_is_string(json_object_get(o, "time"))) {
			snprintf(err, errlen, "a checkpoint needs a number, a "
			    "head hash, a time and a signature");
			goto fail;
		}
	} else {
		out->kind = LEDGER_ENTRY;
		seq = json_object_get(o, "seq");
		copy_hash(out->hash, o, "hash");
		copy_hash(out->prev, o, "prev");
		copy_hash(out->key, o, "key");
		if (!json_is_integer(seq) || !is_hash(out->hash) ||
		    !is_hash(out->prev) || out->key[0] == '\0' ||
		    !json_is_string(json_object_get(o, "kind")) ||
		    !json_is_string(json_object_get(o, "time"))) {
			snprintf(err, errlen, "an entry needs a sequence "
			    "number, a kind, a time, a key and its hashes");
			goto fail;
		}
	}
	out->seq = json_integer_value(seq);
	return 0;
fail:
	json_decref(o);
	memset(out, 0, sizeof *out);
	return -1;
}

void
ledger_line_clear(struct ledger_line *l)
{
	json_decref(l->o);
	memset(l, 0, sizeof *l);
}

struct ledger_verify {
	EVP_PKEY	*pub;
	long long	 lineno;
	long long	 last;		/* the last entry's number */
	long long	 signed_to;	/* the last a checkpoint signed */
	char		 head[LEDGER_HASH_LEN + 1];
	char		*error;		/* the first broken line */
};

struct ledger_verify *
ledger_verify_new(EVP_PKEY *pub)
{
	struct ledger_verify	*v = xcalloc(1, sizeof *v);

	v->pub = pub;
	snprintf(v->head, sizeof v->head, "%s", LEDGER_GENESIS);
	return v;
}

void
ledger_verify_free(struct ledger_verify *v)
{
	if (v == NULL)
		return;
	free(v->error);
	free(v);
}

static int
broken(struct ledger_verify *v, const char *what, long long seq,
    const char *why)
{
	xasprintf(&v->error, "%s %lld (line %lld): %s", what, seq, v->lineno,
	    why);
	return -1;
}

static int
signature_ok(const struct ledger_verify *v, const json_t *o)
{
	const char	*hex = json_string_value(json_object_get(o, "sig"));
	unsigned char	 sig[SIG_LEN];
	EVP_MD_CTX	*md;
	char		*msg;
	int		 ok = 0, hi, lo;

	if (hex == NULL || strlen(hex) != 2 * SIG_LEN)
		return 0;
	for (size_t i = 0; i < SIG_LEN; i++) {
		if ((hi = hex_digit(hex[2 * i])) == -1 ||
		    (lo = hex_digit(hex[2 * i + 1])) == -1)
			return 0;
		sig[i] = (unsigned char)(hi << 4 | lo);
	}
	if ((msg = checkpoint_signed(o)) == NULL)
		return 0;
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, v->pub) == 1)
		ok = EVP_DigestVerify(md, sig, sizeof sig,
		    (unsigned char *)msg, strlen(msg)) == 1;
	EVP_MD_CTX_free(md);
	free(msg);
	return ok;
}

static int
verify_entry(struct ledger_verify *v, const struct ledger_line *l)
{
	char	 hash[LEDGER_HASH_LEN + 1], why[160];

	if (l->seq != v->last + 1) {
		snprintf(why, sizeof why, "sequence number %lld where %lld "
		    "was expected (an entry is missing or out of order)",
		    l->seq, v->last + 1);
		return broken(v, "entry", v->last + 1, why);
	}
	if (strcmp(l->prev, v->head) != 0)
		return broken(v, "entry", l->seq, "its link to the entry "
		    "before does not match that entry's hash");
	if (entry_hash(l->o, l->prev, hash) == -1 ||
	    strcmp(hash, l->hash) != 0)
		return broken(v, "entry", l->seq, "its hash does not match "
		    "its content (the entry was changed)");
	v->last = l->seq;
	memcpy(v->head, l->hash, sizeof v->head);
	return 0;
}

static int
verify_checkpoint(struct ledger_verify *v, const struct ledger_line *l)
{
	if (l->seq != v->last)
		return broken(v, "checkpoint at entry", l->seq, "it does not "
		    "follow the entry it names");
	if (strcmp(l->hash, v->head) != 0)
		return broken(v, "checkpoint at entry", l->seq, "its head is "
		    "not that entry's hash");
	if (!signature_ok(v, l->o))
		return broken(v, "checkpoint at entry", l->seq, "its "
		    "signature does not verify under the public key");
	v->signed_to = l->seq;
	return 0;
}

int
ledger_verify_line(struct ledger_verify *v, const char *line, size_t len)
{
	struct ledger_line	 l;
	char			 why[160];
	int			 rc;

	if (v->error != NULL)
		return -1;
	v->lineno++;
	if (ledger_line_parse(line, len, &l, why, sizeof why) == -1)
		return broken(v, "entry", v->last + 1, why);
	rc = l.kind == LEDGER_ENTRY ? verify_entry(v, &l) :
	    verify_checkpoint(v, &l);
	ledger_line_clear(&l);
	return rc;
}

const char *
ledger_verify_error(const struct ledger_verify *v)
{
	return v->error;
}

long long
ledger_verify_entries(const struct ledger_verify *v)
{
	return v->last;
}

long long
ledger_verify_signed(const struct ledger_verify *v)
{
	return v->signed_to;
}
