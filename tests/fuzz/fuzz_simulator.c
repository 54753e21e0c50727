/* The simulator's forms from outside (POST /admin/simulator/ussd and
 * /sms): the first byte picks the Content-Type, the rest is the body.
 * Each reader either refuses with a one-line reason and keeps nothing,
 * or gives fields that hold what the simulator promises the engine; and
 * what it would answer for any text (the page's length against its
 * budget, the SMS parts) agrees with the GSM measures. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gsm.h"
#include "simulator.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const types[] = {
	NULL,
	"application/x-www-form-urlencoded",
	"application/x-www-form-urlencoded; charset=utf-8",
	"text/plain",
};

static void
check_one_line(const char *why)
{
	assert(why[0] != '\0');
	assert(strchr(why, '\n') == NULL && strchr(why, '\r') == NULL);
}

static void
check_msisdn(const char *m)
{
	assert(m[0] != '\0' && strspn(m, "0123456789") == strlen(m));
}

/* What the simulator answers for text, checked against gsm.h. */
static void
check_answers(const char *text)
{
	static const struct page_budget	 b = { 182, 80 };
	struct text_size		 ts;
	json_t				*j;
	size_t				 len = strlen(text), parts, units;

	text_measure(text, len, &ts);
	j = simulator_page_json("sim-0000000000000000", NULL, "/ussd", text,
	    0, &b);
	assert(j != NULL);
	units = (size_t)json_integer_value(json_object_get(j, "length"));
	assert(units == (ts.coding == CODING_GSM7 ? ts.septets :
	    ts.ucs2_units));
	assert(json_is_true(json_object_get(j, "fits")) ==
	    (units <= (size_t)json_integer_value(json_object_get(j,
	    "budget"))));
	json_decref(j);

	j = simulator_sms_json(text);
	assert(j != NULL);
	parts = (size_t)json_integer_value(json_object_get(j, "parts"));
	if (len == 0)
		assert(parts == 0);
	else if (parts == 1)
		assert(units <= (ts.coding == CODING_GSM7 ? SMS_GSM7_SINGLE :
		    SMS_UCS2_SINGLE));
	else
		/* Every part but the last is nearly full. */
		assert(units > (parts - 1) * (ts.coding == CODING_GSM7 ?
		    SMS_GSM7_PART - 1 : SMS_UCS2_PART - 1) &&
		    units <= parts * (ts.coding == CODING_GSM7 ?
		    SMS_GSM7_PART : SMS_UCS2_PART));
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct simulator_ussd	 u;
	struct simulator_sms	 s;
	const char		*ct, *body = (const char *)data + 1;
	char			 why[256], *text;

	if (len == 0)
		return 0;
	ct = types[data[0] % (sizeof types / sizeof types[0])];
	len--;

	why[0] = '\0';
	if (simulator_ussd_read(body, len, ct, &u, why, sizeof why) == 0) {
		check_msisdn(u.msisdn);
		assert(u.service != NULL || u.session != NULL);
		assert(u.session == NULL ||
		    strlen(u.session) == SIMULATOR_SESSION_SIZE - 1);
		assert(u.session != NULL || u.input[0] == '\0');
		assert(utf8_valid(u.input, strlen(u.input)));
		check_answers(u.input);
		simulator_ussd_clear(&u);
		assert(u.form.n == 0 && u.input == NULL);
	} else
		check_one_line(why);

	why[0] = '\0';
	if (simulator_sms_read(body, len, ct, &s, why, sizeof why) == 0) {
		check_msisdn(s.msisdn);
		assert(s.text[0] != '\0' && strlen(s.text) <= 1600);
		assert(utf8_valid(s.text, strlen(s.text)));
		check_answers(s.text);
		simulator_sms_clear(&s);
	} else
		check_one_line(why);

	/* Any bytes at all, as the engine's text. */
	text = malloc(len + 1);
	assert(text != NULL);
	memcpy(text, body, len);
	text[len] = '\0';
	(void)simulator_dir(text);
	if (utf8_valid(text, strlen(text)))
		check_answers(text);
	free(text);
	return 0;
}
