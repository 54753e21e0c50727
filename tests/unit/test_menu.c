/*
 * menu_load() and menu_check(): the flagship menu compiles and passes
 * every check; each kind of mistake is reported with its file and line.
 * menu_load_for_check() keeps a menu with errors for the checks, which
 * report each finding once per page size.
 * Run from the repository root.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "menu_graph.h"
#include "unit.h"

#define MENUS	"tests/unit/menus/"
#define ASANI	"menus/asani.menu"

static const struct page_budget ussd = { 182, 80 };

static struct errlist	 errs;

static void
setup(void)
{
	memset(&errs, 0, sizeof errs);
}

static void
teardown(void)
{
	errlist_free(&errs);
}

static void
dump(void)
{
	size_t	 i;

	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "  %s\n", errs.msgs[i]);
}

/* Asserts that exactly this error ("file:line: message") was reported. */
static void
has_error(const char *want)
{
	size_t	 i;

	for (i = 0; i < errs.n; i++) {
		if (strcmp(errs.msgs[i], want) == 0)
			return;
	}
	dump();
	ck_abort_msg("error not reported: %s", want);
}

static struct menu *
load_ok(const char *path)
{
	struct menu	*m;

	m = menu_load(path, &errs);
	if (m == NULL)
		dump();
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(errs.n, 0);
	return m;
}

static void
load_fails(const char *path)
{
	ck_assert_ptr_null(menu_load(path, &errs));
	ck_assert_uint_gt(errs.n, 0);
}

START_TEST(asani_loads_and_checks)
{
	struct menu	*m;

	m = load_ok(ASANI);
	ck_assert_str_eq(menu_name(m), "Asani Exchange");
	ck_assert_str_eq(menu_path(m), ASANI);
	ck_assert_str_eq(menu_default_lang(m), "en");
	ck_assert(menu_has_lang(m, "en"));
	ck_assert(menu_has_lang(m, "ur-Latn"));
	ck_assert(menu_has_lang(m, "ur"));
	ck_assert(!menu_has_lang(m, "UR"));
	ck_assert(!menu_has_lang(m, NULL));
	ck_assert(menu_var_sensitive(m, "cnic4"));
	ck_assert(!menu_var_sensitive(m, "district"));
	ck_assert_str_eq(menu_start(m)->id, "language");
	ck_assert_str_eq(menu_home(m)->id, "main");
	if (menu_check(m, &ussd, &errs) != 0)
		dump();
	ck_assert_uint_eq(errs.n, 0);
	menu_free(m);
}
END_TEST

START_TEST(asani_shape)
{
	static const char *const ids[] = { "language", "main", "category",
	    "district", "district_other", "cnic", "confirm", "send",
	    "training", "about" };
	const struct menu_screen *scr;
	struct menu	*m;
	size_t		 i, l;

	m = load_ok(ASANI);
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++)
		ck_assert_ptr_nonnull(menu_screen(m, ids[i]));
	ck_assert_ptr_null(menu_screen(m, "nope"));
	ck_assert_uint_eq(menu_nlangs(m), 3);
	/* every text in every language, no fallback needed */
	for (l = 0; l < 3; l++) {
		scr = menu_screen(m, "training");
		ck_assert_ptr_nonnull(scr->text.tr[l]);
		ck_assert_uint_ge(strlen(scr->text.tr[l]), 500);
	}
	scr = menu_screen(m, "cnic");
	ck_assert_int_eq(scr->kind, SCREEN_INPUT);
	ck_assert(scr->has_pattern);
	ck_assert_str_eq(scr->var, "cnic4");
	scr = menu_screen(m, "district_other");
	ck_assert_uint_eq(scr->min_length, 2);
	ck_assert_uint_eq(scr->max_length, 40);
	scr = menu_screen(m, "send");
	ck_assert_int_eq(scr->kind, SCREEN_SUBMIT);
	ck_assert_str_eq(scr->request, "help");
	ck_assert_uint_eq(scr->nfields, 3);
	scr = menu_screen(m, "district");
	ck_assert_uint_ge(scr->noptions, 11);
	ck_assert_str_eq(menu_value(m, "jobs", menu_lang_index(m, "ur")),
	    "ملازمت دلوانا");
	/* ASCII case does not matter; anything else does */
	ck_assert_str_eq(menu_value(m, "Jobs", 0), "job placement");
	ck_assert_ptr_null(menu_value(m, "job", 0));
	menu_free(m);
}
END_TEST

