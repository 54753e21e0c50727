/*
 * Where subscribers give up: per service, screen, page and language, the
 * pages shown and the answers to them by result, the think time between
 * a page and the answer to it, and how sessions start and end.  The
 * engine marks a hop just before it steps the menu and tells the funnel
 * once the hop has answered; everything counted lands in metrics.h.
 *
 * Abandonment is not counted as an event: a session nobody answers just
 * stops, on whichever gateway showed its last page, and no gateway sees
 * its TTL run out.  Instead every page shown and every answer to it are
 * counted, on the gateway that served each, and the drop-off of a page
 * over a window is shown - answered, summed over all gateways in PromQL
 * (README.md, "Metrics").  It is exact once the window is longer than
 * session.ttl, and a session moving between gateways is counted once.
 */
#ifndef ASANIGW_FUNNEL_H
#define ASANIGW_FUNNEL_H

struct session;

#define FUNNEL_ID_MAX	64	/* bytes of a screen id kept */

/* The page a hop answers, as the session stood before the step. */
struct funnel_mark {
	int		 valid;		/* taken by funnel_mark() */
	int		 answering;	/* input to a page shown; else a
					 * session (re)starts */
	const char	*result;	/* "back", "home", "more"; NULL: the
					 * screen's own input */
	char		 screen[FUNNEL_ID_MAX];
	unsigned	 page;
	const char	*lang;		/* borrowed from the menu */
	long long	 shown_ms;	/* when the page went out */
};

/* Marks the page input (NULL: a dial) answers; s may be NULL (a new
 * session) and is only read.  lang must outlive the mark. */
void	funnel_mark(struct funnel_mark *, const struct session *s,
	    const char *input, const char *lang);

/* The hop marked (or not) has answered with outcome (engine's names; only
 * "next" and "end" showed a page of the menu): s is the session as
 * saved, lang its language now, service the configured code. */
void	funnel_hop(const struct funnel_mark *, const char *service,
	    const struct session *s, const char *lang, const char *outcome);

/* Makes the funnel's metrics, so a scrape lists them before traffic. */
void	funnel_start(void);

#endif
