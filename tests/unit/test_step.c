/*
 * menu_step(): every screen kind, the global keys, pagination,
 * substitution, effects, and long pseudo-random walks over the flagship
 * menu checking that every reply fits its page.  Run from the repository
 * root.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "menu_graph.h"
#include "session.h"
#include "unit.h"

#define MENUS	"tests/unit/menus/"
#define ASANI	"menus/asani.menu"
#define COMPLAINTS	"menus/complaints.menu"

static const struct page_budget ussd = { 182, 80 };

static struct menu		*m;
static struct session		*s;
static struct step_env		 env;
static struct step_result	 r;

static struct menu *
load(const char *path)
{
	struct errlist	 errs = { NULL, 0 };
	struct menu	*lm;

	lm = menu_load(path, &errs);
	ck_assert_msg(lm != NULL, "%s: %s", path,
	    errs.n > 0 ? errs.msgs[0] : "?");
	ck_assert_uint_eq(errs.n, 0);
	errlist_free(&errs);
	return lm;
}

static void
use(const char *path)
{
	m = load(path);
	s = session_new();
	env.budget = ussd;
	env.ref = "AB12CD";
	memset(&r, 0, sizeof r);
}

static void
setup_step(void)
{
	use(MENUS "step.menu");
}

static void
setup_lookup(void)
{
	use(MENUS "lookup.menu");
}

static void
setup_asani(void)
{
	use(ASANI);
}

static void
setup_complaints(void)
{
	use(COMPLAINTS);
}

static void
teardown(void)
{
	step_result_clear(&r);
	session_free(s);
	menu_free(m);
	m = NULL;
	s = NULL;
}

/* A reply the result calls the page the session shows is made again,
 * the same bytes, from the session as saved and read back (a retry);
 * one with an error above its page is not called so. */
static void
page_again(void)
{
	struct session	*t;
	char		*rec, *again;

	if (!r.page)
		return;
	rec = session_encode(s);
	ck_assert_ptr_nonnull(t = session_decode(rec, strlen(rec), NULL, 0));
	ck_assert_ptr_nonnull(again = menu_page(m, t, &env));
	ck_assert_str_eq(again, r.text);
	free(again);
	session_free(t);
	free(rec);
}

/* One hop; every reply must fit the page it travels in. */
static const char *
step(const char *input)
{
	step_result_clear(&r);
	menu_step(m, s, input, &env, &r);
	ck_assert_ptr_nonnull(r.text);
	ck_assert_msg(text_fits(r.text, strlen(r.text), &env.budget),
	    "reply does not fit: \"%s\"", r.text);
	page_again();
	if (r.effect.kind == EFFECT_NONE)
		ck_assert_uint_eq(r.effect.nfields, 0);
	return r.text;
}

/* Several hops (NULL starts the session); returns the last reply. */
static const char *
steps(const char *const *inputs, size_t n)
{
	const char	*t = NULL;
	size_t		 i;

	for (i = 0; i < n; i++)
		t = step(inputs[i]);
	return t;
}

#define STEPS(...) steps((const char *const[]){ __VA_ARGS__ },		\
	sizeof (const char *const[]){ __VA_ARGS__ } / sizeof (const char *))

static const char main_en[] =
    "Main\n1. Food\n2. Age\n3. Route\n4. Long\n5. Bye\n6. Note\n"
    "0 Back 00 Home";

START_TEST(start_screen)
{
	ck_assert_str_eq(step(NULL), "Language?\n1. English\n2. Urdu\n3. Xx");
	ck_assert_int_eq(r.end, 0);
	ck_assert_int_eq(r.page, 1);
	ck_assert_int_eq(r.effect.kind, EFFECT_NONE);
	ck_assert_str_eq(s->screen, "lang");
	ck_assert_uint_eq(s->page, 0);
	ck_assert_uint_eq(s->nhistory, 0);
	ck_assert_ptr_null(s->lang);
}
END_TEST

START_TEST(option_sets_and_goes)
{
	step(NULL);
	ck_assert_str_eq(step("1"), main_en);
	ck_assert_str_eq(s->screen, "main");
	ck_assert_str_eq(s->lang, "en");
	ck_assert_str_eq(session_get(s, "lang"), "en");
	ck_assert_uint_eq(s->nhistory, 1);
	ck_assert_str_eq(s->history[0], "lang");

	/* set copies literally: "${category}" is a value, not a template */
	step("1");
	ck_assert_str_eq(s->screen, "name");
	ck_assert_str_eq(session_get(s, "category"), "food");
	ck_assert_str_eq(session_get(s, "mark"), "${category}");
}
END_TEST

START_TEST(lang_switch_urdu)
{
	step(NULL);
	ck_assert_str_eq(step("2"), "مینو\n1. کھانا\n2. عمر\n3. راستہ\n"
	    "4. لمبا\n5. خدا حافظ\n6. نوٹ\n0 واپس 00 شروع");
	ck_assert_str_eq(s->lang, "ur");
	/* 71 units: "غلط انتخاب۔" does not fit above it, so the screen is
	 * paginated again under the error; 98 shows the rest */
	ck_assert_str_eq(step("9"), "غلط انتخاب۔\nمینو\n1. کھانا\n2. عمر\n"
	    "3. راستہ\n4. لمبا\n5. خدا حافظ\n98 مزید");
	ck_assert_str_eq(step("98"), "6. نوٹ\n0 واپس 00 شروع");
	ck_assert_str_eq(step("0"), "غلط انتخاب۔\nمینو\n1. کھانا\n2. عمر\n"
	    "3. راستہ\n4. لمبا\n5. خدا حافظ\n98 مزید");
	/* The language screen follows the session language too. */
	ck_assert_str_eq(step("0"), "زبان؟\n1. English\n2. اردو\n3. Xx");
	ck_assert_str_eq(step("9"),
	    "غلط انتخاب۔\nزبان؟\n1. English\n2. اردو\n3. Xx");
	ck_assert_str_eq(step("1"), main_en);
	ck_assert_str_eq(s->lang, "en");
}
END_TEST

START_TEST(lang_without_builtins)
{
	step(NULL);
	/* nav overridden for xx; invalid overridden for en only, so xx
	 * gets the built-in English one. */
	ck_assert_str_eq(step("3"), "Mein\n1. Fud\n2. Aj\n3. Rut\n4. Lon\n"
	    "5. Bai\n6. Not\n0 B 00 H");
	ck_assert_str_eq(step("7"), "Invalid choice.\nMein\n1. Fud\n2. Aj\n"
	    "3. Rut\n4. Lon\n5. Bai\n6. Not\n0 B 00 H");
	ck_assert_str_eq(STEPS("1", "Ali", "1234"),
	    "Sen Fud?\n1. Yes\n2. No");
}
END_TEST

START_TEST(unknown_session_lang)
{
	session_set_lang(s, "fr");
	ck_assert_str_eq(step(NULL), "Language?\n1. English\n2. Urdu\n3. Xx");
	session_set_lang(s, "ur");
	ck_assert_str_eq(step(NULL), "زبان؟\n1. English\n2. اردو\n3. Xx");
}
END_TEST