START_TEST(builtin_messages)
{
	static const char *const names[] = { "more", "nav", "invalid",
	    "invalid_input", "yes", "no", "busy", "expired", "failed",
	    "unknown" };
	struct menu	*m;
	size_t		 i;

	m = load_ok(ASANI);
	ck_assert_str_eq(menu_message(m, "more", "en"), "98 More");
	ck_assert_str_eq(menu_message(m, "more", "ur-Latn"), "98 Aur");
	ck_assert_str_eq(menu_message(m, "more", "ur"), "98 مزید");
	ck_assert_str_eq(menu_message(m, "nav", "ur-Latn"),
	    "0 Wapas 00 Shuru");
	ck_assert_str_eq(menu_message(m, "nav", "ur"), "0 واپس 00 شروع");
	ck_assert_str_eq(menu_message(m, "invalid", "en"), "Invalid choice.");
	ck_assert_str_eq(menu_message(m, "yes", "ur"), "1. ہاں");
	ck_assert_str_eq(menu_message(m, "no", "ur-Latn"), "2. Nahin");
	ck_assert_str_eq(menu_message(m, "busy", "en"),
	    "Service busy, please try again later.");
	ck_assert_str_eq(menu_message(m, "expired", "en"),
	    "Your session has expired. Please dial again.");
	ck_assert_str_eq(menu_message(m, "failed", "en"),
	    "Sorry, we could not record your request. Please try again.");
	ck_assert_str_eq(menu_message(m, "unknown", "en"),
	    "This service is not available.");
	/* a language the menu lacks, or none: the default language */
	ck_assert_str_eq(menu_message(m, "more", "fr"), "98 More");
	ck_assert_str_eq(menu_message(m, "more", NULL), "98 More");
	/* never NULL */
	ck_assert_str_eq(menu_message(m, "no-such-message", "en"), "");
	/* every message exists, differs per language, and fits a page */
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		ck_assert_str_ne(menu_message(m, names[i], "en"),
		    menu_message(m, names[i], "ur"));
		ck_assert_str_ne(menu_message(m, names[i], "ur-Latn"),
		    menu_message(m, names[i], "ur"));
		ck_assert(text_fits(menu_message(m, names[i], "ur"),
		    strlen(menu_message(m, names[i], "ur")), &ussd));
	}
	menu_free(m);
}
END_TEST

START_TEST(message_overrides)
{
	struct menu	*m;

	m = load_ok(MENUS "step.menu");
	/* overridden for en only: ur keeps its default, xx falls back to
	 * the English default */
	ck_assert_str_eq(menu_message(m, "invalid", "en"), "Bad choice.");
	ck_assert_str_eq(menu_message(m, "invalid", "ur"), "غلط انتخاب۔");
	ck_assert_str_eq(menu_message(m, "invalid", "xx"), "Invalid choice.");
	ck_assert_str_eq(menu_message(m, "nav", "xx"), "0 B 00 H");
	ck_assert_str_eq(menu_message(m, "nav", "en"), "0 Back 00 Home");
	ck_assert_str_eq(menu_message(m, "busy", "xx"),
	    "Service busy, please try again later.");
	ck_assert(menu_check(m, &ussd, &errs) == 0);
	menu_free(m);
}
END_TEST

START_TEST(start_defaults_to_first_screen)
{
	struct menu	*m;

	m = load_ok(MENUS "first.menu");
	ck_assert_str_eq(menu_start(m)->id, "hello");
	ck_assert_str_eq(menu_home(m)->id, "hello");
	ck_assert_str_eq(menu_default_lang(m), "ur");
	menu_free(m);
}
END_TEST

START_TEST(syntax_error)
{
	load_fails(MENUS "syntax.menu");
	ck_assert_uint_eq(errs.n, 1);
	has_error(MENUS "syntax.menu:5: syntax error");
}
END_TEST

START_TEST(duplicate_screen)
{
	load_fails(MENUS "dup.menu");
	ck_assert_uint_eq(errs.n, 1);
	has_error(MENUS "dup.menu:6: duplicate setting name");
}
END_TEST

START_TEST(missing_file)
{
	load_fails(MENUS "no-such.menu");
	ck_assert_uint_eq(errs.n, 1);
	has_error(MENUS "no-such.menu: No such file or directory");
}
END_TEST

