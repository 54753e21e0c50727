/*
 * Configuration loading: values, defaults, and every error reported with
 * its file and line.
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "conf.h"
#include "errlist.h"
#include "unit.h"
#include "xmalloc.h"

static char	 dir[256];
static char	 path[512];
static char	 menu[1024];

static void
setup(void)
{
	char		 cwd[512];
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/asanigw-test-conf-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/gw.conf", dir);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	snprintf(menu, sizeof menu, "%s/tests/unit/conf/tiny.menu", cwd);
}

static void
teardown(void)
{
	char	 cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes the text (with %s standing for the tiny menu's path, at most
 * twice) and loads it. */
static struct conf *
load(const char *text, int check, struct errlist *errs)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, text, menu, menu);
	fclose(f);
	return conf_load(path, check, errs);
}

/* 1 if some error mentions both the line and the needle. */
static int
has_error(const struct errlist *e, int line, const char *needle)
{
	char	 want[600];

	snprintf(want, sizeof want, "%s:%d: ", path, line);
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->msgs[i], want, strlen(want)) == 0 &&
		    strstr(e->msgs[i], needle) != NULL)
			return 1;
	return 0;
}

static void
dump(const struct errlist *e)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "  %s\n", e->msgs[i]);
}

#define MINIMAL								\
	"listen = { port = 9000; };\n"					\
	"redis = { port = 6390; };\n"					\
	"aggregators = ( { path = \"/ussd\"; } );\n"			\
	"services = ( { code = \"*1#\"; menu = \"%s\"; } );\n"

START_TEST(test_minimal_defaults)
{
	struct errlist	 e = { 0 };
	struct conf	*c = load(MINIMAL, 0, &e);

	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_str_eq(c->listen_address, "127.0.0.1");
	ck_assert_uint_eq(c->listen_port, 9000);
	ck_assert_uint_eq(c->max_body, 4096);
	ck_assert_str_eq(c->redis_host, "127.0.0.1");
	ck_assert_uint_eq(c->redis_port, 6390);
	ck_assert_str_eq(c->redis_password, "");
	ck_assert_uint_eq(c->redis_timeout_ms, 500);
	ck_assert_uint_eq(c->session_ttl, 180);
	ck_assert_uint_eq(c->hop_deadline_ms, 2500);
	ck_assert_uint_eq(c->naggregators, 1);
	ck_assert_int_eq(c->aggregators[0].text, TEXT_PATH);
	ck_assert_uint_eq(c->aggregators[0].budget.gsm7_septets, 182);
	ck_assert_uint_eq(c->aggregators[0].budget.ucs2_units, 80);
	ck_assert_uint_eq(c->nservices, 1);
	ck_assert_ptr_nonnull(c->services[0].menu);
	ck_assert_ptr_nonnull(conf_service(c, "*1#"));
	ck_assert_ptr_null(conf_service(c, "*2#"));
	ck_assert_uint_eq(c->sms.code_ttl, 600);
	ck_assert_uint_eq(c->sms.pledges_per_hour, 5);
	ck_assert_uint_eq(c->sms.pending_pledges, 3);
	ck_assert_uint_eq(c->sms.requests_per_day, 5);
	ck_assert_ptr_null(c->notify);
	conf_free(c);
	errlist_free(&e);
}
END_TEST

START_TEST(test_sms_and_notify)
{
	struct errlist	 e = { 0 };
	struct conf	*c;

	c = load("listen = { port = 9000; };\n"
	    "redis = { port = 6390; };\n"
	    "services = ( { code = \"*1#\"; menu = \"%s\"; } );\n"
	    "aggregators = ( { path = \"/ussd\"; } );\n"
	    "kannel = { secret = \"k\"; smsc = ( { id = \"s\"; kind = "
	    "\"sms\"; } );\n"
	    "  sendsms = { url = \"http://127.0.0.1:13013/cgi-bin/sendsms\"; "
	    "}; };\n"
	    "sms = { code_ttl = 120; pledges_per_hour = 0; };\n"
	    "notify = { secret = \"n\"; allow = [ \"10.0.0.0/8\" ]; };\n",
	    0, &e);
	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->sms.code_ttl, 120);
	ck_assert_uint_eq(c->sms.pledges_per_hour, 0);
	ck_assert_ptr_nonnull(c->notify);
	ck_assert_str_eq(c->notify->path, "/notify");
	ck_assert_str_eq(c->notify->secret, "n");
	ck_assert_uint_eq(c->notify->nallow, 1);
	ck_assert_uint_eq(c->notify->dedupe_ttl, 7 * 86400);
	conf_free(c);

	ck_assert_ptr_null(load("listen = { port = 9000; };\n"	/* 1 */
	    "redis = { port = 6390; };\n"
	    "services = ( { code = \"*1#\"; menu = \"%s\"; } );\n"
	    "aggregators = ( { path = \"/ussd\"; } );\n"
	    "sms = { code_ttl = 5; pending_pledges = 0; typo = 1; };\n"	/* 5 */
	    "notify = { path = \"/ussd\"; secret = \"\"; };\n", 0, &e));
	dump(&e);
	ck_assert(has_error(&e, 5, "code_ttl"));
	ck_assert(has_error(&e, 5, "pending_pledges"));
	ck_assert(has_error(&e, 5, "typo"));
	ck_assert(has_error(&e, 6, "an aggregator's path"));
	ck_assert(has_error(&e, 6, "notify.secret must be set"));
	ck_assert(has_error(&e, 6, "notify needs kannel.sendsms"));
	errlist_free(&e);
}
END_TEST

