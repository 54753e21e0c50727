/*
 * Unit tests for metrics.c and funnel.c: a series is made once and found
 * again, histograms render cumulative buckets, label values are escaped,
 * a family stops at its bound, and the funnel tells answers apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "funnel.h"
#include "metrics.h"
#include "session.h"
#include "unit.h"

static char *
rendered(void)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 n;
	char		*s;

	metrics_render(b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static const char *const two[] = { "a", "b", NULL };

START_TEST(test_series_interned)
{
	struct metrics_family	*f = metrics_family("t_total", "T.",
	    METRICS_COUNTER, two, NULL, 0);
	struct metrics_series	*s1, *s2, *s3;
	char			*out;

	s1 = metrics_get(f, (const char *[]){ "x", "y" });
	s2 = metrics_get(f, (const char *[]){ "x", "y" });
	s3 = metrics_get(f, (const char *[]){ "xy", "" });
	ck_assert_ptr_eq(s1, s2);
	ck_assert_ptr_ne(s1, s3);
	/* Back and forth past the one remembered: each finds its own, a
	 * prefix or a NULL ("") no one else's. */
	ck_assert_ptr_eq(metrics_get(f, (const char *[]){ "x", "y" }), s1);
	ck_assert_ptr_eq(metrics_get(f, (const char *[]){ "xy", NULL }), s3);
	ck_assert_ptr_ne(metrics_get(f, (const char *[]){ "x", NULL }), s1);
	ck_assert_ptr_ne(metrics_get(f, (const char *[]){ "x", "yy" }), s1);
	ck_assert_ptr_eq(metrics_get(f, (const char *[]){ "x", "y" }), s1);
	metrics_add(s1, 2);
	metrics_add(s2, 1);
	ck_assert(metrics_value(s1) == 3);
	metrics_add(metrics_get(f, (const char *[]){ "q\"\\\n", NULL }), 1);
	out = rendered();
	ck_assert_ptr_nonnull(strstr(out, "# TYPE t_total counter\n"
	    "t_total{a=\"x\",b=\"y\"} 3\nt_total{a=\"xy\",b=\"\"} 0\n"
	    "t_total{a=\"x\",b=\"\"} 0\nt_total{a=\"x\",b=\"yy\"} 0\n"
	    "t_total{a=\"q\\\"\\\\\\n\",b=\"\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "process_open_fds "));
	free(out);
	metrics_free_all();
}
END_TEST

START_TEST(test_histogram)
{
	static const double	 b[] = { 0.5, 1 };
	struct metrics_family	*f = metrics_family("h_seconds", "H.",
	    METRICS_HISTOGRAM, (const char *const[]){ "k", NULL }, b, 2);
	struct metrics_series	*s = metrics_get(f, (const char *[]){ "v" });
	char			*out;

	metrics_observe(s, 0.25);
	metrics_observe(s, 0.5);	/* le is inclusive */
	metrics_observe(s, 0.75);
	metrics_observe(s, 9);
	out = rendered();
	ck_assert_ptr_nonnull(strstr(out,
	    "h_seconds_bucket{k=\"v\",le=\"0.5\"} 2\n"
	    "h_seconds_bucket{k=\"v\",le=\"1\"} 3\n"
	    "h_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n"
	    "h_seconds_sum{k=\"v\"} 10.5\n"
	    "h_seconds_count{k=\"v\"} 4\n"));
	free(out);
	metrics_free_all();
}
END_TEST

START_TEST(test_bounded)
{
	struct metrics_family	*f = metrics_family("b_total", "B.",
	    METRICS_COUNTER, (const char *const[]){ "n", NULL }, NULL, 0);
	char			 v[16];
	size_t			 made = 0;

	for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
		snprintf(v, sizeof v, "%d", i);
		made += metrics_get(f, (const char *[]){ v }) != NULL;
	}
	ck_assert_uint_eq(made, METRICS_SERIES_MAX);
	/* What exists is still found. */
	ck_assert_ptr_nonnull(metrics_get(f, (const char *[]){ "7" }));
	metrics_add(NULL, 1);
	metrics_free_all();
}
END_TEST

/* One answer on screen "s" page 0, leaving the session at screen/page. */
static void
answer(const char *input, const char *screen, unsigned page,
    const char *outcome)
{
	struct session		*s = session_new();
	struct funnel_mark	 m;

	session_set_screen(s, "s");
	s->last_ms = 1;
	funnel_mark(&m, s, input, "en");
	session_set_screen(s, screen);
	s->page = page;
	funnel_hop(&m, "*1#", s, "en", outcome);
	session_free(s);
}

START_TEST(test_funnel_results)
{
	char	*out;

	answer("7", "s", 0, "next");	/* the same page again */
	answer("1", "t", 0, "next");
	answer("98", "s", 1, "next");
	answer("0", "r", 0, "next");
	answer("00", "h", 0, "next");
	answer("1", "done", 0, "end");
	answer("1", "t", 0, "busy");	/* not a page of the menu */
	out = rendered();
	ck_assert_ptr_nonnull(strstr(out, "screen=\"s\",page=\"0\",lang=\"en\","
	    "result=\"invalid\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "screen=\"s\",page=\"0\",lang=\"en\","
	    "result=\"ok\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(out, "result=\"more\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "result=\"back\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "result=\"home\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "asanigw_sessions_ended_total{"
	    "service=\"*1#\",screen=\"done\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "asanigw_funnel_pages_shown_total{"
	    "service=\"*1#\",screen=\"t\",page=\"0\",lang=\"en\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "asanigw_funnel_think_seconds_count{"
	    "service=\"*1#\",screen=\"s\"} 6\n"));
	free(out);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("metrics");

	UNIT_ADD(tc, test_series_interned, test_histogram, test_bounded,
	    test_funnel_results);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