START_TEST(invalid_choices)
{
	static const char *const bad[] = { "7", "99", "abc", "", "1x", " 1",
	    "-1", "1234567890123", "٧", "۱x", "۱ ", "٣۱" };
	char		 want[256];
	size_t		 i;

	step(NULL);
	ck_assert_int_eq(r.refused, 0);
	step("1");
	ck_assert_int_eq(r.refused, 0);
	snprintf(want, sizeof want, "Bad choice.\n%s", main_en);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_str_eq(step(bad[i]), want);
		ck_assert_str_eq(s->screen, "main");
		ck_assert_uint_eq(s->nhistory, 1);
		ck_assert_int_eq(r.end, 0);
		ck_assert_int_eq(r.refused, 1);
		ck_assert_int_eq(r.page, 0);
	}
	/* leading zeros are still the number */
	step("01");
	ck_assert_str_eq(s->screen, "name");
	ck_assert_int_eq(r.refused, 0);
}
END_TEST

START_TEST(input_length)
{
	STEPS(NULL, "1", "1");
	ck_assert_str_eq(s->screen, "name");
	ck_assert_str_eq(step("A"), "2-5 letters, Food.\nName?");
	ck_assert_str_eq(s->screen, "name");
	ck_assert_str_eq(step("ABCDEF"), "2-5 letters, Food.\nName?");
	ck_assert_ptr_null(session_get(s, "name"));
	/* 7 code points, 14 bytes: too long; 5 code points: fine */
	step("عبدالله");
	ck_assert_str_eq(s->screen, "name");
	ck_assert_str_eq(step("ABCDE"), "PIN?");
	ck_assert_str_eq(session_get(s, "name"), "ABCDE");
	step("0");
	ck_assert_str_eq(s->screen, "name");
	/* 3 code points in 6 bytes */
	step("علی");
	ck_assert_str_eq(s->screen, "pin");
	ck_assert_str_eq(session_get(s, "name"), "علی");
	step("0");
	/* invalid UTF-8 is never taken */
	step("\xff\xfe");
	ck_assert_str_eq(s->screen, "name");
	ck_assert_str_eq(session_get(s, "name"), "علی");
}
END_TEST

START_TEST(input_pattern)
{
	static const char *const bad[] = { "123", "12345", "12a4", "", "١٢٣",
	    "١٢٣٤٥", "۱۲a۴" };
	size_t		 i;

	STEPS(NULL, "1", "1", "Ali");
	ck_assert_str_eq(s->screen, "pin");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_str_eq(step(bad[i]), "4 digits.\nPIN?");
		ck_assert_str_eq(s->screen, "pin");
	}
	step("0042");
	ck_assert_str_eq(s->screen, "confirm");
	ck_assert_str_eq(session_get(s, "pin"), "0042");
}
END_TEST

/* Urdu and Arabic-Indic digits where digits are expected, stored ASCII. */
START_TEST(digits_urdu_choice_and_keys)
{
	ck_assert_str_eq(STEPS(NULL, "۱"), main_en);
	ck_assert_str_eq(s->lang, "en");
	step("٢");
	ck_assert_str_eq(s->screen, "age");
	step("۰");
	ck_assert_str_eq(s->screen, "main");
	STEPS("۱", "Ali");
	ck_assert_str_eq(s->screen, "pin");
	step("۰۰");
	ck_assert_str_eq(s->screen, "main");
	ck_assert_uint_eq(s->nhistory, 0);
	env.budget.gsm7_septets = 40;
	env.budget.ucs2_units = 20;
	step("٤");
	ck_assert_str_eq(s->screen, "long");
	step("۹۸");
	ck_assert_uint_eq(s->page, 1);
	step("٠");
	ck_assert_uint_eq(s->page, 0);
}
END_TEST

START_TEST(digits_urdu_input_and_confirm)
{
	STEPS(NULL, "1", "1", "Ali", "۱۲٣4");
	ck_assert_str_eq(s->screen, "confirm");
	ck_assert_str_eq(session_get(s, "pin"), "1234");
	ck_assert_str_eq(step("٣"), "Bad choice.\nSend Food for Ali?\n"
	    "1. Yes\n2. No");
	step("۲");
	ck_assert_str_eq(s->screen, "main");
	STEPS("1", "Ali", "٠٠٤٢", "۱");
	ck_assert_str_eq(s->screen, "send");
	ck_assert_int_eq(r.effect.kind, EFFECT_SUBMIT);
	ck_assert_str_eq(r.effect.fields[2].value, "0042");

	/* min and max: a number in any of the three scripts */
	STEPS("00", "2", "۱۷");
	ck_assert_str_eq(s->screen, "age");
	step("۱۸");
	ck_assert_str_eq(s->screen, "main");
	ck_assert_str_eq(session_get(s, "age"), "18");
	STEPS("2", "١٢٠");
	ck_assert_str_eq(session_get(s, "age"), "120");
}
END_TEST

/* Free text with no check to pass keeps its digits as typed. */
START_TEST(digits_free_text_as_typed)
{
	STEPS(NULL, "1", "6", "گلی ۱۲ میں");
	ck_assert_str_eq(s->screen, "main");
	ck_assert_str_eq(session_get(s, "note"), "گلی ۱۲ میں");
	STEPS("6", "۱۲۳۴");
	ck_assert_str_eq(session_get(s, "note"), "۱۲۳۴");
	/* a name of 2-5 characters takes Urdu digits as they are */
	STEPS("00", "1", "۱۲۳");
	ck_assert_str_eq(session_get(s, "name"), "۱۲۳");
}
END_TEST

START_TEST(input_range)
{
	static const char *const bad[] = { "17", "121", "abc", "-5", "",
	    "99999999999999999999", " 20", "20 ", "+20", "1e2", "-" };
	size_t		 i;

	STEPS(NULL, "1", "2");
	ck_assert_str_eq(s->screen, "age");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_str_eq(step(bad[i]), "18 to 120.\nAge?");
		ck_assert_str_eq(s->screen, "age");
	}
	step("18");
	ck_assert_str_eq(s->screen, "main");
	ck_assert_str_eq(session_get(s, "age"), "18");
	step("2");
	step("120");
	ck_assert_str_eq(session_get(s, "age"), "120");
	step("2");
	step("0120");
	ck_assert_str_eq(s->screen, "main");
}
END_TEST

START_TEST(input_default_error)
{
	STEPS(NULL, "1", "6");
	ck_assert_str_eq(s->screen, "note");
	/* no validation declared: still at least one character */
	ck_assert_str_eq(step(""), "Invalid entry.\nNote?");
	/* "98" with no next page is invalid input on an input screen */
	ck_assert_str_eq(step("98"), "Invalid entry.\nNote?");
	ck_assert_int_eq(r.refused, 1);
	ck_assert_str_eq(step("anything at all"), main_en);
	ck_assert_int_eq(r.refused, 0);
	ck_assert_str_eq(session_get(s, "note"), "anything at all");

	session_set_lang(s, "ur");
	step("6");
	ck_assert_str_eq(step(""), "غلط اندراج۔\nنوٹ؟");
}
END_TEST

