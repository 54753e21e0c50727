/*
 * The phone simulator of simulator.h.  Every path is checked as every
 * /admin/ path is (admin_request_allowed()), then served:
 *
 *	page, css, js   the embedded assets (scripts/embed), with a
 *	                Content-Security-Policy that allows this origin
 *	                only: nothing is fetched from elsewhere
 *	config          what the configuration serving now offers
 *	ussd            form -> hop_in -> engine_hop() -> the page as JSON
 *	sms             form -> sms_in -> sms_handle() -> the answer as JSON
 *
 * A browser cannot send a bearer header when it opens a page, so the
 * token may come once in the page's query; it is then kept in a cookie
 * (HttpOnly, SameSite=Strict, for /admin/simulator only) that the page's
 * own requests carry, and the browser is sent to the page without it.
 *
 * A hop is the aggregator transport's in "latest" mode: the session id
 * is the simulator's own ("sim-" and random hex), each input is sent
 * alone, and each request names its hop, so the same answer typed twice
 * is two hops, not a retry.  The menus, the sessions in Redis, the
 * outbox and the adapters are the real ones: a request submitted here is
 * a real request.  Nothing here keeps state between requests: a hop's
 * context holds copies and is freed when the engine answers.
 */
#define _DEFAULT_SOURCE
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "admin.h"
#include "conf.h"
#include "dial.h"
#include "engine.h"
#include "errlist.h"
#include "gsm.h"
#include "httpd.h"
#include "log.h"
#include "menu.h"
#include "simulator.h"
#include "simulator_assets.h"
#include "sms.h"
#include "util.h"
#include "xmalloc.h"

#define BASE_PATH	"/admin/simulator"
#define CONFIG_PATH	BASE_PATH "/config"
#define USSD_PATH	BASE_PATH "/ussd"
#define SMS_PATH	BASE_PATH "/sms"
#define COOKIE		"asanigw_admin"
#define SESSION_PREFIX	"sim-"
#define INPUT_MAX	182	/* bytes a subscriber may type */
#define SMS_TEXT_MAX	1600	/* bytes: ten parts and more */
#define TRANSPORT_MAX	64
#define DEFAULT_PAGE	182	/* septets, without a USSD transport */

/* The keys menu_step() gives a meaning to before a screen does. */
#define KEY_BACK	"0"
#define KEY_HOME	"00"
#define KEY_MORE	"98"

/* Nothing but this origin, and no inline script or style. */
#define CSP	"default-src 'none'; script-src 'self'; style-src 'self'; " \
		"connect-src 'self'; img-src 'self'; form-action 'self'; " \
		"base-uri 'none'; frame-ancestors 'none'"

struct simulator {
	struct httpd		*httpd;
	const struct conf	*conf;
	struct engine		*engine;
	size_t			 nroutes;	/* routed so far */
};

/* One hop or message on its way: copies only, freed on the answer. */
struct sim_call {
	struct evhttp_request	*req;
	struct page_budget	 budget;
	char			 session[SIMULATOR_SESSION_SIZE];
	char			*service;
	char			*transport;
};

/* ---- reading requests (pure) ---- */

static int
session_valid(const char *s)
{
	size_t	 n = strlen(SESSION_PREFIX);

	if (strlen(s) != SIMULATOR_SESSION_SIZE - 1 ||
	    strncmp(s, SESSION_PREFIX, n) != 0)
		return 0;
	for (s += n; *s != '\0'; s++)
		if (hex_digit(*s) == -1)
			return 0;
	return 1;
}

/* A USSD string a phone dials: "*786#", "*786*1*2#". */
static int
dial_valid(const char *s)
{
	char	 code[32], *inputs;

	if (dial_split(s, code, sizeof code, &inputs) == -1)
		return 0;
	free(inputs);
	return 1;
}

