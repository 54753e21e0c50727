/* A delivery report's query as smsbox calls the dlr-url with it, split
 * and read by kannel_dlr_parse(): what it accepts is an id the gateway
 * could have issued, one of Kannel's report states, and an SMSC id that
 * is safe to log and store. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kannel_text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const names[] = { "k", "type", "smscid", "id" };
static const char *const states[] = { "delivered", "failed", "buffered",
	"accepted", "rejected" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kannel_field	 f[4];
	struct kannel_dlr	 d;
	char			*raw, err[256];
	size_t			 i, n;

	raw = malloc(len + 1);
	assert(raw != NULL);
	memcpy(raw, data, len);
	raw[len] = '\0';
	if (kannel_query_parse(raw, names, 4, f, err, sizeof err) != 0) {
		free(raw);
		return 0;
	}
	err[0] = '\0';
	if (kannel_dlr_parse(&f[3], &f[1], &f[2], &d, err, sizeof err) != 0) {
		assert(err[0] != '\0');
	} else {
		assert(strlen(d.id) == KANNEL_DLR_ID_LEN);
		assert(strspn(d.id, "0123456789abcdef") == KANNEL_DLR_ID_LEN);
		assert(f[3].len == KANNEL_DLR_ID_LEN &&
		    memcmp(d.id, f[3].v, KANNEL_DLR_ID_LEN) == 0);
		for (i = 0, n = 0; i < sizeof states / sizeof states[0]; i++)
			n += strcmp(d.state, states[i]) == 0;
		assert(n == 1);
		assert(d.final == (strcmp(d.state, "buffered") != 0 &&
		    strcmp(d.state, "accepted") != 0));
		n = strlen(d.smsc_id);
		assert(n <= KANNEL_SMSC_ID_MAX);
		for (i = 0; i < n; i++)
			assert(d.smsc_id[i] >= 0x20 && d.smsc_id[i] <= 0x7e);
		assert(n == 0 || (f[2].len == n &&
		    memcmp(f[2].v, d.smsc_id, n) == 0));
	}
	kannel_query_free(f, 4);
	free(raw);
	return 0;
}
