/*
 * The ledger (ledger.h): recording entries into Redis, and the writer
 * that turns them into the chained file.
 *
 *	         try the lock every LOCK_MS
 *	UNLOCKED ───────────────▶ (file read and verified, torn tail cut)
 *	                                │
 *	      ┌────────────▶ IDLE ◀─────┘   (a checkpoint when one is due)
 *	      │               │ tick
 *	      │               ▼
 *	      │            READING   XRANGE {ledger}:pending
 *	      │               │ entries: sealed, written, fdatasync'd
 *	      │               ▼
 *	      └─────────── COMMITTING  XDEL + head + refs (one script)
 *
 * The write is synchronous on the loop, as the file adapter's is: one
 * write and one fdatasync per batch of entries, so its cost is shared.
 * Only the writer holds the lock, so only it appends; a writer that is
 * killed loses the lock with its process, and the next one starts from
 * what the file says.  Entries written but not yet dropped from the
 * stream are remembered by key (the last RING_KEYS written, from the
 * file itself after a restart), which covers more than the one batch
 * that can be in that state.
 */
#define _DEFAULT_SOURCE
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ledger.h"
#include "ledger_verify.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define LOCK_MS		500	/* between two tries of the lock */
#define TICK_MS		100	/* between two reads when idle */
#define RING_KEYS	1024	/* keys of the last entries written */
#define FIELD_MAX	40	/* a published value's length, at most */
#define DIGITS_MAX	9	/* a longer run of digits is not published */

enum wstate {
	W_UNLOCKED,
	W_IDLE,
	W_READING,
	W_COMMITTING,
	W_BROKEN,	/* the file does not verify: nothing is written */
};

struct ledger {
	struct event_base	*base;
	struct store		*store;
	struct ledger_params	 p;
	char			*file;
	char			**fields;
	EVP_PKEY		*key;
	int			 fd;
	enum wstate		 state;
	struct event		*tick;
	long long		 seq;		/* the last entry written */
	char			 head[LEDGER_HASH_LEN + 1];
	long long		 signed_to;	/* the last checkpoint's */
	long long		 signed_at;	/* when (monotonic ms) */
	char			 ring[RING_KEYS][LEDGER_HASH_LEN + 1];
	size_t			 ring_next;
	int			 calls;		/* Redis calls pending */
	int			 closing;
};

void
ledger_time(long long ms, char *buf, size_t len)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;
	char		 s[20];

	gmtime_r(&t, &tm);
	if (strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		s[0] = '\0';
	snprintf(buf, len, "%.19s.%03uZ", s, (unsigned)(ms % 1000) % 1000);
}

/* The entry's key: a hash of the request's idempotency key, so the
 * published file does not carry what the back office books by. */
static void
entry_key(const char *kind, const char *ikey, char *key)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*in;

	xasprintf(&in, "asanigw-ledger|%s|%s", kind, ikey);
	SHA256((unsigned char *)in, strlen(in), md);
	free(in);
	hex_encode(md, LEDGER_KEY_LEN / 2, key, LEDGER_KEY_LEN + 1);
}

/* A value fit to publish: a short word or number of plain characters,
 * with no run of digits long enough to be a phone or ID card number. */
static int
publishable(const char *v)
{
	size_t	 digits = 0, n = 0;

	for (; *v != '\0'; v++, n++) {
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= '0' && *v <= '9') || *v == '_' || *v == '-' ||
		    *v == '.'))
			return 0;
		digits = *v >= '0' && *v <= '9' ? digits + 1 : 0;
		if (digits > DIGITS_MAX)
			return 0;
	}
	return n > 0 && n <= FIELD_MAX;
}

static json_t *
published(json_t *from, const char *const *fields, size_t nfields)
{
	json_t		*out = json_object();
	const char	*v;

	for (size_t i = 0; i < nfields; i++) {
		v = json_string_value(json_object_get(from, fields[i]));
		if (v != NULL && publishable(v))
			json_object_set_new(out, fields[i], json_string(v));
	}
	return out;
}

static const char *
kind_of(const char *request)
{
	if (strcmp(request, "pledge") == 0 || strcmp(request, "complaint") == 0)
		return request;
	return "request";
}

