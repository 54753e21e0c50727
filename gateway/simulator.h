/*
 * The phone simulator: a page for menu authors and operators to walk a
 * service as a subscriber would, in a browser, against the real engine.
 * Served with admin.simulator = true, behind the admin allowlist and
 * token (admin.h), at:
 *
 *	GET  /admin/simulator[?token=T]
 *	    the page (and its simulator.css, simulator.js); a valid token
 *	    in the query is set as a cookie and the browser sent back to
 *	    the page without it, so the token leaves the address bar
 *	GET  /admin/simulator/config
 *	    {"services": [...], "transports": [...], "sms": {...},
 *	     "keys": {...}}: what the page offers to dial and measure
 *	POST /admin/simulator/ussd  msisdn=&service=|session=&input=
 *	    [&transport=]: one hop through engine_hop(), as the
 *	    aggregator transport makes it; the page as the handset gets it,
 *	    its length against the transport's page budget and its coding
 *	POST /admin/simulator/sms  msisdn=&service=&text=
 *	    one text message through sms_handle(); the answer with its
 *	    SMS parts and coding
 *
 * The menus run in the gateway only: the page renders what these answer
 * and posts what is typed.  Its assets are compiled into the binary
 * (scripts/embed), so an installed daemon needs no file of its own.
 */
#ifndef ASANIGW_SIMULATOR_H
#define ASANIGW_SIMULATOR_H

#include <stddef.h>

#include "form.h"
#include "gsm.h"
#include "msisdn.h"

struct conf;
struct engine;
struct httpd;
struct simulator;
struct json_t;

/* A session the simulator opened: "sim-" and 16 hex digits. */
#define SIMULATOR_SESSION_SIZE	21

/* What POST /admin/simulator/ussd asks for, checked. */
struct simulator_ussd {
	struct form	 form;		/* owns the strings below */
	const char	*service;	/* a USSD string; NULL with session */
	const char	*session;	/* NULL: dial, opening a session */
	const char	*input;		/* "" on a dial */
	const char	*transport;	/* whose page budget; NULL: first */
	char		 msisdn[MSISDN_SIZE];
};

/* What POST /admin/simulator/sms asks for, checked. */
struct simulator_sms {
	struct form	 form;
	const char	*service;	/* the short code texted */
	const char	*text;		/* 1 to 1600 bytes of UTF-8 */
	char		 msisdn[MSISDN_SIZE];
};

/*
 * Read and check a request's body (len bytes sent with content_type,
 * NULL for none) with the strict form reader.  Pure, for fuzz targets.
 * 0 with out filled (cleared with the matching _clear), or -1 with a
 * one-line reason in why and out empty.
 */
int		 simulator_ussd_read(const char *body, size_t len,
		    const char *content_type, struct simulator_ussd *out,
		    char *why, size_t whylen);
void		 simulator_ussd_clear(struct simulator_ussd *);
int		 simulator_sms_read(const char *body, size_t len,
		    const char *content_type, struct simulator_sms *out,
		    char *why, size_t whylen);
void		 simulator_sms_clear(struct simulator_sms *);

/* "rtl" when the first letter of text is of the Arabic script (Urdu),
 * else "ltr": what a browser's dir="auto" would choose. */
const char	*simulator_dir(const char *text);

/*
 * The answers, built with jansson (new references).  A page: text, end,
 * its coding ("GSM-7" or "UCS-2"), its length in that coding's units
 * (septets or UTF-16 units), the budget of a page in that coding, and
 * dir.  An SMS answer: text, coding, length, parts, dir.
 */
struct json_t	*simulator_page_json(const char *session, const char *service,
		    const char *transport, const char *text, int end,
		    const struct page_budget *);
struct json_t	*simulator_sms_json(const char *text);
/* What GET /admin/simulator/config answers for conf. */
struct json_t	*simulator_config_json(const struct conf *);

/* Routes /admin/simulator... when conf's admin group has simulator =
 * true (else does nothing); NULL with err if a path is taken.  conf must
 * outlive the simulator (main.c routes again on reload). */
struct simulator *simulator_new(struct httpd *, const struct conf *,
		    struct engine *, char *err, size_t errlen);
void		 simulator_free(struct simulator *);

#endif