START_TEST(confirm_yes_no_invalid)
{
	STEPS(NULL, "1", "1", "Ali", "1234");
	ck_assert_str_eq(r.text, "Send Food for Ali?\n1. Yes\n2. No");
	ck_assert_str_eq(step("3"),
	    "Bad choice.\nSend Food for Ali?\n1. Yes\n2. No");
	ck_assert_str_eq(step("yes"),
	    "Bad choice.\nSend Food for Ali?\n1. Yes\n2. No");
	ck_assert_str_eq(s->screen, "confirm");
	ck_assert_str_eq(step("2"), main_en);
	ck_assert_int_eq(r.effect.kind, EFFECT_NONE);
	ck_assert_str_eq(session_get(s, "pin"), "1234");

	session_set_lang(s, "ur");
	ck_assert_str_eq(STEPS("1", "Ali", "1234"),
	    "Ali کے لیے کھانا؟\n1. ہاں\n2. نہیں");
}
END_TEST

START_TEST(submit_effect)
{
	STEPS(NULL, "1", "1", "Ali", "1234");
	ck_assert_uint_gt(s->nhistory, 0);
	ck_assert_str_eq(step("1"), "Ref AB12CD. Pin 1234.");
	ck_assert_int_eq(r.end, 1);
	/* The page showed the pin, gone now: a retry gets the reply kept. */
	ck_assert_int_eq(r.page, 0);
	ck_assert_str_eq(s->screen, "send");
	ck_assert_int_eq(r.effect.kind, EFFECT_SUBMIT);
	ck_assert_str_eq(r.effect.request, "help");
	ck_assert_str_eq(r.effect.ref, "AB12CD");
	ck_assert_uint_eq(r.effect.nfields, 4);
	ck_assert_str_eq(r.effect.fields[0].name, "category");
	ck_assert_str_eq(r.effect.fields[0].value, "food");
	ck_assert_str_eq(r.effect.fields[1].name, "name");
	ck_assert_str_eq(r.effect.fields[1].value, "Ali");
	ck_assert_str_eq(r.effect.fields[2].name, "pin");
	ck_assert_str_eq(r.effect.fields[2].value, "1234");
	ck_assert_str_eq(r.effect.fields[3].name, "missing");
	ck_assert_str_eq(r.effect.fields[3].value, "");
	/* the effect owns copies */
	ck_assert_ptr_ne(r.effect.fields[1].value, session_get(s, "name"));
	/* sensitive vars are gone once submitted, the rest stays */
	ck_assert_ptr_null(session_get(s, "pin"));
	ck_assert_str_eq(session_get(s, "name"), "Ali");
	ck_assert_str_eq(session_get(s, "ref"), "AB12CD");
	ck_assert(menu_var_sensitive(m, "pin"));
	ck_assert(!menu_var_sensitive(m, "name"));
	/* no way back into the confirm that submitted */
	ck_assert_uint_eq(s->nhistory, 0);

	step_result_clear(&r);
	ck_assert_ptr_null(r.text);
	ck_assert_ptr_null(r.effect.fields);
	ck_assert_uint_eq(r.effect.nfields, 0);
	ck_assert_int_eq(r.effect.kind, EFFECT_NONE);
	step_result_clear(&r);
}
END_TEST

START_TEST(submit_null_ref)
{
	env.ref = NULL;
	ck_assert_str_eq(STEPS(NULL, "1", "1", "Ali", "1234", "1"),
	    "Ref . Pin 1234.");
	ck_assert_int_eq(r.effect.kind, EFFECT_SUBMIT);
	ck_assert_ptr_null(r.effect.ref);
	ck_assert_str_eq(session_get(s, "ref"), "");
}
END_TEST

static int	ref_calls;

static const char *
lazy_ref(void *arg)
{
	ref_calls++;
	return arg;
}

START_TEST(submit_lazy_ref)
{
	/* Made only by the step that submits. */
	env.ref = NULL;
	env.ref_fn = lazy_ref;
	env.ref_arg = "ZX98QW";
	ref_calls = 0;
	STEPS(NULL, "1", "1", "Ali", "1234");
	ck_assert_int_eq(ref_calls, 0);
	ck_assert_str_eq(step("1"), "Ref ZX98QW. Pin 1234.");
	ck_assert_int_eq(ref_calls, 1);
	ck_assert_str_eq(r.effect.ref, "ZX98QW");
	ck_assert_str_eq(session_get(s, "ref"), "ZX98QW");
	/* A ref given wins. */
	env.ref = "AB12CD";
	session_free(s);
	s = session_new();
	ck_assert_str_eq(STEPS(NULL, "1", "1", "Ali", "1234", "1"),
	    "Ref AB12CD. Pin 1234.");
	ck_assert_int_eq(ref_calls, 1);
	env.ref_fn = NULL;
	env.ref_arg = NULL;
}
END_TEST

START_TEST(route_case)
{
	STEPS(NULL, "1", "1", "Ali");
	step("00");
	ck_assert_str_eq(step("3"), "Routed to Food.");
	ck_assert_str_eq(s->screen, "food_end");
	ck_assert_int_eq(r.end, 1);
}
END_TEST

START_TEST(route_chain_and_default)
{
	step(NULL);
	step("1");
	/* category unset: router default -> router2, name unset -> age */
	ck_assert_str_eq(step("3"), "Age?");
	ck_assert_str_eq(s->screen, "age");
	/* routes are never pushed: back goes to the screen shown before */
	ck_assert_uint_eq(s->nhistory, 2);
	ck_assert_str_eq(s->history[1], "main");
	ck_assert_str_eq(step("0"), main_en);

	/* router2 case on name */
	session_set(s, "name", "Ali");
	ck_assert_str_eq(step("3"), "Bye $5 .");
	ck_assert_int_eq(r.end, 1);

	/* a value matching no case takes the default */
	step("00");
	session_set(s, "category", "other");
	session_set(s, "name", "Zed");
	step("3");
	ck_assert_str_eq(s->screen, "age");
}
END_TEST

START_TEST(end_screen)
{
	STEPS(NULL, "1");
	ck_assert_str_eq(step("5"), "Bye $5 .");
	ck_assert_int_eq(r.end, 1);
	ck_assert_int_eq(r.effect.kind, EFFECT_NONE);
}
END_TEST

START_TEST(back_and_home)
{
	step(NULL);
	/* back at the start with no history: the start again */
	ck_assert_str_eq(step("0"), "Language?\n1. English\n2. Urdu\n3. Xx");
	ck_assert_str_eq(s->screen, "lang");
	STEPS("1", "1", "Ali");
	ck_assert_str_eq(s->screen, "pin");
	ck_assert_uint_eq(s->nhistory, 3);
	ck_assert_str_eq(step("0"), "Name?");
	ck_assert_str_eq(step("0"), main_en);
	ck_assert_str_eq(step("0"), "Language?\n1. English\n2. Urdu\n3. Xx");
	ck_assert_uint_eq(s->nhistory, 0);
	ck_assert_str_eq(step("0"), "Language?\n1. English\n2. Urdu\n3. Xx");

	/* home clears the history, from any screen */
	STEPS("1", "1", "Ali");
	ck_assert_str_eq(step("00"), main_en);
	ck_assert_str_eq(s->screen, "main");
	ck_assert_uint_eq(s->nhistory, 0);
	ck_assert_str_eq(step("0"), main_en);
	/* vars survive navigation */
	ck_assert_str_eq(session_get(s, "name"), "Ali");
}
END_TEST

