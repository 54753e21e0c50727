/*
 * The file adapter: every request becomes one JSON line appended to a
 * file and flushed to disk (fdatasync) before the subscriber is told it
 * was received.  The embedded default back office, and the simplest one
 * an operator can feed into anything that reads JSON lines.
 *
 * The write is synchronous (a few milliseconds on a real disk); the
 * completion is delivered from the event loop so callers never see their
 * callback run inside adapter_submit().
 *
 * It also answers lookups that carry a "ref": the last request in the
 * file with that reference and the asker's MSISDN is found, with status
 * "received" (nothing processes the file here).  The file is read from
 * the start on each lookup: fine for the demo and a small service; a real
 * back office answers through the http adapter.
 *
 * Its one setting, path, is required (the configuration checks it); a
 * relative path is the configuration's directory's.
 */
#define _DEFAULT_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "adapter.h"
#include "log.h"
#include "xmalloc.h"

struct file_done {
	struct file_adapter	*fa;
	struct event		*ev;
	adapter_cb		 cb;		/* a submit */
	adapter_answer_cb	 acb;		/* or a lookup */
	struct answer		 answer;
	void			*arg;
	char			*err;		/* NULL on success */
	struct file_done	*next;
};

struct file_adapter {
	struct event_base	*base;
	char			*path;
	int			 fd;
	struct file_done	*pending;	/* completions not yet fired */
};

static const struct adapter_key file_keys[] = {
	{ .name = "path", .kind = ADAPTER_PATH, .required = 1 },
	{ .name = NULL }
};

static void *
file_open(struct event_base *base, const char *name,
    const struct adapter_settings *set, char *err, size_t errlen)
{
	struct file_adapter	*fa;
	const char		*path = adapter_setting_str(set, "path");
	char			*dir, *tmp;
	int			 fd;

	tmp = xstrdup(path);
	dir = dirname(tmp);
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "adapter %s: cannot create %s: %s",
		    name, dir, strerror(errno));
		free(tmp);
		return NULL;
	}
	free(tmp);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		snprintf(err, errlen, "adapter %s: cannot open %s: %s",
		    name, path, strerror(errno));
		return NULL;
	}
	fa = xcalloc(1, sizeof *fa);
	fa->base = base;
	fa->path = xstrdup(path);
	fa->fd = fd;
	return fa;
}

static void
file_unlink_done(struct file_adapter *fa, struct file_done *d)
{
	struct file_done **pp;

	for (pp = &fa->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
}

/* Tells the caller how it went and frees d. */
static void
file_done_free(struct file_done *d)
{
	if (d->acb != NULL)
		d->acb(d->err, d->err == NULL ? &d->answer : NULL, d->arg);
	else
		d->cb(d->err, 0, d->arg);	/* the line is written, or not */
	answer_clear(&d->answer);
	event_free(d->ev);
	free(d->err);
	free(d);
}

static void
file_done_fire(evutil_socket_t fd, short what, void *arg)
{
	struct file_done	*d = arg;

	(void)fd;
	(void)what;
	file_unlink_done(d->fa, d);
	file_done_free(d);
}

static int
file_append(struct file_adapter *fa, const char *line, char *err,
    size_t errlen)
{
	size_t	 len = strlen(line), off = 0;
	char	*buf = xmalloc(len + 1);

	memcpy(buf, line, len);
	buf[len++] = '\n';
	/* One write() with O_APPEND: lines of concurrent writers never mix. */
	while (off < len) {
		ssize_t n = write(fa->fd, buf + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "write %s: %s", fa->path,
			    strerror(errno));
			free(buf);
			return -1;
		}
		off += (size_t)n;
	}
	free(buf);
	if (fdatasync(fa->fd) == -1) {
		snprintf(err, errlen, "fdatasync %s: %s", fa->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Completes d from the loop. */
static void
file_done_later(struct file_adapter *fa, struct file_done *d)
{
	d->ev = event_new(fa->base, -1, 0, file_done_fire, d);
	d->next = fa->pending;
	fa->pending = d;
	event_active(d->ev, EV_TIMEOUT, 1);
}

static void
file_submit(void *impl, const struct request *req, adapter_cb cb, void *arg)
{
	struct file_adapter	*fa = impl;
	struct file_done	*d = xcalloc(1, sizeof *d);
	const char		*line;
	char			*made, err[256];

	d->fa = fa;
	d->cb = cb;
	d->arg = arg;
	if ((line = request_text(req, &made)) == NULL)
		d->err = xstrdup("cannot encode the request as JSON");
	else if (file_append(fa, line, err, sizeof err) == -1) {
		log_warnx("adapter=file event=write-failed error=\"%s\"", err);
		d->err = xstrdup(err);
	}
	free(made);
	file_done_later(fa, d);
}

/* The last request in the file with this ref and msisdn, into a. */
static int
file_find(struct file_adapter *fa, const char *ref, const char *msisdn,
    struct answer *a, char *err, size_t errlen)
{
	FILE		*f;
	char		*line = NULL, *needle, why[160];
	size_t		 cap = 0;
	struct request	*r;

	if ((f = fopen(fa->path, "re")) == NULL) {
		snprintf(err, errlen, "open %s: %s", fa->path, strerror(errno));
		return -1;
	}
	xasprintf(&needle, "\"ref\":\"%s\"", ref);
	a->found = 0;
	while (getline(&line, &cap, f) != -1) {
		if (strstr(line, needle) == NULL ||
		    (r = request_decode(line, why, sizeof why)) == NULL)
			continue;
		if (strcmp(r->ref, ref) == 0 && strcmp(r->msisdn, msisdn) == 0) {
			answer_clear(a);
			a->found = 1;
			answer_add(a, "ref", r->ref);
			answer_add(a, "request", r->kind);
			answer_add(a, "status", "received");
			for (size_t i = 0; i < r->nfields; i++)
				answer_add(a, r->names[i], r->values[i]);
		}
		request_free(r);
	}
	free(needle);
	free(line);
	fclose(f);
	return 0;
}

static void
file_lookup(void *impl, const struct query *q, adapter_answer_cb cb,
    void *arg)
{
	struct file_adapter	*fa = impl;
	struct file_done	*d = xcalloc(1, sizeof *d);
	const char		*ref = NULL;
	char			 err[256];

	d->fa = fa;
	d->acb = cb;
	d->arg = arg;
	for (size_t i = 0; i < q->nparams; i++)
		if (strcmp(q->names[i], "ref") == 0)
			ref = q->values[i];
	if (ref == NULL)
		xasprintf(&d->err, "query %s has no ref: the file adapter "
		    "answers lookups by reference only", q->kind);
	else if (file_find(fa, ref, q->msisdn, &d->answer, err,
	    sizeof err) == -1) {
		log_warnx("adapter=file event=lookup-failed error=\"%s\"",
		    err);
		d->err = xstrdup(err);
	}
	file_done_later(fa, d);
}

static void
file_close(void *impl)
{
	struct file_adapter	*fa = impl;
	struct file_done	*d;

	/* Completions not yet delivered still fire, with an error. */
	while ((d = fa->pending) != NULL) {
		fa->pending = d->next;
		file_done_free(d);
	}
	close(fa->fd);
	free(fa->path);
	free(fa);
}

const struct adapter_ops adapter_file_ops = {
	.type = "file",
	.keys = file_keys,
	.open = file_open,
	.submit = file_submit,
	.lookup = file_lookup,
	.close = file_close,
};
