/*
 * Stepping a session through a compiled menu: one hop in, one page out.
 * A pure function of (menu, session, input, env): no I/O, no clock, no
 * randomness.  The session is updated in place; the result owns its text
 * and the copies an effect carries.
 *
 * A hop first moves (global keys, then the screen's own handling, which
 * may enter other screens and pass through routes), then renders the
 * screen it lands on: the full text with ${var} substituted, split into
 * pages, and the session's page of it.
 *
 * A refusal is never silent: its error goes above the caller's page when
 * both fit one page; when they do not, the screen is paginated again with
 * the error at its head and the caller sees its first page.  A hidden
 * variable (REFUSED_VAR) keeps that pagination while the caller pages
 * through the screen with 98 and 0, so no line of it is skipped.
 *
 * Where a screen expects digits, Urdu and Arabic-Indic digits count as
 * ASCII ones: the global keys, menu choices and confirm answers are read
 * from the input with its digits made ASCII.  An input screen stores the
 * answer as typed when its checks take it, else the ASCII-digit form when
 * that passes them (a CNIC typed in Urdu digits), so free text is never
 * rewritten.
 */
#include <sys/types.h>

#include <regex.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gsm.h"
#include "menu.h"
#include "menu_graph.h"
#include "session.h"
#include "util.h"
#include "xmalloc.h"

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

struct stepper {
	const struct menu		*m;
	struct session			*s;
	const struct step_env		*env;
	struct step_result		*r;
	const struct menu_screen	*cur;
	char				*prefix;	/* shown above the page */
	int				 submitted;
};

static void
buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static char *
buf_take(struct buf *b)
{
	if (b->p == NULL)
		return xstrdup("");
	return b->p;
}

static int
lang(const struct stepper *st)
{
	int	 l;

	if ((l = menu_lang_index(st->m, st->s->lang)) == -1)
		l = menu_lang_index(st->m, menu_default_lang(st->m));
	return l;
}

static const char *
message(const struct stepper *st, const char *name)
{
	return menu_message(st->m, name, menu_lang(st->m, lang(st)));
}

/*
 * Appends a template with every ${name} replaced by the variable's value,
 * or its display translation from `values`.  What is substituted is never
 * scanned again, so user input holding "${x}" stays as typed.
 */
static void
subst_vars(const struct menu *m, const struct session *s, int l,
    struct buf *b, const char *t)
{
	const char	*p, *end, *v, *tr;
	char		*name;

	while ((p = strstr(t, "${")) != NULL &&
	    (end = strchr(p + 2, '}')) != NULL) {
		buf_add(b, t, p - t);
		name = xstrndup(p + 2, end - (p + 2));
		if ((v = session_get(s, name)) != NULL) {
			if ((tr = menu_value(m, v, l)) != NULL)
				v = tr;
			buf_puts(b, v);
		}
		free(name);
		t = end + 1;
	}
	buf_puts(b, t);
}

static void
subst(const struct stepper *st, struct buf *b, const char *t)
{
	subst_vars(st->m, st->s, lang(st), b, t);
}

char *
menu_render(const struct menu *m, const struct session *vars, int l,
    const struct menu_text *t)
{
	struct buf	 b = { NULL, 0, 0 };

	subst_vars(m, vars, l, &b, menu_tr(m, t, l));
	return buf_take(&b);
}

static char *
subst_text(const struct stepper *st, const struct menu_text *t)
{
	struct buf	 b = { NULL, 0, 0 };

	subst(st, &b, menu_tr(st->m, t, lang(st)));
	return buf_take(&b);
}

/* Where a lookup screen stands, in a variable no menu can set: which of
 * its texts it shows. */
#define LOOKUP_VAR	"@lookup"

static const struct menu_text *
lookup_text(const struct stepper *st)
{
	const struct menu_screen	*scr = st->cur;
	const char			*v = session_get(st->s, LOOKUP_VAR);

	if (v != NULL && strcmp(v, "found") == 0)
		return &scr->text;
	if (v != NULL && strcmp(v, "not_found") == 0)
		return scr->not_found.tr != NULL ? &scr->not_found : &scr->text;
	return &scr->fallback;
}

/* Appends the whole text of the current screen, before pagination, to
 * b; *navlen is the length of its navigation line at the end (0 if
 * none). */
