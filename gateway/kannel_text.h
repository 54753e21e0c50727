/*
 * What Kannel's smsbox puts in a get-url request, turned into what the
 * gateway works with: the query's fields, the message text (%b with %c and %C) as UTF-8, and
 * the SMPP TLVs of the meta-data (%D), plus the reverse for the
 * X-Kannel-Meta-Data reply header.  Pure functions, no I/O.
 */
#ifndef ASANIGW_KANNEL_TEXT_H
#define ASANIGW_KANNEL_TEXT_H

#include <stddef.h>

/* Kannel's coding field (%c). */
#define KANNEL_CODING_7BIT	0
#define KANNEL_CODING_8BIT	1
#define KANNEL_CODING_UCS2	2

/*
 * Decodes the text of a message: raw[0..rawlen) is %b after
 * percent-decoding, coding is %c and charset %C (NULL or "" if absent).
 *
 * A charset, when given, says what the bytes are: UTF-8, UTF-16BE (also
 * UTF-16, UCS-2), ISO-8859-1 (also LATIN1) or WINDOWS-1252 (also
 * CP1252), case-insensitive.  Without one, coding 2 means UTF-16BE and
 * coding 0 (or -1, unset) means UTF-8.  Coding 1 (binary) is refused
 * whatever the charset says.
 *
 * Returns the text as NUL-terminated UTF-8 that the caller frees, its
 * length in *outlen (if not NULL); or NULL with a sentence in err when
 * the message is binary, the charset is unknown, the bytes are not valid
 * in it, or the text holds a NUL.
 */
char	*kannel_text_decode(const char *raw, size_t rawlen, int coding,
	    const char *charset, size_t *outlen, char *err, size_t errlen);

/* One TLV from the smpp group: name and raw value bytes. */
struct kannel_tlv {
	char		*name;
	unsigned char	*value;
	size_t		 len;
};

struct kannel_meta {
	struct kannel_tlv	*tlvs;
	size_t			 ntlvs;
};

/*
 * Parses %D meta-data as it stands after the HTTP layer decoded the query
 * once: "?smpp?ussd_service_op=%01&its_session_info=*%00&".  Groups are
 * "?name?" followed by "key=value&" pairs (the last '&' may be missing);
 * keys and values are percent-encoded once more and '+' stands for a
 * space, as Kannel's octstr_url_encode() writes them.  Only the smpp
 * group is kept; the others are checked and dropped.  An empty string is
 * valid and gives no TLVs.
 *
 * Fills *out (which the caller frees with kannel_meta_free()) and
 * returns 0; or leaves *out empty and returns -1 with a sentence in err
 * on a group without its closing '?', a pair without '=', an empty or
 * NUL-holding key, a bad percent escape, a repeated key in the smpp
 * group, or text before the first group.
 */
int	kannel_meta_parse(const char *meta, struct kannel_meta *out,
	    char *err, size_t errlen);

/* The TLV of that name (exact match), or NULL.  Borrowed from meta. */
const struct kannel_tlv *kannel_meta_get(const struct kannel_meta *,
	    const char *name);

/* Frees what kannel_meta_parse() stored and empties the struct; the
 * struct itself belongs to the caller. */
void	kannel_meta_free(struct kannel_meta *);

/*
 * Builds meta-data for a reply: "?smpp?name=%XX%XX&name=%XX&" with every
 * value byte escaped as %XX (uppercase hex) and any name byte outside
 * [A-Za-z0-9._-] likewise.  No TLVs give "".  Returns a NUL-terminated
 * string that the caller frees; never fails.
 */
char	*kannel_meta_build(const struct kannel_tlv *tlvs, size_t n);

/* One field of a get-url query: its value percent-decoded, NUL-terminated
 * (it may hold NULs: len says how long it is); v NULL when absent. */
struct kannel_field {
	char	*v;
	size_t	 len;
};

/*
 * Splits raw, a get-url's query as smsbox writes it ("k=S&from=%p&..."),
 * into the fields named names[0..n): out[i] is the value of names[i],
 * decoded ('+' is a space, %XX any byte).  Fields with other names, and
 * parts without '=', are ignored; raw NULL is an empty query.
 *
 * Returns 0; or -1 with a sentence in err, and out emptied, when a named
 * field is repeated or holds a '%' not followed by two hex digits (smsbox
 * escapes every '%' it sends).  Free the values with kannel_query_free().
 */
int	kannel_query_parse(const char *raw, const char *const *names,
	    size_t n, struct kannel_field *out, char *err, size_t errlen);
void	kannel_query_free(struct kannel_field *, size_t n);

/* A delivery report's id is the gateway's own message id (sendsms). */
#define KANNEL_DLR_ID_LEN	16
#define KANNEL_SMSC_ID_MAX	64

/* A delivery report as smsbox calls the dlr-url with it. */
struct kannel_dlr {
	char		 id[KANNEL_DLR_ID_LEN + 1];
	const char	*state;		/* "delivered", "failed", ... */
	int		 final;		/* no later report may change it */
	char		 smsc_id[KANNEL_SMSC_ID_MAX + 1];
};

/*
 * Reads a delivery report's decoded query fields id, type (%d) and
 * smscid (%F; any may be absent, v NULL).  The id must be
 * KANNEL_DLR_ID_LEN lowercase hex digits and the type one of Kannel's
 * report types, in decimal digits.  An smscid that is absent, longer
 * than KANNEL_SMSC_ID_MAX or holds a byte outside printable ASCII is
 * kept as "": it is the operator's, only informative.
 *
 * Returns 0 with *out filled; or -1 with a sentence in err.
 */
int	kannel_dlr_parse(const struct kannel_field *id,
	    const struct kannel_field *type,
	    const struct kannel_field *smscid, struct kannel_dlr *out,
	    char *err, size_t errlen);

#endif
