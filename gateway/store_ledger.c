/*
 * The ledger's Redis verbs (store.h; ledger.h says how they are used).
 * Everything lives under the {ledger} hash tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

void
store_ledger_record(struct store *st, const char *key, const char *entry,
    unsigned ttl_s, store_done_cb cb, void *arg)
{
	store_add_once(st, SCRIPT_LEDGER_RECORD, key, entry, ttl_s,
	    store_parse_done, (store_fn)cb, arg);
}

static void
parse_range(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	store_entries_cb	 got = (store_entries_cb)cb;

	if (err != NULL)
		got(err, 0, NULL, 0, arg);
	else
		store_entries_fire(got, r, arg);
}

void
store_ledger_pending(struct store *st, unsigned count, store_entries_cb cb,
    void *arg)
{
	char		 n[16];
	const char	*argv[] = { "XRANGE", STORE_KEY_LEDGER_PENDING, "-",
			    "+", "COUNT", n };

	snprintf(n, sizeof n, "%u", count);
	store_command(st, 6, argv, NULL, parse_range, (store_fn)cb, arg);
}

void
store_ledger_commit(struct store *st, const char *const *ids, size_t nids,
    long long seq, const char *hash, const char *const *refs, size_t nrefs,
    store_done_cb cb, void *arg)
{
	struct store_keyargs ka = { 0 };
	const char	**argv = xcalloc(3 + nids + nrefs, sizeof *argv);
	char		 s[24], n[24], *head;
	size_t		 argc = 0;

	snprintf(s, sizeof s, "%lld", seq);
	snprintf(n, sizeof n, "%zu", nids);
	xasprintf(&head, "%lld %s", seq, hash);
	argv[argc++] = s;
	argv[argc++] = head;
	argv[argc++] = n;
	for (size_t i = 0; i < nids; i++)
		argv[argc++] = ids[i];
	for (size_t i = 0; i < nrefs; i++)
		argv[argc++] = refs[i];
	store_eval(st, SCRIPT_LEDGER_COMMIT, &ka, (int)argc, argv, NULL,
	    store_parse_done, (store_fn)cb, arg);
	free(head);
	free(argv);
}

static void
parse_string(const char *err, const redisReply *r, store_fn cb, void *arg)
{
	((store_string_cb)cb)(err, err == NULL &&
	    r->type == REDIS_REPLY_STRING ? r->str : NULL, arg);
}

void
store_ledger_find(struct store *st, const char *ref, store_string_cb cb,
    void *arg)
{
	const char	*argv[] = { "HGET", STORE_KEY_LEDGER_REFS, ref };

	store_command(st, 3, argv, NULL, parse_string, (store_fn)cb, arg);
}
