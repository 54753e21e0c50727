/* answer_decode() with any bytes as a back office's answer: it must never
 * crash, and what it keeps stays within its limits, as valid UTF-8. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "adapter.h"
#include "gsm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct answer	 a;
	char		 err[200];

	if (answer_decode((const char *)data, len, &a, err, sizeof err) == 0) {
		assert(a.nfields <= ANSWER_FIELDS_MAX);
		for (size_t i = 0; i < a.nfields; i++) {
			assert(strlen(a.values[i]) <= ANSWER_VALUE_MAX);
			assert(utf8_valid(a.values[i], strlen(a.values[i])));
		}
	} else
		assert(a.nfields == 0 && err[0] != '\0');
	answer_clear(&a);
	return 0;
}
