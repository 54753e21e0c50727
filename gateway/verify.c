/*
 * asanigw-verify LEDGER PUBKEY: checks a published ledger file against
 * the operator's Ed25519 public key (PEM) — every entry's sequence
 * number, its link to the entry before and its hash, and every
 * checkpoint's place and signature — and prints the first broken entry.
 * Exit status 0 when the whole file holds, 1 otherwise.  Needs nothing
 * of the gateway: anyone with the file and the key can run it.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ledger_verify.h"

static int
usage(void)
{
	fprintf(stderr, "usage: asanigw-verify LEDGER PUBKEY\n");
	return 1;
}

int
main(int argc, char **argv)
{
	struct ledger_verify	*v;
	EVP_PKEY		*pub;
	FILE			*f;
	char			*line = NULL, err[256];
	size_t			 cap = 0;
	ssize_t			 n;
	long long		 entries, signed_to;
	int			 rc = 0;

	if (argc != 3)
		return usage();
	if ((pub = ledger_key_public(argv[2], err, sizeof err)) == NULL) {
		fprintf(stderr, "asanigw-verify: %s\n", err);
		return 1;
	}
	if ((f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "asanigw-verify: cannot read %s\n", argv[1]);
		EVP_PKEY_free(pub);
		return 1;
	}
	v = ledger_verify_new(pub);
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			/* A copy taken while a line was being written. */
			snprintf(err, sizeof err, "entry %lld: the last line "
			    "is incomplete (no newline)",
			    ledger_verify_entries(v) + 1);
			printf("%s: BROKEN: %s\n", argv[1], err);
			rc = 1;
			break;
		}
		if (ledger_verify_line(v, line, (size_t)n - 1) == -1) {
			printf("%s: BROKEN: %s\n", argv[1],
			    ledger_verify_error(v));
			rc = 1;
		}
	}
	if (rc == 0 && ferror(f)) {
		printf("%s: BROKEN: read error\n", argv[1]);
		rc = 1;
	}
	if (rc == 0) {
		entries = ledger_verify_entries(v);
		signed_to = ledger_verify_signed(v);
		printf("%s: OK: %lld entries, every link holds; signed up to "
		    "entry %lld", argv[1], entries, signed_to);
		if (entries > signed_to)
			printf(" (%lld after the last checkpoint are not "
			    "signed yet)", entries - signed_to);
		printf("\n");
	}
	free(line);
	fclose(f);
	ledger_verify_free(v);
	EVP_PKEY_free(pub);
	return rc;
}
