/*
 * The menu engine.  A menu file (libconfig syntax, see README "Writing a
 * menu") is compiled once into an immutable graph of screens; menu_step()
 * moves a session through it.  Stepping is a pure function: no I/O, no
 * clock, no randomness (the reference code a submit needs is passed in),
 * so it is tested exhaustively without sockets or Redis.
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

/* The deeper checks of "asanigw -t": unreachable screens, dead ends,
 * missing translations, fixed texts that cannot fit one page of the
 * budget in some language.  Returns the number of problems appended. */
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

/*
 * The compiled graph, read-only.  menu.c builds it and step.c walks it;
 * nothing else should need it (the engine goes through menu_step()).
 * Per-language arrays are indexed like the menu's `languages`.
 */
enum screen_kind {
	SCREEN_MENU,
	SCREEN_INPUT,
	SCREEN_CONFIRM,
	SCREEN_ROUTE,
	SCREEN_SUBMIT,
	SCREEN_LOOKUP,
	SCREEN_END,
};

struct menu_screen;

/* A text in every language; a language it lacks is NULL (menu_check
 * reports it, rendering falls back to the default language). */
struct menu_text {
	char		**tr;
	int		  line;
};

struct menu_option {
	struct menu_text	 label;
	struct var		*set;		/* variables to set */
	size_t			 nset;
	const struct menu_screen *next;
	int			 line;
};

struct menu_case {
	char			*value;
	const struct menu_screen *next;
	int			 line;
};

struct menu_screen {
	char			*id;
	enum screen_kind	 kind;
	const char		*file;		/* where it is declared */
	int			 line;

	struct menu_text	 text;		/* all but route */

	struct menu_option	*options;	/* menu */
	size_t			 noptions;

	char			*var;		/* input, route */

	struct menu_text	 error;		/* input; tr NULL: none */
	int			 has_pattern;	/* input */
	void			*pattern;	/* regex_t */
	int			 has_min, has_max;
	long long		 min, max;
	size_t			 min_length, max_length;
	int			 upper;		/* ASCII letters upper-cased */

	const struct menu_screen *next;		/* input goto, confirm yes */
	const struct menu_screen *no;		/* confirm no */

	struct menu_case	*cases;		/* route */
	size_t			 ncases;
	const struct menu_screen *dflt;

	char			*request;	/* submit */
	char			**fields;	/* submit; lookup: params */
	size_t			 nfields;

	char			*query;		/* lookup */
	struct menu_text	 not_found;	/* tr NULL: text */
	struct menu_text	 fallback;
};

/*
 * SMS commands (the `commands` group): keywords per language, arguments,
 * and what the command does.  command.c matches a message against them;
 * sms.c carries them out.
 */
enum command_action {
	ACTION_REPLY,		/* send reply */
	ACTION_LOOKUP,		/* ask the back office, like a lookup screen */
	ACTION_CONFIRM,		/* a submit that waits for YES <code> */
	ACTION_YES,		/* confirms a pending confirm by its code */
	ACTION_NO,		/* cancels the sender's pending confirms */
	ACTION_STOP,		/* opt out of every message */
	ACTION_START,		/* opt back in */
	ACTION_HELP,		/* the commands; also the answer to an
				 * unknown message */
};

enum arg_type {
	ARG_INTEGER,
	ARG_CHOICE,		/* one of choices, or a translation of one */
	ARG_WORD,
	ARG_REST,		/* the rest of the message */
};

struct menu_arg {
	char		*var;
	enum arg_type	 type;
	int		 has_min, has_max;
	long long	 min, max;
	char		**choices;
	size_t		 nchoices;
	int		 upper;		/* word: ASCII upper-cased */
};

struct menu_keyword {
	char		*word;		/* ASCII letters upper-cased */
	int		 lang;		/* index of the language it is in */
};

struct menu_command {
	char			*id;
	const char		*file;
	int			 line;
	enum command_action	 action;
	struct menu_keyword	*keywords;
	size_t			 nkeywords;
	struct menu_arg		*args;
	size_t			 nargs;
	char			*query;		/* lookup */
	char			*request;	/* confirm */
	char			**fields;	/* confirm: fields;
						 * lookup: params */
	size_t			 nfields;
	char			*list;		/* lookup: an array... */
	struct menu_text	 item;		/* ...one item per line */
	struct menu_text	 reply, usage, not_found, fallback, done;
	struct menu_text	 wrong, expired, none;
};

size_t		 menu_ncommands(const struct menu *);
const struct menu_command *menu_command(const struct menu *, size_t i);
/* The first command with this action, or NULL. */
const struct menu_command *menu_command_by_action(const struct menu *,
		    enum command_action);
/* The text of a notification event (the `notifications` group), or
 * NULL. */
const struct menu_text *menu_notification(const struct menu *,
		    const char *event);

const struct menu_screen *menu_screen(const struct menu *, const char *id);
const struct menu_screen *menu_start(const struct menu *);
const struct menu_screen *menu_home(const struct menu *);
size_t		 menu_nlangs(const struct menu *);
/* Index of a language in the menu, or -1. */
int		 menu_lang_index(const struct menu *, const char *lang);
const char	*menu_lang(const struct menu *, int idx);
/* A text in language idx, else the default language, else any; never
 * NULL. */
const char	*menu_tr(const struct menu *, const struct menu_text *,
		    int idx);
/* The display translation of a variable value, or NULL if none. */
const char	*menu_value(const struct menu *, const char *value, int idx);
size_t		 menu_nsensitive(const struct menu *);
const char	*menu_sensitive(const struct menu *, size_t i);

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
};

struct step_result {
	char		*text;		/* the page to show, owned */
	int		 end;		/* 1: the session ends with this page */
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

/*
 * Completes a hop whose step asked for a lookup (EFFECT_LOOKUP).  Until
 * it is called the result shows the screen's fallback text, which is
 * what the subscriber gets when no answer comes in time.  With found 1
 * the answer's fields become variables (replacing any of the same name)
 * and the screen's text is shown; with found 0 its not_found text.  The
 * result's text and end are made anew; its effect is kept.
 */
/* A text in language idx with ${var} replaced from vars (values
 * translated); owned by the caller. */
char		*menu_render(const struct menu *, const struct session *vars,
		    int idx, const struct menu_text *);

void		 menu_answer(const struct menu *, struct session *, int found,
		    const char *const *names, const char *const *values,
		    size_t n, const struct step_env *, struct step_result *);

#endif
