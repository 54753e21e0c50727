/*
 * The funnel of funnel.h, counted into metrics.h.
 *
 * How an answer is told apart: the global keys ("0" back, "00" home,
 * "98" more) name themselves; any other input that leaves the session on
 * the same screen and page with no end is "invalid" (the menu showed the
 * page again with its error); anything else is "ok".  Think time is the
 * wall clock from when the session record says its last page went out
 * (session.last_ms, saved by whichever gateway showed it) to this hop's
 * arrival, so it holds across gateways as far as their clocks agree.
 */
#include <stdio.h>
#include <string.h>

#include "funnel.h"
#include "metrics.h"
#include "session.h"
#include "util.h"

/* Seconds a subscriber takes to answer: 1 s ... 3 min (a session's
 * TTL). */
static const double think_buckets[] = {
	1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180,
};

static const char *const page_labels[] = { "service", "screen", "page",
	"lang", NULL };
static const char *const answer_labels[] = { "service", "screen", "page",
	"lang", "result", NULL };
static const char *const screen_labels[] = { "service", "screen", NULL };
static const char *const service_labels[] = { "service", NULL };

static struct {
	struct metrics_family	*shown, *answers, *think;
	struct metrics_family	*started, *ended;
} f;

static void
families_up(void)
{
	if (f.shown != NULL)
		return;
	f.shown = metrics_family("asanigw_funnel_pages_shown_total",
	    "Pages of a screen shown that wait for an answer.",
	    METRICS_COUNTER, page_labels, NULL, 0);
	f.answers = metrics_family("asanigw_funnel_answers_total",
	    "Answers to a page shown, by result (ok, invalid, back, home, "
	    "more).", METRICS_COUNTER, answer_labels, NULL, 0);
	f.think = metrics_family("asanigw_funnel_think_seconds",
	    "From a page shown to the answer to it.", METRICS_HISTOGRAM,
	    screen_labels, think_buckets,
	    sizeof think_buckets / sizeof think_buckets[0]);
	f.started = metrics_family("asanigw_sessions_started_total",
	    "USSD sessions started.", METRICS_COUNTER, service_labels, NULL,
	    0);
	f.ended = metrics_family("asanigw_sessions_ended_total",
	    "USSD sessions ended by a screen that ends them, by that "
	    "screen.", METRICS_COUNTER, screen_labels, NULL, 0);
}

void
funnel_mark(struct funnel_mark *m, const struct session *s,
    const char *input, const char *lang)
{
	size_t	 n;

	memset(m, 0, sizeof *m);
	m->valid = 1;
	m->lang = lang;
	if (input == NULL || s == NULL || s->screen == NULL)
		return;
	m->answering = 1;
	n = strlen(s->screen);
	if (n >= sizeof m->screen)
		n = sizeof m->screen - 1;	/* names are shorter */
	memcpy(m->screen, s->screen, n);
	m->screen[n] = '\0';
	m->page = s->page;
	m->shown_ms = s->last_ms;
	if (strcmp(input, "0") == 0)
		m->result = "back";
	else if (strcmp(input, "00") == 0)
		m->result = "home";
	else if (strcmp(input, "98") == 0)
		m->result = "more";
}

void
funnel_hop(const struct funnel_mark *m, const char *service,
    const struct session *s, const char *lang, const char *outcome)
{
	const char	*result;
	char		 page[21];
	int		 end;

	if (!m->valid || s == NULL || outcome == NULL)
		return;
	if (strcmp(outcome, "end") != 0 && strcmp(outcome, "next") != 0)
		return;
	families_up();
	end = strcmp(outcome, "end") == 0;
	if (m->answering) {
		if ((result = m->result) == NULL)
			result = !end && s->screen != NULL &&
			    strcmp(s->screen, m->screen) == 0 &&
			    s->page == m->page ? "invalid" : "ok";
		dec_str(page, m->page);
		metrics_add(metrics_get(f.answers, (const char *[]){ service,
		    m->screen, page, m->lang, result }), 1);
		if (m->shown_ms > 0)
			metrics_observe(metrics_get(f.think,
			    (const char *[]){ service, m->screen }),
			    (double)(now_ms() - m->shown_ms) / 1000);
	} else
		metrics_add(metrics_get(f.started,
		    (const char *[]){ service }), 1);
	if (s->screen == NULL)
		return;
	if (end) {
		metrics_add(metrics_get(f.ended,
		    (const char *[]){ service, s->screen }), 1);
		return;
	}
	dec_str(page, s->page);
	metrics_add(metrics_get(f.shown, (const char *[]){ service, s->screen,
	    page, lang }), 1);
}

/* Made at start, so a scrape lists the funnel before any traffic. */
void
funnel_start(void)
{
	families_up();
}