START_TEST(test_full)
{
	struct errlist	 e = { 0 };
	struct conf	*c;

	setenv("ASANIGW_TEST_PW", "s3cret", 1);
	c = load(
	    "listen = { address = \"0.0.0.0\"; port = 8080; max_body = 2048; };\n"
	    "redis = { host = \"10.0.0.5\"; port = 6380; db = 3;\n"
	    "  password = \"env:ASANIGW_TEST_PW\"; timeout_ms = 200; };\n"
	    "session = { ttl = 60; hop_deadline_ms = 1500; };\n"
	    "log = { level = \"debug\"; secret = \"k\"; };\n"
	    "aggregators = ( { path = \"/at\"; text = \"path\"; },\n"
	    "  { path = \"/hubtel\"; text = \"latest\"; page_budget = 160;\n"
	    "    retry_window_ms = 1000; } );\n"
	    "adapters = { out = { type = \"file\"; path = \"req.jsonl\"; }; };\n"
	    "services = ( { code = \"*786#\"; menu = \"%s\";\n"
	    "  adapter = \"out\"; } );\n", 0, &e);
	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->redis_password, "s3cret");
	ck_assert_int_eq(c->redis_db, 3);
	ck_assert_uint_eq(c->naggregators, 2);
	ck_assert_int_eq(c->aggregators[1].text, TEXT_LATEST);
	ck_assert_uint_eq(c->aggregators[1].budget.gsm7_septets, 160);
	ck_assert_uint_eq(c->aggregators[1].budget.ucs2_units, 70);
	ck_assert_uint_eq(c->aggregators[1].retry_window_ms, 1000);
	ck_assert_ptr_nonnull(conf_adapter(c, "out"));
	/* Relative paths are taken from the configuration's directory. */
	ck_assert_str_eq(adapter_setting_str(conf_adapter(c, "out")->settings,
	    "path"),
	    strcat(strcpy((char[600]){ 0 }, dir), "/req.jsonl"));
	conf_free(c);
	errlist_free(&e);
	unsetenv("ASANIGW_TEST_PW");
}
END_TEST

#define KANNEL_ONLY							\
	"listen = { port = 9000; };\n"					\
	"redis = { port = 6390; };\n"					\
	"services = ( { code = \"*1#\"; menu = \"%s\"; } );\n"		\
	"kannel = {\n"							\
	"  secret = \"k\";\n"						\
	"  smsc = ( { id = \"ussd\"; kind = \"ussd\"; } );\n"		\
	"};\n"

START_TEST(test_kannel_defaults)
{
	struct errlist		 e = { 0 };
	struct conf		*c = load(KANNEL_ONLY, 0, &e);
	const struct conf_smsc	*sc;

	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->naggregators, 0);
	ck_assert_str_eq(c->kannel->path, "/kannel/mo");
	ck_assert_str_eq(c->kannel->dlr_path, "/kannel/dlr");
	ck_assert_str_eq(c->kannel->gateway_url, "http://127.0.0.1:9000");
	ck_assert_uint_eq(c->kannel->nallow, 2);	/* loopback */
	ck_assert_str_eq(c->kannel->sendsms_url, "");
	ck_assert_ptr_null(c->admin);
	sc = conf_smsc(c->kannel, "ussd");
	ck_assert_ptr_nonnull(sc);
	ck_assert_ptr_null(conf_smsc(c->kannel, "sms"));
	ck_assert_int_eq(sc->kind, SMSC_USSD);
	ck_assert_uint_eq(sc->budget.gsm7_septets, 182);
	ck_assert_uint_eq(sc->budget.ucs2_units, 80);
	/* The common dialogue: 1 -> 2 -> 18 -> ... -> 17. */
	ck_assert_str_eq(sc->profile->name, "default");
	ck_assert_uint_eq(sc->profile->nbegin, 1);
	ck_assert_uint_eq(sc->profile->begin[0], 1);
	ck_assert_uint_eq(sc->profile->ncont, 1);
	ck_assert_uint_eq(sc->profile->cont[0], 18);
	ck_assert_uint_eq(sc->profile->nabort, 0);
	ck_assert_uint_eq(sc->profile->reply_continue, 2);
	ck_assert_uint_eq(sc->profile->reply_end, 17);
	ck_assert_int_eq(sc->profile->session_info, 1);
	ck_assert_str_eq(sc->profile->session_tlv, "");
	conf_free(c);
	errlist_free(&e);
}
END_TEST

