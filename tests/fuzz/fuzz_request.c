/* A stored request, any bytes: request_decode() never crashes and keeps
 * the text to send only for a request it reads whole; request_peek()
 * never reads past the text and, on what request_decode() keeps, finds
 * the msisdn_hash it decodes (when the text has no escapes to read). */
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
	char		*text, *made, err[200], hash[8];

	text = malloc(len + 1);
	assert(text != NULL);
	memcpy(text, data, len);
	text[len] = '\0';
	request_peek(text, "msisdn_hash", hash, sizeof hash);
	if ((r = request_decode(text, err, sizeof err)) == NULL) {
		assert(err[0] != '\0');
		free(text);
		return 0;
	}
	if (r->json != NULL) {
		assert(strcmp(r->json, text) == 0);
		assert(request_text(r, &made) == r->json && made == NULL);
		if (strchr(text, '\\') == NULL)
			assert(strncmp(hash, r->msisdn_hash,
			    sizeof hash - 1) == 0);
	}
	request_free(r);
	free(text);
	return 0;
}
