/*
 * Reading an SMS as one of a menu's commands (menus/README.md, "SMS
 * commands").  Forgiving, as people type on keypads: case does not
 * matter, punctuation and extra spaces are ignored, Urdu digits count as
 * digits, "1,000" and "Rs500" are numbers.  Pure: no I/O.
 */
#ifndef ASANIGW_COMMAND_H
#define ASANIGW_COMMAND_H

#include "menu.h"
#include "session.h"

struct menu_command;		/* menu_graph.h */

enum match_kind {
	MATCH_OK,		/* cmd, with its arguments in vars */
	MATCH_USAGE,		/* cmd, but arguments missing or wrong */
	MATCH_UNKNOWN,		/* no command's keyword */
};

struct command_match {
	enum match_kind			 kind;
	const struct menu_command	*cmd;	/* NULL when unknown */
	int				 lang;	/* of the keyword used, else
						 * the menu's default */
	struct session			*vars;	/* the arguments by name;
						 * owned */
};

/* Matches text (UTF-8) against m's commands; always fills out. */
void	command_match(const struct menu *, const char *text,
	    struct command_match *out);
void	command_match_clear(struct command_match *);

/* A lookup command's list: its `item` text once per element of the
 * array named by `list` in vars (NAME = count, NAME.I.KEY = fields), one
 * per line; owned by the caller. */
char	*command_list(const struct menu *, const struct menu_command *,
	    int lang, const struct session *vars);

#endif