/* The form, and its msisdn normalised; -1 with why. */
static int
read_common(const char *body, size_t len, const char *ct, struct form *f,
    char *msisdn, char *why, size_t whylen)
{
	const char	*m;

	if (form_read(body, len, ct, f, why, whylen) == -1)
		return -1;
	if ((m = form_get(f, "msisdn")) == NULL)
		err_set(why, whylen, "msisdn is needed");
	else if (msisdn_normalize(m, msisdn, MSISDN_SIZE) == -1)
		err_set(why, whylen, "msisdn is not an MSISDN");
	else
		return 0;
	form_clear(f);
	return -1;
}

/* Why the text of a field cannot be taken, or NULL. */
static const char *
text_bad(const char *t, size_t max)
{
	if (strlen(t) > max)
		return "is too long";
	if (!utf8_valid(t, strlen(t)))
		return "is not valid UTF-8";
	return NULL;
}

/* How a reader ends: 0 when nothing is bad; else -1 with why ("field
 * bad", or bad alone when field is NULL) and out, whose form is form,
 * cleared. */
static int
read_end(void *out, size_t outsize, struct form *form, const char *field,
    const char *bad, char *why, size_t whylen)
{
	if (bad == NULL)
		return 0;
	err_set(why, whylen, "%s%s%s", field != NULL ? field : "",
	    field != NULL ? " " : "", bad);
	form_clear(form);
	memset(out, 0, outsize);
	return -1;
}

int
simulator_ussd_read(const char *body, size_t len, const char *ct,
    struct simulator_ussd *out, char *why, size_t whylen)
{
	const char	*bad = NULL, *field = NULL;

	memset(out, 0, sizeof *out);
	if (read_common(body, len, ct, &out->form, out->msisdn, why,
	    whylen) == -1)
		return -1;
	out->service = form_get(&out->form, "service");
	out->session = form_get(&out->form, "session");
	out->input = form_get(&out->form, "input");
	out->transport = form_get(&out->form, "transport");
	if (out->input == NULL)
		out->input = "";
	if (out->service == NULL && out->session == NULL)
		bad = "service (to dial) or session (to answer) is needed";
	else if (out->service != NULL && !dial_valid(out->service))
		bad = "service is not a USSD string such as *786#";
	else if (out->session != NULL && !session_valid(out->session))
		bad = "session is not one the simulator opened";
	else if (out->session == NULL && out->input[0] != '\0')
		bad = "a dial takes no input: dial *786*1# for a shortcut";
	else if ((bad = text_bad(out->input, INPUT_MAX)) != NULL)
		field = "input";
	else if (out->transport != NULL && (out->transport[0] == '\0' ||
	    strlen(out->transport) > TRANSPORT_MAX))
		bad = "transport is not a configured one";
	return read_end(out, sizeof *out, &out->form, field, bad, why,
	    whylen);
}

void
simulator_ussd_clear(struct simulator_ussd *u)
{
	form_clear(&u->form);
	memset(u, 0, sizeof *u);
}

int
simulator_sms_read(const char *body, size_t len, const char *ct,
    struct simulator_sms *out, char *why, size_t whylen)
{
	const char	*bad = NULL, *field = NULL;

	memset(out, 0, sizeof *out);
	if (read_common(body, len, ct, &out->form, out->msisdn, why,
	    whylen) == -1)
		return -1;
	out->service = form_get(&out->form, "service");
	out->text = form_get(&out->form, "text");
	if (out->service == NULL || out->text == NULL)
		bad = "service and text are needed";
	else if (!dial_valid(out->service))
		bad = "service is not a short code such as *786#";
	else if (out->text[0] == '\0')
		bad = "text is empty";
	else if ((bad = text_bad(out->text, SMS_TEXT_MAX)) != NULL)
		field = "text";
	return read_end(out, sizeof *out, &out->form, field, bad, why,
	    whylen);
}

void
simulator_sms_clear(struct simulator_sms *s)
{
	form_clear(&s->form);
	memset(s, 0, sizeof *s);
}

/* ---- building answers (pure) ---- */

