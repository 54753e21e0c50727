/* command_match() over the flagship menu's SMS commands with any text:
 * it must never crash, an OK match must have every argument set, and the
 * answer it leads to must render. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "errlist.h"
#include "flagship.h"
#include "menu.h"
#include "menu_graph.h"
#include "session.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct menu	*m = flagship();
	struct command_match	 cm;
	const struct menu_text	*t;
	char			*text, *out;

	text = malloc(len + 1);
	memcpy(text, data, len);
	text[len] = '\0';
	command_match(m, text, &cm);
	assert(cm.lang >= 0 && (size_t)cm.lang < menu_nlangs(m));
	if (cm.kind == MATCH_OK) {
		for (size_t i = 0; i < cm.cmd->nargs; i++)
			assert(session_get(cm.vars, cm.cmd->args[i].var) !=
			    NULL);
	}
	if (cm.kind != MATCH_UNKNOWN) {
		t = cm.kind == MATCH_USAGE ? &cm.cmd->usage :
		    cm.cmd->reply.tr != NULL ? &cm.cmd->reply : &cm.cmd->usage;
		if (t->tr != NULL) {
			out = menu_render(m, cm.vars, cm.lang, t);
			assert(out != NULL);
			free(out);
		}
	}
	command_match_clear(&cm);
	free(text);
	return 0;
}