START_TEST(test_kannel_full)
{
	struct errlist		 e = { 0 };
	struct conf		*c;
	const struct conf_smsc	*sc;

	setenv("ASANIGW_TEST_PW", "s3cret", 1);
	c = load(
	    "listen = { port = 9000; };\n"
	    "redis = { port = 6390; };\n"
	    "services = ( { code = \"*786#\"; menu = \"%s\"; } );\n"
	    "kannel = {\n"
	    "  path = \"/k/mo\"; dlr_path = \"/k/dlr\";\n"
	    "  secret = \"env:ASANIGW_TEST_PW\";\n"
	    "  allow = [ \"10.1.0.0/16\", \"2001:db8::/32\" ];\n"
	    "  gateway_url = \"http://10.1.0.5:9000\";\n"
	    "  smsc = ( { id = \"telco-ussd\"; kind = \"ussd\";\n"
	    "      profile = \"vendor\"; page_budget = 160; },\n"
	    "    { id = \"telco.sms\"; kind = \"sms\"; service = \"*786#\"; } );\n"
	    "  ussd_profiles = { vendor = { begin = [ 1, 0 ];\n"
	    "      continue = [ 18 ]; abort = [ 33 ]; reply_continue = 2;\n"
	    "      reply_end = 17; session_info = false;\n"
	    "      session_tlv = \"vendor_session_id\"; }; };\n"
	    "  sendsms = { url = \"http://10.1.0.9:13013/cgi-bin/sendsms\";\n"
	    "    username = \"gw\"; password = \"env:ASANIGW_TEST_PW\";\n"
	    "    from = \"786\"; smsc = \"telco.sms\"; timeout_ms = 3000;\n"
	    "    attempts = 6; connections = 2; dlr_mask = 3; dlr_ttl = 3600; };\n"
	    "};\n"
	    "admin = { allow = [ \"127.0.0.1\" ]; token = \"t\"; };\n", 0, &e);
	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->kannel->path, "/k/mo");
	ck_assert_str_eq(c->kannel->secret, "s3cret");
	ck_assert_uint_eq(c->kannel->nallow, 2);
	ck_assert_uint_eq(c->kannel->allow[0].bits, 16);
	sc = conf_smsc(c->kannel, "telco-ussd");
	ck_assert_str_eq(sc->profile->name, "vendor");
	ck_assert_uint_eq(sc->profile->nbegin, 2);
	ck_assert_uint_eq(sc->profile->begin[1], 0);
	ck_assert_uint_eq(sc->profile->abort[0], 33);
	ck_assert_int_eq(sc->profile->session_info, 0);
	ck_assert_str_eq(sc->profile->session_tlv, "vendor_session_id");
	ck_assert_uint_eq(sc->budget.ucs2_units, 70);
	sc = conf_smsc(c->kannel, "telco.sms");
	ck_assert_int_eq(sc->kind, SMSC_SMS);
	ck_assert_uint_eq(sc->budget.gsm7_septets, 160);
	ck_assert_uint_eq(sc->budget.ucs2_units, 70);
	ck_assert_str_eq(sc->service, "*786#");
	ck_assert_str_eq(c->kannel->sendsms_password, "s3cret");
	ck_assert_uint_eq(c->kannel->sendsms_attempts, 6);
	ck_assert_uint_eq(c->kannel->dlr_mask, 3);
	ck_assert_str_eq(c->admin->token, "t");
	conf_free(c);
	errlist_free(&e);
	unsetenv("ASANIGW_TEST_PW");
}
END_TEST

START_TEST(test_kannel_errors)
{
	struct errlist	 e = { 0 };

	ck_assert_ptr_null(load(
	    "listen = { port = 9000; };\n"				/* 1 */
	    "redis = { port = 6390; };\n"
	    "services = ( { code = \"*1#\"; menu = \"%s\"; } );\n"
	    "aggregators = ( { path = \"/ussd\"; } );\n"
	    "kannel = {\n"						/* 5 */
	    "  path = \"/ussd\";\n"
	    "  allow = [ \"10.0.0.1/8\", \"localhost\" ];\n"
	    "  smsc = ( { id = \"a b\"; kind = \"smpp\"; },\n"
	    "    { id = \"x\"; kind = \"ussd\"; profile = \"nope\"; },\n"
	    "    { id = \"x\"; kind = \"sms\"; service = \"*9#\"; } );\n"	/* 10 */
	    "  ussd_profiles = { p = { begin = [ 1 ]; continue = [ 1, 300 ]; }; };\n"
	    "  sendsms = { url = \"https://h/cgi-bin/sendsms\"; smsc = \"zz\"; };\n"
	    "};\n"
	    "admin = { token = \"\"; };\n", 0, &e));		/* 14 */
	dump(&e);
	ck_assert(has_error(&e, 6, "an aggregator's path"));
	ck_assert(has_error(&e, 7, "past its prefix"));
	ck_assert(has_error(&e, 7, "not an IPv4"));
	ck_assert(has_error(&e, 8, "smsc id \"a b\""));
	ck_assert(has_error(&e, 8, "\"ussd\" or \"sms\""));
	ck_assert(has_error(&e, 9, "no ussd profile named \"nope\""));
	ck_assert(has_error(&e, 10, "smsc x is listed twice"));
	ck_assert(has_error(&e, 11, "0 to 255"));
	ck_assert(has_error(&e, 11, "op 1 is in more than one"));
	ck_assert(has_error(&e, 12, "must be http://"));
	ck_assert(has_error(&e, 12, "no smsc with id \"zz\""));
	ck_assert(has_error(&e, 5, "kannel.secret must be set"));
	ck_assert(has_error(&e, 14, "admin.token must be set"));
	ck_assert(has_error(&e, 10, "no service with code \"*9#\""));
	errlist_free(&e);
}
END_TEST

