/*
 * menu_diff(): each kind of change a reload can bring to callers who
 * know the service, on small menus written here, and the exit statuses
 * of -D through menu_diff_files().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errlist.h"
#include "gsm.h"
#include "menu.h"
#include "menu_diff.h"
#include "unit.h"

static const struct page_budget ussd = { 182, 80 };

/* The menu every test changes: two languages, a main menu of three
 * options, a screen behind each, an SMS command. */
#define HEAD	"name = \"Diff\";\nlanguages = [ \"en\", \"ur\" ];\n"
#define CMDS	"commands = { help = { keywords = { en = [ \"HELP\", " \
		"\"H\" ]; ur = [ \"مدد\" ]; }; action = \"help\"; reply = " \
		"{ en = \"HELP\"; ur = \"مدد\"; }; }; };\n"
#define MAIN(o)	"main = { kind = \"menu\"; text = { en = \"Welcome\"; " \
		"ur = \"خوش آمدید\"; }; options = ( " o " ); };\n"
#define OPT(en, next) "{ label = { en = \"" en "\"; ur = \"" en "\"; }; " \
		"goto = \"" next "\"; }"
#define END(id, en) id " = { kind = \"end\"; text = { en = \"" en "\"; " \
		"ur = \"" en "\"; }; };\n"
#define OPTS3	OPT("Donate", "donate") ", " OPT("Help", "help") ", " \
		OPT("About", "about")
#define ENDS3	END("donate", "Thanks") END("help", "Call us") \
		END("about", "Asani")
#define BASE	HEAD CMDS "screens = {\n" MAIN(OPTS3) ENDS3 "};\n"

static struct menu_diff	 d;

