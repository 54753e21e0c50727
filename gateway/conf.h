/*
 * The daemon's configuration, read from a libconfig file.  conf_load()
 * collects every error with its file and line and fails only at the end,
 * so "asanigw -t" shows an operator everything to fix in one pass.  It
 * also loads every menu a service names.
 */
#ifndef ASANIGW_CONF_H
#define ASANIGW_CONF_H

#include <stddef.h>

#include "errlist.h"
#include "gsm.h"

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
};

/* An adapter's own settings, checked against the keys its type takes;
 * numbers are kept as their decimal text, paths made absolute. */
struct conf_setting {
	char	*key;
	char	*value;
};

struct conf_adapter {
	char			*name;	/* the name services refer to */
	char			*type;	/* an adapter_ops type */
	struct conf_setting	*settings;
	size_t			 nsettings;
};

struct conf_service {
	char			*code;		/* short code, e.g. "*786#" */
	char			*menu_path;
	struct menu		*menu;		/* compiled, owned */
	char			*adapter;	/* conf_adapter name */
};

struct conf {
	char			*path;		/* the file read */

	char			*listen_address;
	unsigned short		 listen_port;
	size_t			 max_body;

	char			*redis_host;
	unsigned short		 redis_port;
	char			*redis_password;	/* "" for none */
	int			 redis_db;
	unsigned		 redis_timeout_ms;

	unsigned		 session_ttl;		/* seconds */
	unsigned		 hop_deadline_ms;

	int			 log_level;		/* enum log_level */
	char			*log_secret;		/* "" for random */
	char			*pidfile;		/* "" for none */
	char			*default_language;

	struct conf_aggregator	*aggregators;
	size_t			 naggregators;
	struct conf_adapter	*adapters;
	size_t			 nadapters;
	struct conf_service	*services;
	size_t			 nservices;
};

/* Reads path and every menu it names.  Returns NULL after appending all
 * errors to errs.  With check set, also runs menu_check() on each menu
 * against every aggregator's page budget (asanigw -t). */
struct conf	*conf_load(const char *path, int check, struct errlist *errs);
void		 conf_free(struct conf *);

const struct conf_service *conf_service(const struct conf *,
		    const char *code);
const struct conf_adapter *conf_adapter(const struct conf *,
		    const char *name);
/* A setting of an adapter, or NULL when not given. */
const char	*conf_adapter_get(const struct conf_adapter *,
		    const char *key);

#endif
