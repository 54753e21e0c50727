/* A stored request, any bytes: request_decode() never crashes and keeps
 * the text to send only for a request it reads whole. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct request	*r;
	char		*text, *made, err[200];

	text = malloc(len + 1);
	assert(text != NULL);
	memcpy(text, data, len);
	text[len] = '\0';
	if ((r = request_decode(text, err, sizeof err)) == NULL) {
		assert(err[0] != '\0');
		free(text);
		return 0;
	}
	if (r->json != NULL) {
		assert(strcmp(r->json, text) == 0);
		assert(request_text(r, &made) == r->json && made == NULL);
	}
	request_free(r);
	free(text);
	return 0;
}
