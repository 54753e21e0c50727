/*
 * One subscriber's USSD session as a plain value: where they are in the
 * menu, what they have entered, and what they were last told.  The engine
 * loads it from the store, the menu steps it, the engine saves it back.
 * Nothing here does I/O; session_encode()/session_decode() turn it into
 * the record kept in Redis.
 */
#ifndef ASANIGW_SESSION_H
#define ASANIGW_SESSION_H

#include <stddef.h>

struct var {
	char	*name;
	char	*value;
};

struct session {
	char		*screen;	/* current screen id, NULL before start */
	unsigned	 page;		/* page of the current screen, from 0 */
	char		*lang;		/* language tag, NULL until chosen */
	char		*service;	/* short code dialled; NULL in records
					 * older than the field */

	struct var	*vars;		/* variables collected so far */
	size_t		 nvars;

	char		**history;	/* screens shown before, for "0" back */
	size_t		 nhistory;

	/* Kept by the engine, ignored by the menu: the last hop served, so a
	 * retried hop gets the same answer without running anything again. */
	unsigned	 seq;		/* hops served */
	char		*last_text;	/* transport text of the last hop */
	char		*last_reply;	/* reply page sent to it, if kept */
	int		 last_page;	/* 1: that reply was the page the
					 * session shows, not kept: menu_page()
					 * makes it again */
	int		 last_end;	/* 1 if that reply ended the session */
	long long	 last_ms;	/* when it was answered, ms since epoch */

	/* session.c's own: room in the arrays, and the strings a compact
	 * record brought, which share the session's allocation and are
	 * dropped, never freed, one by one. */
	size_t		 vars_cap, history_cap;
	const char	*strings;
	size_t		 strings_len;
};

struct session	*session_new(void);
void		 session_free(struct session *);

/* Variables.  Values are copied; get returns NULL when unset. */
const char	*session_get(const struct session *, const char *name);
void		 session_set(struct session *, const char *name,
		    const char *value);
void		 session_unset(struct session *, const char *name);

void		 session_set_screen(struct session *, const char *screen);
void		 session_set_lang(struct session *, const char *lang);
void		 session_set_service(struct session *, const char *code);
void		 session_push(struct session *, const char *screen);
/* The last screen pushed, NULL if none; session_drop() forgets it. */
const char	*session_top(const struct session *);
void		 session_drop(struct session *);
void		 session_clear_history(struct session *);
void		 session_set_last(struct session *, const char *text,
		    const char *reply, int end, long long ms);
/* The same when the reply was the page the session shows: not kept. */
void		 session_set_last_page(struct session *, const char *text,
		    int end, long long ms);

/* The stored form (the compact record; JSON records of older versions
 * are read too).  encode returns a malloc'd string; decode returns NULL
 * and a sentence in err (errlen bytes) on malformed input. */
char		*session_encode(const struct session *);
struct session	*session_decode(const char *json, size_t len, char *err,
		    size_t errlen);
/* A session's stored form as session_encode() makes it, and what the
 * encoding knows of it: where the last reply ("~" or "N:bytes") is, and
 * whether that reply ended the session.  The session cache keeps records
 * without the replies only a retry needs. */
struct session_record {
	char	*text;		/* NUL-terminated; NULL: none */
	size_t	 len;
	size_t	 reply_at, reply_len;
	int	 page;		/* the reply is '=' (last_page) */
	int	 end;
};
void		 session_record_make(struct session_record *,
		    const struct session *);
/* Frees the text; the record is empty after. */
void		 session_record_clear(struct session_record *);

#endif
