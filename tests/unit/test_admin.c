/*
 * Unit tests for admin_send_read: the form of POST /admin/send.
 */
#include <string.h>

#include <check.h>

#include "admin.h"
#include "unit.h"

#define CT	"application/x-www-form-urlencoded"

static struct admin_send	 as;
static char			 why[128];

static int
read_send(const char *body, const char *ct)
{
	admin_send_clear(&as);
	return admin_send_read(body, strlen(body), ct, &as, why, sizeof why);
}

static void
teardown(void)
{
	admin_send_clear(&as);
}

START_TEST(wellformed)
{
	ck_assert_int_eq(read_send("to=%2B923001234567&text=Hello+there", CT),
	    0);
	ck_assert_str_eq(as.to, "+923001234567");
	ck_assert_str_eq(as.msisdn, "923001234567");
	ck_assert_str_eq(as.text, "Hello there");
	ck_assert_ptr_null(as.smsc);
	ck_assert_int_eq(as.ussd_op, 0);
	ck_assert_int_eq(read_send("to=923001234567&text=x&smsc=ussd&"
	    "ussd_op=3", CT), 0);
	ck_assert_str_eq(as.smsc, "ussd");
	ck_assert_int_eq(as.ussd_op, 3);
}
END_TEST

static const struct {
	const char	*body;
	const char	*ct;
	const char	*why;
} refused[] = {
	{ "to=923001234567&text=", CT, "text is empty" },
	{ "to=923001234567", CT, "to and text are needed" },
	{ "text=hi", CT, "to and text are needed" },
	{ "to=923001234567&text=hi", NULL, "Content-Type is missing" },
	{ "to=923001234567&text=hi", "application/json", "Content-Type" },
	{ "to=923001234567&text=a%00b", CT, "NUL" },
	{ "to=923001234567%00x&text=hi", CT, "NUL" },
	{ "to=923001234567&text=%zz", CT, "percent escape" },
	{ "to=923001234567&text=1%", CT, "percent escape" },
	{ "to=923001234567&text=%C0%AF", CT, "UTF-8" },
	{ "to=923001234567&text=hi&ussd_op=1", CT, "ussd_op must be 2 or 3" },
	{ "to=923001234567&text=hi&ussd_op=", CT, "ussd_op must be 2 or 3" },
	{ "to=12&text=hi", CT, "to is not an MSISDN" },
	{ "to=923001234567&text=hi&text=again", CT, "given twice" },
};

START_TEST(refused_with_reason)
{
	ck_assert_int_eq(read_send(refused[_i].body, refused[_i].ct), -1);
	ck_assert_msg(strstr(why, refused[_i].why) != NULL, "%s: %s",
	    refused[_i].body, why);
	ck_assert_ptr_null(as.text);
	ck_assert_uint_eq(as.form.n, 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("admin");
	TCase	*tc = tcase_create("send form");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, wellformed);
	tcase_add_loop_test(tc, refused_with_reason, 0,
	    (int)(sizeof refused / sizeof refused[0]));
	suite_add_tcase(s, tc);
	return unit_run(s);
}
