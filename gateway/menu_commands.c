/*
 * Compiling the `commands` group: the grammar of the SMS commands a menu
 * answers (menus/README.md, "SMS commands").  Each command has keywords
 * per language, typed arguments and an action; what else it may and must
 * have depends on the action, so one table, actions[], says for each the
 * keys it takes and the keys it requires, and the compiler checks a
 * command against its row instead of growing a branch per action.
 *
 * A keyword belongs to one command only, across every language, so the
 * reader (command.c) never has to choose.  Reading an SMS against the
 * compiled commands is command.c's; carrying a command out is sms.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "menu_compile.h"
#include "menu_graph.h"
#include "xmalloc.h"

static const struct {
	const char		*name;
	enum command_action	 action;
	const char		*keys;		/* besides keywords, args,
						 * action and usage */
	const char		*required;
} actions[] = {
	{ "reply", ACTION_REPLY, " reply ", " reply " },
	{ "lookup", ACTION_LOOKUP,
	  " query params list item reply not_found fallback ",
	  " query reply fallback " },
	{ "confirm", ACTION_CONFIRM, " request fields reply done ",
	  " request reply done " },
	{ "yes", ACTION_YES, " wrong expired ", " wrong expired " },
	{ "no", ACTION_NO, " reply none ", " reply none " },
	{ "stop", ACTION_STOP, " reply ", " reply " },
	{ "start", ACTION_START, " reply ", " reply " },
	{ "help", ACTION_HELP, " reply ", " reply " },
};
#define NACTIONS (sizeof actions / sizeof actions[0])

static const char *const arg_types[] = { "integer", "choice", "word",
	"rest", NULL };

/* " key " in a list of space-separated words. */
static int
word_in(const char *list, const char *key)
{
	char	*k;
	int	 found;

	xasprintf(&k, " %s ", key);
	found = strstr(list, k) != NULL;
	free(k);
	return found;
}

static void
parse_keywords(struct compile *c, struct menu_command *cmd,
    const config_setting_t *s)
{
	config_setting_t	*e, *w;
	const char		*v;
	int			 i, j, n, nw, l;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "keywords must be a group with a list of words "
		    "per language");
		return;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		l = c->langs_ok ?
		    menu_lang_index(c->m, config_setting_name(e)) : 0;
		if (l == -1) {
			cerror(c, e, "keywords: '%s' is not one of the "
			    "languages", config_setting_name(e));
			continue;
		}
		if (!compile_is_list(e)) {
			cerror(c, e, "keywords: '%s' must be a list of words",
			    config_setting_name(e));
			continue;
		}
		nw = config_setting_length(e);
		cmd->keywords = xreallocarray(cmd->keywords,
		    cmd->nkeywords + nw + 1, sizeof *cmd->keywords);
		for (j = 0; j < nw; j++) {
			w = config_setting_get_elem(e, j);
			if ((v = compile_string(c, w, "a keyword")) == NULL)
				continue;
			if (*v == '\0' || strpbrk(v, " \t\n\r") != NULL) {
				cerror(c, w, "keyword \"%s\" must be one word",
				    v);
				continue;
			}
			cmd->keywords[cmd->nkeywords].word =
			    ascii_upper(xstrdup(v));
			cmd->keywords[cmd->nkeywords++].lang = l;
		}
	}
	if (cmd->nkeywords == 0)
		cerror(c, s, "no keywords");
}

