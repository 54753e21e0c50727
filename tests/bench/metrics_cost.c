/*
 * What counting costs a hop: the CPU time of every metrics call one USSD
 * hop makes (the HTTP answer, one Redis command, the hop and its
 * duration, the funnel's mark and its page shown, answer and think
 * time), over a walk of six screens, once the series exist.  Compare it
 * with a hop's CPU time (process_cpu_seconds_total over asanigw_hops_total
 * under "make bench").
 *
 *	make build/metrics_cost && build/metrics_cost
 */
#include <stdio.h>
#include <time.h>

#include "funnel.h"
#include "metrics.h"
#include "session.h"

#define HOPS	2000000L

static double
cpu_s(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(void)
{
	static const char *const screens[] = { "language", "main",
		"help_category", "district", "cnic", "confirm" };
	struct session		*s = session_new();
	struct funnel_mark	 m;
	double			 t0, t1, t2;

	metrics_start();
	funnel_start();
	session_set_lang(s, "ur-Latn");
	t0 = cpu_s();
	for (long i = 0; i < HOPS; i++) {
		session_set_screen(s, screens[i % 6]);
		s->page = 0;
		s->last_ms = 1;
		funnel_mark(&m, s, "1", "ur-Latn");
		session_set_screen(s, screens[(i + 1) % 6]);
		metrics_http("/ussd", 200);
		metrics_redis(0.0004, NULL);
		metrics_hop("*786#", "aggregator", "next", 0.0021);
		funnel_hop(&m, "*786#", s, "ur-Latn", "next");
	}
	t1 = cpu_s();
	for (long i = 0; i < HOPS; i++) {	/* the walk alone */
		session_set_screen(s, screens[i % 6]);
		s->page = 0;
		s->last_ms = 1;
		session_set_screen(s, screens[(i + 1) % 6]);
	}
	t2 = cpu_s();
	printf("metrics per hop: %.0f ns of CPU\n",
	    ((t1 - t0) - (t2 - t1)) / HOPS * 1e9);
	session_free(s);
	metrics_free_all();
	return 0;
}