static void
screen_text(const struct stepper *st, struct buf *b, size_t *navlen)
{
	const struct menu_screen	*scr = st->cur;
	char				 num[32], *o;
	size_t				 i;
	int				 l = lang(st);

	*navlen = 0;
	subst(st, b, menu_tr(st->m, scr->kind == SCREEN_LOOKUP ?
	    lookup_text(st) : &scr->text, l));
	switch (scr->kind) {
	case SCREEN_MENU:
		for (i = 0; i < scr->noptions; i++) {
			o = num;
			*o++ = '\n';
			o = dec_put(o, i + 1);
			memcpy(o, ". ", 3);
			buf_puts(b, num);
			subst(st, b, menu_tr(st->m, &scr->options[i].label, l));
		}
		if (scr != menu_start(st->m)) {
			buf_puts(b, "\n");
			buf_puts(b, message(st, "nav"));
			*navlen = strlen(message(st, "nav")) + 1;
		}
		break;
	case SCREEN_CONFIRM:
		buf_puts(b, "\n");
		buf_puts(b, message(st, "yes"));
		buf_puts(b, "\n");
		buf_puts(b, message(st, "no"));
		break;
	default:
		break;
	}
}

/* Where a screen stands after a refusal whose error did not fit above
 * the caller's page: its pages start with the error.  No menu can set
 * it; leaving the screen drops it. */
#define REFUSED_VAR	"@refused"

/* What the screen says to input it cannot take; owned by the caller. */
static char *
refusal(const struct stepper *st)
{
	const struct menu_screen	*scr = st->cur;

	if (scr->kind == SCREEN_INPUT && scr->error.tr != NULL)
		return subst_text(st, &scr->error);
	if (scr->kind == SCREEN_INPUT)
		return xstrdup(message(st, "invalid_input"));
	return xstrdup(message(st, "invalid"));
}

static int
refused(const struct stepper *st)
{
	return session_get(st->s, REFUSED_VAR) != NULL;
}

/* The line that offers the next page: "\n" and the message, made again
 * only when the message changes (a language, a reload). */
static const char *
more_line(const char *msg)
{
	static char	*line;

	if (line == NULL || strcmp(line + 1, msg) != 0) {
		free(line);
		line = xstrcat("\n", msg, (char *)NULL);
	}
	return line;
}

/* The pages of the current screen, with the error at their head after a
 * refusal that did not fit: borrowed, valid until the next call (see
 * text_paginate_memo()). */
static size_t
screen_pages(const struct stepper *st, char *const **pages)
{
	/* Made anew on every step and read once: one buffer, grown to the
	 * longest screen, serves every step (the gateway steps one at a
	 * time), where a text of a kilobyte or more cost a malloc of the
	 * size that sorts the whole heap. */
	static struct buf	 text;
	char			*err;
	size_t			 navlen;

	text.len = 0;
	if (refused(st)) {
		err = refusal(st);
		buf_puts(&text, err);
		buf_puts(&text, "\n");
		free(err);
	}
	screen_text(st, &text, &navlen);
	return text_paginate_memo(text.len > 0 ? text.p : "", navlen,
	    more_line(message(st, "more")), &st->env->budget, pages);
}

static void
set_prefix(struct stepper *st, char *prefix)
{
	free(st->prefix);
	st->prefix = prefix;
}

/* Input the screen cannot take: its error goes above the page. */
static void
invalid(struct stepper *st)
{
	set_prefix(st, refusal(st));
}

/* The effect of the current screen: its kind, request or query, and a
 * copy of its fields (unset ones empty). */
static void
effect(struct stepper *st, enum effect_kind kind, const char *request)
{
	const struct menu_screen	*scr = st->cur;
	struct effect			*e = &st->r->effect;
	const char			*v;
	size_t				 i;

	step_result_clear(st->r);
	e->kind = kind;
	e->request = request;
	e->nfields = scr->nfields;
	e->fields = xcalloc(scr->nfields, sizeof *e->fields);
	for (i = 0; i < scr->nfields; i++) {
		v = session_get(st->s, scr->fields[i]);
		e->fields[i].name = xstrdup(scr->fields[i]);
		e->fields[i].value = xstrdup(v != NULL ? v : "");
	}
}

static void
submit(struct stepper *st)
{
	const struct step_env	*env = st->env;
	const char		*ref = env->ref;

	if (ref == NULL && env->ref_fn != NULL)
		ref = env->ref_fn(env->ref_arg);
	effect(st, EFFECT_SUBMIT, st->cur->request);
	st->r->effect.ref = ref;
	session_set(st->s, "ref", ref != NULL ? ref : "");
	/* Done: "0" must not lead back into a confirm that submits again. */
	session_clear_history(st->s);
	st->submitted = 1;
}

/*
 * Enters a screen: the one shown now goes on the history (if push), the
 * page is reset and routes are passed through.  Compiling guarantees
 * routes end and targets exist.
 */
