/* The flagship menu, loaded once, for the fuzz targets that step or read
 * against it.  Run from the repository root. */
#ifndef ASANIGW_FUZZ_FLAGSHIP_H
#define ASANIGW_FUZZ_FLAGSHIP_H

#include <assert.h>
#include <stdio.h>

#include "errlist.h"
#include "menu.h"

static inline const struct menu *
flagship(void)
{
	static struct menu	*m;
	struct errlist		 errs = { 0 };

	if (m == NULL) {
		m = menu_load("menus/asani.menu", &errs);
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		assert(m != NULL);
		errlist_free(&errs);
	}
	return m;
}

#endif