START_TEST(test_syntax_error_line)
{
	struct errlist	 e = { 0 };

	ck_assert_ptr_null(load("listen = { port = 9000; };\n"
	    "redis = { port = 6390 }\n"
	    "oops oops;\n", 0, &e));
	dump(&e);
	ck_assert_uint_eq(e.n, 1);
	ck_assert(has_error(&e, 2, "") || has_error(&e, 3, ""));
	errlist_free(&e);
}
END_TEST

START_TEST(test_every_error_with_its_line)
{
	struct errlist	 e = { 0 };

	ck_assert_ptr_null(load(
	    "listen = { port = \"eighty\"; };\n"		/* 1 */
	    "redis = { port = 70000; colour = 1; };\n"		/* 2 */
	    "session = { ttl = 0; };\n"				/* 3 */
	    "log = { level = \"loud\"; };\n"			/* 4 */
	    "aggregators = ( { path = \"ussd\"; text = \"all\"; } );\n" /* 5 */
	    "adapters = { a = { type = \"carrier-pigeon\"; }; };\n"	/* 6 */
	    "services = ( { code = \"*1#\"; menu = \"%s\";\n"	/* 7 */
	    "  adapter = \"missing\"; } );\n"			/* 8 */
	    "typo = 1;\n", 0, &e));				/* 9 */
	dump(&e);
	ck_assert(has_error(&e, 1, "listen.port must be an integer"));
	ck_assert(has_error(&e, 2, "redis.port must be between 1 and 65535"));
	ck_assert(has_error(&e, 2, "unknown setting redis.colour"));
	ck_assert(has_error(&e, 3, "session.ttl must be between"));
	ck_assert(has_error(&e, 4, "log.level must be"));
	ck_assert(has_error(&e, 5, "must start with '/'"));
	ck_assert(has_error(&e, 5, "\"path\" or \"latest\""));
	ck_assert(has_error(&e, 6, "unknown type \"carrier-pigeon\""));
	ck_assert(has_error(&e, 8, "no adapter named \"missing\""));
	ck_assert(has_error(&e, 9, "unknown setting typo"));
	ck_assert_uint_eq(e.n, 10);
	errlist_free(&e);
}
END_TEST

START_TEST(test_missing_things)
{
	struct errlist	 e = { 0 };

	ck_assert_ptr_null(load("listen = { port = 9000; };\n"
	    "redis = { port = 6390; };\n", 0, &e));
	dump(&e);
	ck_assert_uint_ge(e.n, 2);
	ck_assert_ptr_nonnull(strstr(e.msgs[0], "services must be"));
	ck_assert_ptr_nonnull(strstr(e.msgs[1], "no way in"));
	errlist_free(&e);
}
END_TEST

START_TEST(test_unset_env_secret)
{
	struct errlist	 e = { 0 };

	unsetenv("ASANIGW_TEST_NOPE");
	ck_assert_ptr_null(load(MINIMAL
	    "log = { secret = \"env:ASANIGW_TEST_NOPE\"; };\n", 0, &e));
	dump(&e);
	ck_assert(has_error(&e, 5, "ASANIGW_TEST_NOPE is not set"));
	errlist_free(&e);
}
END_TEST

START_TEST(test_file_secret)
{
	struct errlist	 e = { 0 };
	struct conf	*c;
	char		 secret[600];
	FILE		*f;

	snprintf(secret, sizeof secret, "%s/pw", dir);
	ck_assert_ptr_nonnull(f = fopen(secret, "w"));
	fputs("from-a-file\nsecond line ignored\n", f);
	fclose(f);
	c = load(MINIMAL "log = { secret = \"file:pw\"; };\n", 0, &e);
	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->log_secret, "from-a-file");
	conf_free(c);
	errlist_free(&e);
}
END_TEST

START_TEST(test_missing_menu_and_duplicates)
{
	struct errlist	 e = { 0 };

	ck_assert_ptr_null(load(
	    "listen = { port = 9000; };\n"
	    "redis = { port = 6390; };\n"
	    "aggregators = ( { path = \"/u\"; }, { path = \"/u\"; } );\n"
	    "services = ( { code = \"*1#\"; menu = \"%s\"; },\n"
	    "  { code = \"*1#\"; menu = \"no-such.menu\"; } );\n", 0, &e));
	dump(&e);
	ck_assert(has_error(&e, 3, "used twice"));
	ck_assert(has_error(&e, 5, "defined twice"));
	{
		int found = 0;

		for (size_t i = 0; i < e.n; i++)
			if (strstr(e.msgs[i], "no-such.menu") != NULL)
				found = 1;
		ck_assert(found);
	}
	errlist_free(&e);
}
END_TEST

START_TEST(test_timeout_shorter_than_deadline)
{
	struct errlist	 e = { 0 };

	ck_assert_ptr_null(load(MINIMAL
	    "session = { hop_deadline_ms = 400; };\n", 0, &e));
	dump(&e);
	ck_assert(has_error(&e, 5, "must be shorter than"));
	errlist_free(&e);
}
END_TEST

/*
 * Adapter settings: each type's table of keys decides what is accepted,
 * and the adapters get the values parsed.
 */

