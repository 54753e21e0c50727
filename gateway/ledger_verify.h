/*
 * The ledger's format and its checks: what the gateway writes and what
 * asanigw-verify (and anyone with the operator's public key) checks.
 * Pure: no file, no socket, no clock.
 *
 * A ledger file is JSON lines, each in canonical form (jansson's
 * JSON_SORT_KEYS | JSON_COMPACT: keys sorted, no white space), so the
 * bytes of a line are a function of its content.  Two kinds of line:
 *
 *   entry       {"fields":{...},"hash":H,"key":K,"kind":"pledge",
 *                "prev":P,"ref":"K7MX3Q","seq":N,"service":"*786#",
 *                "time":"2026-12-05T07:30:00.123Z","who":W}
 *     seq counts from 1 with no gap; prev is the hash of entry N-1
 *     (LEDGER_GENESIS for entry 1); hash is SHA-256, in hex, over prev
 *     followed by the canonical JSON of the entry without "hash".  who
 *     is the keyed hash of the subscriber's number, key a hash of the
 *     request's idempotency key (the same request is one entry).
 *
 *   checkpoint  {"checkpoint":N,"head":H,"sig":S,"time":T}
 *     entry N was the last before it and its hash is H; S is the
 *     operator's Ed25519 signature (hex) over the canonical JSON of the
 *     line without "sig".  Checkpoints are not links of the chain.
 *
 *	prev ─▶ SHA-256(prev ‖ entry) ─▶ hash ─▶ next entry's prev ─▶ …
 *	                                   └─▶ signed checkpoint (N, hash)
 */
#ifndef ASANIGW_LEDGER_VERIFY_H
#define ASANIGW_LEDGER_VERIFY_H

#include <stddef.h>

struct evp_pkey_st;
struct json_t;

#define LEDGER_HASH_LEN		64	/* hex characters of a hash */
#define LEDGER_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define LEDGER_LINE_MAX		4096	/* bytes of one line, at most */

/* The canonical JSON of o; malloc'd, NULL if it cannot be encoded. */
char		*ledger_canonical(const struct json_t *o);

/*
 * Seals an entry: sets "seq" and "prev" in body (a JSON object with the
 * entry's other members), computes its hash into hash (LEDGER_HASH_LEN
 * + 1 bytes) and sets "hash".  Returns the line (malloc'd, no newline),
 * or NULL if body cannot be encoded.  body stays the caller's.
 */
char		*ledger_seal(struct json_t *body, long long seq,
		    const char *prev, char *hash);

/* A checkpoint line signed with key (an Ed25519 private key); malloc'd,
 * NULL with a sentence in err if signing fails. */
char		*ledger_checkpoint(struct evp_pkey_st *key, long long seq,
		    const char *head, const char *time, char *err,
		    size_t errlen);

/* Keys in PEM files: the operator's private key (for the gateway) and
 * its public key (for the verifier).  NULL with a sentence in err when
 * the file cannot be read or holds no Ed25519 key. */
struct evp_pkey_st *ledger_key_private(const char *path, char *err,
		    size_t errlen);
struct evp_pkey_st *ledger_key_public(const char *path, char *err,
		    size_t errlen);

/* One line read: an entry or a checkpoint. */
enum ledger_kind {
	LEDGER_ENTRY,
	LEDGER_CHECKPOINT,
};
struct ledger_line {
	enum ledger_kind kind;
	long long	 seq;		/* the entry's, or the checkpoint's */
	char		 hash[LEDGER_HASH_LEN + 1];	/* or the head */
	char		 prev[LEDGER_HASH_LEN + 1];	/* entries */
	char		 key[LEDGER_HASH_LEN + 1];	/* entries */
	struct json_t	*o;		/* the whole line; owned */
};

/*
 * Reads line[0..len) (no newline): well-formed JSON in canonical form,
 * with the members its kind needs, of the right types.  0 with *out
 * filled (ledger_line_clear() it), or -1 with a sentence in err.  Does
 * not check hashes or signatures (ledger_verify does).
 */
int		 ledger_line_parse(const char *line, size_t len,
		    struct ledger_line *out, char *err, size_t errlen);
void		 ledger_line_clear(struct ledger_line *);

/*
 * Verifying a ledger, one line at a time, from its first line: every
 * entry's sequence number, link and hash, every checkpoint's place and
 * signature under pub (borrowed).  A line that fails stops it: every
 * later call fails too, and ledger_verify_error() names the first broken
 * entry ("entry 17 (line 19): ...").
 */
struct ledger_verify;
struct ledger_verify *ledger_verify_new(struct evp_pkey_st *pub);
void		 ledger_verify_free(struct ledger_verify *);
int		 ledger_verify_line(struct ledger_verify *, const char *line,
		    size_t len);
const char	*ledger_verify_error(const struct ledger_verify *);
/* The last entry so far, and the last one a checkpoint signed (0:
 * none). */
long long	 ledger_verify_entries(const struct ledger_verify *);
long long	 ledger_verify_signed(const struct ledger_verify *);

#endif