const char *
simulator_dir(const char *text)
{
	size_t		 len = strlen(text), i = 0;
	uint32_t	 cp;
	int		 n;

	/* The first strong letter decides, as dir="auto" does. */
	while (i < len) {
		if ((n = utf8_decode(text + i, len - i, &cp)) == -1) {
			i++;
			continue;
		}
		/* Arabic, its supplement and presentation forms. */
		if ((cp >= 0x0620 && cp <= 0x064a) ||
		    (cp >= 0x066e && cp <= 0x06d5) ||
		    (cp >= 0x0750 && cp <= 0x077f) ||
		    (cp >= 0xfb50 && cp <= 0xfdff) ||
		    (cp >= 0xfe70 && cp <= 0xfefc))
			return "rtl";
		if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
		    (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7))
			return "ltr";
		i += (size_t)n;
	}
	return "ltr";
}

static const char *
coding_name(enum coding c)
{
	return c == CODING_GSM7 ? "GSM-7" : "UCS-2";
}

json_t *
simulator_page_json(const char *session, const char *service,
    const char *transport, const char *text, int end,
    const struct page_budget *b)
{
	struct text_size	 ts;
	int			 gsm7;

	text_measure(text, strlen(text), &ts);
	gsm7 = ts.coding == CODING_GSM7;
	return json_pack("{s:s,s:s?,s:s,s:s,s:b,s:s,s:I,s:I,s:b,s:s}",
	    "session", session, "service", service, "transport", transport,
	    "text", text, "end", end, "encoding", coding_name(ts.coding),
	    "length", (json_int_t)(gsm7 ? ts.septets : ts.ucs2_units),
	    "budget", (json_int_t)(gsm7 ? b->gsm7_septets : b->ucs2_units),
	    "fits", text_fits(text, strlen(text), b), "dir",
	    simulator_dir(text));
}

json_t *
simulator_sms_json(const char *text)
{
	struct text_size	 ts;
	enum coding		 c;
	size_t			 parts;

	parts = text_sms_parts(text, strlen(text), &c);
	text_measure(text, strlen(text), &ts);
	return json_pack("{s:s,s:s,s:I,s:I,s:s}", "text", text, "encoding",
	    coding_name(c), "length", (json_int_t)(c == CODING_GSM7 ?
	    ts.septets : ts.ucs2_units), "parts", (json_int_t)parts, "dir",
	    simulator_dir(text));
}

static json_t *
budget_json(const char *name, const char *kind,
    const struct page_budget *b)
{
	return json_pack("{s:s,s:s,s:I,s:I}", "name", name, "kind", kind,
	    "gsm7", (json_int_t)b->gsm7_septets, "ucs2",
	    (json_int_t)b->ucs2_units);
}

/* The page budget of the transport named name (NULL: the first USSD
 * one; none configured: a standard page); -1 if name is not one. */
static int
transport_budget(const struct conf *c, const char *name,
    struct page_budget *b, const char **found)
{
	char	 smsc[TRANSPORT_MAX + 8];

	for (size_t i = 0; i < c->naggregators; i++)
		if (name == NULL || strcmp(name, c->aggregators[i].path) == 0) {
			*b = c->aggregators[i].budget;
			*found = c->aggregators[i].path;
			return 0;
		}
	for (size_t i = 0; c->kannel != NULL && i < c->kannel->nsmscs; i++) {
		if (c->kannel->smscs[i].kind != SMSC_USSD)
			continue;
		snprintf(smsc, sizeof smsc, "smsc:%s", c->kannel->smscs[i].id);
		if (name == NULL || strcmp(name, smsc) == 0) {
			*b = c->kannel->smscs[i].budget;
			*found = "smsc";
			return 0;
		}
	}
	if (name != NULL)
		return -1;
	*b = (struct page_budget){ DEFAULT_PAGE,
	    page_budget_ucs2_for(DEFAULT_PAGE) };
	*found = "default";
	return 0;
}