START_TEST(more_pages)
{
	char	 seen[1024] = "";
	size_t	 len, n;
	int	 i;

	env.budget.gsm7_septets = 40;
	env.budget.ucs2_units = 20;
	STEPS(NULL, "1");
	ck_assert_str_eq(s->screen, "main");
	/* the menu itself now takes pages; options work from any page */
	ck_assert_str_eq(r.text, "Main\n1. Food\n2. Age\n3. Route\n98 More");
	ck_assert_str_eq(step("98"), "4. Long\n5. Bye\n6. Note\n0 Back 00 Home");
	ck_assert_uint_eq(s->page, 1);
	step("4");
	ck_assert_str_eq(s->screen, "long");
	ck_assert_uint_eq(s->page, 0);

	ck_assert_str_eq(r.text, "one two three four five six\n98 More");
	ck_assert_int_eq(r.end, 0);
	for (i = 0; r.end == 0; i++) {
		ck_assert_int_lt(i, 20);
		ck_assert_ptr_nonnull(strstr(r.text, "\n98 More"));
		len = strlen(seen);
		n = strlen(r.text) - strlen("\n98 More");
		ck_assert_uint_lt(len + n + 1, sizeof seen);
		memcpy(seen + len, r.text, n);
		seen[len + n] = ' ';
		seen[len + n + 1] = '\0';
		step("98");
	}
	strcat(seen, r.text);
	ck_assert_str_eq(seen, "one two three four five six seven eight nine "
	    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
	    "eighteen nineteen twenty");
	ck_assert_uint_eq(s->page, (unsigned)i);
	ck_assert_int_eq(r.end, 1);

	/* past the end: invalid, same page, still the end */
	ck_assert_str_eq(step("98"), "Bad choice.\nnineteen twenty");
	ck_assert_uint_eq(s->page, (unsigned)i);
	ck_assert_int_eq(r.end, 1);

	/* back pages down, then to the screen before */
	step("0");
	ck_assert_uint_eq(s->page, (unsigned)i - 1);
	ck_assert_int_eq(r.end, 0);
	while (s->page > 0)
		step("0");
	ck_assert_str_eq(r.text, "one two three four five six\n98 More");
	step("0");
	ck_assert_str_eq(s->screen, "main");
	ck_assert_uint_eq(s->page, 0);
}
END_TEST

START_TEST(more_pages_urdu)
{
	unsigned	 pages;

	env.budget.ucs2_units = 40;
	session_set_lang(s, "ur");
	STEPS(NULL, "2", "4");
	ck_assert_str_eq(s->screen, "long");
	for (pages = 1; !r.end; pages++) {
		ck_assert_ptr_nonnull(strstr(r.text, "\n98 مزید"));
		step("98");
	}
	ck_assert_uint_ge(pages, 3);
	ck_assert_ptr_nonnull(strstr(r.text, "بیس"));
}
END_TEST

START_TEST(more_single_page)
{
	STEPS(NULL, "1");
	ck_assert_str_eq(step("98"), "Bad choice.\nMain\n1. Food\n2. Age\n"
	    "3. Route\n4. Long\n5. Bye\n6. Note\n0 Back 00 Home");
	ck_assert_uint_eq(s->page, 0);
}
END_TEST

START_TEST(invalid_prefix_kept_within_page)
{
	/* a full page has no room for "Bad choice.": the screen starts
	 * again under the error, and every option stays on some page */
	env.budget.gsm7_septets = 40;
	STEPS(NULL, "1");
	ck_assert_str_eq(step("98"), "4. Long\n5. Bye\n6. Note\n0 Back 00 Home");
	ck_assert_str_eq(step("9"), "Bad choice.\nMain\n1. Food\n2. Age\n"
	    "98 More");
	ck_assert_uint_eq(s->page, 0);
	ck_assert_str_eq(step("98"), "3. Route\n4. Long\n5. Bye\n98 More");
	ck_assert_str_eq(step("98"), "6. Note\n0 Back 00 Home");
	/* on a page where it fits, the error goes above that page */
	ck_assert_str_eq(step("9"), "Bad choice.\n6. Note\n0 Back 00 Home");
	ck_assert_uint_eq(s->page, 2);
	ck_assert_str_eq(step("0"), "3. Route\n4. Long\n5. Bye\n98 More");
	/* where it does not, back to the first page, which has it */
	ck_assert_str_eq(step("9"), "Bad choice.\nMain\n1. Food\n2. Age\n"
	    "98 More");
	ck_assert_str_eq(step("9"), "Bad choice.\nMain\n1. Food\n2. Age\n"
	    "98 More");
	/* options count on every page; leaving the screen drops the error */
	step("3");
	ck_assert_str_eq(s->screen, "age");
	ck_assert_str_eq(step("0"), "Main\n1. Food\n2. Age\n3. Route\n98 More");
	ck_assert_str_eq(step("0"), "Language?\n1. English\n2. Urdu\n3. Xx");
}
END_TEST

START_TEST(substitution)
{
	/* user input is never expanded again */
	STEPS(NULL, "1", "1", "${x}");
	ck_assert_str_eq(s->screen, "pin");
	ck_assert_str_eq(step("1234"), "Send Food for ${x}?\n1. Yes\n2. No");
	STEPS("2", "1", "${ab");
	ck_assert_str_eq(step("1234"), "Send Food for ${ab?\n1. Yes\n2. No");
	STEPS("2", "1", "${c}");
	ck_assert_str_eq(step("1234"), "Send Food for ${c}?\n1. Yes\n2. No");
	/* a value with no translation shows as it is */
	session_set(s, "category", "drink");
	ck_assert_str_eq(step("0"), "PIN?");
	ck_assert_str_eq(step("1234"), "Send drink for ${c}?\n1. Yes\n2. No");
	/* an unset variable is empty, "$" alone is literal */
	step("00");
	ck_assert_str_eq(step("5"), "Bye $5 .");
}
END_TEST

START_TEST(values_translated)
{
	session_set_lang(s, "ur");
	STEPS(NULL, "2", "3");
	ck_assert_str_eq(s->screen, "age");
	step("00");
	session_set(s, "category", "food");
	ck_assert_str_eq(step("3"), "کھانا");
	ck_assert_str_eq(session_get(s, "category"), "food");
}
END_TEST

START_TEST(error_text_substituted)
{
	STEPS(NULL, "1", "1");
	session_set(s, "category", "${category}");
	ck_assert_str_eq(step("x"), "2-5 letters, ${category}.\nName?");
}
END_TEST