static void
parse_arg(struct compile *c, struct menu_arg *a, const config_setting_t *g,
    int last)
{
	static const char *const keys[] = { "var", "type", "min", "max",
	    "choices", "upper", NULL };
	config_setting_t	*s, *e;
	const char		*v;
	size_t			 k;
	int			 i, n;

	if (!config_setting_is_group(g)) {
		cerror(c, g, "an argument must be a group { var; type; }");
		return;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(g, i);
		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(keys[k], config_setting_name(e)) == 0)
				break;
		if (keys[k] == NULL)
			cerror(c, e, "unknown argument key '%s'",
			    config_setting_name(e));
	}
	if ((s = compile_need(c, g, "an argument", "var")) != NULL &&
	    (v = compile_string(c, s, "var")) != NULL)
		a->var = xstrdup(v);
	if ((s = compile_need(c, g, "an argument", "type")) != NULL &&
	    (v = compile_string(c, s, "type")) != NULL) {
		for (k = 0; arg_types[k] != NULL; k++)
			if (strcmp(arg_types[k], v) == 0)
				break;
		if (arg_types[k] == NULL)
			cerror(c, s, "unknown argument type '%s' (integer, "
			    "choice, word or rest)", v);
		else
			a->type = (enum arg_type)k;
		if (a->type == ARG_REST && !last)
			cerror(c, s, "a rest argument must be the last");
	}
	if ((s = config_setting_get_member(g, "min")) != NULL &&
	    compile_integer(c, s, "min", &a->min) == 0)
		a->has_min = 1;
	if ((s = config_setting_get_member(g, "max")) != NULL &&
	    compile_integer(c, s, "max", &a->max) == 0)
		a->has_max = 1;
	if ((a->has_min || a->has_max) && a->type != ARG_INTEGER)
		cerror(c, g, "min and max are for integer arguments");
	if (a->has_min && a->has_max && a->min > a->max)
		cerror(c, g, "min %lld > max %lld", a->min, a->max);
	compile_names(c, config_setting_get_member(g, "choices"), "choices",
	    &a->choices, &a->nchoices);
	if (a->type == ARG_CHOICE && a->nchoices == 0)
		cerror(c, g, "a choice argument needs choices");
	if (a->type != ARG_CHOICE && a->nchoices > 0)
		cerror(c, g, "choices are for choice arguments");
	if ((s = config_setting_get_member(g, "upper")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cerror(c, s, "upper must be true or false");
		else if (a->type != ARG_WORD)
			cerror(c, s, "upper is for word arguments");
		else
			a->upper = config_setting_get_bool(s);
	}
}

/* The texts a command may have, by key, in the order of command_text(). */
const char *const command_texts[] = { "reply", "usage", "not_found",
	"fallback", "done", "wrong", "expired", "none", "item", NULL };

struct menu_text *
command_text(struct menu_command *cmd, const char *key)
{
	struct menu_text *const texts[] = { &cmd->reply, &cmd->usage,
	    &cmd->not_found, &cmd->fallback, &cmd->done, &cmd->wrong,
	    &cmd->expired, &cmd->none, &cmd->item };

	for (size_t i = 0; command_texts[i] != NULL; i++)
		if (strcmp(command_texts[i], key) == 0)
			return texts[i];
	return NULL;
}

