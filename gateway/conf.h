/*
 * The daemon's configuration, read from a libconfig file.  conf_load()
 * collects every error with its file and line and fails only at the end,
 * so "asanigw -t" shows an operator everything to fix in one pass.  It
 * also loads every menu a service names.
 */
#ifndef ASANIGW_CONF_H
#define ASANIGW_CONF_H

#include <stddef.h>

#include "access.h"
#include "errlist.h"
#include "gsm.h"

struct adapter_settings;
struct menu;

enum text_mode {
	TEXT_PATH,	/* text is every input so far joined by '*' */
	TEXT_LATEST,	/* text is only the latest input */
};

struct conf_aggregator {
	char			*path;		/* e.g. "/ussd" */
	enum text_mode		 text;
	struct page_budget	 budget;
	unsigned		 retry_window_ms;
	struct access_net	*allow;		/* who may call; default
						 * loopback only */
	size_t			 nallow;
	char			*secret;	/* "" for none; else the
						 * X-Asanigw-Secret header
						 * or the k query field */
};

/* A back office: its type and its own settings, checked against the
 * table of keys its type declares (adapter.h) and parsed to their kinds:
 * read them with adapter_setting_str() and adapter_setting_int(). */
struct conf_adapter {
	char			*name;	/* the name services refer to */
	char			*type;	/* an adapter_ops type */
	struct adapter_settings	*settings;	/* NULL: an unknown type */
};

struct conf_service {
	char			*code;		/* short code, e.g. "*786#" */
	char			*menu_path;
	struct menu		*menu;		/* compiled, owned */
	char			*adapter;	/* conf_adapter name */
};

/*
 * How one operator runs USSD over SMPP: the ussd_service_op values of
 * its messages and of the gateway's replies, and how a session is named.
 */
#define USSD_OPS_MAX	8
struct conf_ussd_profile {
	char		*name;
	unsigned char	 begin[USSD_OPS_MAX];	/* open a session */
	size_t		 nbegin;
	unsigned char	 cont[USSD_OPS_MAX];	/* the subscriber answers */
	size_t		 ncont;
	unsigned char	 abort[USSD_OPS_MAX];	/* the network gives up */
	size_t		 nabort;
	unsigned char	 reply_continue;	/* a screen that waits */
	unsigned char	 reply_end;		/* the last screen */
	int		 session_info;		/* its_session_info names the
						 * session and is echoed */
	char		*session_tlv;		/* a vendor TLV that names the
						 * session, echoed; "" none */
};

/* 1 if op is one of ops[0..n). */
int	ussd_op_in(const unsigned char *ops, size_t n, int op);
/* "host:port" into host (NUL-terminated) and port; -1 when it is not
 * that (an empty host, a port out of 1..65535). */
int	conf_hostport(const char *, char *host, size_t hostlen,
	    unsigned short *port);

enum smsc_kind { SMSC_USSD, SMSC_SMS };

/* One smsc-id of Kannel's, as the gateway treats its messages. */
struct conf_smsc {
	char				*id;
	enum smsc_kind			 kind;
	const struct conf_ussd_profile	*profile;	/* USSD only */
	struct page_budget		 budget;
	char				*service;	/* short code of its
							 * replies; "" the
							 * first service */
};

struct conf_kannel {
	char			*path;		/* smsbox's get-url */
	char			*dlr_path;	/* delivery reports */
	char			*secret;	/* k= in both */
	struct access_net	*allow;
	size_t			 nallow;
	char			*gateway_url;	/* how smsbox reaches us */
	struct conf_smsc	*smscs;
	size_t			 nsmscs;
	struct conf_ussd_profile *profiles;
	size_t			 nprofiles;

	/* smsbox's sendsms interface, for messages the gateway starts */
	char			*sendsms_url;
	char			*sendsms_username;
	char			*sendsms_password;
	char			*sendsms_from;
	char			*sendsms_smsc;	/* "" for Kannel's routing */
	unsigned		 sendsms_timeout_ms;
	unsigned		 sendsms_attempts;
	unsigned		 sendsms_connections;
	unsigned		 dlr_mask;
	unsigned		 dlr_ttl;	/* seconds a state is kept */
};

/* Delivery of confirmed requests from the outbox (outbox.h). */
struct conf_outbox {
	char		*consumer;	/* this gateway's name in the group */
	unsigned	 attempts;
	unsigned	 backoff_min_ms, backoff_max_ms;
	unsigned	 claim_idle_ms;
	unsigned	 batch, inflight;
	unsigned	 dedupe_ttl;
	/* "Received" once this many replicas hold the request (WAIT), or
	 * the hop answers busy after replica_wait_ms; 0: the master alone. */
	unsigned	 replicas;
	unsigned	 replica_wait_ms;
	unsigned	 redrive_after_ms;	/* 0: dead letters wait */
	unsigned	 redrive_max;
	unsigned	 redrive_batch;
	unsigned	 ride_out_s;	/* -t warns below; 0: no warning */
};

/* The retry window of one outbox request: the sum of the backoff delays
 * between its `attempts` tries as outbox.c draws them (util.h), at the
 * shortest (every delay at half its nominal value, as the jitter may
 * draw it) and at the longest (every delay at its nominal value). */
void		 conf_outbox_window_ms(const struct conf_outbox *,
		    unsigned long long *shortest,
		    unsigned long long *longest);

