/* conf_load() on any bytes, as "asanigw -t" reads a configuration (the
 * deeper menu checks too): it must never crash, and it fails exactly
 * when it says why — every error with a file and a message.  What loads
 * has services with compiled menus and a way in. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "errlist.h"
#include "scratch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct errlist	 errs = { 0 };
	struct conf	*c;

	const char	*path = scratch_input(data, len);

	if (path == NULL)
		return 0;
	c = conf_load(path, 1, &errs);
	if (c == NULL) {
		assert(errs.n > 0);
		for (size_t i = 0; i < errs.n; i++)
			assert(errs.msgs[i] != NULL && errs.msgs[i][0] != '\0');
	} else {
		assert(errs.n == 0);
		assert(c->nservices > 0);
		assert(c->naggregators > 0 || c->kannel != NULL);
		for (size_t i = 0; i < c->nservices; i++)
			assert(c->services[i].code != NULL &&
			    c->services[i].menu != NULL);
		conf_free(c);
	}
	errlist_free(&errs);
	return 0;
}