json_t *
simulator_config_json(const struct conf *c)
{
	json_t			*services = json_array(), *ts = json_array();
	json_t			*langs;
	const struct menu	*m;
	const char		*lang;
	char			 smsc[TRANSPORT_MAX + 8];
	struct page_budget	 b;

	for (size_t i = 0; i < c->nservices; i++) {
		m = c->services[i].menu;
		langs = json_array();
		/* menu_lang() gives the default past the last index. */
		for (int l = 0; m != NULL; l++) {
			lang = menu_lang(m, l);
			if (menu_lang_index(m, lang) != l)
				break;
			json_array_append_new(langs, json_string(lang));
		}
		json_array_append_new(services, json_pack("{s:s,s:s,s:o,s:s}",
		    "code", c->services[i].code, "name", m != NULL ?
		    menu_name(m) : "", "languages", langs,
		    "default_language", m != NULL ? menu_default_lang(m) :
		    c->default_language));
	}
	for (size_t i = 0; i < c->naggregators; i++)
		json_array_append_new(ts, budget_json(c->aggregators[i].path,
		    "aggregator", &c->aggregators[i].budget));
	for (size_t i = 0; c->kannel != NULL && i < c->kannel->nsmscs; i++) {
		if (c->kannel->smscs[i].kind != SMSC_USSD)
			continue;
		snprintf(smsc, sizeof smsc, "smsc:%s", c->kannel->smscs[i].id);
		json_array_append_new(ts, budget_json(smsc, "kannel",
		    &c->kannel->smscs[i].budget));
	}
	if (json_array_size(ts) == 0) {
		transport_budget(c, NULL, &b, &(const char *){ NULL });
		json_array_append_new(ts, budget_json("default", "default",
		    &b));
	}
	return json_pack("{s:o,s:o,s:{s:i,s:i,s:i,s:i},s:{s:s,s:s,s:s},"
	    "s:s}", "services", services, "transports", ts, "sms",
	    "gsm7", SMS_GSM7_SINGLE, "gsm7_part", SMS_GSM7_PART, "ucs2",
	    SMS_UCS2_SINGLE, "ucs2_part", SMS_UCS2_PART, "keys", "back",
	    KEY_BACK, "home", KEY_HOME, "more", KEY_MORE,
	    "default_language", c->default_language);
}

/* ---- serving ---- */

/* Headers of every answer: this origin only, nothing cached. */
static void
secure_headers(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
}

/* The token the page's cookie carries, decoded; NULL for none. */
static char *
cookie_token(struct evhttp_request *req)
{
	const char	*h, *p, *end;
	size_t		 n = strlen(COOKIE "=");
	char		*raw, *tok;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Cookie");
	for (p = h; p != NULL && *p != '\0'; p = end) {
		p += strspn(p, " ;");
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > n && strncmp(p, COOKIE "=", n) == 0) {
			raw = xstrndup(p + n, (size_t)(end - p) - n);
			tok = evhttp_uridecode(raw, 0, NULL);
			free(raw);
			return tok;
		}
	}
	return NULL;
}

/* Allowed by the bearer header or the cookie; else answered. */
static int
sim_allowed(struct simulator *sim, struct evhttp_request *req)
{
	char	*tok = cookie_token(req);
	int	 ok;

	secure_headers(req);
	ok = admin_request_allowed(sim->conf->admin, req, tok);
	free(tok);
	return ok;
}

static void
send_asset(struct evhttp_request *req, const struct simulator_asset *a)
{
	struct evbuffer	*buf = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", a->type);
	evbuffer_add_reference(buf, a->data, a->len, NULL, NULL);
	httpd_send(req, 200, "OK", buf);
	evbuffer_free(buf);
}

/* A token in the page's query becomes the cookie; 1 if it was one. */
static int
token_to_cookie(struct simulator *sim, struct evhttp_request *req)
{
	const char	*query;
	struct form	 q;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char		 why[128], *enc, *cookie;

	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (query == NULL)
		return 0;
	if (form_parse(query, strlen(query), &q, why, sizeof why) == -1) {
		secure_headers(req);
		httpd_reply_error(req, 400, "Bad Request", why);
		return 1;
	}
	if (form_get(&q, "token") == NULL) {
		form_clear(&q);
		return 0;
	}
	secure_headers(req);
	if (admin_request_allowed(sim->conf->admin, req, form_get(&q,
	    "token"))) {
		enc = evhttp_encode_uri(form_get(&q, "token"));
		xasprintf(&cookie, COOKIE "=%s; Path=" BASE_PATH "; HttpOnly; "
		    "SameSite=Strict", enc);
		evhttp_add_header(h, "Set-Cookie", cookie);
		evhttp_add_header(h, "Location", BASE_PATH);
		httpd_reply_text(req, 303, "See Other", "see " BASE_PATH);
		free(cookie);
		free(enc);
	}
	form_clear(&q);
	return 1;
}