START_TEST(stale_session)
{
	STEPS(NULL, "1", "1");
	/* the menu changed under a stored session: start again, quietly */
	session_set_screen(s, "gone");
	ck_assert_str_eq(step("1"), "Language?\n1. English\n2. Urdu\n3. Xx");
	ck_assert_str_eq(s->screen, "lang");
	ck_assert_uint_eq(s->nhistory, 0);
	/* a route is never a current screen */
	session_set_screen(s, "router");
	session_push(s, "main");
	step("2");
	ck_assert_str_eq(s->screen, "lang");
	ck_assert_uint_eq(s->nhistory, 0);
	/* a history entry that no longer exists */
	step("1");
	session_push(s, "gone");
	step("0");
	ck_assert_str_eq(s->screen, "lang");
	ck_assert_uint_eq(s->nhistory, 0);
	/* a page beyond the screen's last */
	step("1");
	s->page = 7;
	ck_assert_str_eq(step("1"), "Name?");
	session_set_screen(s, "main");
	s->page = 7;
	ck_assert_str_eq(step("9"), "Bad choice.\nMain\n1. Food\n2. Age\n"
	    "3. Route\n4. Long\n5. Bye\n6. Note\n0 Back 00 Home");
	ck_assert_uint_eq(s->page, 0);
	/* A retry's page cannot be made on a screen or page not there. */
	s->page = 7;
	ck_assert_ptr_null(menu_page(m, s, &env));
	session_set_screen(s, "gone");
	s->page = 0;
	ck_assert_ptr_null(menu_page(m, s, &env));
}
END_TEST

START_TEST(restart_with_null_input)
{
	STEPS(NULL, "1", "1");
	ck_assert_str_eq(step(NULL), "Language?\n1. English\n2. Urdu\n3. Xx");
	ck_assert_str_eq(s->screen, "lang");
	ck_assert_uint_eq(s->nhistory, 0);
	ck_assert_uint_eq(s->page, 0);
}
END_TEST

START_TEST(end_screen_navigation)
{
	/* a multi-page end screen keeps the session; 00 leaves it */
	env.budget.gsm7_septets = 40;
	STEPS(NULL, "1", "98", "4");
	ck_assert_str_eq(s->screen, "long");
	ck_assert_str_eq(step("hello"),
	    "Bad choice.\none two three four\n98 More");
	ck_assert_int_eq(r.end, 0);
	step("00");
	ck_assert_str_eq(s->screen, "main");
}
END_TEST

/* The flagship menu. */

static void
asani_request(const char *lang_choice, const char *want_confirm,
    const char *want_district_field)
{
	step(NULL);
	step(lang_choice);
	ck_assert_str_eq(s->screen, "main");
	step("1");
	ck_assert_str_eq(s->screen, "category");
	step("2");
	ck_assert_str_eq(s->screen, "district");
	step("7");
	ck_assert_str_eq(s->screen, "cnic");
	step("98");
	ck_assert_str_eq(s->screen, "cnic");
	step("12345");
	ck_assert_str_eq(s->screen, "cnic");
	step("4321");
	ck_assert_str_eq(s->screen, "confirm");
	ck_assert_str_eq(r.text, want_confirm);
	step("1");
	ck_assert_str_eq(s->screen, "send");
	ck_assert_int_eq(r.effect.kind, EFFECT_SUBMIT);
	ck_assert_str_eq(r.effect.request, "help");
	ck_assert_uint_eq(r.effect.nfields, 3);
	ck_assert_str_eq(r.effect.fields[0].name, "category");
	ck_assert_str_eq(r.effect.fields[0].value, "clothing");
	ck_assert_str_eq(r.effect.fields[1].name, "district");
	ck_assert_str_eq(r.effect.fields[1].value, want_district_field);
	ck_assert_str_eq(r.effect.fields[2].name, "cnic4");
	ck_assert_str_eq(r.effect.fields[2].value, "4321");
	ck_assert_ptr_nonnull(strstr(r.text, "AB12CD"));
	ck_assert_ptr_null(session_get(s, "cnic4"));
	while (!r.end)
		step("98");
}

START_TEST(asani_request_en)
{
	asani_request("1", "Request clothing help in Peshawar? CNIC ending "
	    "4321\n1. Yes\n2. No", "peshawar");
	ck_assert_str_eq(s->lang, "en");
}
END_TEST

START_TEST(asani_request_ur_latn)
{
	asani_request("2", "Darkhwast: Kapray, Peshawar. CNIC ke aakhri 4: "
	    "4321. Bhej dein?\n1. Haan\n2. Nahin", "peshawar");
	ck_assert_str_eq(s->lang, "ur-Latn");
}
END_TEST

START_TEST(asani_request_ur)
{
	asani_request("3", "کپڑے، پشاور، CNIC 4321۔ بھیج دیں؟\n1. ہاں\n"
	    "2. نہیں", "peshawar");
	ck_assert_str_eq(s->lang, "ur");
}
END_TEST

/* The whole flagship request in Urdu typed with Urdu digits. */
START_TEST(asani_request_urdu_digits)
{
	STEPS(NULL, "۳", "۱", "۲", "۷");
	ck_assert_str_eq(s->screen, "cnic");
	ck_assert_str_eq(step("۱۲۳۴"), "کپڑے، پشاور، CNIC 1234۔ بھیج دیں؟\n"
	    "1. ہاں\n2. نہیں");
	step("۱");
	ck_assert_str_eq(s->screen, "send");
	ck_assert_int_eq(r.effect.kind, EFFECT_SUBMIT);
	ck_assert_str_eq(r.effect.fields[2].name, "cnic4");
	ck_assert_str_eq(r.effect.fields[2].value, "1234");
}
END_TEST

START_TEST(asani_district_pages_in_urdu)
{
	STEPS(NULL, "3", "1", "1");
	ck_assert_str_eq(s->screen, "district");
	ck_assert_ptr_nonnull(strstr(r.text, "\n98 مزید"));
	ck_assert_ptr_null(strstr(r.text, "12. "));
	while (strstr(r.text, "12. ") == NULL) {
		ck_assert_int_eq(r.end, 0);
		step("98");
	}
	ck_assert_uint_ge(s->page, 1);
	ck_assert_ptr_nonnull(strstr(r.text, "0 واپس 00 شروع"));
	/* an option from another page still counts */
	step("1");
	ck_assert_str_eq(s->screen, "cnic");
	ck_assert_str_eq(session_get(s, "district"), "lahore");
}
END_TEST

START_TEST(asani_other_district)
{
	STEPS(NULL, "3", "1", "1", "12");
	ck_assert_str_eq(s->screen, "district_other");
	step("ک");
	ck_assert_str_eq(s->screen, "district_other");
	ck_assert_str_eq(r.text, "براہ کرم 2 سے 40 حروف لکھیں۔\n"
	    "اپنے ضلع کا نام لکھیں:");
	step("ڈیرہ غازی خان");
	ck_assert_str_eq(s->screen, "cnic");
	step("0000");
	ck_assert_str_eq(r.text, "کھانا، ڈیرہ غازی خان، CNIC 0000۔ بھیج دیں؟\n"
	    "1. ہاں\n2. نہیں");
	step("2");
	ck_assert_str_eq(s->screen, "main");
	ck_assert_int_eq(r.effect.kind, EFFECT_NONE);
}
END_TEST