/* The settings of the adapter named so, which must be there. */
static const struct adapter_settings *
settings_of(const struct conf *c, const char *name)
{
	const struct conf_adapter *ca = conf_adapter(c, name);

	ck_assert_ptr_nonnull(ca);
	ck_assert_ptr_nonnull(ca->settings);
	return ca->settings;
}

START_TEST(test_adapter_settings_typed)
{
	struct errlist			 e = { 0 };
	struct conf			*c;
	const struct adapter_settings	*s;
	char				 secret[600], want[600];
	FILE				*f;

	snprintf(secret, sizeof secret, "%s/bo.secret", dir);
	ck_assert_ptr_nonnull(f = fopen(secret, "w"));
	fputs("from-a-file\n", f);
	fclose(f);
	setenv("ASANIGW_TEST_PW", "s3cret", 1);
	c = load(MINIMAL
	    "adapters = {\n"
	    "  plain = { type = \"http\"; url = \"http://127.0.0.1:9/r\";\n"
	    "    secret = \"env:ASANIGW_TEST_PW\"; };\n"
	    "  tuned = { type = \"http\"; url = \"https://bo.example/r?x=1\";\n"
	    "    secret = \"file:bo.secret\"; ca_file = \"bo.secret\";\n"
	    "    timeout_ms = 300; connections = 256;\n"
	    "    lookup_path = \"/lookup\"; };\n"
	    "  stream = { type = \"redis-stream\"; stream = \"bo:req\"; };\n"
	    "  stream2 = { type = \"redis-stream\"; host = \"10.0.0.7\";\n"
	    "    port = 6380; password = \"pw\"; db = 2; stream = \"s\";\n"
	    "    maxlen = 1000; timeout_ms = 250; };\n"
	    "  out = { type = \"file\"; path = \"/var/tmp/req.jsonl\"; };\n"
	    "};\n", 0, &e);
	dump(&e);
	ck_assert_ptr_nonnull(c);

	s = settings_of(c, "plain");
	ck_assert_str_eq(adapter_setting_str(s, "url"), "http://127.0.0.1:9/r");
	ck_assert_str_eq(adapter_setting_str(s, "secret"), "s3cret");
	ck_assert_ptr_null(adapter_setting_str(s, "ca_file"));
	ck_assert_ptr_null(adapter_setting_str(s, "lookup_path"));
	ck_assert_int_eq(adapter_setting_int(s, "timeout_ms"), 5000);
	ck_assert_int_eq(adapter_setting_int(s, "connections"), 4);

	s = settings_of(c, "tuned");
	ck_assert_str_eq(adapter_setting_str(s, "secret"), "from-a-file");
	ck_assert_str_eq(adapter_setting_str(s, "ca_file"), secret);
	ck_assert_int_eq(adapter_setting_int(s, "timeout_ms"), 300);
	ck_assert_int_eq(adapter_setting_int(s, "connections"), 256);
	ck_assert_str_eq(adapter_setting_str(s, "lookup_path"), "/lookup");

	s = settings_of(c, "stream");
	ck_assert_str_eq(adapter_setting_str(s, "host"), "127.0.0.1");
	ck_assert_int_eq(adapter_setting_int(s, "port"), 6379);
	ck_assert_str_eq(adapter_setting_str(s, "password"), "");
	ck_assert_int_eq(adapter_setting_int(s, "db"), 0);
	ck_assert_str_eq(adapter_setting_str(s, "stream"), "bo:req");
	ck_assert_int_eq(adapter_setting_int(s, "maxlen"), 0);	/* none */
	ck_assert_int_eq(adapter_setting_int(s, "timeout_ms"), 1000);

	s = settings_of(c, "stream2");
	ck_assert_str_eq(adapter_setting_str(s, "host"), "10.0.0.7");
	ck_assert_int_eq(adapter_setting_int(s, "port"), 6380);
	ck_assert_str_eq(adapter_setting_str(s, "password"), "pw");
	ck_assert_int_eq(adapter_setting_int(s, "db"), 2);
	ck_assert_int_eq(adapter_setting_int(s, "maxlen"), 1000);
	ck_assert_int_eq(adapter_setting_int(s, "timeout_ms"), 250);

	s = settings_of(c, "out");
	ck_assert_str_eq(adapter_setting_str(s, "path"), "/var/tmp/req.jsonl");
	conf_free(c);
	errlist_free(&e);
	unsetenv("ASANIGW_TEST_PW");

	/* The path of a file adapter is the configuration directory's. */
	c = load(MINIMAL "adapters = { out = { type = \"file\"; "
	    "path = \"var/req.jsonl\"; }; };\n", 0, &e);
	dump(&e);
	ck_assert_ptr_nonnull(c);
	snprintf(want, sizeof want, "%s/var/req.jsonl", dir);
	ck_assert_str_eq(adapter_setting_str(settings_of(c, "out"), "path"),
	    want);
	conf_free(c);
	errlist_free(&e);
}
END_TEST

/*
 * Broken adapter settings, one kind of mistake a case: MINIMAL and then
 * the case's text (from line 5) must fail with exactly nerrs errors,
 * among them every one wanted (a line and a part of its sentence).
 */
