/* session_decode() reads what Redis hands back: it must reject anything
 * malformed with a message, and what it accepts must encode and decode
 * back to the same JSON. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct session	*s, *again;
	char		 err[256];
	char		*json, *json2;

	if ((s = session_decode((const char *)data, len, err, sizeof err)) ==
	    NULL) {
		assert(err[0] != '\0');
		return 0;
	}
	json = session_encode(s);
	again = session_decode(json, strlen(json), err, sizeof err);
	assert(again != NULL);
	json2 = session_encode(again);
	assert(strcmp(json, json2) == 0);
	free(json);
	free(json2);
	session_free(again);
	session_free(s);
	return 0;
}
