/* menu_load_for_check() on any bytes, then the deeper checks of "asanigw
 * -t", also on a menu kept with errors: it must never crash, and it
 * fails exactly when it says why.  A menu that compiles must open: its
 * first screen, in every language it has, gives a reply that fits the
 * page. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "scratch.h"
#include "session.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct errlist		 errs = { 0 };
	struct step_env		 env = { .budget = { 182, 80 },
				    .ref = "ABC234" };
	struct menu_page	 pages[] = { { { 182, 80 }, "/ussd" },
				     { { 160, 70 }, "smsc ussd" } };
	struct step_result	 r = { 0 };
	struct session		*s;
	struct menu		*m;
	int			 broken;

	const char		*path = scratch_input(data, len);

	if (path == NULL)
		return 0;
	m = menu_load_for_check(path, &errs, &broken);
	assert(broken == (errs.n > 0));
	assert(m != NULL || broken);
	for (size_t i = 0; i < errs.n; i++)
		assert(errs.msgs[i] != NULL && errs.msgs[i][0] != '\0');
	if (m != NULL) {
		menu_check(m, &env.budget, &errs);
		menu_check_pages(m, pages, 2, &errs);
	}
	errlist_free(&errs);
	if (broken) {
		menu_free(m);
		return 0;
	}
	s = session_new();
	menu_step(m, s, NULL, &env, &r);
	assert(r.text != NULL);
	assert(text_fits(r.text, strlen(r.text), &env.budget));
	step_result_clear(&r);
	session_free(s);
	menu_free(m);
	return 0;
}
