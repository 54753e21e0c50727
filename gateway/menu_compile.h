/*
 * The inside of a menu, shared by the modules that build, free and check
 * it: menu.c (loading, freeing, the accessors), menu_compile.c (the file
 * as a whole and the compiler's helpers), menu_screens.c (screens),
 * menu_commands.c (SMS commands), menu_check.c (the -t checks) and
 * menu_dot.c (the picture of the graph, drawn with what -t finds) and
 * menu_diff.c (the -D comparison, which walks every screen).  No other
 * file includes it; step.c, command.c and sms.c see the graph
 * through menu_graph.h and reach struct menu only by accessors.
 *
 * Compiling is one pass over the libconfig tree with a struct compile as
 * its context.  Errors never stop it: each helper reports with file and
 * line, leaves the part it could not read empty, and carries on, so an
 * operator sees every mistake of a file at once.  menu_load() fails when
 * any error was added; menu_load_for_check() keeps such a menu for the
 * checks of -t, which take a screen with an error (marked broken) to
 * lead somewhere, since its missing targets were already reported.
 */
#ifndef ASANIGW_MENU_COMPILE_H
#define ASANIGW_MENU_COMPILE_H

#include <stddef.h>

#include <libconfig.h>

#include "errlist.h"
#include "menu.h"
#include "menu_graph.h"

/* The built-in messages ("busy", "more", ...), listed in menu.c. */
#define MENU_NBUILTINS	14

/* A named text outside any screen: a value's display translation, a
 * notification. */
struct menu_value {
	char			*name;
	struct menu_text	 text;
	const char		*file;
};

struct menu {
	char			*path;
	char			*name;

	char			**langs;
	size_t			 nlangs;
	int			 deflang;

	struct menu_screen	*screens;	/* in file order */
	size_t			 nscreens;
	const struct menu_screen *start;
	const struct menu_screen *home;

	char			**sensitive;
	size_t			 nsensitive;

	struct menu_value	*values;
	size_t			 nvalues;

	struct menu_command	*commands;
	size_t			 ncommands;
	struct menu_value	*notifications;	/* name and text */
	size_t			 nnotifications;

	struct menu_text	 overrides[MENU_NBUILTINS];
	const char		**msgs;		/* [MENU_NBUILTINS * nlangs] */

	char			**files;	/* every file named, owned */
	size_t			 nfiles;
};

/* menu.c */
/* Index of a built-in message by name, or -1. */
int		 menu_builtin_index(const char *name);
void		 menu_text_free(const struct menu *, struct menu_text *);

/* A target named by a screen, resolved once every screen is known. */
struct pending {
	struct menu_screen *scr;	/* the screen that names it */
	const struct menu_screen **slot;
	char		*name;
	char		*ctx;
	const char	*file;
	int		 line;
};

struct compile {
	struct menu	*m;
	struct errlist	*errs;
	int		 langs_ok;	/* languages parsed: check tags */
	struct pending	*pend;
	size_t		 npend;
	char		*ctx;		/* "screen 'x'": prefixes errors */
	struct menu_screen *scr;	/* the screen being read: an error
					 * marks it broken */
};

/* menu_compile.c */
/* Compiles the whole file into m, appending every error to errs. */
void		 menu_compile(struct menu *m, config_t *cf,
		    struct errlist *errs);
/* The file a setting comes from, interned in the menu (an @include'd
 * file, else the menu's own path). */
const char	*compile_file(struct compile *, const config_setting_t *);
/* Adds an error at s's file and line, prefixed by the context. */
void		 cerror(struct compile *, const config_setting_t *s,
		    const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* A required member of g, or NULL after an error; what (may be NULL)
 * names g in the message. */
config_setting_t *compile_need(struct compile *, const config_setting_t *g,
		    const char *what, const char *key);
/* Reports every member of g not named in keys (NULL-terminated): the
 * typo that would leave a part silently unset.  what as for
 * compile_need(). */
void		 compile_keys(struct compile *, const config_setting_t *g,
		    const char *what, const char *const *keys);
/* A string setting's value (valid UTF-8), or NULL after an error. */
const char	*compile_string(struct compile *, const config_setting_t *,
		    const char *what);
/* An integer setting's value: 0, or -1 after an error. */
int		 compile_integer(struct compile *, const config_setting_t *,
		    const char *what, long long *v);
int		 compile_is_list(const config_setting_t *);
/* A group of one string per language into t; template: the strings may
 * hold ${var} references and are checked for them. */
void		 compile_text(struct compile *, const config_setting_t *,
		    const char *what, int template, struct menu_text *t);
/* A list of strings (submit fields, lookup params, choices), if s is not
 * NULL: *names is allocated here, NULL-terminated, and *n counts the
 * strings that were read. */
void		 compile_names(struct compile *, const config_setting_t *s,
		    const char *what, char ***names, size_t *n);

/* menu_screens.c */
/* The `screens` group of root, the targets between them, and the start
 * and home screens. */
void		 compile_screens(struct compile *, const config_setting_t *root);
void		 screen_free(const struct menu *, struct menu_screen *);

/* menu_commands.c */
/* The `commands` group. */
void		 compile_commands(struct compile *, const config_setting_t *s);
void		 command_free(const struct menu *, struct menu_command *);
/* The keys of a command's texts, NULL-terminated, and the text of one. */
extern const char *const command_texts[];
struct menu_text *command_text(struct menu_command *, const char *key);

/* menu_check.c */
/* The screens scr leads to by its own keys (not 0, 00 or 98), in the
 * order options, cases, next, no, default; at most max of them go to
 * out.  max_edges() is the most a screen can have. */
size_t		 screen_edges(const struct menu_screen *scr,
		    const struct menu_screen **out, size_t max);
size_t		 max_edges(const struct menu_screen *scr);
/* What -t reports of the graph's shape, one byte per screen (indexed
 * like m->screens, m->nscreens bytes each): reach[i] is 1 when start or
 * home leads there; dead[i] is 1 when screen i is reachable but no end,
 * submit or lookup screen can be reached from it. */
void		 menu_check_reach(const struct menu *m, char *reach,
		    char *dead);

#endif