START_TEST(asani_info_pages)
{
	static const char *const langs[] = { "1", "2", "3" };
	unsigned	 pages;
	size_t		 i;

	for (i = 0; i < 3; i++) {
		STEPS(NULL, langs[i], "3");
		ck_assert_str_eq(s->screen, "training");
		for (pages = 1; !r.end; pages++)
			step("98");
		ck_assert_uint_ge(pages, 3);
		ck_assert_str_eq(s->screen, "training");
		STEPS(NULL, langs[i], "4");
		ck_assert_str_eq(s->screen, "about");
		while (!r.end)
			step("98");
	}
}
END_TEST

/*
 * Long deterministic pseudo-random walks: every reply fits its page (step()
 * checks), nothing crashes or leaks, an ended session starts again.
 */
static uint32_t
lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

static void
walk(const struct page_budget *b, uint32_t seed, int nsteps)
{
	static const char *const inputs[] = { "0", "00", "98", "1", "2", "3",
	    "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "", "abc",
	    "1234", "0000", "12345", "لاہور", "${category}", "Multan",
	    "ڈیرہ غازی خان کے قریب ایک بہت لمبا نام جو چالیس حروف سے زیادہ ہے",
	    "\xc3\x28", "99999999999999999999", "1", "1", "2", "98", "98" };
	const size_t	 ninputs = sizeof inputs / sizeof inputs[0];
	static const char *const tags[] = { "en", "ur-Latn", "ur" };
	int		 i, submits = 0, ends = 0;
	uint32_t	 x = seed;
	char		 ref[16];

	env.budget = *b;
	for (i = 0; i < nsteps; i++) {
		snprintf(ref, sizeof ref, "R%d", i);
		env.ref = ref;
		if (s->screen == NULL || (r.text != NULL && r.end)) {
			session_free(s);
			s = session_new();
			if (lcg(&x) % 2)
				session_set_lang(s, tags[lcg(&x) % 3]);
			step(NULL);
			continue;
		}
		step(inputs[lcg(&x) % ninputs]);
		ck_assert_ptr_nonnull(menu_screen(m, s->screen));
		if (r.effect.kind == EFFECT_SUBMIT) {
			submits++;
			ck_assert_uint_eq(r.effect.nfields, 3);
			ck_assert_str_eq(r.effect.ref, ref);
			ck_assert_ptr_null(session_get(s, "cnic4"));
		}
		ends += r.end;
	}
	ck_assert_int_gt(ends, 0);
	ck_assert_int_gt(submits, 0);
}

START_TEST(asani_walk_ussd)
{
	walk(&ussd, 1, 20000);
	walk(&ussd, 42, 20000);
}
END_TEST

START_TEST(asani_walk_sms)
{
	static const struct page_budget sms = { 160, 70 };

	walk(&sms, 7, 20000);
}
END_TEST

START_TEST(asani_walk_tiny)
{
	static const struct page_budget tiny = { 40, 20 };

	walk(&tiny, 99, 20000);
}
END_TEST

/*
 * No silent refusal, no page of navigation alone, on the shipped menus.
 */

/* 1 if text starts with prefix and a newline. */
static int
starts_with_line(const char *text, const char *prefix)
{
	size_t	 n = strlen(prefix);

	return strncmp(text, prefix, n) == 0 && text[n] == '\n';
}

/*
 * Walks the current screen from its first page to its last with 98 (0
 * first pages back to the first) and checks every page: none is the
 * navigation alone, with or without the error above it.  Every option
 * line is on some page.  Returns the number of pages.
 */
static size_t
walk_screen(const char *tag)
{
	const struct menu_screen	*scr = menu_screen(m, s->screen);
	const char	*more = menu_message(m, "more", tag);
	const char	*nav = menu_message(m, "nav", tag);
	const char	*bad = menu_message(m, "invalid", tag);
	char		 seen[4096] = "", opt[32];
	size_t		 pages = 1, i;

	while (s->page > 0)
		step("0");
	for (;;) {
		ck_assert_msg(strcmp(r.text, nav) != 0 &&
		    !(starts_with_line(r.text, bad) &&
		    strcmp(r.text + strlen(bad) + 1, nav) == 0),
		    "screen %s (%s): a page of navigation alone", scr->id, tag);
		ck_assert_uint_lt(strlen(seen) + strlen(r.text) + 2,
		    sizeof seen);
		strcat(seen, "\n");
		strcat(seen, r.text);
		if (strlen(r.text) <= strlen(more) || strcmp(r.text +
		    strlen(r.text) - strlen(more), more) != 0)
			break;
		step("98");
		pages++;
		ck_assert_uint_lt(pages, 20);
	}
	for (i = 0; scr->kind == SCREEN_MENU && i < scr->noptions; i++) {
		snprintf(opt, sizeof opt, "\n%zu. ", i + 1);
		ck_assert_msg(strstr(seen, opt) != NULL, "screen %s (%s): "
		    "option %zu on no page", scr->id, tag, i + 1);
	}
	return pages;
}

/* The menu screens of the shipped menus. */
static const char *const asani_menus[] = { "language", "main", "category",
    "district", NULL };
static const char *const complaints_menus[] = { "language", "main",
    "department", "district", NULL };

/*
 * Every screen of ids, in language tag, on each of its pages: an unknown
 * choice brings the invalid message at the head of the reply, within the
 * budget (step() checks), and every option is still on some page of the
 * screen.  Returns how many refusals found no room above the caller's
 * page.
 */
static int
refusals_heard(const char *const *ids, const char *tag)
{
	const char	*bad = menu_message(m, "invalid", tag);
	size_t		 i, k, want;
	int		 full = 0;

	for (i = 0; ids[i] != NULL; i++) {
		ck_assert_int_eq(menu_screen(m, ids[i])->kind, SCREEN_MENU);
		for (k = 0;; k++) {
			session_free(s);
			s = session_new();
			session_set_lang(s, tag);
			session_set_screen(s, ids[i]);
			for (want = 0; want < k; want++)
				step("98");
			if (s->page != k)
				break;		/* no page k */
			step("99");
			ck_assert_msg(starts_with_line(r.text, bad),
			    "screen %s (%s) page %zu: silent refusal: \"%s\"",
			    ids[i], tag, k, r.text);
			ck_assert_str_eq(s->screen, ids[i]);
			full += session_get(s, "@refused") != NULL;
			walk_screen(tag);
			/* the options still answer after a refusal */
			step("1");
			ck_assert_str_ne(s->screen, ids[i]);
		}
	}
	return full;
}