START_TEST(missing_toplevel)
{
	load_fails(MENUS "missing.menu");
	ck_assert_uint_eq(errs.n, 3);
	has_error(MENUS "missing.menu: missing key 'name'");
	has_error(MENUS "missing.menu: missing key 'languages'");
	has_error(MENUS "missing.menu: missing key 'screens'");
}
END_TEST

START_TEST(empty_languages)
{
	load_fails(MENUS "nolangs.menu");
	ck_assert_uint_eq(errs.n, 1);
	has_error(MENUS "nolangs.menu:2: languages must be a non-empty list "
	    "of language tags");
}
END_TEST

START_TEST(errors_appended)
{
	/* earlier errors stay, new ones are appended */
	errlist_add(&errs, "elsewhere", 1, "earlier");
	load_fails(MENUS "syntax.menu");
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_str_eq(errs.msgs[0], "elsewhere:1: earlier");
}
END_TEST

#define E(line, msg)	MENUS "errors.menu:" #line ": " msg

START_TEST(every_compile_error)
{
	static const char *const want[] = {
		E(4, "default_language 'fr' is not one of the languages"),
		E(5, "start: unknown screen 'nowhere'"),
		E(6, "home: unknown screen 'nohome'"),
		E(7, "unknown key 'colour'"),
		E(9, "unknown message 'mor'"),
		E(10, "message 'more': 'de' is not one of the languages"),
		E(13, "value 'food' must be a group with one string per "
		    "language"),
		E(15, "a sensitive variable must be a string"),
		E(17, "screen 's_kind': unknown screen kind 'slider'"),
		E(18, "screen 's_nokind': missing key 'kind'"),
		E(20, "screen 's_typo': unknown key 'txt' for kind end"),
		E(23, "screen 's_menu_noopts': missing key 'options'"),
		E(25, "screen 's_menu_empty': empty options"),
		E(29, "screen 's_opts': option 1: missing key 'goto'"),
		E(31, "screen 's_opts': unknown target 'nowhere2'"),
		E(33, "screen 's_opts': option 3: lang 'fr' is not one of "
		    "the languages"),
		E(34, "screen 's_opts': option 4: unknown key 'lable'"),
		E(34, "screen 's_opts': option 4: missing key 'label'"),
		E(37, "screen 's_input_novar': missing key 'var'"),
		E(37, "screen 's_input_novar': missing key 'goto'"),
		E(43, "screen 's_minmax': min 10 > max 5"),
		E(45, "screen 's_minmax': min_length must be an integer"),
		E(48, "screen 's_noerror': missing key 'error' (required with "
		    "a pattern, min, max, min_length or max_length)"),
		E(50, "screen 's_confirm': missing key 'no'"),
		E(51, "screen 's_confirm': unknown target 'missing_yes'"),
		E(52, "screen 's_route': missing key 'default'"),
		E(53, "screen 's_route': unknown target 'missing_case'"),
		E(54, "screen 's_route_empty': empty cases"),
		E(56, "screen 's_submit': missing key 'request'"),
		E(57, "screen 's_submit': unknown key 'goto' (a submit screen "
		    "ends the session)"),
		E(58, "screen 's_end_notext': missing key 'text'"),
		E(59, "screen 's_text_string': text must be a group with one "
		    "string per language"),
		E(60, "screen 's_text_int': text: 'en' must be a string"),
		E(61, "screen 's_text_lang': text: 'de' is not one of the "
		    "languages"),
		E(62, "screen 's_template': text: 'en': unterminated ${"),
		E(63, "screen 's_empty_var': text: 'en': empty variable name "
		    "in ${}"),
		E(64, "screen 's_utf8': text: 'en' is not valid UTF-8"),
		E(66, "screen 's_lookup': unknown key 'goto' (a lookup screen "
		    "ends the session)"),
		E(66, "screen 's_lookup': missing key 'query'"),
		E(66, "screen 's_lookup': missing key 'fallback'"),
		E(67, "screen 's_lookup2': empty query"),
		E(67, "screen 's_lookup2': params must be a list of variable "
		    "names"),
		E(70, "screen 's_upper': upper must be true or false"),
	};
	const char	*pat = MENUS "errors.menu:39: screen 's_input': "
	    "invalid pattern \"^[0-9{4}$\": ";
	size_t		 i, npat = 0;

	load_fails(MENUS "errors.menu");
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		has_error(want[i]);
	/* the regerror() text follows; its wording is the C library's */
	for (i = 0; i < errs.n; i++) {
		if (strncmp(errs.msgs[i], pat, strlen(pat)) == 0 &&
		    strlen(errs.msgs[i]) > strlen(pat))
			npat++;
	}
	ck_assert_uint_eq(npat, 1);
	if (errs.n != sizeof want / sizeof want[0] + 1)
		dump();
	ck_assert_uint_eq(errs.n, sizeof want / sizeof want[0] + 1);
}
END_TEST

