/*
 * Unit tests for the simulator's pure parts: the forms of POST
 * /admin/simulator/ussd and /sms, and the JSON it answers with.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "conf.h"
#include "gsm.h"
#include "simulator.h"
#include "unit.h"

#define CT	"application/x-www-form-urlencoded"
#define SESSION	"sim-0123456789abcdef"
#define URDU	"\xd8\xa7\xd9\x86\xd8\xaa\xd8\xae\xd8\xa7\xd8\xa8"  /* انتخاب */

static struct simulator_ussd	 u;
static struct simulator_sms	 s;
static char			 why[128];

static int
read_ussd(const char *body)
{
	simulator_ussd_clear(&u);
	return simulator_ussd_read(body, strlen(body), CT, &u, why,
	    sizeof why);
}

static int
read_sms(const char *body)
{
	simulator_sms_clear(&s);
	return simulator_sms_read(body, strlen(body), CT, &s, why,
	    sizeof why);
}

static void
teardown(void)
{
	simulator_ussd_clear(&u);
	simulator_sms_clear(&s);
}

START_TEST(ussd_dial)
{
	ck_assert_int_eq(read_ussd("msisdn=%2B923001234567&service=*786%23"),
	    0);
	ck_assert_str_eq(u.msisdn, "923001234567");
	ck_assert_str_eq(u.service, "*786#");
	ck_assert_ptr_null(u.session);
	ck_assert_str_eq(u.input, "");
	ck_assert_ptr_null(u.transport);
	/* A shortcut dial carries its inputs in the code. */
	ck_assert_int_eq(read_ussd("msisdn=923001234567&service=*786*1*2%23"
	    "&transport=%2Fussd"), 0);
	ck_assert_str_eq(u.service, "*786*1*2#");
	ck_assert_str_eq(u.transport, "/ussd");
}
END_TEST

START_TEST(ussd_answer)
{
	ck_assert_int_eq(read_ussd("msisdn=923001234567&session=" SESSION
	    "&input=1"), 0);
	ck_assert_str_eq(u.session, SESSION);
	ck_assert_str_eq(u.input, "1");
	ck_assert_ptr_null(u.service);
	/* Urdu digits and words are the subscriber's to type. */
	ck_assert_int_eq(read_ussd("msisdn=923001234567&session=" SESSION
	    "&input=%DB%B1"), 0);
	ck_assert_str_eq(u.input, "\xdb\xb1");
	ck_assert_int_eq(read_ussd("msisdn=923001234567&session=" SESSION),
	    0);
	ck_assert_str_eq(u.input, "");
}
END_TEST

static const struct {
	const char	*body;
	const char	*why;
} ussd_refused[] = {
	{ "service=*786%23", "msisdn is needed" },
	{ "msisdn=12&service=*786%23", "not an MSISDN" },
	{ "msisdn=923001234567", "service (to dial) or session" },
	{ "msisdn=923001234567&service=786", "not a USSD string" },
	{ "msisdn=923001234567&service=*786%23&input=1", "a dial takes no "
	    "input" },
	{ "msisdn=923001234567&session=sim-0123", "not one the simulator" },
	{ "msisdn=923001234567&session=" SESSION "x", "not one the" },
	{ "msisdn=923001234567&session=abc-0123456789abcdef", "not one the" },
	{ "msisdn=923001234567&session=sim-0123456789abcdeg", "not one the" },
	{ "msisdn=923001234567&session=" SESSION "&input=%C0%AF", "UTF-8" },
	{ "msisdn=923001234567&session=" SESSION "&input=a%00", "NUL" },
	{ "msisdn=923001234567&session=" SESSION "&transport=",
	    "transport" },
	{ "msisdn=923001234567&session=" SESSION "&input=1&input=2",
	    "given twice" },
};

START_TEST(ussd_refused_with_reason)
{
	ck_assert_int_eq(read_ussd(ussd_refused[_i].body), -1);
	ck_assert_msg(strstr(why, ussd_refused[_i].why) != NULL, "%s: %s",
	    ussd_refused[_i].body, why);
	ck_assert_ptr_null(u.input);
	ck_assert_uint_eq(u.form.n, 0);
}
END_TEST

START_TEST(ussd_input_too_long)
{
	char	 body[512];

	strcpy(body, "msisdn=923001234567&session=" SESSION "&input=");
	memset(body + strlen(body), 'a', 183);
	body[strlen("msisdn=923001234567&session=" SESSION "&input=") + 183] =
	    '\0';
	ck_assert_int_eq(read_ussd(body), -1);
	ck_assert_str_eq(why, "input is too long");
	body[strlen(body) - 1] = '\0';
	ck_assert_int_eq(read_ussd(body), 0);
}
END_TEST

START_TEST(sms_form)
{
	ck_assert_int_eq(read_sms("msisdn=923001234567&service=*786%23&"
	    "text=PLEDGE+500+FOOD"), 0);
	ck_assert_str_eq(s.text, "PLEDGE 500 FOOD");
	ck_assert_str_eq(s.service, "*786#");
	ck_assert_int_eq(read_sms("msisdn=923001234567&service=*786%23&"
	    "text="), -1);
	ck_assert_str_eq(why, "text is empty");
	ck_assert_ptr_null(s.text);
	ck_assert_int_eq(read_sms("msisdn=923001234567&text=YES"), -1);
	ck_assert_str_eq(why, "service and text are needed");
	ck_assert_int_eq(read_sms("msisdn=923001234567&service=x&text=YES"),
	    -1);
	ck_assert_ptr_nonnull(strstr(why, "short code"));
	ck_assert_int_eq(read_sms("msisdn=x&service=*786%23&text=YES"), -1);
	ck_assert_str_eq(why, "msisdn is not an MSISDN");
	ck_assert_int_eq(simulator_sms_read("msisdn=923001234567&service=*786"
	    "%23&text=YES", 42, "application/json", &s, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "Content-Type"));
}
END_TEST