static void
handle_asset(struct evhttp_request *req, void *arg)
{
	struct simulator		*sim = arg;
	const char			*path, *name;

	if (!httpd_method_is(req, EVHTTP_REQ_GET, "GET"))
		return;
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (strcmp(path, BASE_PATH) == 0) {
		if (token_to_cookie(sim, req))
			return;
		name = "index.html";
	} else
		name = path + strlen(BASE_PATH "/");
	if (!sim_allowed(sim, req))
		return;
	for (const struct simulator_asset *a = simulator_assets;
	    a->name != NULL; a++)
		if (strcmp(a->name, name) == 0) {
			send_asset(req, a);
			return;
		}
	httpd_reply_error(req, 404, "Not Found", "no such file");
}

static void
handle_config(struct evhttp_request *req, void *arg)
{
	struct simulator	*sim = arg;

	if (!httpd_method_is(req, EVHTTP_REQ_GET, "GET") ||
	    !sim_allowed(sim, req))
		return;
	httpd_reply_json(req, 200, "OK", simulator_config_json(sim->conf));
}

/* The POST body of req, or NULL after answering 405, 403/401 or 400. */
static const char *
sim_body(struct simulator *sim, struct evhttp_request *req, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);

	if (!httpd_method_is(req, EVHTTP_REQ_POST, "POST") ||
	    !sim_allowed(sim, req))
		return NULL;
	if ((*len = evbuffer_get_length(in)) > sim->conf->max_body) {
		httpd_reply_error(req, 400, "Bad Request",
		    "request body too large");
		return NULL;
	}
	return *len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
}

static const char *
content_type(struct evhttp_request *req)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
}

static void
sim_call_free(struct sim_call *call)
{
	free(call->service);
	free(call->transport);
	free(call);
}

static void
hop_replied(const char *text, int end, void *arg)
{
	struct sim_call	*call = arg;

	httpd_reply_json(call->req, 200, "OK", simulator_page_json(
	    call->session, call->service, call->transport, text, end,
	    &call->budget));
	sim_call_free(call);
}

/* 16 random hex digits into out (NUL-terminated; cut to outlen). */
static void
random_hex(char *out, size_t outlen)
{
	unsigned char	 rnd[8];

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		fatalx("simulator: RAND_bytes failed");
	hex_encode(rnd, sizeof rnd, out, outlen);
}

/* The hop u asks for, as the engine takes it; call is filled.  -1 with
 * why when the dial names no configured service or the transport is
 * not one. */
static int
ussd_start(struct simulator *sim, const struct simulator_ussd *u,
    struct sim_call *call, char *why, size_t whylen)
{
	struct hop_in	 in;
	const char	*transport;
	char		 code[32], hop_id[64], *inputs = NULL;
	size_t		 n;

	if (transport_budget(sim->conf, u->transport, &call->budget,
	    &transport) == -1) {
		err_set(why, whylen, "transport is not a configured one");
		return -1;
	}
	in = (struct hop_in){
		.msisdn = u->msisdn,
		.text = u->input,
		.mode = TEXT_LATEST,
		.budget = call->budget,
		.transport = "simulator",
	};
	if (u->session == NULL) {
		/* A dial: "*786*1#" is the code and the inputs "1". */
		if (dial_split(u->service, code, sizeof code, &inputs) == -1 ||
		    conf_service(sim->conf, code) == NULL) {
			free(inputs);
			err_set(why, whylen, "service is not a configured "
			    "short code");
			return -1;
		}
		n = strlen(SESSION_PREFIX);
		memcpy(call->session, SESSION_PREFIX, n);
		random_hex(call->session + n, sizeof call->session - n);
		in.service = code;
		in.text = inputs;
		in.begin = 1;
	} else
		snprintf(call->session, sizeof call->session, "%s",
		    u->session);
	call->transport = xstrdup(transport);
	call->service = u->service != NULL ? xstrdup(u->service) : NULL;
	/* Each request is a hop of its own, never taken as a retry. */
	n = strlen(call->session);
	memcpy(hop_id, call->session, n);
	hop_id[n++] = '.';
	random_hex(hop_id + n, sizeof hop_id - n);
	in.session_id = call->session;
	in.hop_id = hop_id;
	engine_hop(sim->engine, &in, hop_replied, call);
	free(inputs);
	return 0;
}

