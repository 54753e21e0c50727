/*
 * The menu engine.  A menu file (libconfig syntax, see README "Writing a
 * menu") is compiled once into an immutable graph of screens; menu_step()
 * moves a session through it.  Stepping is a pure function: no I/O, no
 * clock, no randomness (the reference code a submit needs is passed in),
 * so it is tested exhaustively without sockets or Redis.
 *
 * This is the public face: struct menu is opaque and the graph itself is
 * private to the menu modules (menu_graph.h), so the engine, the
 * transports and the configuration reach a menu only through these
 * functions.
 */
#ifndef ASANIGW_MENU_H
#define ASANIGW_MENU_H

#include <stddef.h>

#include "errlist.h"
#include "gsm.h"
#include "session.h"

struct menu;

/* Loads and compiles a menu file.  Returns NULL after appending every
 * error found, each with file and line, to errs. */
struct menu	*menu_load(const char *path, struct errlist *errs);
void		 menu_free(struct menu *);

/* For -t: as menu_load(), but a menu whose errors leave its graph whole
 * enough to check (its languages and screens were read; a target that
 * names no screen is left dangling) is returned all the same, with
 * *broken set to 1, so that the checks below report the rest of what is
 * wrong with it at once.  A broken menu must never be served.  NULL
 * (and *broken 1) when the file cannot be read or parsed or compiles too
 * little to check. */
struct menu	*menu_load_for_check(const char *path, struct errlist *errs,
		    int *broken);

/* A page size menus are served with, and what serves pages of it
 * ("/ussd", "smsc ussd"; NULL names nothing). */
struct menu_page {
	struct page_budget	 budget;
	const char		*name;
};

/*
 * The deeper checks of "asanigw -t", on a menu that loads or one that
 * menu_load_for_check() kept: what is legal in the file but wrong for
 * the subscriber.  Each returns the number of
 * findings appended to errs, each once, with file and line.
 *
 * menu_check_shape(): what holds whatever the page: unreachable screens,
 * dead ends, missing translations and keywords.
 * menu_check_pages(): fixed texts that cannot fit one page in some
 * language, one finding per text, language and page size, naming the
 * pages of that size (n may be 0).
 * menu_check(): both, for one unnamed budget.
 */
int		 menu_check_shape(const struct menu *, struct errlist *errs);
int		 menu_check_pages(const struct menu *,
		    const struct menu_page *pages, size_t n,
		    struct errlist *errs);
int		 menu_check(const struct menu *, const struct page_budget *,
		    struct errlist *errs);

const char	*menu_name(const struct menu *);	/* service name */
const char	*menu_path(const struct menu *);
const char	*menu_default_lang(const struct menu *);
/* 1 if the menu has texts in this language. */
int		 menu_has_lang(const struct menu *, const char *lang);
/* A built-in message ("busy", "expired", "failed", ...) in a language,
 * falling back to the menu's default language; never NULL. */
const char	*menu_message(const struct menu *, const char *name,
		    const char *lang);
/* 1 if the variable is declared sensitive (never logged, dropped from
 * the session once submitted). */
int		 menu_var_sensitive(const struct menu *, const char *var);

/* A text in every language of the menu; its parts are private to the
 * menu modules (menu_graph.h). */
struct menu_text;

/* Index of a language in the menu, or -1. */
int		 menu_lang_index(const struct menu *, const char *lang);
/* The tag of language idx; the default language's when idx is out of
 * range. */
const char	*menu_lang(const struct menu *, int idx);
/* The text of a notification event (the `notifications` group), or
 * NULL. */
const struct menu_text *menu_notification(const struct menu *,
		    const char *event);

/*
 * Stepping (step.c).
 */
enum effect_kind {
	EFFECT_NONE = 0,
	EFFECT_SUBMIT,		/* hand fields to the service's adapter */
	EFFECT_LOOKUP,		/* ask the service's adapter, then call
				 * menu_answer() */
};

struct effect {
	enum effect_kind kind;
	const char	*request;	/* request kind, e.g. "help", or the
					 * query kind; borrowed from the menu */
	struct var	*fields;	/* owned copies, in declared order:
					 * submitted fields, query params */
	size_t		 nfields;
	const char	*ref;		/* the reference code given in env */
};

struct step_env {
	struct page_budget budget;	/* page size of this transport */
	const char	*ref;		/* reference code for a submit */
	/* Or, with ref NULL, made only when a submit needs it (most steps
	 * submit nothing, and the code is a keyed hash): ref_fn(ref_arg). */
	const char	*(*ref_fn)(void *);
	void		*ref_arg;
};

struct step_result {
	char		*text;		/* the page to show, owned */
	int		 end;		/* 1: the session ends with this page */
	int		 refused;	/* 1: the input was refused; the page
					 * starts with why */
	int		 page;		/* 1: text is the page the session
					 * shows: menu_page() makes it again */
	struct effect	 effect;
};

/*
 * Runs one hop.  input NULL starts the session at the menu's first screen
 * (the session must be fresh); otherwise input is what the subscriber
 * typed.  Global keys come before the screen's own handling: "0" back
 * (previous page, else previous screen), "00" home, "98" more.  The
 * session is updated in place.  Always produces a page; never fails.
 */
void		 menu_step(const struct menu *, struct session *,
		    const char *input, const struct step_env *,
		    struct step_result *);
void		 step_result_clear(struct step_result *);

/* The page the session shows, as the step that left it there showed it
 * when its result's page was set (malloc'd); NULL if its screen is not
 * in this menu (a reload took it). */
char		*menu_page(const struct menu *, struct session *,
		    const struct step_env *);

/* A text in language idx with ${var} replaced from vars (values
 * translated); owned by the caller. */
char		*menu_render(const struct menu *, const struct session *vars,
		    int idx, const struct menu_text *);

/*
 * Completes a hop whose step asked for a lookup (EFFECT_LOOKUP).  Until
 * it is called the result shows the screen's fallback text, which is
 * what the subscriber gets when no answer comes in time.  With found 1
 * the answer's fields become variables (replacing any of the same name)
 * and the screen's text is shown; with found 0 its not_found text.  The
 * result's text and end are made anew; its effect is kept.
 */
void		 menu_answer(const struct menu *, struct session *, int found,
		    const char *const *names, const char *const *values,
		    size_t n, const struct step_env *, struct step_result *);

#endif