static void
enter(struct stepper *st, const struct menu_screen *to, int push)
{
	const char	*v;
	size_t		 i;

	if (push && st->cur != NULL)
		session_push(st->s, st->cur->id);
	while (to->kind == SCREEN_ROUTE) {
		v = session_get(st->s, to->var);
		for (i = 0; i < to->ncases; i++) {
			if (v != NULL && strcmp(v, to->cases[i].value) == 0)
				break;
		}
		to = i < to->ncases ? to->cases[i].next : to->dflt;
	}
	st->cur = to;
	session_set_screen(st->s, to->id);
	session_unset(st->s, REFUSED_VAR);
	st->s->page = 0;
	if (to->kind == SCREEN_SUBMIT && !st->submitted)
		submit(st);
	if (to->kind == SCREEN_LOOKUP) {
		/* The fallback shows until an answer comes. */
		session_set(st->s, LOOKUP_VAR, "asked");
		effect(st, EFFECT_LOOKUP, to->query);
	}
}

static void
restart(struct stepper *st)
{
	session_clear_history(st->s);
	st->cur = NULL;
	enter(st, menu_start(st->m), 0);
}

static void
back(struct stepper *st)
{
	const struct menu_screen	*scr;
	const char			*prev;

	if (st->s->page > 0) {
		st->s->page--;
		return;
	}
	if ((prev = session_top(st->s)) == NULL)
		return;		/* nothing before: show this one again */
	scr = menu_screen(st->m, prev);
	session_drop(st->s);
	session_unset(st->s, REFUSED_VAR);
	if (scr == NULL || scr->kind == SCREEN_ROUTE) {
		restart(st);
		return;
	}
	st->cur = scr;
	session_set_screen(st->s, scr->id);
	st->s->page = 0;
}

static void
more(struct stepper *st)
{
	char *const	*pages;
	size_t		 n;

	n = screen_pages(st, &pages);
	if (st->s->page + 1 < n)
		st->s->page++;
	else
		invalid(st);
}

/* A menu choice: 1..n in decimal, nothing else. */
static size_t
choice(const char *input, size_t n)
{
	size_t	 v = 0;

	if (*input == '\0' || strlen(input) > 9)
		return 0;
	for (; *input != '\0'; input++) {
		if (*input < '0' || *input > '9')
			return 0;
		v = v * 10 + (*input - '0');
	}
	return v <= n ? v : 0;
}

static int
input_valid(const struct menu_screen *scr, const char *input)
{
	const char	*p;
	char		*end;
	size_t		 len = strlen(input), chars = 0;
	long long	 v;
	uint32_t	 cp;
	int		 n;

	for (p = input; p < input + len; p += n) {
		if ((n = utf8_decode(p, input + len - p, &cp)) < 0)
			return 0;
		chars++;
	}
	if (chars < scr->min_length || chars > scr->max_length)
		return 0;
	if (scr->has_pattern &&
	    regexec(scr->pattern, input, 0, NULL, 0) != 0)
		return 0;
	if (scr->has_min || scr->has_max) {
		p = input + (*input == '-');
		if (*p < '0' || *p > '9')
			return 0;
		errno = 0;
		v = strtoll(input, &end, 10);
		if (*end != '\0' || errno == ERANGE)
			return 0;
		if ((scr->has_min && v < scr->min) ||
		    (scr->has_max && v > scr->max))
			return 0;
	}
	return 1;
}

/* An input screen's answer as it is stored: input as typed if the screen
 * takes it, else digits (input with ASCII digits) if the screen takes
 * that; upper-cased when the screen says so.  NULL if refused, else owned
 * by the caller. */
static char *
input_answer(const struct menu_screen *scr, const char *input,
    const char *digits)
{
	char	*v;

	v = xstrdup(input);
	if (scr->upper)
		ascii_upper(v);
	if (input_valid(scr, v))
		return v;
	free(v);
	if (strcmp(input, digits) == 0)
		return NULL;
	v = xstrdup(digits);
	if (scr->upper)
		ascii_upper(v);
	if (input_valid(scr, v))
		return v;
	free(v);
	return NULL;
}

/* The screen's own handling of what was typed; digits is input with its
 * digits made ASCII. */
static void
handle(struct stepper *st, const char *input, const char *digits)
{
	const struct menu_screen	*scr = st->cur;
	const struct menu_option	*o;
	char				*v;
	size_t				 n, i;

	switch (scr->kind) {
	case SCREEN_MENU:
		if ((n = choice(digits, scr->noptions)) == 0)
			break;
		o = &scr->options[n - 1];
		for (i = 0; i < o->nset; i++) {
			session_set(st->s, o->set[i].name, o->set[i].value);
			if (strcmp(o->set[i].name, "lang") == 0 &&
			    menu_has_lang(st->m, o->set[i].value))
				session_set_lang(st->s, o->set[i].value);
		}
		enter(st, o->next, 1);
		return;
	case SCREEN_INPUT:
		if ((v = input_answer(scr, input, digits)) != NULL) {
			session_set(st->s, scr->var, v);
			free(v);
			enter(st, scr->next, 1);
			return;
		}
		break;
	case SCREEN_CONFIRM:
		if (strcmp(digits, "1") == 0) {
			enter(st, scr->next, 1);
			return;
		}
		if (strcmp(digits, "2") == 0) {
			enter(st, scr->no, 1);
			return;
		}
		break;
	default:
		break;
	}
	invalid(st);
}