#define WANTS_MAX	8
static const struct adapter_case {
	const char	*text;
	size_t		 nerrs;
	struct {
		int		 line;
		const char	*needle;
	}		 want[WANTS_MAX];	/* ended by line 0 */
} adapter_cases[] = {
	/* Missing or empty required settings.  bo3's secret is unset, and
	 * not also reported empty. */
	{ "adapters = {\n"						/* 5 */
	    "  bo = { type = \"http\"; url = \"http://h/r\"; };\n"
	    "  bo2 = { type = \"http\"; url = \"http://h/r\";\n"
	    "    secret = \"\"; };\n"
	    "  bo3 = { type = \"http\"; url = \"http://h/r\";\n"
	    "    secret = \"env:ASANIGW_TEST_NOPE\"; };\n"		/* 10 */
	    "  bo4 = { type = \"http\"; secret = \"s\"; };\n"
	    "  out = { type = \"file\"; };\n"
	    "  st = { type = \"redis-stream\"; };\n"
	    "};\n", 6, {
		{ 6, "adapters.bo.secret must be set for a http adapter" },
		{ 8, "adapters.bo2.secret must not be empty" },
		{ 10, "ASANIGW_TEST_NOPE is not set" },
		{ 11, "adapters.bo4.url must be set" },
		{ 12, "adapters.out.path must be set" },
		{ 13, "adapters.st.stream must be set" } } },
	/* Integers out of range: connections was once silently 4. */
	{ "adapters = {\n"						/* 5 */
	    "  bo = { type = \"http\"; url = \"http://h/r\"; secret = \"s\";\n"
	    "    connections = 1000;\n"
	    "    timeout_ms = 50; };\n"
	    "  st = { type = \"redis-stream\"; stream = \"s\";\n"
	    "    port = 70000; db = -1;\n"				/* 10 */
	    "    maxlen = 0; timeout_ms = 0; };\n"
	    "};\n", 6, {
		{ 7, "adapters.bo.connections must be between 1 and 256, "
		    "not 1000" },
		{ 8, "adapters.bo.timeout_ms must be between 100 and 120000" },
		{ 10, "adapters.st.port must be between" },
		{ 10, "adapters.st.db must be between" },
		{ 11, "adapters.st.maxlen must be between" },
		{ 11, "adapters.st.timeout_ms must be between" } } },
	/* Values of the wrong type. */
	{ "adapters = {\n"						/* 5 */
	    "  bo = { type = \"http\"; url = \"http://h/r\";\n"
	    "    secret = 42;\n"
	    "    connections = \"4\";\n"
	    "    timeout_ms = 1.5; };\n"
	    "  st = { type = \"redis-stream\"; stream = [ \"s\" ];\n"	/* 10 */
	    "    port = \"6379\"; };\n"
	    "  out = { type = \"file\"; path = true; };\n"
	    "};\n", 6, {
		{ 7, "adapters.bo.secret must be a string" },
		{ 8, "adapters.bo.connections must be an integer" },
		{ 9, "adapters.bo.timeout_ms must be an integer" },
		{ 10, "adapters.st.stream must be a string" },
		{ 11, "adapters.st.port must be an integer" },
		{ 12, "adapters.out.path must be a string" } } },
	/* Keys the type does not take. */
	{ "adapters = {\n"						/* 5 */
	    "  bo = { type = \"http\"; url = \"http://h/r\"; secret = \"s\";\n"
	    "    nconns = 8; };\n"
	    "  out = { type = \"file\"; path = \"r.jsonl\";\n"
	    "    stream = \"s\"; };\n"
	    "};\n", 2, {
		{ 7, "unknown setting adapters.bo.nconns for a http adapter" },
		{ 9, "unknown setting adapters.out.stream for a file "
		    "adapter" } } },
	/* Malformed URLs and paths, unreadable files. */
	{ "adapters = {\n"						/* 5 */
	    "  a = { type = \"http\"; secret = \"s\";\n"
	    "    url = \"ftp://h/r\"; };\n"
	    "  b = { type = \"http\"; secret = \"s\";\n"
	    "    url = \"backoffice.example/r\"; };\n"
	    "  c = { type = \"http\"; secret = \"s\"; url = \"http://h/r\";\n" /* 10 */
	    "    lookup_path = \"lookup\";\n"
	    "    ca_file = \"no-such-ca.pem\"; };\n"
	    "  d = { type = \"http\"; url = \"http://h/r\";\n"
	    "    secret = \"file:no-such-secret\"; };\n"
	    "  e = { type = \"http\"; url = \"http://h/r\"; secret = \"s\";\n" /* 15 */
	    "    lookup_path = \"\"; ca_file = \"\"; };\n"
	    "};\n", 6, {
		{ 7, "adapters.a.url must be http:// or "
		    "https://host[:port]/path, not \"ftp://h/r\"" },
		{ 9, "adapters.b.url must be http://" },
		{ 11, "adapters.c.lookup_path must start with '/'" },
		{ 12, "adapters.c.ca_file: cannot read" },
		{ 12, "no-such-ca.pem" },
		{ 14, "cannot read" },
		{ 14, "no-such-secret" },
		{ 16, "adapters.e.lookup_path must start with '/'" } } },
};