char *
ledger_entry_of_request(const char *json, const char *const *fields,
    size_t nfields, char *key)
{
	json_t		*r, *e;
	json_error_t	 jerr;
	const char	*ikey, *ref, *service, *request, *who;
	char		 t[32], *s = NULL;

	if ((r = json_loads(json, 0, &jerr)) == NULL)
		return NULL;
	ikey = json_string_value(json_object_get(r, "idempotency_key"));
	ref = json_string_value(json_object_get(r, "ref"));
	service = json_string_value(json_object_get(r, "service"));
	request = json_string_value(json_object_get(r, "request"));
	who = json_string_value(json_object_get(r, "msisdn_hash"));
	if (ikey != NULL && ref != NULL && service != NULL &&
	    request != NULL && who != NULL &&
	    json_is_integer(json_object_get(r, "ts"))) {
		entry_key("request", ikey, key);
		ledger_time(json_integer_value(json_object_get(r, "ts")), t,
		    sizeof t);
		e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "time", t,
		    "kind", kind_of(request), "type", request, "service",
		    service, "ref", ref, "who", who, "key", key, "fields",
		    published(json_object_get(r, "fields"), fields, nfields));
		if (e != NULL)
			s = ledger_canonical(e);
		json_decref(e);
	}
	json_decref(r);
	return s;
}

struct record {
	ledger_done_cb	 cb;
	void		*arg;
};

static void
recorded(const char *err, void *arg)
{
	struct record	*rc = arg;

	if (rc->cb != NULL)
		rc->cb(err, rc->arg);
	else if (err != NULL)
		log_warnx("event=ledger-record-failed error=\"%s\"", err);
	free(rc);
}

static void
record(struct ledger *l, const char *key, const char *entry,
    ledger_done_cb cb, void *arg)
{
	struct record	*rc = xcalloc(1, sizeof *rc);

	rc->cb = cb;
	rc->arg = arg;
	store_ledger_record(l->store, key, entry, l->p.dedupe_ttl, recorded,
	    rc);
}

int
ledger_record_request(struct ledger *l, const char *json, ledger_done_cb cb,
    void *arg)
{
	char		 key[LEDGER_KEY_LEN + 1];
	char		*entry;

	entry = ledger_entry_of_request(json, (const char *const *)l->fields,
	    l->p.nfields, key);
	if (entry == NULL)
		return -1;
	record(l, key, entry, cb, arg);
	free(entry);
	return 0;
}

void
ledger_record_status(struct ledger *l, const char *ikey, const char *service,
    const char *ref, const char *event, const char *who,
    const char *fields_json)
{
	char		 key[LEDGER_KEY_LEN + 1], t[32], *entry;
	json_t		*f, *e;

	entry_key("status", ikey, key);
	ledger_time(now_ms(), t, sizeof t);
	f = fields_json != NULL ? json_loads(fields_json, 0, NULL) : NULL;
	e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "time", t, "kind",
	    "status", "type", event, "service", service, "ref",
	    ref != NULL ? ref : "", "who", who, "key", key, "fields",
	    published(f, (const char *const *)l->fields, l->p.nfields));
	json_decref(f);
	if (e == NULL || (entry = ledger_canonical(e)) == NULL) {
		log_warnx("event=ledger-record-failed error=\"the status "
		    "cannot be encoded\"");
		json_decref(e);
		return;
	}
	json_decref(e);
	record(l, key, entry, NULL, NULL);
	free(entry);
}

struct find {
	adapter_answer_cb	 cb;
	void			*arg;
	char			*who;
};

static void
found(const char *err, const char *value, void *arg)
{
	struct find	*f = arg;
	struct answer	 a = { 0 };
	char		 hash[LEDGER_HASH_LEN + 1], who[64], prefix[13];
	long long	 seq;

	if (err != NULL) {
		f->cb(err, NULL, f->arg);
	} else {
		if (value != NULL && sscanf(value, "%lld %64s %63s", &seq,
		    hash, who) == 3 && strcmp(who, f->who) == 0) {
			char	 n[24];

			a.found = 1;
			snprintf(n, sizeof n, "%lld", seq);
			memcpy(prefix, hash, sizeof prefix - 1);
			prefix[sizeof prefix - 1] = '\0';
			answer_add(&a, "seq", n);
			answer_add(&a, "hash", prefix);
		}
		f->cb(NULL, &a, f->arg);
		answer_clear(&a);
	}
	free(f->who);
	free(f);
}

