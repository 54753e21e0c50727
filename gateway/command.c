/*
 * Matching an SMS against a menu's commands.  The message is normalised
 * once (punctuation to spaces, Urdu and Arabic-Indic digits to ASCII,
 * thousands commas dropped), split into words, and the first word looked
 * up among every command's keywords, ASCII letters compared without case.
 * The keyword's language is the sender's language for the reply.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "gsm.h"
#include "menu.h"
#include "menu_graph.h"
#include "xmalloc.h"

#define MAX_WORDS	32

struct words {
	char	*buf;			/* the normalised text */
	char	*w[MAX_WORDS];
	size_t	 n;
};

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

/* Appends one normalised code point of text to out. */
static size_t
put_cp(char *out, uint32_t cp, const char *src, int n)
{
	int	 d;

	if ((d = digit_value(cp)) != -1) {	/* Urdu, Arabic-Indic */
		*out = (char)('0' + d);
		return 1;
	}
	/* ، ؛ ؟ ۔ and no-break space separate like ASCII punctuation. */
	if (cp == 0x060c || cp == 0x061b || cp == 0x061f || cp == 0x06d4 ||
	    cp == 0x00a0) {
		*out = ' ';
		return 1;
	}
	memcpy(out, src, n);
	return (size_t)n;
}

/*
 * Normalises and splits text.  ASCII punctuation separates words, but a
 * comma between digits is dropped ("1,000"), '-' or '_' between letters
 * or digits stays ("N-12"), and so does a minus sign that starts a
 * number ("-500", which no integer argument accepts).
 */
static void
split(const char *text, struct words *ws)
{
	size_t		 len = strlen(text), o = 0;
	char		*out = xmalloc(len + 1), *p;
	uint32_t	 cp;
	int		 n;

	for (size_t i = 0; i < len; i += (size_t)n) {
		if ((n = utf8_decode(text + i, len - i, &cp)) < 0) {
			n = 1;
			out[o++] = ' ';
			continue;
		}
		if (n > 1) {
			o += put_cp(out + o, cp, text + i, n);
			continue;
		}
		if (is_alnum(text[i]) || text[i] == ' ' || text[i] == '\t' ||
		    text[i] == '\n' || text[i] == '\r') {
			out[o++] = text[i];
			continue;
		}
		if (text[i] == ',' && o > 0 && is_digit(out[o - 1]) &&
		    i + 1 < len && is_digit(text[i + 1]))
			continue;
		if ((text[i] == '-' || text[i] == '_') && o > 0 &&
		    is_alnum(out[o - 1]) && i + 1 < len &&
		    is_alnum(text[i + 1])) {
			out[o++] = text[i];
			continue;
		}
		/* A minus sign before a number stays, so "-500" is no
		 * amount (and never reads as 500). */
		if (text[i] == '-' && (o == 0 || !is_alnum(out[o - 1])) &&
		    i + 1 < len && is_digit(text[i + 1])) {
			out[o++] = text[i];
			continue;
		}
		out[o++] = ' ';
	}
	out[o] = '\0';
	ws->buf = out;
	ws->n = 0;
	for (p = strtok(out, " \t\r\n"); p != NULL && ws->n < MAX_WORDS;
	    p = strtok(NULL, " \t\r\n"))
		ws->w[ws->n++] = p;
}