START_TEST(direction)
{
	ck_assert_str_eq(simulator_dir(""), "ltr");
	ck_assert_str_eq(simulator_dir("1 English\n2 Roman Urdu"), "ltr");
	ck_assert_str_eq(simulator_dir("1 " URDU), "rtl");
	ck_assert_str_eq(simulator_dir("98 " URDU "\n1. CNIC"), "rtl");
	/* A page in English that offers Urdu reads left to right. */
	ck_assert_str_eq(simulator_dir("Language:\n3. " URDU), "ltr");
	ck_assert_str_eq(simulator_dir("\xc0\xaf ok"), "ltr");
	ck_assert_str_eq(simulator_dir("1234 \xd8"), "ltr");
}
END_TEST

START_TEST(page_json)
{
	struct page_budget	 b = { 182, 80 };
	json_t			*j;

	j = simulator_page_json(SESSION, "*786#", "/ussd", "1 Food\n2 Jobs",
	    0, &b);
	ck_assert_str_eq(json_string_value(json_object_get(j, "session")),
	    SESSION);
	ck_assert_str_eq(json_string_value(json_object_get(j, "text")),
	    "1 Food\n2 Jobs");
	ck_assert(json_is_false(json_object_get(j, "end")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "encoding")),
	    "GSM-7");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "length")), 13);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "budget")),
	    182);
	ck_assert(json_is_true(json_object_get(j, "fits")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "dir")), "ltr");
	json_decref(j);

	/* Urdu script: UCS-2, counted in UTF-16 units against 80. */
	j = simulator_page_json(SESSION, NULL, "/ussd", URDU, 1, &b);
	ck_assert(json_is_null(json_object_get(j, "service")) ||
	    json_object_get(j, "service") == NULL);
	ck_assert(json_is_true(json_object_get(j, "end")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "encoding")),
	    "UCS-2");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "length")), 6);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "budget")), 80);
	ck_assert_str_eq(json_string_value(json_object_get(j, "dir")), "rtl");
	json_decref(j);

	/* An extension character costs two septets. */
	j = simulator_page_json(SESSION, "*786#", "/ussd", "[1]", 0, &b);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "length")), 5);
	json_decref(j);
}
END_TEST

START_TEST(sms_json)
{
	json_t	*j;
	char	 text[200];

	j = simulator_sms_json("Reply YES 1234 to confirm Rs 500 for food.");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "parts")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(j, "encoding")),
	    "GSM-7");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "length")), 42);
	json_decref(j);

	memset(text, 'a', 161);
	text[161] = '\0';
	j = simulator_sms_json(text);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "parts")), 2);
	json_decref(j);

	j = simulator_sms_json(URDU);
	ck_assert_str_eq(json_string_value(json_object_get(j, "encoding")),
	    "UCS-2");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "parts")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(j, "dir")), "rtl");
	json_decref(j);
}
END_TEST

START_TEST(config_json)
{
	struct errlist	 e = { 0 };
	struct conf	*c = conf_load("conf/asanigw.conf", 0, &e);
	json_t		*j, *svc, *t;

	ck_assert_msg(c != NULL, "%s", e.n > 0 ? e.msgs[0] : "");
	j = simulator_config_json(c);
	svc = json_object_get(j, "services");
	ck_assert_uint_eq(json_array_size(svc), c->nservices);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(svc,
	    0), "code")), "*786#");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(svc,
	    0), "name")), "Asani Exchange");
	t = json_object_get(json_array_get(svc, 0), "languages");
	ck_assert_uint_eq(json_array_size(t), 3);
	ck_assert_str_eq(json_string_value(json_array_get(t, 0)), "en");
	ck_assert_str_eq(json_string_value(json_array_get(t, 2)), "ur");
	t = json_array_get(json_object_get(j, "transports"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(t, "name")),
	    "/ussd");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "gsm7")), 182);
	ck_assert_int_eq(json_integer_value(json_object_get(t, "ucs2")), 80);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "sms"), "gsm7")), 160);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j,
	    "keys"), "more")), "98");
	json_decref(j);
	conf_free(c);
	errlist_free(&e);
}
END_TEST

int
main(void)
{
	Suite	*su = suite_create("simulator");
	TCase	*tc = tcase_create("forms");

	tcase_add_checked_fixture(tc, NULL, teardown);
	UNIT_ADD(tc, ussd_dial, ussd_answer, ussd_input_too_long, sms_form);
	tcase_add_loop_test(tc, ussd_refused_with_reason, 0,
	    sizeof ussd_refused / sizeof ussd_refused[0]);
	suite_add_tcase(su, tc);

	tc = tcase_create("answers");
	UNIT_ADD(tc, direction, page_json, sms_json, config_json);
	suite_add_tcase(su, tc);
	return unit_run(su);
}