static struct menu *
load(const char *text)
{
	char		 path[] = "/tmp/test_menu_diff.XXXXXX";
	struct errlist	 errs = { 0 };
	struct menu	*m;
	FILE		*f;
	int		 fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	m = menu_load(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	errlist_free(&errs);
	unlink(path);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Diffs BASE against text; returns the status. */
static int
diff(const char *text)
{
	struct menu	*o, *n;
	int		 status;

	o = load(BASE);
	n = load(text);
	memset(&d, 0, sizeof d);
	status = menu_diff(o, n, &ussd, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "  %s\n", d.f[i].line);
	menu_free(o);
	menu_free(n);
	return status;
}

/* Asserts that exactly this line was found, with this kind. */
static void
has(enum diff_kind kind, const char *line)
{
	for (size_t i = 0; i < d.n; i++) {
		if (strcmp(d.f[i].line, line) == 0) {
			ck_assert_int_eq(d.f[i].kind, kind);
			ck_assert_int_eq(d.f[i].breaks,
			    strncmp(line, "break:", 6) == 0);
			return;
		}
	}
	ck_abort_msg("not found: %s", line);
}

static void
teardown(void)
{
	menu_diff_free(&d);
}

START_TEST(same_menu_nothing)
{
	ck_assert_int_eq(diff(BASE), DIFF_SAME);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(screen_removed)
{
	ck_assert_int_eq(diff(HEAD CMDS "screens = {\n" MAIN(OPT("Donate",
	    "donate") ", " OPT("Help", "help")) END("donate", "Thanks")
	    END("help", "Call us") "};\n"), DIFF_BREAKS);
	has(DIFF_OPTION_REMOVED, "break: screen 'main': option 3 \"About\" "
	    "removed");
	has(DIFF_SCREEN_REMOVED, "break: screen 'about' (end) removed");
	ck_assert_uint_eq(d.n, 2);
}
END_TEST

START_TEST(screen_renamed)
{
	ck_assert_int_eq(diff(HEAD CMDS "screens = {\n" MAIN(OPT("Donate",
	    "donate") ", " OPT("Help", "help") ", " OPT("About", "info"))
	    END("donate", "Thanks") END("help", "Call us")
	    END("info", "Asani") "};\n"), DIFF_NOTES);
	has(DIFF_SCREEN_RENAMED, "note: screen 'about' renamed to 'info'");
	ck_assert_uint_eq(d.n, 1);
}
END_TEST

START_TEST(renamed_needs_same_texts)
{
	ck_assert_int_eq(diff(HEAD CMDS "screens = {\n" MAIN(OPT("Donate",
	    "donate") ", " OPT("Help", "help") ", " OPT("About", "info"))
	    END("donate", "Thanks") END("help", "Call us")
	    END("info", "Asani Trust") "};\n"), DIFF_BREAKS);
	has(DIFF_SCREEN_REMOVED, "break: screen 'about' (end) removed");
}
END_TEST

START_TEST(option_moved)
{
	ck_assert_int_eq(diff(HEAD CMDS "screens = {\n" MAIN(OPT("Help",
	    "help") ", " OPT("Donate", "donate") ", " OPT("About", "about"))
	    ENDS3 "};\n"), DIFF_BREAKS);
	has(DIFF_OPTION_MOVED, "break: screen 'main': option 1 \"Donate\" "
	    "is now option 2");
	has(DIFF_OPTION_MOVED, "break: screen 'main': option 2 \"Help\" "
	    "is now option 1");
	ck_assert_uint_eq(d.n, 2);
}
END_TEST

START_TEST(option_added_at_end_is_nothing)
{
	ck_assert_int_eq(diff(HEAD CMDS "screens = {\n" MAIN(OPTS3 ", "
	    OPT("News", "about")) ENDS3 "};\n"), DIFF_SAME);
}
END_TEST

START_TEST(option_relabelled)
{
	ck_assert_int_eq(diff(HEAD CMDS "screens = {\n" MAIN(OPT("Give",
	    "donate") ", " OPT("Help", "help") ", " OPT("About", "about"))
	    ENDS3 "};\n"), DIFF_NOTES);
	has(DIFF_TEXT_CHANGED, "note: screen 'main' (en): option 1 label "
	    "changed");
	has(DIFF_TEXT_CHANGED, "note: screen 'main' (ur): option 1 label "
	    "changed");
	ck_assert_uint_eq(d.n, 2);
}
END_TEST

START_TEST(text_changed_one_language)
{
	ck_assert_int_eq(diff(HEAD CMDS "screens = {\n" MAIN(OPTS3)
	    END("donate", "Thanks") "help = { kind = \"end\"; text = { en = "
	    "\"Call us\"; ur = \"فون کریں\"; }; };\n" END("about", "Asani")
	    "};\n"), DIFF_NOTES);
	has(DIFF_TEXT_CHANGED, "note: screen 'help' (ur): text changed");
	ck_assert_uint_eq(d.n, 1);
}
END_TEST

START_TEST(page_grew)
{
	/* 287 characters of GSM-7: two pages of 182 septets; the Urdu
	 * text stays short. */
#define LONG8	"Thanks! Thanks! Thanks! Thanks! Thanks! Thanks! Thanks! "
#define LONG	LONG8 LONG8 LONG8 LONG8 LONG8 "Thanks!"
	ck_assert_int_eq(diff(HEAD CMDS "screens = {\n" MAIN(OPTS3)
	    "donate = { kind = \"end\"; text = { en = \"" LONG "\"; ur = "
	    "\"Thanks\"; }; };\n" END("help", "Call us") END("about", "Asani")
	    "};\n"), DIFF_NOTES);
	has(DIFF_TEXT_CHANGED, "note: screen 'donate' (en): text changed");
	has(DIFF_PAGE_GREW, "note: screen 'donate' (en): no longer fits one "
	    "page (2 pages)");
	ck_assert_uint_eq(d.n, 2);
}
END_TEST

START_TEST(keyword_removed)
{
	ck_assert_int_eq(diff(HEAD "commands = { help = { keywords = { en = "
	    "[ \"HELP\" ]; ur = [ \"مدد\" ]; }; action = \"help\"; reply = "
	    "{ en = \"HELP\"; ur = \"مدد\"; }; }; };\n"
	    "screens = {\n" MAIN(OPTS3) ENDS3 "};\n"), DIFF_BREAKS);
	has(DIFF_KEYWORD_REMOVED, "break: SMS keyword 'H' (en) of command "
	    "'help' removed");
	ck_assert_uint_eq(d.n, 1);
}
END_TEST

START_TEST(files_that_do_not_compile)
{
	FILE	*out = tmpfile(), *err = tmpfile();
	char	 buf[256] = "";

	ck_assert_int_eq(menu_diff_files("menus/asani.menu",
	    "tests/unit/menus/errors.menu", out, err), DIFF_ERRORS);
	rewind(err);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, err));
	ck_assert_ptr_nonnull(strstr(buf, "tests/unit/menus/errors.menu:"));
	ck_assert_int_eq(ftell(out), 0);
	ck_assert_int_eq(menu_diff_files("menus/asani.menu",
	    "menus/asani.menu", out, err), DIFF_SAME);
	ck_assert_int_eq(ftell(out), 0);
	fclose(out);
	fclose(err);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("menu_diff");
	TCase	*tc = tcase_create("menu_diff");

	tcase_add_checked_fixture(tc, NULL, teardown);
	UNIT_ADD(tc, same_menu_nothing, screen_removed, screen_renamed,
	    renamed_needs_same_texts, option_moved,
	    option_added_at_end_is_nothing, option_relabelled,
	    text_changed_one_language, page_grew, keyword_removed,
	    files_that_do_not_compile);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
