/*
 * Unit tests for the aggregator's form reading (ingress_aggregator_read):
 * what a hop is made of, and every reason a form is refused.
 */
#include <string.h>

#include <check.h>

#include "ingress_aggregator.h"
#include "unit.h"

#define CT	"application/x-www-form-urlencoded"
#define GOOD	"sessionId=ATUid_1.a:b-c&serviceCode=*786%23" \
		"&phoneNumber=%2B923001234567&networkCode=41001&text=1*2"

static struct aggregator_form	 af;
static char			 why[128];

static int
read_form(const char *body, const char *ct)
{
	ingress_aggregator_form_clear(&af);
	why[0] = '\0';
	return ingress_aggregator_read(body, strlen(body), ct, &af, why,
	    sizeof why);
}

static void
teardown(void)
{
	ingress_aggregator_form_clear(&af);
}

START_TEST(wellformed)
{
	ck_assert_int_eq(read_form(GOOD, CT), 0);
	ck_assert_str_eq(af.session_id, "ATUid_1.a:b-c");
	ck_assert_str_eq(af.service_code, "*786#");
	ck_assert_str_eq(af.msisdn, "923001234567");
	ck_assert_str_eq(af.text, "1*2");
	ck_assert_int_eq(read_form("sessionId=s&serviceCode=%2B786&"
	    "phoneNumber=923001234567&text=", CT "; charset=utf-8"), 0);
	ck_assert_str_eq(af.service_code, "+786");
	ck_assert_str_eq(af.text, "");
}
END_TEST

static const struct {
	const char	*body;
	const char	*ct;
	const char	*why;
} refused[] = {
	{ GOOD, NULL, "Content-Type is missing" },
	{ GOOD, "text/plain", "Content-Type must be" },
	{ "sessionId=nul1%00XYZ&serviceCode=*1%23&phoneNumber=923001234567"
	    "&text=", CT, "field sessionId holds a NUL byte" },
	{ "sessionId=s&serviceCode=*1%23&phoneNumber=923001117777%00junk"
	    "&text=", CT, "field phoneNumber holds a NUL byte" },
	{ GOOD "%zz", CT, "field text holds an invalid percent escape" },
	{ GOOD "1%", CT, "field text holds an invalid percent escape" },
	{ GOOD "&text=2", CT, "field text is given twice" },
	{ "serviceCode=*1%23&phoneNumber=923001234567&text=", CT,
	    "missing field: sessionId" },
	{ "sessionId=s&phoneNumber=923001234567&text=", CT,
	    "missing field: serviceCode" },
	{ "sessionId=s&serviceCode=*1%23&text=", CT,
	    "missing field: phoneNumber" },
	{ "sessionId=s&serviceCode=*1%23&phoneNumber=923001234567", CT,
	    "missing field: text" },
	{ "sessionId=a%20b&serviceCode=*1%23&phoneNumber=923001234567&text=",
	    CT, "invalid sessionId" },
	{ "sessionId=&serviceCode=*1%23&phoneNumber=923001234567&text=",
	    CT, "invalid sessionId" },
	{ "sessionId=s&serviceCode=*1%0Aerror%20event%3Ddead-letter%23"
	    "&phoneNumber=923001234567&text=", CT, "invalid serviceCode" },
	{ "sessionId=s&serviceCode=&phoneNumber=923001234567&text=", CT,
	    "invalid serviceCode" },
	{ "sessionId=s&serviceCode=*1a%23&phoneNumber=923001234567&text=",
	    CT, "invalid serviceCode" },
	{ "sessionId=s&serviceCode=*123456789012345678901234567890123%23"
	    "&phoneNumber=923001234567&text=", CT, "invalid serviceCode" },
	{ "sessionId=s&serviceCode=*1%23&phoneNumber=0300123&text=", CT,
	    "invalid phoneNumber" },
	{ "sessionId=s&serviceCode=*1%23&phoneNumber=923001234567&text=%FF",
	    CT, "text is not valid UTF-8" },
};

START_TEST(refused_with_reason)
{
	const char	*body = refused[_i].body;

	ck_assert_int_eq(read_form(body, refused[_i].ct), -1);
	ck_assert_msg(strstr(why, refused[_i].why) != NULL, "%s: %s", body,
	    why);
	ck_assert_ptr_null(strchr(why, '\n'));
	ck_assert_uint_eq(af.form.n, 0);
	ck_assert_ptr_null(af.session_id);
}
END_TEST

START_TEST(raw_nul_in_body)
{
	static const char body[] = "sessionId=s&serviceCode=*1%23&"
	    "phoneNumber=923001234567&text=a\0b";

	ck_assert_int_eq(ingress_aggregator_read(body, sizeof body - 1, CT,
	    &af, why, sizeof why), -1);
	ck_assert_str_eq(why, "field text holds a NUL byte");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ingress_aggregator");
	TCase	*tc = tcase_create("read");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, wellformed);
	tcase_add_loop_test(tc, refused_with_reason, 0,
	    (int)(sizeof refused / sizeof refused[0]));
	tcase_add_test(tc, raw_nul_in_body);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