void
ledger_find(struct ledger *l, const struct query *q, adapter_answer_cb cb,
    void *arg)
{
	struct find	*f = xcalloc(1, sizeof *f);
	const char	*ref = "";

	for (size_t i = 0; i < q->nparams; i++)
		if (strcmp(q->names[i], "ref") == 0)
			ref = q->values[i];
	f->cb = cb;
	f->arg = arg;
	f->who = xstrdup(q->msisdn_hash != NULL ? q->msisdn_hash : "");
	store_ledger_find(l->store, ref, found, f);
}

/* The writer. */

static void	tick_soon(struct ledger *, unsigned ms);

static int
ring_has(const struct ledger *l, const char *key)
{
	for (size_t i = 0; i < RING_KEYS; i++)
		if (l->ring[i][0] != '\0' && strcmp(l->ring[i], key) == 0)
			return 1;
	return 0;
}

static void
ring_add(struct ledger *l, const char *key)
{
	snprintf(l->ring[l->ring_next], sizeof l->ring[0], "%s", key);
	l->ring_next = (l->ring_next + 1) % RING_KEYS;
}

/*
 * The file as the dead writer left it: verified from its first line (a
 * chain is only continued from a sound one), a torn last line cut off.
 * -1 if it does not verify.
 */
static int
writer_load(struct ledger *l)
{
	struct ledger_verify	*v = ledger_verify_new(l->key);
	struct ledger_line	 ln;
	FILE			*f;
	char			*line = NULL, err[160];
	size_t			 cap = 0;
	ssize_t			 n;
	off_t			 good = 0;
	int			 rc = 0;

	l->seq = 0;
	l->signed_to = 0;
	snprintf(l->head, sizeof l->head, "%s", LEDGER_GENESIS);
	memset(l->ring, 0, sizeof l->ring);
	if ((f = fdopen(dup(l->fd), "r")) == NULL)
		fatal("fdopen");
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			log_warnx("event=ledger-torn-line file=%s offset=%lld "
			    "bytes=%zd (cut off; its entries are still "
			    "pending)", l->file, (long long)good, n);
			if (ftruncate(l->fd, good) == -1)
				fatal("ftruncate %s", l->file);
			break;
		}
		if (ledger_verify_line(v, line, (size_t)n - 1) == -1) {
			log_warnx("event=ledger-damaged file=%s error=\"%s\" "
			    "(nothing is written until it is repaired)",
			    l->file, ledger_verify_error(v));
			rc = -1;
			break;
		}
		if (ledger_line_parse(line, (size_t)n - 1, &ln, err,
		    sizeof err) == 0) {
			if (ln.kind == LEDGER_ENTRY) {
				ring_add(l, ln.key);
				memcpy(l->head, ln.hash, sizeof l->head);
			}
			ledger_line_clear(&ln);
		}
		good += n;
	}
	l->seq = ledger_verify_entries(v);
	l->signed_to = ledger_verify_signed(v);
	ledger_verify_free(v);
	free(line);
	fclose(f);
	return rc;
}