/* The tamper-evident ledger (ledger.h); absent: nothing is recorded. */
struct conf_ledger {
	char		*file;		/* "": record only (another writes) */
	char		*key;		/* the private key's PEM file */
	unsigned	 checkpoint_entries;
	unsigned	 checkpoint_seconds;
	unsigned	 batch;
	char		**fields;	/* request fields published */
	size_t		 nfields;
};

/* The operators' own endpoints (/admin/...): address and bearer token. */
struct conf_admin {
	struct access_net	*allow;
	size_t			 nallow;
	char			*token;
	int			 simulator;	/* serve /admin/simulator */
};

/* Donors by SMS (sms.c) and the limits each MSISDN is held to. */
struct conf_sms {
	unsigned	 code_ttl;		/* seconds a YES code is good */
	unsigned	 pledges_per_hour;	/* proposed (GIVE, PLEDGE) */
	unsigned	 pending_pledges;	/* waiting for YES at once */
	unsigned	 requests_per_day;	/* USSD submits, per service */
};

/* The back office's signed callbacks (notify.c). */
struct conf_notify {
	char			*path;
	char			*secret;
	struct access_net	*allow;
	size_t			 nallow;
	unsigned		 dedupe_ttl;	/* seconds a key is remembered */
};

/* GET /metrics for Prometheus (metrics_http.h): who may scrape. */
struct conf_metrics {
	int			 enabled;
	char			*path;		/* "/metrics" */
	struct access_net	*allow;		/* default: admin's, else
						 * loopback */
	size_t			 nallow;
	char			*token;		/* bearer; "" none */
};

struct conf {
	char			*path;		/* the file read */
	/* What is allowed but likely a mistake, "file:line: warning: ...":
	 * -t prints them (and still says OK), the daemon logs them.  In a
	 * configuration loaded without check, also what -t finds in the
	 * menus ("file:line: screen ..."), which -t reports as errors. */
	struct errlist		 warnings;

	char			*listen_address;
	unsigned short		 listen_port;
	size_t			 max_body;
	unsigned		 max_connections;	/* 0: from the fd limit */
	unsigned		 max_per_address;
	unsigned		 request_ms;
	unsigned		 keepalive_ms;
	struct access_net	*trusted_proxies;	/* X-Forwarded-For from */
	size_t			 ntrusted_proxies;

	char			*redis_host;
	unsigned short		 redis_port;
	char			*redis_password;	/* "" for none */
	char			*redis_username;	/* "" for the default
							 * user (AUTH password) */
	int			 redis_db;
	/* Sentinel: the master's address asked of these "host:port"
	 * (instead of redis_host/port); none when nsentinels is 0. */
	char			**redis_sentinels;
	size_t			 redis_nsentinels;
	char			*redis_master_name;	/* "" for none */
	unsigned		 redis_timeout_ms;

	unsigned		 session_ttl;		/* seconds */
	unsigned		 hop_deadline_ms;
	unsigned		 replay_max;	/* inputs a first hop may
						 * carry */

	int			 log_level;		/* enum log_level */
	int			 log_json;		/* log.format = "json" */
	char			*log_secret;		/* "" for random */
	char			*pidfile;		/* "" for none */
	char			*default_language;

	struct conf_aggregator	*aggregators;
	size_t			 naggregators;
	struct conf_kannel	*kannel;	/* NULL: no Kannel bridge */
	struct conf_admin	*admin;		/* NULL: no admin endpoints */
	struct conf_outbox	 outbox;
	struct conf_sms		 sms;
	struct conf_notify	*notify;	/* NULL: no callbacks */
	struct conf_ledger	*ledger;	/* NULL: no ledger */
	struct conf_adapter	*adapters;
	size_t			 nadapters;
	struct conf_service	*services;
	size_t			 nservices;
	struct conf_metrics	 metrics;
};

/* Reads path and every menu it names.  Returns NULL after appending all
 * errors to errs.  Every menu is also checked (menu_check_shape(), and
 * menu_check_pages() against the page of every aggregator and Kannel
 * USSD smsc), each finding once: with check set (asanigw -t) the
 * findings are errors, and a menu with errors is checked too when its
 * graph allows; without, they are the configuration's warnings, for the
 * daemon that serves the menu anyway to log. */
struct conf	*conf_load(const char *path, int check, struct errlist *errs);
void		 conf_free(struct conf *);

const struct conf_service *conf_service(const struct conf *,
		    const char *code);
const struct conf_adapter *conf_adapter(const struct conf *,
		    const char *name);
/* The smsc-id's settings, or NULL when it is not configured. */
const struct conf_smsc *conf_smsc(const struct conf_kannel *,
		    const char *id);

/*
 * What a SIGHUP cannot change: the listener, Redis, the log key and
 * Kannel's sendsms client keep the values the daemon started with.
 * conf_restart_settings() gives those of a configuration, one
 * "name=value" line each (malloc'd), to keep while the daemon runs;
 * conf_restart_needed() compares them with a configuration read again.
 * It returns 1 if next changes any, their names (as the file spells
 * them, comma-separated) in what; else 0.
 */
char		*conf_restart_settings(const struct conf *);
int		 conf_restart_needed(const char *running,
		    const struct conf *next, char *what, size_t whatlen);

#endif
