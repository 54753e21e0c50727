/* A ledger file's lines as asanigw-verify reads them: each line through
 * ledger_line_parse() and the verifier.  Oracles: what the parser
 * accepts is exactly its canonical form, with the members of its kind;
 * the verifier never accepts a line the parser refuses, and once a line
 * fails every later one fails too, with the first error kept. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ledger_verify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static EVP_PKEY *
key(void)
{
	static EVP_PKEY	*k;
	EVP_PKEY_CTX	*ctx;

	if (k == NULL) {
		ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
		assert(ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1 &&
		    EVP_PKEY_keygen(ctx, &k) == 1);
		EVP_PKEY_CTX_free(ctx);
	}
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ledger_verify	*v = ledger_verify_new(key());
	struct ledger_line	 l;
	const char		*p = (const char *)data, *end = p + len, *nl;
	char			 err[256], *canon, *first = NULL;
	size_t			 n;
	int			 failed = 0, parsed, ok;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		parsed = ledger_line_parse(p, n, &l, err, sizeof err) == 0;
		if (parsed) {
			canon = ledger_canonical(l.o);
			assert(canon != NULL && strlen(canon) == n &&
			    memcmp(canon, p, n) == 0);
			free(canon);
			assert(strlen(l.hash) == LEDGER_HASH_LEN);
			if (l.kind == LEDGER_ENTRY)
				assert(strlen(l.prev) == LEDGER_HASH_LEN &&
				    l.key[0] != '\0');
			ledger_line_clear(&l);
		} else
			assert(err[0] != '\0');
		ok = ledger_verify_line(v, p, n) == 0;
		assert(!ok || (parsed && !failed));
		if (!ok && !failed) {
			failed = 1;
			first = strdup(ledger_verify_error(v));
		}
		if (failed)
			assert(strcmp(first, ledger_verify_error(v)) == 0);
		p = nl != NULL ? nl + 1 : end;
	}
	free(first);
	ledger_verify_free(v);
	return 0;
}
