/*
 * The compiled graph of a menu, read-only: screens and their options,
 * cases and targets, and the SMS commands with their keywords and
 * arguments.  Private to the code that walks it: the menu modules build
 * it (menu_compile.c, menu_screens.c, menu_commands.c), menu_check.c
 * inspects it, step.c steps through its screens, command.c reads an SMS
 * against its commands and sms.c carries a command out.  Everything else
 * goes through menu.h, so a change of shape here stays in these files.
 *
 * Per-language arrays are indexed like the menu's `languages`.  Every
 * pointer in the graph is owned by the menu and lives as long as it.
 */
#ifndef ASANIGW_MENU_GRAPH_H
#define ASANIGW_MENU_GRAPH_H

#include <stddef.h>

#include "menu.h"
#include "session.h"

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
	int			 broken;	/* an error was reported in it,
						 * so a target may be missing:
						 * only in a menu kept for -t
						 * (menu_load_for_check()) */

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

/* The commands, in file order. */
size_t		 menu_ncommands(const struct menu *);
const struct menu_command *menu_command(const struct menu *, size_t i);
/* The first command with this action, or NULL. */
const struct menu_command *menu_command_by_action(const struct menu *,
		    enum command_action);

/* The screen with this id, or NULL. */
const struct menu_screen *menu_screen(const struct menu *, const char *id);
const struct menu_screen *menu_start(const struct menu *);
const struct menu_screen *menu_home(const struct menu *);
size_t		 menu_nlangs(const struct menu *);
/* A text in language idx, else the default language, else any; never
 * NULL. */
const char	*menu_tr(const struct menu *, const struct menu_text *,
		    int idx);
/* The display translation of a variable value, or NULL if none. */
const char	*menu_value(const struct menu *, const char *value, int idx);
size_t		 menu_nsensitive(const struct menu *);
const char	*menu_sensitive(const struct menu *, size_t i);

#endif