START_TEST(refusal_heard_asani)
{
	/* Urdu screens fill their pages: some refusals start the screen
	 * again under the error. */
	ck_assert_int_gt(refusals_heard(asani_menus, "ur"), 0);
	ck_assert_int_gt(refusals_heard(asani_menus, "ur-Latn"), 0);
	refusals_heard(asani_menus, "en");
}
END_TEST

START_TEST(refusal_heard_complaints)
{
	ck_assert_int_gt(refusals_heard(complaints_menus, "en"), 0);
	refusals_heard(complaints_menus, "ur-Latn");
	refusals_heard(complaints_menus, "ur");
}
END_TEST

START_TEST(refusal_urdu_main_and_categories)
{
	STEPS(NULL, "3");
	ck_assert_str_eq(s->screen, "main");
	ck_assert_str_eq(step("9"), "غلط انتخاب۔\nخوش آمدید\n1. مدد مانگیں\n"
	    "2. درخواست کا حال\n98 مزید");
	ck_assert_str_eq(step("98"), "3. تربیت اور روزگار\n"
	    "4. آسانی کے بارے میں\n5. عوامی رجسٹر\n0 واپس 00 شروع");
	step("1");
	ck_assert_str_eq(s->screen, "category");
	ck_assert_str_eq(step("۹"), "غلط انتخاب۔\nکیا مدد چاہیے؟\n1. کھانا\n"
	    "2. کپڑے\n3. صحت اور علاج\n4. تعلیم\n98 مزید");
	/* on the last page the error fits above it */
	step("98");
	ck_assert_str_eq(step("98"), "غلط انتخاب۔\n5. ہنر کی تربیت\n"
	    "6. ملازمت دلوانا\n0 واپس 00 شروع");
	step("6");
	ck_assert_str_eq(session_get(s, "category"), "jobs");
}
END_TEST

START_TEST(refusal_ur_latn_district)
{
	STEPS(NULL, "2", "1", "1");
	ck_assert_str_eq(s->screen, "district");
	ck_assert_str_eq(step("13"), "Ghalat intikhab.\nApna zila chunein:\n"
	    "1. Lahore\n2. Karachi\n3. Islamabad\n4. Rawalpindi\n"
	    "5. Faisalabad\n6. Multan\n7. Peshawar\n8. Quetta\n9. Hyderabad\n"
	    "10. Gujranwala\n11. Sialkot\n98 Aur");
	ck_assert_str_eq(step("98"), "12. Koi aur zila\n0 Wapas 00 Shuru");
}
END_TEST

START_TEST(district_pages_not_nav_alone)
{
	STEPS(NULL, "1", "1", "1");
	ck_assert_str_eq(s->screen, "district");
	ck_assert_ptr_nonnull(strstr(r.text, "\n11. Sialkot\n98 More"));
	ck_assert_str_eq(step("98"), "12. Other district\n0 Back 00 Home");
	STEPS(NULL, "2", "1", "1", "98");
	ck_assert_str_eq(r.text, "12. Koi aur zila\n0 Wapas 00 Shuru");
	STEPS(NULL, "3", "1", "1");
	ck_assert_uint_eq(walk_screen("ur"), 3);
}
END_TEST

START_TEST(complaints_district_refusal_en)
{
	STEPS(NULL, "1", "1", "1");
	ck_assert_str_eq(s->screen, "district");
	/* one full page: 182 septets */
	ck_assert_uint_eq(strlen(r.text), 182);
	ck_assert_str_eq(step("99"), "Invalid choice.\nYour district:\n"
	    "1. Lahore\n2. Karachi\n3. Islamabad\n4. Rawalpindi\n"
	    "5. Faisalabad\n6. Multan\n7. Peshawar\n8. Quetta\n9. Hyderabad\n"
	    "10. Gujranwala\n11. Sialkot\n98 More");
	ck_assert_int_eq(r.refused, 1);
	ck_assert_uint_eq(s->page, 0);
	ck_assert_str_eq(step("98"), "12. Other district\n0 Back 00 Home");
	ck_assert_int_eq(r.refused, 0);
	/* 98 past the last page is refused too, and heard */
	ck_assert_str_eq(step("98"), "Invalid choice.\n12. Other district\n"
	    "0 Back 00 Home");
	ck_assert_str_eq(step("0"), "Invalid choice.\nYour district:\n"
	    "1. Lahore\n2. Karachi\n3. Islamabad\n4. Rawalpindi\n"
	    "5. Faisalabad\n6. Multan\n7. Peshawar\n8. Quetta\n9. Hyderabad\n"
	    "10. Gujranwala\n11. Sialkot\n98 More");
	/* leaving the screen drops the error; coming back shows one page */
	step("0");
	ck_assert_str_eq(s->screen, "department");
	step("1");
	ck_assert_uint_eq(strlen(r.text), 182);
	ck_assert_ptr_null(session_get(s, "@refused"));
	step("12");
	ck_assert_str_eq(s->screen, "district_other");
}
END_TEST

/* The receipt breaks after a sentence in every language. */
START_TEST(complaints_receipt_sentences)
{
	STEPS(NULL, "3", "1", "1", "1", "پٹواری رشوت مانگتا ہے", "1");
	ck_assert_str_eq(s->screen, "send");
	ck_assert_str_eq(r.text, "آپ کی شکایت درج ہو گئی۔ حوالہ نمبر AB12CD "
	    "ہے۔\n98 مزید");
	ck_assert_int_eq(r.end, 0);
	ck_assert_str_eq(step("98"), "صورتحال جاننے کے لیے *787# ڈائل کر کے 2 "
	    "چنیں۔ حوالہ نمبر سنبھال کر رکھیں۔");
	ck_assert_int_eq(r.end, 1);

	env.budget = (struct page_budget){ 100, 44 };
	session_free(s);
	s = session_new();
	STEPS(NULL, "2", "1", "1", "1", "Patwari rishwat mangta hai", "1");
	ck_assert_str_eq(r.text, "Aap ki shikayat darj ho gayi hai. Aap ka "
	    "reference AB12CD hai.\n98 Aur");
	session_free(s);
	s = session_new();
	STEPS(NULL, "1", "1", "1", "1", "Patwari asks for a bribe", "1");
	ck_assert_str_eq(r.text, "Your complaint is registered. Your "
	    "reference is AB12CD.\n98 More");
}
END_TEST

START_TEST(lookup_answer_hidden_names_ignored)
{
	static const char *const names[] = { "@refused", "@lookup" };
	static const char *const values[] = { "1", "asked" };

	STEPS(NULL, "ab12cd");
	ck_assert_str_eq(s->screen, "status");
	menu_answer(m, s, 1, names, values, 2, &env, &r);
	ck_assert_ptr_null(session_get(s, "@refused"));
	ck_assert_str_eq(session_get(s, "@lookup"), "found");
}
END_TEST

/* Lookups: the fallback until an answer, then the answer's text. */

static const char *const answer_names[] = { "status", "note", "ref" };
static const char *const answer_values[] = { "open", ("Officer visits "
    "on Monday."), "IGNORED" };