static void
writer_lock(struct ledger *l)
{
	if (flock(l->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			log_warn("event=ledger-lock-failed file=%s", l->file);
		return;
	}
	lseek(l->fd, 0, SEEK_SET);
	if (writer_load(l) == -1) {
		l->state = W_BROKEN;
		flock(l->fd, LOCK_UN);
		return;
	}
	l->signed_at = mono_ms();
	l->state = W_IDLE;
	log_info("event=ledger-writer file=%s seq=%lld signed=%lld", l->file,
	    l->seq, l->signed_to);
}

/* Appends buf and flushes it; on failure the file is cut back. */
static int
writer_append(struct ledger *l, const char *buf, size_t len)
{
	off_t	 end = lseek(l->fd, 0, SEEK_END);
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		if ((n = write(l->fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	if (off == len && fdatasync(l->fd) == 0)
		return 0;
	log_warn("event=ledger-write-failed file=%s", l->file);
	if (end != -1 && ftruncate(l->fd, end) == -1)
		log_warn("event=ledger-truncate-failed file=%s", l->file);
	return -1;
}

static int
checkpoint_due(const struct ledger *l)
{
	if (l->seq <= l->signed_to)
		return 0;
	return l->seq - l->signed_to >= (long long)l->p.checkpoint_entries ||
	    mono_ms() - l->signed_at >= (long long)l->p.checkpoint_ms;
}

/* A checkpoint of entry seq, whose hash is head, onto buf (a malloc'd
 * string, or NULL). */
static char *
checkpoint_add(struct ledger *l, char *buf, long long seq, const char *head)
{
	char	 t[32], err[160], *cp, *out;

	ledger_time(now_ms(), t, sizeof t);
	if ((cp = ledger_checkpoint(l->key, seq, head, t, err,
	    sizeof err)) == NULL) {
		log_warnx("event=ledger-checkpoint-failed error=\"%s\"", err);
		return buf;
	}
	xasprintf(&out, "%s%s\n", buf != NULL ? buf : "", cp);
	free(cp);
	free(buf);
	return out;
}

static void
committed(const char *err, void *arg)
{
	struct ledger	*l = arg;

	l->calls--;
	if (l->closing) {
		if (l->calls == 0)
			free(l);
		return;
	}
	if (err != NULL)
		log_warnx("event=ledger-commit-failed error=\"%s\"", err);
	l->state = W_IDLE;
	tick_soon(l, err == NULL ? 0 : LOCK_MS);
}

static void
pending_read(const char *err, int no_group, const struct store_entry *e,
    size_t n, void *arg)
{
	struct ledger	*l = arg;
	const char	**ids, **refs;
	size_t		  nrefs = 0, nids = 0;
	long long	  seq = l->seq, signed_to = l->signed_to;
	char		  head[LEDGER_HASH_LEN + 1], *buf = NULL, *line, *tmp;
	char		  key[LEDGER_HASH_LEN + 1], hash[LEDGER_HASH_LEN + 1];
	json_t		 *o;
	const char	 *k, *kind, *ref, *who;

	(void)no_group;
	l->calls--;
	if (l->closing) {
		if (l->calls == 0)
			free(l);
		return;
	}
	if (err != NULL || n == 0) {
		if (err != NULL)
			log_warnx("event=ledger-read-failed error=\"%s\"", err);
		l->state = W_IDLE;
		if (checkpoint_due(l) && (buf = checkpoint_add(l, NULL,
		    l->seq, l->head)) != NULL &&
		    writer_append(l, buf, strlen(buf)) == 0) {
			l->signed_to = l->seq;
			l->signed_at = mono_ms();
		}
		free(buf);
		tick_soon(l, err != NULL ? LOCK_MS : TICK_MS);
		return;
	}
	memcpy(head, l->head, sizeof head);
	ids = xcalloc(n, sizeof *ids);
	refs = xcalloc(2 * n, sizeof *refs);
	for (size_t i = 0; i < n; i++) {
		ids[nids++] = e[i].id;
		o = e[i].json != NULL ? json_loads(e[i].json, 0, NULL) : NULL;
		k = json_string_value(json_object_get(o, "key"));
		snprintf(key, sizeof key, "%s", k != NULL ? k : "");
		if (o == NULL || !json_is_object(o) || key[0] == '\0') {
			log_warnx("event=ledger-entry-dropped id=%s "
			    "reason=\"not an entry\"", e[i].id);
			json_decref(o);
			continue;
		}
		if (ring_has(l, key)) {
			/* Written by a writer that died before dropping it. */
			json_decref(o);
			continue;
		}
		if ((line = ledger_seal(o, seq + 1, head, hash)) == NULL) {
			json_decref(o);
			continue;
		}
		memcpy(head, hash, sizeof head);
		seq++;
		ring_add(l, key);
		kind = json_string_value(json_object_get(o, "kind"));
		ref = json_string_value(json_object_get(o, "ref"));
		who = json_string_value(json_object_get(o, "who"));
		if (kind != NULL && strcmp(kind, "status") != 0 && ref != NULL &&
		    ref[0] != '\0' && who != NULL) {
			refs[nrefs++] = xstrdup(ref);
			xasprintf((char **)&refs[nrefs++], "%lld %s %s", seq,
			    head, who);
		}
		xasprintf(&tmp, "%s%s\n", buf != NULL ? buf : "", line);
		free(buf);
		free(line);
		buf = tmp;
		json_decref(o);
		/* Every N entries, even inside a batch. */
		if (seq - signed_to >= (long long)l->p.checkpoint_entries) {
			buf = checkpoint_add(l, buf, seq, head);
			signed_to = seq;
		}
	}
	/* A steady trickle never empties the stream: the time-based
	 * checkpoint comes with a batch then. */
	if (seq > signed_to && mono_ms() - l->signed_at >=
	    (long long)l->p.checkpoint_ms) {
		buf = checkpoint_add(l, buf, seq, head);
		signed_to = seq;
	}
	if (buf != NULL && writer_append(l, buf, strlen(buf)) == -1) {
		/* Nothing committed: the entries stay pending. */
		for (size_t i = 0; i < nrefs; i++)
			free((char *)refs[i]);
		free(refs);
		free(ids);
		free(buf);
		l->state = W_UNLOCKED;	/* the file is read again */
		flock(l->fd, LOCK_UN);
		tick_soon(l, LOCK_MS);
		return;
	}
	free(buf);
	if (signed_to != l->signed_to)
		l->signed_at = mono_ms();
	l->seq = seq;
	l->signed_to = signed_to;
	memcpy(l->head, head, sizeof head);
	l->state = W_COMMITTING;
	l->calls++;
	store_ledger_commit(l->store, ids, nids, l->seq, l->head,
	    refs, nrefs, committed, l);
	for (size_t i = 0; i < nrefs; i++)
		free((char *)refs[i]);
	free(refs);
	free(ids);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ledger	*l = arg;

	(void)fd;
	(void)what;
	if (l->state == W_UNLOCKED) {
		writer_lock(l);
		if (l->state == W_UNLOCKED) {
			tick_soon(l, LOCK_MS);
			return;
		}
	}
	if (l->state != W_IDLE)
		return;		/* broken: stays so until a restart */
	if (!store_connected(l->store)) {
		tick_soon(l, LOCK_MS);
		return;
	}
	l->state = W_READING;
	l->calls++;
	store_ledger_pending(l->store, l->p.batch, pending_read, l);
}

static void
tick_soon(struct ledger *l, unsigned ms)
{
	struct timeval	 tv = ms_to_tv(ms);

	evtimer_add(l->tick, &tv);
}

struct ledger *
ledger_new(struct event_base *base, struct store *store,
    const struct ledger_params *p, char *err, size_t errlen)
{
	struct ledger	*l = xcalloc(1, sizeof *l);

	l->base = base;
	l->store = store;
	l->p = *p;
	l->fd = -1;
	l->fields = xcalloc(p->nfields + 1, sizeof *l->fields);
	for (size_t i = 0; i < p->nfields; i++)
		l->fields[i] = xstrdup(p->fields[i]);
	l->p.fields = NULL;
	l->state = W_UNLOCKED;
	if (p->file != NULL && p->file[0] != '\0') {
		l->file = xstrdup(p->file);
		l->p.file = l->file;
		if ((l->key = ledger_key_private(p->key, err, errlen)) ==
		    NULL) {
			ledger_free(l);
			return NULL;
		}
		if ((l->fd = open(l->file, O_RDWR | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0644)) == -1) {
			snprintf(err, errlen, "ledger.file %s: %s", l->file,
			    strerror(errno));
			ledger_free(l);
			return NULL;
		}
		l->tick = evtimer_new(base, tick_cb, l);
		tick_soon(l, 0);
	}
	return l;
}

void
ledger_free(struct ledger *l)
{
	if (l == NULL)
		return;
	if (l->tick != NULL)
		event_free(l->tick);
	if (l->fd != -1)
		close(l->fd);	/* and the lock with it */
	EVP_PKEY_free(l->key);
	for (size_t i = 0; i < l->p.nfields; i++)
		free(l->fields[i]);
	free(l->fields);
	free(l->file);
	l->closing = 1;
	if (l->calls == 0)
		free(l);
}
