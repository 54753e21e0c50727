/*
 * The tamper-evident ledger: every confirmed request, pledge and
 * complaint, and every status callback the back office sends, as one
 * append-only hash chain with signed checkpoints (the format is
 * ledger_verify.h's).
 *
 *	outbox delivery ─┐                         one writer (flock)
 *	                 ├─▶ record ─▶ {ledger}:pending ─▶ write + fdatasync
 *	notify (status) ─┘   (once per key)             ─▶ XDEL, head, refs
 *
 * Recording happens while a request is delivered and while a callback is
 * accepted, never on the subscriber's hop.  Every gateway records; the
 * gateways configured with a ledger file (the same file) take turns as
 * its writer through an exclusive lock on it, so there is one chain:
 * the writer reads the pending stream oldest first, seals each entry on
 * the file's last one, flushes, and only then drops the entries from the
 * stream.  After a crash the file is the truth: the chain goes on from
 * its last line, a torn last line is cut off, and the pending entries
 * already written (a writer that died before dropping them) are known
 * by their keys and not written again.
 */
#ifndef ASANIGW_LEDGER_H
#define ASANIGW_LEDGER_H

#include <stddef.h>

#include "adapter.h"

struct event_base;
struct ledger;
struct store;

struct ledger_params {
	const char	*file;		/* NULL or "": record only, not write */
	const char	*key;		/* PEM Ed25519 private key, for file */
	unsigned	 checkpoint_entries;	/* a checkpoint every N */
	unsigned	 checkpoint_ms;		/* or after this long */
	unsigned	 batch;		/* entries written at once */
	unsigned	 dedupe_ttl;	/* seconds a key is remembered */
	const char *const *fields;	/* request fields published */
	size_t		 nfields;
};

/* NULL with a sentence in err if the key cannot be read. */
struct ledger	*ledger_new(struct event_base *, struct store *,
		    const struct ledger_params *, char *err, size_t errlen);
void		 ledger_free(struct ledger *);

/* Records a request (its outbox JSON) once; done fires once, err NULL
 * once it is recorded (or was).  -1 (and done never fires) when json is
 * not a request. */
typedef void (*ledger_done_cb)(const char *err, void *arg);
int		 ledger_record_request(struct ledger *, const char *json,
		    ledger_done_cb, void *arg);
/* Records a status callback once per idempotency key; fire and forget
 * (a failure is logged; the back office's retry records it). */
void		 ledger_record_status(struct ledger *, const char *key,
		    const char *service, const char *ref, const char *event,
		    const char *who, const char *fields_json);

/* The query kind menus name to ask the ledger (VERIFY) instead of the
 * back office; its parameter is "ref". */
#define LEDGER_QUERY	"ledger_entry"
/* Answers q: found with seq, hash (its first characters) and time when
 * ref is a request of the asker's in the ledger, else not found. */
void		 ledger_find(struct ledger *, const struct query *q,
		    adapter_answer_cb, void *arg);

/*
 * Pure, for tests: the ledger entry (JSON, without seq and hashes) of a
 * request as the outbox holds it, publishing only the named fields and
 * only values that are short words (no digits runs long enough to be a
 * phone or an ID card number, no free text); NULL if json is not a
 * request.  key (LEDGER_KEY_LEN + 1 bytes) gets the entry's key.
 */
#define LEDGER_KEY_LEN	32
char		*ledger_entry_of_request(const char *json,
		    const char *const *fields, size_t nfields, char *key);
/* The time ms as the ledger writes it: "2026-12-05T07:30:00.123Z". */
void		 ledger_time(long long ms, char *buf, size_t len);

#endif