START_TEST(test_adapter_errors)
{
	const struct adapter_case	*ac = &adapter_cases[_i];
	struct errlist			 e = { 0 };
	char				*text;

	unsetenv("ASANIGW_TEST_NOPE");
	xasprintf(&text, "%s%s", MINIMAL, ac->text);
	ck_assert_ptr_null(load(text, 0, &e));
	free(text);
	dump(&e);
	for (size_t i = 0; i < WANTS_MAX && ac->want[i].line != 0; i++)
		ck_assert_msg(has_error(&e, ac->want[i].line,
		    ac->want[i].needle), "no error at line %d with \"%s\"",
		    ac->want[i].line, ac->want[i].needle);
	ck_assert_uint_eq(e.n, ac->nerrs);
	errlist_free(&e);
}
END_TEST

START_TEST(test_shipped_configuration)
{
	struct errlist	 e = { 0 };
	struct conf	*c = conf_load("conf/asanigw.conf", 1, &e);

	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(e.n, 0);
	conf_free(c);
	errlist_free(&e);
}
END_TEST

START_TEST(test_restart_needed)
{
	struct errlist	 e = { 0 };
	struct conf	*a, *b;
	char		*running, what[128];

	ck_assert_ptr_nonnull(a = load(MINIMAL, 0, &e));
	running = conf_restart_settings(a);
	ck_assert_int_eq(conf_restart_needed(running, a, what, sizeof what),
	    0);
	ck_assert_str_eq(what, "");
	/* Sessions and services reload; the listener and Redis do not. */
	ck_assert_ptr_nonnull(b = load(MINIMAL
	    "session = { ttl = 60; };\n", 0, &e));
	ck_assert_int_eq(conf_restart_needed(running, b, what, sizeof what),
	    0);
	conf_free(b);
	ck_assert_ptr_nonnull(b = load(
	    "listen = { port = 9001; };\n"
	    "redis = { port = 6390; password = \"a\\nb\"; };\n"
	    "aggregators = ( { path = \"/ussd\"; } );\n"
	    "services = ( { code = \"*1#\"; menu = \"%s\"; } );\n", 0, &e));
	dump(&e);
	ck_assert_int_eq(conf_restart_needed(running, b, what, sizeof what),
	    1);
	ck_assert_str_eq(what, "listen.port,redis.password");
	/* Cut to the buffer, never past it. */
	ck_assert_int_eq(conf_restart_needed(running, b, what, 8), 1);
	ck_assert_str_eq(what, "listen.");
	conf_free(b);
	conf_free(a);
	free(running);
	errlist_free(&e);
}
END_TEST

/* A warning (not an error) at the line, mentioning the needle. */
static int
has_warning(const struct conf *c, int line, const char *needle)
{
	char	 want[600];

	snprintf(want, sizeof want, "%s:%d: warning: ", path, line);
	for (size_t i = 0; i < c->warnings.n; i++)
		if (strncmp(c->warnings.msgs[i], want, strlen(want)) == 0 &&
		    strstr(c->warnings.msgs[i], needle) != NULL)
			return 1;
	return 0;
}

START_TEST(test_aggregator_callers)
{
	struct errlist	 e = { 0 };
	struct conf	*c;

	/* Neither setting: loopback only, no secret, no warning. */
	c = load(MINIMAL, 0, &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->aggregators[0].nallow, 2);
	ck_assert_int_eq(c->aggregators[0].allow[0].bits, 32);
	ck_assert_int_eq(c->aggregators[0].allow[1].bits, 128);
	ck_assert_str_eq(c->aggregators[0].secret, "");
	ck_assert_uint_eq(c->warnings.n, 0);
	conf_free(c);

	setenv("ASANIGW_TEST_USSD", "tok-from-env", 1);
	c = load("listen = { port = 9000; };\n"			/* 1 */
	    "redis = { port = 6390; };\n"
	    "services = ( { code = \"*1#\"; menu = \"%s\"; } );\n"
	    "aggregators = (\n"
	    "  { path = \"/at\"; allow = [ \"0.0.0.0/0\" ]; },\n"	/* 5 */
	    "  { path = \"/hubtel\"; allow = [ \"::/0\", \"0.0.0.0/0\" ];\n"
	    "    secret = \"env:ASANIGW_TEST_USSD\"; },\n"
	    "  { path = \"/v6\"; allow = [ \"2001:db8::/32\", \"::/0\" ]; },\n"
	    "  { path = \"/lan\"; allow = [ \"10.0.0.0/8\" ]; }\n"
	    ");\n", 0, &e);						/* 10 */
	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->aggregators[1].nallow, 2);
	ck_assert_str_eq(c->aggregators[1].secret, "tok-from-env");
	ck_assert_uint_eq(c->aggregators[3].nallow, 1);
	ck_assert_uint_eq(c->warnings.n, 2);
	ck_assert(has_warning(c, 5, "aggregator /at is open to every address"));
	ck_assert(has_warning(c, 8, "aggregator /v6 is open to every address"));
	conf_free(c);
	unsetenv("ASANIGW_TEST_USSD");

	ck_assert_ptr_null(load("listen = { port = 9000; };\n"	/* 1 */
	    "redis = { port = 6390; };\n"
	    "services = ( { code = \"*1#\"; menu = \"%s\"; } );\n"
	    "aggregators = (\n"
	    "  { path = \"/a\"; allow = ( \"10.0.0.1/8\", 7 ); },\n"	/* 5 */
	    "  { path = \"/b\"; allow = [ ];\n"
	    "    secret = \"env:ASANIGW_TEST_UNSET_USSD\"; }\n"
	    ");\n", 0, &e));
	dump(&e);
	ck_assert(has_error(&e, 5, "past its prefix"));
	ck_assert(has_error(&e, 5, "addresses as strings"));
	ck_assert(has_error(&e, 6, "lets nobody in"));
	ck_assert(has_error(&e, 7, "ASANIGW_TEST_UNSET_USSD is not set"));
	errlist_free(&e);
}
END_TEST