START_TEST(route_cycles)
{
	load_fails(MENUS "cycle.menu");
	has_error(MENUS "cycle.menu:13: route cycle: r1 -> r2 -> r3 -> r1");
	has_error(MENUS "cycle.menu:15: route cycle: self -> self");
	ck_assert_uint_eq(errs.n, 2);
}
END_TEST

#define C(line, msg)	MENUS "check.menu:" #line ": " msg

START_TEST(every_check_error)
{
	static const char *const want[] = {
		C(55, "screen 'orphan' is unreachable"),
		C(26, "screen 'spin' is a dead end: no end, submit or lookup "
		    "screen can be reached from it"),
		C(31, "screen 'spin2' is a dead end: no end, submit or lookup "
		    "screen can be reached from it"),
		C(15, "screen 'main': option 2 label has no 'ur' translation"),
		C(57, "screen 'orphan': text has no 'ur' translation"),
		C(7, "value 'water' has no 'ur' translation"),
		C(17, "screen 'main': option 4 does not fit one page in 'ur' "
		    "(113 UCS-2 units, page holds 80)"),
		C(23, "screen 'ask': prompt does not fit one page in 'en' "
		    "(208 septets, page holds 182)"),
		C(23, "screen 'ask': prompt does not fit one page in 'ur' "
		    "(110 UCS-2 units, page holds 80)"),
		C(38, "screen 'sure': prompt does not fit one page in 'ur' "
		    "(84 UCS-2 units, page holds 80)"),
		C(44, "screen 'head': text does not fit one page in 'ur' "
		    "(110 UCS-2 units, page holds 80)"),
	};
	struct menu	*m;
	size_t		 i;
	int		 n;

	m = load_ok(MENUS "check.menu");
	n = menu_check(m, &ussd, &errs);
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		has_error(want[i]);
	if (errs.n != sizeof want / sizeof want[0])
		dump();
	ck_assert_uint_eq(errs.n, sizeof want / sizeof want[0]);
	ck_assert_int_eq(n, (int)errs.n);
	menu_free(m);
}
END_TEST

START_TEST(check_budget_matters)
{
	static const struct page_budget big = { 400, 200 };
	struct menu	*m;
	int		 n;

	/* with pages big enough only the structural problems remain */
	m = load_ok(MENUS "check.menu");
	n = menu_check(m, &big, &errs);
	ck_assert_int_eq(n, 6);
	ck_assert_uint_eq(errs.n, 6);
	menu_free(m);

	/* and asani.menu fails on pages smaller than USSD's */
	errlist_free(&errs);
	m = load_ok(ASANI);
	n = menu_check(m, &(struct page_budget){ 60, 30 }, &errs);
	ck_assert_int_gt(n, 0);
	menu_free(m);
}
END_TEST

START_TEST(sms_budget)
{
	static const struct page_budget sms = { 160, 70 };
	struct menu	*m;

	/* SMS pages are smaller: asani.menu's Urdu confirm still fits */
	m = load_ok(ASANI);
	if (menu_check(m, &sms, &errs) != 0)
		dump();
	ck_assert_uint_eq(errs.n, 0);
	menu_free(m);
}
END_TEST

#define B(line, msg)	MENUS "broken.menu:" #line ": " msg

/* An unknown target does not hide the rest: the menu is kept for the
 * checks, which find the missing translation and the long prompt, and
 * do not call 'lost' a dead end for the target already reported. */