static void
handle_ussd(struct evhttp_request *req, void *arg)
{
	struct simulator	*sim = arg;
	struct simulator_ussd	 u;
	struct sim_call		*call;
	const char		*body;
	char			 why[128];
	size_t			 len;

	if ((body = sim_body(sim, req, &len)) == NULL)
		return;
	if (simulator_ussd_read(body, len, content_type(req), &u, why,
	    sizeof why) == -1) {
		httpd_reply_error(req, 400, "Bad Request", why);
		return;
	}
	call = xcalloc(1, sizeof *call);
	call->req = req;
	if (ussd_start(sim, &u, call, why, sizeof why) == -1) {
		httpd_reply_error(req, 400, "Bad Request", why);
		sim_call_free(call);
	}
	simulator_ussd_clear(&u);
}

static void
sms_replied(const char *text, void *arg)
{
	struct evhttp_request	*req = arg;

	httpd_reply_json(req, 200, "OK", simulator_sms_json(text));
}

static void
handle_sms(struct evhttp_request *req, void *arg)
{
	struct simulator	*sim = arg;
	struct simulator_sms	 s;
	struct sms_in		 in;
	const char		*body;
	char			 why[128], code[32], *inputs = NULL;
	size_t			 len;

	if ((body = sim_body(sim, req, &len)) == NULL)
		return;
	if (simulator_sms_read(body, len, content_type(req), &s, why,
	    sizeof why) == -1) {
		httpd_reply_error(req, 400, "Bad Request", why);
		return;
	}
	/* A text goes to a service's code itself, never a shortcut. */
	if (dial_split(s.service, code, sizeof code, &inputs) == -1 ||
	    inputs[0] != '\0' || conf_service(sim->conf, code) == NULL)
		httpd_reply_error(req, 400, "Bad Request",
		    "service is not a configured short code");
	else {
		in = (struct sms_in){ .service = code, .msisdn = s.msisdn,
		    .text = s.text };
		sms_handle(engine_sms(sim->engine), &in, sms_replied, req);
	}
	free(inputs);
	simulator_sms_clear(&s);
}

static const struct {
	const char	*path;
	httpd_handler	 fn;
} routes[] = {
	{ BASE_PATH, handle_asset },
	{ BASE_PATH "/simulator.css", handle_asset },
	{ BASE_PATH "/simulator.js", handle_asset },
	{ CONFIG_PATH, handle_config },
	{ USSD_PATH, handle_ussd },
	{ SMS_PATH, handle_sms },
};
#define NROUTES	(sizeof routes / sizeof routes[0])

struct simulator *
simulator_new(struct httpd *h, const struct conf *conf,
    struct engine *engine, char *err, size_t errlen)
{
	struct simulator	*sim = xcalloc(1, sizeof *sim);

	sim->httpd = h;
	sim->conf = conf;
	sim->engine = engine;
	if (conf->admin == NULL || !conf->admin->simulator)
		return sim;
	for (; sim->nroutes < NROUTES; sim->nroutes++)
		if (httpd_route(h, routes[sim->nroutes].path,
		    routes[sim->nroutes].fn, sim) == -1) {
			err_set(err, errlen, "path %s is already served",
			    routes[sim->nroutes].path);
			simulator_free(sim);
			return NULL;
		}
	log_info("event=simulator path=%s", BASE_PATH);
	return sim;
}

void
simulator_free(struct simulator *sim)
{
	if (sim == NULL)
		return;
	for (size_t i = 0; i < sim->nroutes; i++)
		httpd_unroute(sim->httpd, routes[i].path);
	free(sim);
}