static void
parse_command(struct compile *c, struct menu_command *cmd,
    const config_setting_t *g)
{
	config_setting_t	*s, *e;
	struct menu_text	*t;
	const char		*v, *key;
	size_t			 k = NACTIONS;
	int			 i, n;

	cmd->id = xstrdup(config_setting_name(g));
	cmd->file = compile_file(c, g);
	cmd->line = config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		cerror(c, g, "must be a group");
		return;
	}
	if ((s = compile_need(c, g, NULL, "action")) != NULL &&
	    (v = compile_string(c, s, "action")) != NULL) {
		for (k = 0; k < NACTIONS; k++)
			if (strcmp(actions[k].name, v) == 0)
				break;
		if (k == NACTIONS)
			cerror(c, s, "unknown action '%s'", v);
		else
			cmd->action = actions[k].action;
	}
	if ((s = compile_need(c, g, NULL, "keywords")) != NULL)
		parse_keywords(c, cmd, s);
	if ((s = config_setting_get_member(g, "args")) != NULL) {
		if (!compile_is_list(s)) {
			cerror(c, s, "args must be a list of { var; type; }");
		} else {
			n = config_setting_length(s);
			cmd->args = xcalloc(n + 1, sizeof *cmd->args);
			for (i = 0; i < n; i++)
				parse_arg(c, &cmd->args[cmd->nargs++],
				    config_setting_get_elem(s, i), i == n - 1);
		}
		if (config_setting_get_member(g, "usage") == NULL)
			cerror(c, g, "missing key 'usage' (required with "
			    "args)");
	}
	if (k == NACTIONS)
		return;
	if (cmd->action == ACTION_YES && cmd->nargs != 1)
		cerror(c, g, "a yes command takes one argument: the code");

	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(g, i);
		key = config_setting_name(e);
		if (strcmp(key, "keywords") == 0 || strcmp(key, "args") == 0 ||
		    strcmp(key, "action") == 0)
			continue;
		if (strcmp(key, "usage") != 0 &&
		    !word_in(actions[k].keys, key)) {
			cerror(c, e, "unknown key '%s' for action %s", key,
			    actions[k].name);
			continue;
		}
		if ((t = command_text(cmd, key)) != NULL)
			compile_text(c, e, key, 1, t);
		else if (strcmp(key, "query") == 0 &&
		    (v = compile_string(c, e, key)) != NULL)
			cmd->query = xstrdup(v);
		else if (strcmp(key, "request") == 0 &&
		    (v = compile_string(c, e, key)) != NULL)
			cmd->request = xstrdup(v);
		else if (strcmp(key, "list") == 0 &&
		    (v = compile_string(c, e, key)) != NULL)
			cmd->list = xstrdup(v);
		else if (strcmp(key, "fields") == 0 ||
		    strcmp(key, "params") == 0)
			compile_names(c, e, key, &cmd->fields, &cmd->nfields);
	}
	for (const char *r = actions[k].required; *r != '\0'; ) {
		char	*w;
		size_t	 len;

		r += strspn(r, " ");
		if ((len = strcspn(r, " ")) == 0)
			break;
		w = xstrndup(r, len);
		if (config_setting_get_member(g, w) == NULL)
			cerror(c, g, "missing key '%s' (action %s)", w,
			    actions[k].name);
		free(w);
		r += len;
	}
	if ((cmd->list != NULL) != (cmd->item.tr != NULL))
		cerror(c, g, "list and item go together");
}

void
compile_commands(struct compile *c, const config_setting_t *s)
{
	struct menu		*m = c->m;
	struct menu_command	*a, *b;
	config_setting_t	*e;
	size_t			 i, j, ki, kj;
	int			 n;

	if (!config_setting_is_group(s)) {
		cerror(c, s, "commands must be a group of commands");
		return;
	}
	n = config_setting_length(s);
	m->commands = xcalloc(n + 1, sizeof *m->commands);
	for (int x = 0; x < n; x++) {
		e = config_setting_get_elem(s, x);
		xasprintf(&c->ctx, "command '%s'", config_setting_name(e));
		parse_command(c, &m->commands[m->ncommands++], e);
		free(c->ctx);
		c->ctx = NULL;
	}
	/* One word, one command. */
	for (i = 0; i < m->ncommands; i++)
		for (j = i + 1; j < m->ncommands; j++) {
			a = &m->commands[i];
			b = &m->commands[j];
			for (ki = 0; ki < a->nkeywords; ki++)
				for (kj = 0; kj < b->nkeywords; kj++)
					if (strcmp(a->keywords[ki].word,
					    b->keywords[kj].word) == 0)
						errlist_add(c->errs, b->file,
						    b->line, "command '%s': "
						    "keyword %s is also "
						    "command '%s''s", b->id,
						    b->keywords[kj].word,
						    a->id);
		}
}

void
command_free(const struct menu *m, struct menu_command *cmd)
{
	size_t	 i, j;

	free(cmd->id);
	for (i = 0; i < cmd->nkeywords; i++)
		free(cmd->keywords[i].word);
	free(cmd->keywords);
	for (i = 0; i < cmd->nargs; i++) {
		free(cmd->args[i].var);
		for (j = 0; j < cmd->args[i].nchoices; j++)
			free(cmd->args[i].choices[j]);
		free(cmd->args[i].choices);
	}
	free(cmd->args);
	free(cmd->query);
	free(cmd->request);
	free(cmd->list);
	for (i = 0; i < cmd->nfields; i++)
		free(cmd->fields[i]);
	free(cmd->fields);
	for (i = 0; command_texts[i] != NULL; i++)
		menu_text_free(m, command_text(cmd, command_texts[i]));
}