START_TEST(broken_menu_checked_whole)
{
	static const struct menu_page pages[] = {
		{ { 182, 80 }, "/ussd" },
		{ { 182, 80 }, "/hubtel" },
		{ { 160, 70 }, "smsc ussd" },
	};
	struct menu	*m;
	int		 broken = 0;

	ck_assert_ptr_null(menu_load(MENUS "broken.menu", &errs));
	ck_assert_uint_eq(errs.n, 1);
	errlist_free(&errs);

	m = menu_load_for_check(MENUS "broken.menu", &errs, &broken);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(broken, 1);
	ck_assert_uint_eq(errs.n, 1);
	has_error(B(18, "screen 'lost': unknown target 'nowhere'"));
	ck_assert(menu_screen(m, "lost")->broken);
	ck_assert(!menu_screen(m, "main")->broken);
	ck_assert_ptr_null(menu_screen(m, "lost")->options[0].next);

	ck_assert_int_eq(menu_check_shape(m, &errs), 1);
	has_error(B(28, "screen 'bye': text has no 'ur' translation"));
	ck_assert_int_eq(menu_check_pages(m, pages, 3, &errs), 2);
	has_error(B(23, "screen 'ask': prompt does not fit one page in 'en' "
	    "(208 septets, page holds 182 on /ussd, /hubtel)"));
	has_error(B(23, "screen 'ask': prompt does not fit one page in 'en' "
	    "(208 septets, page holds 160 on smsc ussd)"));
	if (errs.n != 4)
		dump();
	ck_assert_uint_eq(errs.n, 4);
	menu_free(m);
}
END_TEST

/* What cannot be read, or compiles too little to walk, is not kept. */
START_TEST(unreadable_menu_not_kept)
{
	static const char *const paths[] = { MENUS "syntax.menu",
	    MENUS "nolangs.menu", MENUS "missing.menu", MENUS "no-such.menu" };
	struct menu	*m;
	size_t		 i;
	int		 broken;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		broken = 0;
		ck_assert_ptr_null(menu_load_for_check(paths[i], &errs,
		    &broken));
		ck_assert_int_eq(broken, 1);
	}
	errlist_free(&errs);
	m = menu_load_for_check(ASANI, &errs, &broken);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(broken, 0);
	ck_assert_uint_eq(errs.n, 0);
	menu_free(m);
}
END_TEST

/* A text is reported once per page size it does not fit, in the unit
 * of its coding: pages that differ only for GSM-7 share the UCS-2
 * finding. */
START_TEST(pages_once_per_size)
{
	static const struct menu_page pages[] = {
		{ { 182, 80 }, "/ussd" },
		{ { 160, 80 }, "smsc ussd" },
		{ { 182, 80 }, "/hubtel" },
	};
	struct menu	*m;

	m = load_ok(MENUS "check.menu");
	ck_assert_int_eq(menu_check_pages(m, pages, 0, &errs), 0);
	ck_assert_int_eq(menu_check_pages(m, pages, 3, &errs), 6);
	has_error(C(17, "screen 'main': option 4 does not fit one page in 'ur' "
	    "(113 UCS-2 units, page holds 80 on /ussd, smsc ussd, /hubtel)"));
	has_error(C(23, "screen 'ask': prompt does not fit one page in 'en' "
	    "(208 septets, page holds 182 on /ussd, /hubtel)"));
	has_error(C(23, "screen 'ask': prompt does not fit one page in 'en' "
	    "(208 septets, page holds 160 on smsc ussd)"));
	has_error(C(23, "screen 'ask': prompt does not fit one page in 'ur' "
	    "(110 UCS-2 units, page holds 80 on /ussd, smsc ussd, /hubtel)"));
	ck_assert_uint_eq(errs.n, 6);
	menu_free(m);
}
END_TEST

START_TEST(free_null)
{
	menu_free(NULL);
}
END_TEST

static Suite *
menu_suite(void)
{
	Suite	*s = suite_create("menu");
	TCase	*tc;

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	UNIT_ADD(tc, asani_loads_and_checks, asani_shape, builtin_messages,
	    message_overrides, start_defaults_to_first_screen, free_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	UNIT_ADD(tc,
	    syntax_error, duplicate_screen, missing_file, missing_toplevel,
	    empty_languages, errors_appended, every_compile_error,
	    route_cycles);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	UNIT_ADD(tc, every_check_error, check_budget_matters, sms_budget,
	    broken_menu_checked_whole, unreadable_menu_not_kept,
	    pages_once_per_size);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(menu_suite());
}