/* The retry window: the backoff delays between the tries, at half and
 * at full nominal value. */
START_TEST(test_outbox_window)
{
	struct conf_outbox	 o = { .attempts = 4, .backoff_min_ms = 20,
				    .backoff_max_ms = 200 };
	unsigned long long	 lo, hi;

	conf_outbox_window_ms(&o, &lo, &hi);	/* 20 + 40 + 80 */
	ck_assert_uint_eq(hi, 140);
	ck_assert_uint_eq(lo, 70);
	o.attempts = 1;				/* no retry: no window */
	conf_outbox_window_ms(&o, &lo, &hi);
	ck_assert_uint_eq(hi, 0);
	ck_assert_uint_eq(lo, 0);
	o = (struct conf_outbox){ .attempts = 10, .backoff_min_ms = 500,
	    .backoff_max_ms = 30000 };		/* capped from the 7th */
	conf_outbox_window_ms(&o, &lo, &hi);
	ck_assert_uint_eq(hi, 500 + 1000 + 2000 + 4000 + 8000 + 16000 +
	    3 * 30000);
	ck_assert_uint_eq(lo, hi / 2);
	o.attempts = 30;
	conf_outbox_window_ms(&o, &lo, &hi);
	ck_assert_uint_eq(hi, 31500 + 23 * 30000);
}
END_TEST

/* Re-drive settings and their defaults; a short retry window is a
 * warning with its line, not an error. */
START_TEST(test_outbox_redrive_and_ride_out)
{
	struct errlist	 e = { 0 };
	struct conf	*c = load(MINIMAL, 0, &e);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->outbox.attempts, 30);
	ck_assert_uint_eq(c->outbox.redrive_after_ms, 600000);
	ck_assert_uint_eq(c->outbox.redrive_max, 3);
	ck_assert_uint_eq(c->outbox.redrive_batch, 50);
	ck_assert_uint_eq(c->outbox.ride_out_s, 300);
	ck_assert_uint_eq(c->warnings.n, 0);
	conf_free(c);

	c = load(MINIMAL "outbox = { attempts = 4; backoff_min_ms = 20;\n"
	    "  backoff_max_ms = 200; redrive_after_ms = 0; redrive_max = 7;\n"
	    "  redrive_batch = 5; ride_out_s = 60; };\n", 0, &e);
	dump(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_uint_eq(c->outbox.redrive_after_ms, 0);
	ck_assert_uint_eq(c->outbox.redrive_max, 7);
	ck_assert_uint_eq(c->outbox.redrive_batch, 5);
	dump(&c->warnings);
	ck_assert_uint_eq(c->warnings.n, 1);
	ck_assert(has_error(&c->warnings, 5, "warning: outbox: the retry "
	    "window is 0.0 s"));
	ck_assert(has_error(&c->warnings, 5, "0.1 s at the longest"));
	ck_assert(has_error(&c->warnings, 5, "ride_out_s=60"));
	ck_assert(has_error(&c->warnings, 5, "raise outbox.attempts"));
	conf_free(c);

	c = load(MINIMAL "outbox = { attempts = 4; ride_out_s = 0; };\n", 0,
	    &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->warnings.n, 0);
	conf_free(c);

	ck_assert_ptr_null(load(MINIMAL "outbox = { redrive_batch = 0; };\n",
	    0, &e));
	ck_assert(has_error(&e, 5, "outbox.redrive_batch"));
	errlist_free(&e);

	c = conf_load("conf/asanigw.conf", 1, &e);
	ck_assert_ptr_nonnull(c);
	dump(&c->warnings);
	ck_assert_uint_eq(c->warnings.n, 0);
	conf_free(c);
	errlist_free(&e);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc = tcase_create("conf");

	tcase_add_checked_fixture(tc, setup, teardown);
	UNIT_ADD(tc, test_minimal_defaults, test_full, test_kannel_defaults,
	    test_kannel_full, test_kannel_errors, test_syntax_error_line,
	    test_every_error_with_its_line, test_missing_things,
	    test_unset_env_secret, test_file_secret,
	    test_missing_menu_and_duplicates,
	    test_timeout_shorter_than_deadline, test_shipped_configuration,
	    test_sms_and_notify, test_restart_needed,
	    test_adapter_settings_typed, test_aggregator_callers,
	    test_outbox_window, test_outbox_redrive_and_ride_out);
	tcase_add_loop_test(tc, test_adapter_errors, 0,
	    (int)(sizeof adapter_cases / sizeof adapter_cases[0]));
	suite_add_tcase(s, tc);
	return unit_run(s);
}
