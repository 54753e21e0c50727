/* menu_step() over the flagship menu with any sequence of inputs (lines
 * of the fuzz input): it must never crash, every reply must fit the page
 * budget, and the session must survive an encode/decode round trip at
 * every hop, as it does through Redis. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "flagship.h"
#include "gsm.h"
#include "menu.h"
#include "session.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct menu	*m = flagship();
	struct step_env		 env = { .budget = { 182, 80 },
				    .ref = "ABC234" };
	struct step_result	 r = { 0 };
	struct session		*s = session_new();
	char			*buf, *line, *save = NULL, *json, err[256];
	int			 hops = 0;

	buf = malloc(len + 1);
	memcpy(buf, data, len);
	buf[len] = '\0';
	menu_step(m, s, NULL, &env, &r);
	for (line = strtok_r(buf, "\n", &save); line != NULL && !r.end &&
	    hops < 64; line = strtok_r(NULL, "\n", &save), hops++) {
		assert(r.text != NULL);
		assert(text_fits(r.text, strlen(r.text), &env.budget));
		/* The transports refuse text that is not UTF-8 before the
		 * engine sees it: skip the line, keep the last reply. */
		if (!utf8_valid(line, strlen(line)))
			continue;
		step_result_clear(&r);
		json = session_encode(s);
		session_free(s);
		s = session_decode(json, strlen(json), err, sizeof err);
		assert(s != NULL);
		free(json);
		menu_step(m, s, line, &env, &r);
	}
	assert(r.text != NULL);
	assert(text_fits(r.text, strlen(r.text), &env.budget));
	step_result_clear(&r);
	session_free(s);
	free(buf);
	return 0;
}
