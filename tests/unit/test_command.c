/*
 * SMS commands: compiling them (every error with its line) and reading
 * messages as people type them.  Run from the repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "command.h"
#include "errlist.h"
#include "menu.h"
#include "menu_graph.h"
#include "session.h"
#include "unit.h"

#define MENUS	"tests/unit/menus/"

static struct menu		*m;
static struct command_match	 cm;

static void
setup(void)
{
	struct errlist	 errs = { NULL, 0 };

	m = menu_load(MENUS "commands.menu", &errs);
	ck_assert_msg(m != NULL, "%s", errs.n ? errs.msgs[0] : "?");
	errlist_free(&errs);
}

static void
teardown(void)
{
	command_match_clear(&cm);
	menu_free(m);
}

/* Matches text; returns the command id ("" if none). */
static const char *
match(const char *text)
{
	command_match_clear(&cm);
	command_match(m, text, &cm);
	return cm.cmd != NULL ? cm.cmd->id : "";
}

static const char *
var(const char *name)
{
	const char	*v = session_get(cm.vars, name);

	return v != NULL ? v : "(unset)";
}

START_TEST(plain_command)
{
	ck_assert_str_eq(match("PLEDGE 500 FOOD"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_int_eq(cm.lang, 0);
	ck_assert_str_eq(var("amount"), "500");
	ck_assert_str_eq(var("cause"), "food");
	ck_assert_int_eq(cm.cmd->action, ACTION_CONFIRM);
}
END_TEST

START_TEST(forgiving)
{
	/* case, spaces, punctuation, thousands, currency */
	ck_assert_str_eq(match("  pledge,  Rs 1,000   Food!! "), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_str_eq(var("amount"), "1000");
	ck_assert_str_eq(match("Pledge: rs.2500 - healthcare."), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_str_eq(var("amount"), "2500");
	ck_assert_str_eq(var("cause"), "healthcare");
	ck_assert_str_eq(match("pledge PKR700 food"), "pledge");
	ck_assert_str_eq(var("amount"), "700");
	/* a keyword with a dash, typed in lower case */
	ck_assert_str_eq(match("give-money 300 food"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	/* words past the last argument are ignored */
	ck_assert_str_eq(match("GIVE n-12 500 thank you"), "give");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_str_eq(var("need"), "N-12");
	ck_assert_str_eq(var("amount"), "500");
}
END_TEST

START_TEST(urdu)
{
	/* Urdu keyword, Urdu digits, a choice by its Urdu translation */
	ck_assert_str_eq(match("عطیہ ۵۰۰ کھانا"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_int_eq(cm.lang, 1);
	ck_assert_str_eq(var("amount"), "500");
	ck_assert_str_eq(var("cause"), "food");
	/* Arabic comma and full stop are separators; Arabic-Indic digits */
	ck_assert_str_eq(match("عطیہ، ٣٠٠ صحت۔"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_str_eq(var("amount"), "300");
	ck_assert_str_eq(var("cause"), "healthcare");
	ck_assert_str_eq(match("ہاں 4821"), "yes");
	ck_assert_int_eq(cm.lang, 1);
	ck_assert_str_eq(var("code"), "4821");
}
END_TEST

START_TEST(usage)
{
	ck_assert_str_eq(match("PLEDGE"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("pledge 50 food"), "pledge");	/* < min */
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("pledge 500000 food"), "pledge"); /* > max */
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("pledge 500 cars"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("pledge food 500"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("pledge 99999999999999999999 food"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("عطیہ"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_int_eq(cm.lang, 1);
	ck_assert_str_eq(match("needs"), "needs");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("HELP"), "help");
	ck_assert_int_eq(cm.kind, MATCH_OK);
}
END_TEST

START_TEST(negative_amount)
{
	/* the minus sign is no punctuation to drop: no Rs 500 proposed */
	ck_assert_str_eq(match("GIVE N12 -500"), "give");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("give n12 Rs -500"), "give");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("pledge -500 food"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	ck_assert_str_eq(match("pledge rs.-500 food"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_USAGE);
	/* a dash standing alone still separates */
	ck_assert_str_eq(match("pledge 500 - food"), "pledge");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_str_eq(var("amount"), "500");
	ck_assert_str_eq(match("GIVE N-12 500"), "give");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_str_eq(var("need"), "N-12");
	ck_assert_str_eq(var("amount"), "500");
}
END_TEST

START_TEST(rest_argument)
{
	ck_assert_str_eq(match("needs  Dera   Ghazi Khan"), "needs");
	ck_assert_int_eq(cm.kind, MATCH_OK);
	ck_assert_str_eq(var("district"), "Dera Ghazi Khan");
}
END_TEST

START_TEST(unknown)
{
	static const char *const texts[] = { "hello there", "", "   ",
	    "!!!", "500 food", "\xff\xfe" };

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		ck_assert_str_eq(match(texts[i]), "");
		ck_assert_int_eq(cm.kind, MATCH_UNKNOWN);
		ck_assert_int_eq(cm.lang, 0);
	}
	/* a message in Urdu script gets its answer in Urdu */
	ck_assert_str_eq(match("السلام علیکم"), "");
	ck_assert_int_eq(cm.kind, MATCH_UNKNOWN);
	ck_assert_int_eq(cm.lang, 1);
	ck_assert_ptr_nonnull(menu_command_by_action(m, ACTION_HELP));
	ck_assert_ptr_null(menu_command_by_action(m, ACTION_STOP));
}
END_TEST

START_TEST(list_rendering)
{
	struct session	*v = session_new();
	char		*s;

	session_set(v, "needs", "2");
	session_set(v, "needs.1.id", "N1");
	session_set(v, "needs.1.category", "food");
	session_set(v, "needs.1.amount", "300");
	session_set(v, "needs.2.id", "N2");
	session_set(v, "needs.2.category", "healthcare");
	ck_assert_str_eq(match("NEEDS x"), "needs");
	s = command_list(m, cm.cmd, 0, v);
	ck_assert_str_eq(s, "N1 food Rs300\nN2 healthcare Rs");
	free(s);
	s = command_list(m, cm.cmd, 1, v);
	ck_assert_str_eq(s, "N1 کھانا\nN2 صحت");
	free(s);
	session_set(v, "needs", "0");
	s = command_list(m, cm.cmd, 0, v);
	ck_assert_str_eq(s, "");
	free(s);
	session_free(v);
}
END_TEST

START_TEST(values_without_case)
{
	struct session	*v = session_new();
	char		*s;

	session_set(v, "cause", "FOOD");
	session_set(v, "ref", "K7");
	s = menu_render(m, v, 1, menu_notification(m, "paid"));
	ck_assert_str_eq(s, "ادا K7");
	free(s);
	ck_assert_str_eq(menu_value(m, "FOOD", 1), "کھانا");
	ck_assert_str_eq(menu_value(m, "Food", 0), "food");
	ck_assert_ptr_null(menu_value(m, "FOODS", 0));
	session_free(v);
}
END_TEST

START_TEST(notifications)
{
	struct session	*v = session_new();
	char		*s;

	session_set(v, "ref", "K7MX3Q");
	s = menu_render(m, v, 1, menu_notification(m, "paid"));
	ck_assert_str_eq(s, "ادا K7MX3Q");
	free(s);
	ck_assert_ptr_null(menu_notification(m, "nope"));
	session_free(v);
}
END_TEST

#define E(line, msg)	MENUS "commands_errors.menu:" #line ": " msg

START_TEST(compile_errors)
{
	static const char *const want[] = {
		E(5, "command 'c_action': unknown action 'dance'"),
		E(6, "command 'c_noargs_usage': missing key 'usage' "
		    "(required with args)"),
		E(10, "command 'c_rest': a rest argument must be the last"),
		E(12, "command 'c_yes': a yes command takes one argument: "
		    "the code"),
		E(14, "command 'c_missing': missing key 'query' (action "
		    "lookup)"),
		E(14, "command 'c_missing': missing key 'fallback' (action "
		    "lookup)"),
		E(17, "command 'c_key': unknown key 'query' for action reply"),
		E(18, "command 'c_dup': keyword A is also command "
		    "'c_action''s"),
		E(20, "command 'c_args': keyword \"G H\" must be one word"),
		E(20, "command 'c_args': keywords: 'fr' is not one of the "
		    "languages"),
		E(20, "command 'c_args': no keywords"),
		E(21, "command 'c_args': unknown argument type 'number' "
		    "(integer, choice, word or rest)"),
		E(21, "command 'c_args': a choice argument needs choices"),
		E(22, "command 'c_args': min and max are for integer "
		    "arguments"),
		E(22, "command 'c_args': upper must be true or false"),
		E(24, "command 'c_list': list and item go together"),
	};
	struct errlist	 errs = { NULL, 0 };
	size_t		 i, j;

	ck_assert_ptr_null(menu_load(MENUS "commands_errors.menu", &errs));
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		for (j = 0; j < errs.n; j++)
			if (strcmp(errs.msgs[j], want[i]) == 0)
				break;
		ck_assert_msg(j < errs.n, "not reported: %s", want[i]);
	}
	if (errs.n != sizeof want / sizeof want[0])
		for (j = 0; j < errs.n; j++)
			fprintf(stderr, "  %s\n", errs.msgs[j]);
	ck_assert_uint_eq(errs.n, sizeof want / sizeof want[0]);
	errlist_free(&errs);
}
END_TEST

static Suite *
command_suite(void)
{
	Suite	*s = suite_create("command");
	TCase	*tc = tcase_create("match");

	tcase_add_checked_fixture(tc, setup, teardown);
	UNIT_ADD(tc, plain_command, forgiving, urdu, usage, negative_amount,
	    rest_argument, unknown, list_rendering, notifications,
	    values_without_case);
	suite_add_tcase(s, tc);
	tc = tcase_create("compile");
	tcase_add_test(tc, compile_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(command_suite());
}
