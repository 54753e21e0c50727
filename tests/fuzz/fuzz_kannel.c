/* kannel_text_decode() and kannel_meta_parse() read what smsbox sends:
 * whatever they accept must be valid UTF-8 and, for meta-data, build
 * and parse back to the same TLVs.  The first input byte picks the
 * coding and charset of the text; the whole input is also meta-data. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gsm.h"
#include "kannel_text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *charsets[] = {
	NULL, "", "UTF-8", "UTF-16BE", "UCS-2", "ISO-8859-1", "WINDOWS-1252",
	"KOI8-R",
};

static void
fuzz_text(const uint8_t *data, size_t len)
{
	const char	*charset;
	char		 err[256];
	char		*out;
	size_t		 outlen;
	int		 coding;

	if (len == 0)
		return;
	coding = (int)(data[0] & 3) - 1;
	charset = charsets[(data[0] >> 2) % (sizeof charsets /
	    sizeof charsets[0])];
	err[0] = '\0';
	out = kannel_text_decode((const char *)data + 1, len - 1, coding,
	    charset, &outlen, err, sizeof err);
	if (out == NULL) {
		assert(err[0] != '\0');
		return;
	}
	assert(out[outlen] == '\0');
	assert(strlen(out) == outlen);
	assert(utf8_valid(out, outlen));
	free(out);
}

static void
fuzz_meta(const uint8_t *data, size_t len)
{
	struct kannel_meta	 m, again;
	char			 err[256];
	char			*meta, *built;
	size_t			 i;

	meta = malloc(len + 1);
	assert(meta != NULL);
	memcpy(meta, data, len);
	meta[len] = '\0';
	err[0] = '\0';
	if (kannel_meta_parse(meta, &m, err, sizeof err) != 0) {
		assert(err[0] != '\0');
		assert(m.ntlvs == 0 && m.tlvs == NULL);
		free(meta);
		return;
	}
	built = kannel_meta_build(m.tlvs, m.ntlvs);
	assert(kannel_meta_parse(built, &again, err, sizeof err) == 0);
	assert(again.ntlvs == m.ntlvs);
	for (i = 0; i < m.ntlvs; i++) {
		assert(strcmp(again.tlvs[i].name, m.tlvs[i].name) == 0);
		assert(again.tlvs[i].len == m.tlvs[i].len);
		assert(m.tlvs[i].len == 0 || memcmp(again.tlvs[i].value,
		    m.tlvs[i].value, m.tlvs[i].len) == 0);
		assert(kannel_meta_get(&again, m.tlvs[i].name) ==
		    &again.tlvs[i]);
	}
	kannel_meta_free(&again);
	kannel_meta_free(&m);
	free(built);
	free(meta);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_text(data, len);
	fuzz_meta(data, len);
	return 0;
}