/* Equal but for the case of ASCII letters. */
static int
same_word(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* A number as typed: "500", "Rs500", "PKR500"; 0 if it is none. */
static int
read_integer(const char *w, long long *v)
{
	char	*end;

	if (strncasecmp(w, "RS", 2) == 0)
		w += 2;
	else if (strncasecmp(w, "PKR", 3) == 0)
		w += 3;
	if (!is_digit(*w) || strlen(w) > 12)
		return 0;
	*v = strtoll(w, &end, 10);
	return *end == '\0';
}

/* Whether a word names a choice: the choice itself or its display
 * translation in any language. */
static int
is_choice(const struct menu *m, const char *choice, const char *typed)
{
	const char	*tr;

	if (same_word(choice, typed))
		return 1;
	for (size_t l = 0; l < menu_nlangs(m); l++)
		if ((tr = menu_value(m, choice, (int)l)) != NULL &&
		    same_word(tr, typed))
			return 1;
	return 0;
}

/* The words from i on, joined by single spaces (owned). */
static char *
rest_of(const struct words *ws, size_t i)
{
	size_t	 len = 0;
	char	*s;

	for (size_t j = i; j < ws->n; j++)
		len += strlen(ws->w[j]) + 1;
	s = xcalloc(len + 1, 1);
	for (size_t j = i; j < ws->n; j++) {
		if (j > i)
			strcat(s, " ");
		strcat(s, ws->w[j]);
	}
	return s;
}

/* Reads the command's arguments from word 1 on; 0 if any is missing or
 * wrong. */
static int
read_args(const struct menu *m, const struct menu_command *cmd,
    const struct words *ws, struct session *vars)
{
	const struct menu_arg	*a;
	size_t			 wi = 1, c;
	long long		 v;
	char			 num[24], *s;
	int			 ok;

	for (size_t i = 0; i < cmd->nargs; i++) {
		a = &cmd->args[i];
		/* "Rs 500": a currency word alone before a number */
		if (a->type == ARG_INTEGER && wi + 1 < ws->n &&
		    (same_word(ws->w[wi], "RS") || same_word(ws->w[wi], "PKR")))
			wi++;
		if (wi >= ws->n)
			return 0;
		switch (a->type) {
		case ARG_INTEGER:
			if (!read_integer(ws->w[wi], &v) ||
			    (a->has_min && v < a->min) ||
			    (a->has_max && v > a->max))
				return 0;
			snprintf(num, sizeof num, "%lld", v);
			session_set(vars, a->var, num);
			wi++;
			break;
		case ARG_CHOICE:
			s = rest_of(ws, wi);
			ok = 0;
			for (c = 0; c < a->nchoices && !ok; c++) {
				if (is_choice(m, a->choices[c], ws->w[wi])) {
					wi++;
					ok = 1;
				} else if (is_choice(m, a->choices[c], s)) {
					wi = ws->n;
					ok = 1;
				}
				if (ok)
					session_set(vars, a->var,
					    a->choices[c]);
			}
			free(s);
			if (!ok)
				return 0;
			break;
		case ARG_WORD:
			s = xstrdup(ws->w[wi]);
			if (a->upper)
				ascii_upper(s);
			session_set(vars, a->var, s);
			free(s);
			wi++;
			break;
		case ARG_REST:
			s = rest_of(ws, wi);
			session_set(vars, a->var, s);
			free(s);
			wi = ws->n;
			break;
		}
	}
	return 1;
}

static int
arabic_script(const char *s)
{
	size_t		 len = strlen(s);
	uint32_t	 cp;
	int		 n;

	for (size_t i = 0; i < len; i += n > 0 ? (size_t)n : 1)
		if ((n = utf8_decode(s + i, len - i, &cp)) > 1 &&
		    cp >= 0x0600 && cp <= 0x06ff)
			return 1;
	return 0;
}

/* For a message in Arabic script that matched nothing: the first
 * language with a keyword in that script, else dflt. */
static int
script_lang(const struct menu *m, int dflt)
{
	const struct menu_command	*cmd;

	for (size_t i = 0; i < menu_ncommands(m); i++) {
		cmd = menu_command(m, i);
		for (size_t k = 0; k < cmd->nkeywords; k++)
			if (arabic_script(cmd->keywords[k].word))
				return cmd->keywords[k].lang;
	}
	return dflt;
}

void
command_match(const struct menu *m, const char *text,
    struct command_match *out)
{
	const struct menu_command	*cmd;
	struct words			 ws;
	char				*kw;

	memset(out, 0, sizeof *out);
	out->kind = MATCH_UNKNOWN;
	out->lang = menu_lang_index(m, menu_default_lang(m));
	out->vars = session_new();
	split(text, &ws);
	if (ws.n == 0) {
		free(ws.buf);
		return;
	}
	kw = ascii_upper(xstrdup(ws.w[0]));
	for (size_t i = 0; i < menu_ncommands(m) && out->cmd == NULL; i++) {
		cmd = menu_command(m, i);
		for (size_t k = 0; k < cmd->nkeywords; k++)
			if (strcmp(cmd->keywords[k].word, kw) == 0) {
				out->cmd = cmd;
				out->lang = cmd->keywords[k].lang;
				break;
			}
	}
	free(kw);
	if (out->cmd != NULL)
		out->kind = read_args(m, out->cmd, &ws, out->vars) ? MATCH_OK :
		    MATCH_USAGE;
	else if (arabic_script(text))
		out->lang = script_lang(m, out->lang);
	free(ws.buf);
}

void
command_match_clear(struct command_match *cm)
{
	session_free(cm->vars);
	memset(cm, 0, sizeof *cm);
}

char *
command_list(const struct menu *m, const struct menu_command *cmd, int lang,
    const struct session *vars)
{
	const char	*count;
	struct session	*item;
	char		*prefix, *line, *out = xstrdup(""), *joined;
	long		 n;
	size_t		 plen;

	if (cmd->list == NULL ||
	    (count = session_get(vars, cmd->list)) == NULL)
		return out;
	n = strtol(count, NULL, 10);
	for (long i = 1; i <= n && i <= 100; i++) {
		xasprintf(&prefix, "%s.%ld.", cmd->list, i);
		plen = strlen(prefix);
		item = session_new();
		for (size_t v = 0; v < vars->nvars; v++)
			if (strncmp(vars->vars[v].name, prefix, plen) == 0)
				session_set(item, vars->vars[v].name + plen,
				    vars->vars[v].value);
		line = menu_render(m, item, lang, &cmd->item);
		xasprintf(&joined, "%s%s%s", out, *out ? "\n" : "", line);
		free(out);
		free(line);
		out = joined;
		session_free(item);
		free(prefix);
	}
	return out;
}