/*
 * The session's page with the error of a refusal (the prefix) above it,
 * if both fit one page; NULL if not.  A refused screen's first page
 * already starts with the error: NULL.
 */
static char *
prefixed(const struct stepper *st, const char *page)
{
	char	*text;

	if (st->prefix == NULL || (refused(st) && st->s->page == 0))
		return NULL;
	text = xstrcat(st->prefix, "\n", page, (char *)NULL);
	if (text_fits(text, strlen(text), &st->env->budget))
		return text;
	free(text);
	return NULL;
}

/*
 * Renders the session's page of the current screen.  The error of a
 * refusal always reaches the caller, never over the budget: above the
 * page when both fit; else the screen takes the refused pagination, the
 * error at its head, and shows its first page.  Every line of the screen
 * stays reachable with 98.
 */
static void
render(struct stepper *st)
{
	struct step_result	*r = st->r;
	char *const		*pages;
	char			*text = NULL;
	size_t			 n;

	n = screen_pages(st, &pages);
	if (st->s->page >= n)
		st->s->page = n - 1;
	if (st->prefix != NULL && (text = prefixed(st, pages[st->s->page])) ==
	    NULL && !(refused(st) && st->s->page == 0)) {
		session_set(st->s, REFUSED_VAR, "1");
		st->s->page = 0;
		n = screen_pages(st, &pages);
	}
	r->text = text != NULL ? text : xstrdup(pages[st->s->page]);
	r->page = text == NULL;
	if (st->cur->kind == SCREEN_END || st->cur->kind == SCREEN_SUBMIT ||
	    st->cur->kind == SCREEN_LOOKUP)
		r->end = st->s->page + 1 == n;
}

static void
stepper_init(struct stepper *st, const struct menu *m, struct session *s,
    const struct step_env *env, struct step_result *r)
{
	memset(st, 0, sizeof *st);
	st->m = m;
	st->s = s;
	st->env = env;
	st->r = r;
	st->cur = menu_screen(m, s->screen);
}

void
menu_step(const struct menu *m, struct session *s, const char *input,
    const struct step_env *env, struct step_result *r)
{
	struct stepper	 st;
	char		*digits = NULL;
	size_t		 i;

	memset(r, 0, sizeof *r);
	stepper_init(&st, m, s, env, r);
	if (input != NULL)
		digits = digits_ascii(input);
	if (input == NULL || st.cur == NULL || st.cur->kind == SCREEN_ROUTE)
		restart(&st);
	else if (strcmp(digits, "00") == 0) {
		session_clear_history(s);
		enter(&st, menu_home(m), 0);
	} else if (strcmp(digits, "0") == 0)
		back(&st);
	else if (strcmp(digits, "98") == 0)
		more(&st);
	else
		handle(&st, input, digits);
	free(digits);

	render(&st);
	r->refused = st.prefix != NULL;
	if (st.submitted) {
		/* The page used them: the session no longer makes it. */
		r->page = 0;
		for (i = 0; i < menu_nsensitive(m); i++)
			session_unset(s, menu_sensitive(m, i));
	}
	free(st.prefix);
}

char *
menu_page(const struct menu *m, struct session *s,
    const struct step_env *env)
{
	struct stepper	 st;
	char *const	*pages;

	/* No result: paginating a screen makes none. */
	stepper_init(&st, m, s, env, NULL);
	if (st.cur == NULL || st.cur->kind == SCREEN_ROUTE)
		return NULL;
	return s->page < screen_pages(&st, &pages) ?
	    xstrdup(pages[s->page]) : NULL;
}

void
menu_answer(const struct menu *m, struct session *s, int found,
    const char *const *names, const char *const *values, size_t n,
    const struct step_env *env, struct step_result *r)
{
	struct stepper	 st;

	stepper_init(&st, m, s, env, r);
	if (st.cur == NULL || st.cur->kind != SCREEN_LOOKUP)
		return;
	/* Fields named like the step's own hidden variables are not
	 * taken: a back office cannot steer the screen. */
	if (found)
		for (size_t i = 0; i < n; i++)
			if (names[i][0] != '@')
				session_set(s, names[i], values[i]);
	session_set(s, LOOKUP_VAR, found ? "found" : "not_found");
	free(r->text);
	r->text = NULL;
	r->end = 0;
	render(&st);
}

void
step_result_clear(struct step_result *r)
{
	size_t	 i;

	free(r->text);
	for (i = 0; i < r->effect.nfields; i++) {
		free(r->effect.fields[i].name);
		free(r->effect.fields[i].value);
	}
	free(r->effect.fields);
	memset(r, 0, sizeof *r);
}