static void
answer(int found)
{
	menu_answer(m, s, found, answer_names, answer_values, 3, &env, &r);
	ck_assert_msg(text_fits(r.text, strlen(r.text), &env.budget),
	    "reply does not fit: \"%s\"", r.text);
	page_again();
}

START_TEST(lookup_effect_and_fallback)
{
	ck_assert_str_eq(step(NULL), "Reference?");
	/* upper: typed in lower case, stored and sent in upper case */
	ck_assert_str_eq(step("ab12cd"), "Try later.");
	ck_assert_int_eq(r.end, 1);
	ck_assert_str_eq(s->screen, "status");
	ck_assert_str_eq(session_get(s, "ref"), "AB12CD");
	ck_assert_int_eq(r.effect.kind, EFFECT_LOOKUP);
	ck_assert_str_eq(r.effect.request, "case_status");
	ck_assert_uint_eq(r.effect.nfields, 2);
	ck_assert_str_eq(r.effect.fields[0].name, "ref");
	ck_assert_str_eq(r.effect.fields[0].value, "AB12CD");
	ck_assert_str_eq(r.effect.fields[1].name, "unset");
	ck_assert_str_eq(r.effect.fields[1].value, "");
	/* the pattern still applies after upper-casing */
	step_result_clear(&r);
	session_free(s);
	s = session_new();
	step(NULL);
	ck_assert_str_eq(step("ab12c"), "Six letters or digits.\nReference?");
	ck_assert_int_eq(r.effect.kind, EFFECT_NONE);
}
END_TEST

START_TEST(lookup_found)
{
	STEPS(NULL, "ab12cd");
	answer(1);
	/* answer fields are variables, values translated */
	ck_assert_str_eq(r.text, "Case IGNORED: open. Officer visits on "
	    "Monday.");
	ck_assert_int_eq(r.end, 1);
	ck_assert_int_eq(r.effect.kind, EFFECT_LOOKUP);
	ck_assert_str_eq(session_get(s, "status"), "open");
	ck_assert_str_eq(step("98"), "Invalid choice.\nCase IGNORED: open. "
	    "Officer visits on Monday.");
}
END_TEST

START_TEST(lookup_found_in_urdu)
{
	session_set_lang(s, "ur");
	STEPS(NULL, "ab12cd");
	ck_assert_str_eq(r.text, "بعد میں");
	answer(1);
	ck_assert_str_eq(r.text, "IGNORED: زیر غور");
}
END_TEST

START_TEST(lookup_not_found)
{
	STEPS(NULL, "zz99zz");
	answer(0);
	ck_assert_str_eq(r.text, "No case ZZ99ZZ.");
	ck_assert_int_eq(r.end, 1);
	/* nothing of a "not found" answer is taken */
	ck_assert_ptr_null(session_get(s, "status"));
}
END_TEST

START_TEST(lookup_not_found_uses_text)
{
	STEPS(NULL, "ab12cd");
	session_set_screen(s, "back");
	step_result_clear(&r);
	ck_assert_str_eq(step("1"), "Later.");
	ck_assert_int_eq(r.effect.kind, EFFECT_LOOKUP);
	ck_assert_uint_eq(r.effect.nfields, 0);
	answer(0);
	ck_assert_str_eq(r.text, "Plain AB12CD.");
}
END_TEST

START_TEST(lookup_answer_pages)
{
	static const char *const n[] = { "status", "note" };
	const char	*v[2] = { "open", NULL };
	char		 note[400];
	size_t		 i;

	for (i = 0; i + 6 < sizeof note; i += 6)
		memcpy(note + i, "words ", 6);
	note[i] = '\0';
	v[1] = note;
	STEPS(NULL, "ab12cd");
	menu_answer(m, s, 1, n, v, 2, &env, &r);
	ck_assert_int_eq(r.end, 0);
	ck_assert_ptr_nonnull(strstr(r.text, "98 More"));
	/* the next page comes from the answer kept in the session */
	while (!r.end)
		ck_assert_ptr_nonnull(strstr(step("98"), "words"));
	ck_assert_int_eq(r.effect.kind, EFFECT_NONE);
}
END_TEST

START_TEST(lookup_answer_elsewhere_ignored)
{
	step(NULL);
	menu_answer(m, s, 1, answer_names, answer_values, 3, &env, &r);
	ck_assert_str_eq(r.text, "Reference?");
	ck_assert_ptr_null(session_get(s, "status"));
}
END_TEST

START_TEST(lookup_again_after_back)
{
	STEPS(NULL, "ab12cd");
	answer(1);
	ck_assert_str_eq(step("0"), "Reference?");
	ck_assert_str_eq(step("cd34ef"), "Try later.");
	ck_assert_int_eq(r.effect.kind, EFFECT_LOOKUP);
	ck_assert_str_eq(r.effect.fields[0].value, "CD34EF");
}
END_TEST

static Suite *
step_suite(void)
{
	Suite	*su = suite_create("step");
	TCase	*tc;

	tc = tcase_create("kinds");
	tcase_add_checked_fixture(tc, setup_step, teardown);
	UNIT_ADD(tc, start_screen, option_sets_and_goes, lang_switch_urdu,
	    lang_without_builtins, unknown_session_lang, invalid_choices,
	    input_length, input_pattern, digits_urdu_choice_and_keys,
	    digits_urdu_input_and_confirm, digits_free_text_as_typed,
	    input_range, input_default_error,
	    confirm_yes_no_invalid, submit_effect, submit_null_ref,
	    submit_lazy_ref, route_case,
	    route_chain_and_default, end_screen, back_and_home, more_pages,
	    more_pages_urdu, more_single_page, invalid_prefix_kept_within_page,
	    substitution, values_translated, error_text_substituted,
	    stale_session, restart_with_null_input, end_screen_navigation);
	suite_add_tcase(su, tc);

	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, setup_lookup, teardown);
	UNIT_ADD(tc,
	    lookup_effect_and_fallback, lookup_found, lookup_found_in_urdu,
	    lookup_not_found, lookup_not_found_uses_text, lookup_answer_pages,
	    lookup_answer_elsewhere_ignored, lookup_again_after_back,
	    lookup_answer_hidden_names_ignored);
	suite_add_tcase(su, tc);

	tc = tcase_create("asani");
	tcase_add_checked_fixture(tc, setup_asani, teardown);
	tcase_set_timeout(tc, 120);
	UNIT_ADD(tc, asani_request_en, asani_request_ur_latn, asani_request_ur,
	    asani_request_urdu_digits,
	    asani_district_pages_in_urdu, asani_other_district,
	    asani_info_pages, asani_walk_ussd, asani_walk_sms, asani_walk_tiny,
	    refusal_heard_asani, refusal_urdu_main_and_categories,
	    refusal_ur_latn_district, district_pages_not_nav_alone);
	suite_add_tcase(su, tc);

	tc = tcase_create("complaints");
	tcase_add_checked_fixture(tc, setup_complaints, teardown);
	tcase_set_timeout(tc, 60);
	UNIT_ADD(tc, refusal_heard_complaints, complaints_district_refusal_en,
	    complaints_receipt_sentences);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return unit_run(step_suite());
}
