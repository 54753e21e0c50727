/*
 * fakesmpp: a fake operator SMSC that Kannel's bearerbox binds to, so the
 * integration tests and the demo can drive USSD dialogues through a real
 * Kannel.  It is the server (SMSC) side of SMPP 3.4 and nothing more: no
 * queue, no routing, no retries.  Whatever it is told to deliver goes at
 * once to the first ESME bound as a receiver or transceiver.
 *
 *	fakesmpp [-a address] -p port [-s system_id] [-w password] [-d STAT]
 *
 * Listens on address (127.0.0.1 unless -a) and port (-p 0 picks a free
 * one) for any number of ESME connections.  A bind answers status 0 and
 * system_id "fakesmpp", unless -s names another system_id
 * (ESME_RBINDFAIL) or -w another password (ESME_RINVPASWD).  -d STAT
 * turns delivery receipts on from the start, as "dlr STAT" below.
 *
 * stdout: one JSON object per line, flushed at once.
 *	{"event":"ready","port":N}		listening
 *	{"event":"bind","command":"bind_transceiver","system_id":"..",
 *	    "password":"..","system_type":"..","status":0}
 *	{"event":"submit_sm","seq":N,"message_id":"7",MESSAGE}
 *	{"event":"deliver_sm","seq":N,MESSAGE}	each deliver_sm sent
 *	{"event":"deliver_sm_resp","seq":N,"status":0}
 *	{"event":"generic_nack","seq":N,"status":N}	from the ESME
 *	{"event":"unbind"}			the ESME unbinds
 *	{"event":"closed"}			a connection is gone
 *	{"event":"error","message":".."}
 * seq is the sequence_number of the PDU: the ESME's in a submit_sm, ours
 * in a deliver_sm, which its deliver_sm_resp repeats.  MESSAGE is
 * "service_type", "source_addr_ton", "source_addr_npi",
 * "source_addr", "dest_addr_ton", "dest_addr_npi", "destination_addr",
 * "esm_class", "protocol_id", "priority_flag", "registered_delivery",
 * "data_coding", "sm_default_msg_id", "short_message" (hex), "tlvs"
 * ({"0501":"02",..}: tag and value in lower-case hex, message_payload
 * included), "udh" (hex; only when esm_class has UDHI) and "text": the
 * message (short_message, or message_payload when sm_length is 0, less
 * the UDH) as UTF-8, or null if it does not decode.  data_coding 8 is
 * UTF-16BE; 0, 1 and 3 are GSM 03.38 septets one per octet (unpacked, as
 * Kannel sends them), as is a GSM 03.38 DCS with a message class.
 *
 * stdin: one command per line.
 *	ussd FROM TO OP SESSINFO TEXT
 *		A USSD deliver_sm: service_type "USSD", source_addr FROM (ton 1
 *		npi 1, a leading '+' dropped), destination_addr TO (ton 0 npi
 *		1), TLV ussd_service_op OP (decimal) and, unless SESSINFO is
 *		"-", its_session_info SESSINFO (4 hex digits).  TEXT, the rest
 *		of the line after one space, is UTF-8; it goes as GSM 03.38
 *		one septet per octet (data_coding 0) when every character is
 *		in the default alphabet or its extension, else as UTF-16BE
 *		(data_coding 8); past 254 octets in message_payload.
 *	deliver FROM TO DCS HEX
 *		A plain SMS deliver_sm: service_type "", data_coding DCS
 *		(decimal) and the bytes HEX as they are.
 *	tlv TAG [VALUE]
 *		One more TLV (both hex; no VALUE, an empty one) for the next
 *		ussd or deliver line, which takes every such TLV whether it
 *		is sent or not.
 *	dlr STAT | dlr off
 *		From now on, answer each submit_sm with registered_delivery &
 *		1 by a receipt about 50 ms after its submit_sm_resp, from its
 *		destination to its source: esm_class 4, "id:ID sub:001
 *		dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm
 *		stat:STAT err:000 text:", receipted_message_id and
 *		message_state.  STAT is DELIVRD, EXPIRED, DELETED, UNDELIV,
 *		ACCEPTD, UNKNOWN or REJECTD.  Off by default.
 *	quit	as the end of input.
 * A bad line is reported by an error event and otherwise ignored, as is
 * a deliver when no ESME can receive it.  The end of input, quit, SIGINT
 * and SIGTERM unbind every bound ESME and exit 0 once they are gone, or
 * after a second at most; a second signal exits at once.
 *
 * The ESME side: a second bind on a connection gets ESME_RALYBND, a
 * submit_sm on one not bound to send ESME_RINVBNDSTS, a body that does
 * not parse a generic_nack with ESME_RINVCMDLEN, an unknown command one
 * with ESME_RINVCMDID.  A command_length outside 16..65536 closes the
 * connection.  The PDUs fakesmpp originates are numbered from 1 up.
 * Message ids are a decimal counter from 1, sent as C-strings, which is
 * what Kannel expects when msg-id-type is left unset.  Kannel 1.4.5 gives
 * the SMSC up on ESME_RINVPASWD but retries after ESME_RBINDFAIL; it
 * passes on only the TLVs that an smpp-tlv group names.
 *
 * Its GSM 03.38 and UTF-16 code is its own on purpose, written from the
 * specifications and not shared with the gateway's: a test oracle that
 * decoded with the gateway's code would agree with the gateway's bugs.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>

#include "emit.h"
#include "util.h"

#define PDU_HEADER	16
#define PDU_MAX		65536		/* a longer command_length is garbage */
#define SM_MAX		254		/* past this, message_payload */
#define ADDR_MAX	20		/* source_addr: C-Octet String(21) */
#define LINE_MAX_LEN	(256 * 1024)
#define DLR_DELAY_USEC	50000
#define QUIT_GRACE_SEC	1
#define SEQ_MAX		0x7fffffffU

#define GENERIC_NACK		0x80000000U
#define BIND_RECEIVER		0x00000001U
#define BIND_TRANSMITTER	0x00000002U
#define SUBMIT_SM		0x00000004U
#define DELIVER_SM		0x00000005U
#define UNBIND			0x00000006U
#define BIND_TRANSCEIVER	0x00000009U
#define ENQUIRE_LINK		0x00000015U
#define RESP			0x80000000U	/* the bit of every response */

#define ESME_ROK		0x00
#define ESME_RINVCMDLEN		0x02
#define ESME_RINVCMDID		0x03
#define ESME_RINVBNDSTS		0x04
#define ESME_RALYBND		0x05
#define ESME_RBINDFAIL		0x0d
#define ESME_RINVPASWD		0x0e

#define TLV_RECEIPTED_MESSAGE_ID	0x001e
#define TLV_MESSAGE_PAYLOAD		0x0424
#define TLV_MESSAGE_STATE		0x0427
#define TLV_USSD_SERVICE_OP		0x0501
#define TLV_ITS_SESSION_INFO		0x1383

#define ESM_RECEIPT	0x04
#define ESM_UDHI	0x40

#define CAN_RECEIVE	0x01		/* struct conn bound bits */
#define CAN_SEND	0x02

enum alphabet { ALPHA_OTHER, ALPHA_GSM, ALPHA_UCS2 };

/* A growing byte string; { 0 } is empty. */
struct buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct fake		*f;
	struct bufferevent	*bev;
	unsigned		 id;
	int			 bound;		/* CAN_* bits */
	int			 draining;	/* closes once written out */
	int			 dead;		/* the reaper frees it */
};

/* A delivery receipt waiting for its timer. */
struct dlr {
	TAILQ_ENTRY(dlr)	 entry;
	struct fake		*f;
	struct event		*ev;
	unsigned		 conn_id;	/* whence the submit_sm */
	int			 fired;		/* the reaper frees it */
	const char		*stat;
	unsigned char		 state;		/* message_state */
	time_t			 submitted;
	unsigned		 src_ton, src_npi, dst_ton, dst_npi;
	char			 src[ADDR_MAX + 1], dst[ADDR_MAX + 1];
	char			 msgid[24];
};

struct fake {
	struct event_base	*base;
	struct evconnlistener	*listener;
	struct event		*ev_stdin, *ev_int, *ev_term;
	struct event		*ev_reap, *ev_quit;
	int			 stdin_polled;	/* else read until EOF */
	struct evbuffer		*line;		/* stdin short of a newline */
	TAILQ_HEAD(, conn)	 conns;
	TAILQ_HEAD(, dlr)	 dlrs;
	struct buf		 extra;		/* TLVs for the next deliver */
	const char		*system_id;	/* NULL: any */
	const char		*password;	/* NULL: any */
	const char		*dlr_stat;	/* NULL: no receipts */
	int			 dlr_state;
	uint32_t		 seq;		/* last one we originated */
	unsigned long		 msgid;		/* last one we gave */
	unsigned		 conn_ids;
	int			 quitting;
	int			 signals;	/* SIGINT and SIGTERM seen */
};

/*
 * A submit_sm or deliver_sm, pointing into a PDU that came or into what
 * a deliver_sm is made of (whose tlvs then leave message_payload out).
 */
struct sm {
	const char		*service_type, *src, *dst;
	unsigned		 src_ton, src_npi, dst_ton, dst_npi;
	unsigned		 esm_class, protocol_id, priority_flag;
	unsigned		 registered_delivery, data_coding;
	unsigned		 sm_default_msg_id;
	const unsigned char	*msg, *tlvs, *payload;
	size_t			 msglen, tlvlen, payloadlen;
};

static const struct {
	const char	*name;
	int		 state;		/* message_state */
} stats[] = {
	{ "DELIVRD", 2 }, { "EXPIRED", 3 }, { "DELETED", 4 },
	{ "UNDELIV", 5 }, { "ACCEPTD", 6 }, { "UNKNOWN", 7 },
	{ "REJECTD", 8 },
};

/* GSM 03.38 default alphabet; 0x1b (escape) alone reads as a no-break
 * space. */
static const uint16_t gsm_default[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5,
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
	0x03a3, 0x0398, 0x039e, 0x00a0, 0x00c6, 0x00e6, 0x00df, 0x00c9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

#define GSM_ESC	0x1b

/* The extension table, reached through GSM_ESC. */
static const struct {
	uint8_t		septet;
	uint16_t	cp;
} gsm_ext[] = {
	{ 0x0a, 0x000c }, { 0x14, '^' }, { 0x28, '{' }, { 0x29, '}' },
	{ 0x2f, '\\' }, { 0x3c, '[' }, { 0x3d, '~' }, { 0x3e, ']' },
	{ 0x40, '|' }, { 0x65, 0x20ac },
};

static void	conn_kill(struct conn *);

static void
buf_need(struct buf *b, size_t n)
{
	size_t	 cap;
	void	*p;

	if (b->cap - b->len >= n)
		return;
	for (cap = b->cap ? b->cap : 64; cap - b->len < n; cap *= 2)
		;
	if ((p = realloc(b->p, cap)) == NULL)
		abort();
	b->p = p;
	b->cap = cap;
}

static void
put8(struct buf *b, unsigned v)
{
	buf_need(b, 1);
	b->p[b->len++] = v & 0xff;
}

static void
put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void
putmem(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_need(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
putcstr(struct buf *b, const char *s)
{
	putmem(b, s, strlen(s) + 1);
}

static void
puttlv(struct buf *b, unsigned tag, const void *p, size_t n)
{
	put16(b, tag);
	put16(b, n);
	putmem(b, p, n);
}

static void
put_utf8(struct buf *b, uint32_t cp)
{
	if (cp < 0x80)
		put8(b, cp);
	else if (cp < 0x800) {
		put8(b, 0xc0 | cp >> 6);
		put8(b, 0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		put8(b, 0xe0 | cp >> 12);
		put8(b, 0x80 | (cp >> 6 & 0x3f));
		put8(b, 0x80 | (cp & 0x3f));
	} else {
		put8(b, 0xf0 | cp >> 18);
		put8(b, 0x80 | (cp >> 12 & 0x3f));
		put8(b, 0x80 | (cp >> 6 & 0x3f));
		put8(b, 0x80 | (cp & 0x3f));
	}
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * One code point of well-formed UTF-8 (no overlongs, surrogates or
 * values past U+10FFFF): returns its length, or -1.
 */
static int
utf8_get(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	int		 n, i;

	if (len == 0)
		return -1;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return -1;
	if (len < (size_t)n)
		return -1;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	*cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return -1;
		lo = 0x80;
		hi = 0xbf;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return n;
}

/* Unpacked septets to UTF-8; -1 on an octet past 0x7f or a lone escape. */
static int
gsm_to_utf8(const unsigned char *p, size_t n, struct buf *out)
{
	size_t	 i, k;
	uint32_t cp;

	for (i = 0; i < n; i++) {
		if (p[i] > 0x7f)
			return -1;
		if (p[i] != GSM_ESC) {
			put_utf8(out, gsm_default[p[i]]);
			continue;
		}
		if (++i == n || p[i] > 0x7f)
			return -1;
		/* 03.38: an unknown extension reads as the default. */
		cp = gsm_default[p[i]];
		for (k = 0; k < sizeof gsm_ext / sizeof gsm_ext[0]; k++)
			if (gsm_ext[k].septet == p[i])
				cp = gsm_ext[k].cp;
		put_utf8(out, cp);
	}
	return 0;
}

/* UTF-16BE to UTF-8; -1 on an odd length or a lone surrogate. */
static int
ucs2_to_utf8(const unsigned char *p, size_t n, struct buf *out)
{
	size_t		 i;
	uint32_t	 u, lo;

	if (n % 2 != 0)
		return -1;
	for (i = 0; i < n; i += 2) {
		u = (uint32_t)p[i] << 8 | p[i + 1];
		if (u >= 0xdc00 && u <= 0xdfff)
			return -1;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 4 > n)
				return -1;
			lo = (uint32_t)p[i + 2] << 8 | p[i + 3];
			if (lo < 0xdc00 || lo > 0xdfff)
				return -1;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		}
		put_utf8(out, u);
	}
	return 0;
}

/* UTF-8 to unpacked septets; -1 if a character is not GSM 03.38. */
static int
utf8_to_gsm(const char *s, struct buf *out)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = strlen(s), i, k;
	uint32_t		 cp;
	int			 n, found;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_get(u + i, len - i, &cp)) == -1)
			return -1;
		found = 0;
		for (k = 0; k < 128 && !found; k++)
			if (k != GSM_ESC && gsm_default[k] == cp) {
				put8(out, k);
				found = 1;
			}
		for (k = 0; k < sizeof gsm_ext / sizeof gsm_ext[0] &&
		    !found; k++)
			if (gsm_ext[k].cp == cp) {
				put8(out, GSM_ESC);
				put8(out, gsm_ext[k].septet);
				found = 1;
			}
		if (!found)
			return -1;
	}
	return 0;
}

/* UTF-8 to UTF-16BE; -1 on ill-formed UTF-8. */
static int
utf8_to_ucs2(const char *s, struct buf *out)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = strlen(s), i;
	uint32_t		 cp;
	int			 n;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_get(u + i, len - i, &cp)) == -1)
			return -1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put16(out, 0xd800 | cp >> 10);
			put16(out, 0xdc00 | (cp & 0x3ff));
		} else
			put16(out, cp);
	}
	return 0;
}

/*
 * SMPP keeps data_coding 0x00-0x0f for itself: 1 is IA5 and 3 Latin-1,
 * but what reaches us there is GSM as Kannel writes it.  Above, it is the
 * GSM 03.38 DCS that Kannel sends when a message class is set: 0x1X
 * (uncompressed, with a class) and 0xfX.
 */
static enum alphabet
dcs_alphabet(unsigned dc)
{
	if (dc == 0 || dc == 1 || dc == 3 || (dc & 0xfc) == 0x10 ||
	    (dc & 0xf4) == 0xf0)
		return ALPHA_GSM;
	if (dc == 8 || (dc & 0xfc) == 0x18)
		return ALPHA_UCS2;
	return ALPHA_OTHER;
}

/* Appends the bytes that s spells in hex; -1 on an odd or bad digit. */
static int
hex_decode(const char *s, struct buf *out)
{
	int	 hi, lo;

	for (; *s != '\0'; s += 2) {
		if ((hi = hex_digit(s[0])) == -1 || (lo = hex_digit(s[1])) == -1)
			return -1;
		put8(out, hi << 4 | lo);
	}
	return 0;
}

/* A decimal number up to max: 0, or -1 if s is not one. */
static int
parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	*v = 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		*v = *v * 10 + (unsigned long)(*s - '0');
		if (*v > max)
			return -1;
	}
	return 0;
}

static json_t *
jhex(const unsigned char *p, size_t n)
{
	static const char	 digits[] = "0123456789abcdef";
	char			*s;
	json_t			*j;
	size_t			 i;

	if ((s = malloc(2 * n + 1)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 0x0f];
	}
	s[2 * n] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

/* A string from the wire: not UTF-8 is taken as Latin-1. */
static json_t *
jstr(const char *s)
{
	struct buf	 b = { 0 };
	json_t		*j;

	if ((j = json_string(s)) != NULL)
		return j;
	for (; *s != '\0'; s++)
		put_utf8(&b, (unsigned char)*s);
	j = json_stringn((const char *)b.p, b.len);
	free(b.p);
	return j;
}

/* Reads a C-Octet String at *off; NULL if no NUL ends it in the body. */
static const char *
get_cstr(const unsigned char *p, size_t len, size_t *off)
{
	const unsigned char	*nul;
	const char		*s;

	if (*off >= len || (nul = memchr(p + *off, 0, len - *off)) == NULL)
		return NULL;
	s = (const char *)p + *off;
	*off = (size_t)(nul - p) + 1;
	return s;
}

/* Reads n integers of one octet at *off into the pointers that follow. */
static int
get_octets(const unsigned char *p, size_t len, size_t *off, int n, ...)
{
	va_list	 ap;

	if (len - *off < (size_t)n)
		return -1;
	va_start(ap, n);
	while (n-- > 0)
		*va_arg(ap, unsigned *) = p[(*off)++];
	va_end(ap);
	return 0;
}

/*
 * Splits the body of a submit_sm or deliver_sm into *sm, which points
 * into body.  Returns 0, or -1 with a sentence in err.
 */
static int
sm_parse(const unsigned char *body, size_t len, struct sm *sm, char *err,
    size_t errlen)
{
	const unsigned char	*t;
	size_t			 off = 0, n, l;
	unsigned		 replace_if_present, smlen, tag;

	memset(sm, 0, sizeof *sm);
	if ((sm->service_type = get_cstr(body, len, &off)) == NULL ||
	    get_octets(body, len, &off, 2, &sm->src_ton, &sm->src_npi) ||
	    (sm->src = get_cstr(body, len, &off)) == NULL ||
	    get_octets(body, len, &off, 2, &sm->dst_ton, &sm->dst_npi) ||
	    (sm->dst = get_cstr(body, len, &off)) == NULL ||
	    get_octets(body, len, &off, 3, &sm->esm_class, &sm->protocol_id,
	    &sm->priority_flag) ||
	    get_cstr(body, len, &off) == NULL ||	/* schedule_delivery */
	    get_cstr(body, len, &off) == NULL ||	/* validity_period */
	    get_octets(body, len, &off, 5, &sm->registered_delivery,
	    &replace_if_present, &sm->data_coding, &sm->sm_default_msg_id,
	    &smlen) || len - off < smlen) {
		snprintf(err, errlen, "truncated mandatory parameters");
		return -1;
	}
	sm->msg = body + off;
	sm->msglen = smlen;
	sm->tlvs = t = body + off + smlen;
	sm->tlvlen = n = len - off - smlen;
	while (n > 0) {
		if (n < 4) {
			snprintf(err, errlen, "truncated TLV header");
			return -1;
		}
		tag = (unsigned)t[0] << 8 | t[1];
		l = (size_t)t[2] << 8 | t[3];
		if (l > n - 4) {
			snprintf(err, errlen, "TLV 0x%04x overruns the PDU",
			    tag);
			return -1;
		}
		if (tag == TLV_MESSAGE_PAYLOAD) {
			sm->payload = t + 4;
			sm->payloadlen = l;
		}
		t += 4 + l;
		n -= 4 + l;
	}
	return 0;
}

/* Adds the fields of a parsed submit_sm or deliver_sm to o. */
static void
sm_json(const struct sm *sm, json_t *o)
{
	const unsigned char	*m = sm->msg, *t = sm->tlvs;
	size_t			 mlen = sm->msglen, n = sm->tlvlen, l;
	json_t			*tlvs = json_object(), *text = NULL;
	struct buf		 b = { 0 };
	char			 tag[8];
	int			 rc = -1;

	for (; n > 0; t += 4 + l, n -= 4 + l) {
		l = (size_t)t[2] << 8 | t[3];
		snprintf(tag, sizeof tag, "%02x%02x", t[0], t[1]);
		json_object_set_new(tlvs, tag, jhex(t + 4, l));
	}
	json_object_update_new(o, json_pack("{s:o,s:i,s:i,s:o,s:i,s:i,s:o,"
	    "s:i,s:i,s:i,s:i,s:i,s:i,s:o,s:o}",
	    "service_type", jstr(sm->service_type),
	    "source_addr_ton", sm->src_ton, "source_addr_npi", sm->src_npi,
	    "source_addr", jstr(sm->src),
	    "dest_addr_ton", sm->dst_ton, "dest_addr_npi", sm->dst_npi,
	    "destination_addr", jstr(sm->dst),
	    "esm_class", sm->esm_class, "protocol_id", sm->protocol_id,
	    "priority_flag", sm->priority_flag,
	    "registered_delivery", sm->registered_delivery,
	    "data_coding", sm->data_coding,
	    "sm_default_msg_id", sm->sm_default_msg_id,
	    "short_message", jhex(sm->msg, sm->msglen), "tlvs", tlvs));

	if (mlen == 0 && sm->payload != NULL) {
		m = sm->payload;
		mlen = sm->payloadlen;
	}
	if (sm->esm_class & ESM_UDHI) {
		if (mlen == 0 || (size_t)m[0] + 1 > mlen)
			goto out;		/* shorter than its UDH */
		json_object_set_new(o, "udh", jhex(m, (size_t)m[0] + 1));
		mlen -= (size_t)m[0] + 1;
		m += (size_t)m[0] + 1;
	}
	buf_need(&b, 1);		/* json_stringn wants a pointer */
	switch (dcs_alphabet(sm->data_coding)) {
	case ALPHA_GSM:
		rc = gsm_to_utf8(m, mlen, &b);
		break;
	case ALPHA_UCS2:
		rc = ucs2_to_utf8(m, mlen, &b);
		break;
	case ALPHA_OTHER:
		break;
	}
	if (rc == 0)
		text = json_stringn((const char *)b.p, b.len);
out:
	json_object_set_new(o, "text", text != NULL ? text : json_null());
	free(b.p);
}

static uint32_t
next_seq(struct fake *f)
{
	if (++f->seq > SEQ_MAX)
		f->seq = 1;
	return f->seq;
}

static void
conn_send(struct conn *c, uint32_t id, uint32_t status, uint32_t seq,
    const struct buf *body)
{
	unsigned char	 h[PDU_HEADER];
	uint32_t	 v[4];
	size_t		 blen = body != NULL ? body->len : 0;
	int		 i;

	v[0] = (uint32_t)(PDU_HEADER + blen);
	v[1] = id;
	v[2] = status;
	v[3] = seq;
	for (i = 0; i < 4; i++) {
		h[4 * i] = v[i] >> 24;
		h[4 * i + 1] = v[i] >> 16;
		h[4 * i + 2] = v[i] >> 8;
		h[4 * i + 3] = v[i];
	}
	bufferevent_write(c->bev, h, sizeof h);
	if (blen > 0)
		bufferevent_write(c->bev, body->p, blen);
}

/* A bound receiver, the one with id prefer if it is one; or NULL. */
static struct conn *
receiver(struct fake *f, unsigned prefer)
{
	struct conn	*c, *any = NULL;

	TAILQ_FOREACH(c, &f->conns, entry) {
		if (c->dead || c->draining || !(c->bound & CAN_RECEIVE))
			continue;
		if (c->id == prefer)
			return c;
		if (any == NULL)
			any = c;
	}
	return any;
}

/*
 * Sends the deliver_sm that m describes to c, and prints it.  What does
 * not fit in short_message goes in message_payload.
 */
static void
deliver_send(struct fake *f, struct conn *c, const struct sm *m)
{
	struct buf	 body = { 0 };
	struct sm	 sent;
	json_t		*o;
	uint32_t	 seq;
	char		 err[128];
	int		 payload = m->msglen > SM_MAX;

	putcstr(&body, m->service_type);
	put8(&body, m->src_ton);
	put8(&body, m->src_npi);
	putcstr(&body, m->src);
	put8(&body, m->dst_ton);
	put8(&body, m->dst_npi);
	putcstr(&body, m->dst);
	put8(&body, m->esm_class);
	putmem(&body, "\0\0\0\0\0\0", 6);	/* protocol_id .. replace */
	put8(&body, m->data_coding);
	put8(&body, 0);				/* sm_default_msg_id */
	put8(&body, payload ? 0 : m->msglen);
	if (!payload)
		putmem(&body, m->msg, m->msglen);
	putmem(&body, m->tlvs, m->tlvlen);
	if (payload)
		puttlv(&body, TLV_MESSAGE_PAYLOAD, m->msg, m->msglen);
	if (m->msglen > 0xffff || PDU_HEADER + body.len > PDU_MAX)
		emit_error("a deliver_sm of %zu octets is too long", body.len);
	else {
		seq = next_seq(f);
		conn_send(c, DELIVER_SM, ESME_ROK, seq, &body);
		o = json_pack("{s:s,s:I}", "event", "deliver_sm", "seq",
		    (json_int_t)seq);
		if (sm_parse(body.p, body.len, &sent, err, sizeof err) == 0)
			sm_json(&sent, o);
		emit(o);
	}
	free(body.p);
}

static void
dlr_fire(evutil_socket_t fd, short what, void *arg)
{
	struct dlr	*d = arg;
	struct fake	*f = d->f;
	struct conn	*c;
	struct sm	 m;
	struct buf	 tlvs = { 0 };
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 text[200], sub[16], done[16];

	(void)fd;
	(void)what;
	d->fired = 1;
	event_active(f->ev_reap, 0, 0);
	if (f->quitting)
		return;
	if ((c = receiver(f, d->conn_id)) == NULL) {
		emit_error("no ESME is bound to receive the receipt for "
		    "message %s", d->msgid);
		return;
	}
	/* YYMMDDhhmm: %y would do, but -Wformat-y2k frowns on it. */
	localtime_r(&d->submitted, &tm);
	strftime(sub, sizeof sub, "%Y%m%d%H%M", &tm);
	localtime_r(&now, &tm);
	strftime(done, sizeof done, "%Y%m%d%H%M", &tm);
	snprintf(text, sizeof text, "id:%s sub:001 dlvrd:001 submit date:%s "
	    "done date:%s stat:%s err:000 text:", d->msgid, sub + 2, done + 2,
	    d->stat);
	puttlv(&tlvs, TLV_RECEIPTED_MESSAGE_ID, d->msgid,
	    strlen(d->msgid) + 1);
	puttlv(&tlvs, TLV_MESSAGE_STATE, &d->state, 1);

	/* The receipt comes from the handset the message went to. */
	memset(&m, 0, sizeof m);
	m.service_type = "";
	m.src_ton = d->dst_ton;
	m.src_npi = d->dst_npi;
	m.src = d->dst;
	m.dst_ton = d->src_ton;
	m.dst_npi = d->src_npi;
	m.dst = d->src;
	m.esm_class = ESM_RECEIPT;
	m.msg = (const unsigned char *)text;
	m.msglen = strlen(text);
	m.tlvs = tlvs.p;
	m.tlvlen = tlvs.len;
	deliver_send(f, c, &m);
	free(tlvs.p);
}

static void
dlr_schedule(struct conn *c, const struct sm *sm, const char *msgid)
{
	struct fake		*f = c->f;
	struct dlr		*d;
	const struct timeval	 tv = { 0, DLR_DELAY_USEC };

	if ((d = calloc(1, sizeof *d)) == NULL)
		abort();
	d->f = f;
	d->conn_id = c->id;
	d->stat = f->dlr_stat;
	d->state = f->dlr_state;
	d->submitted = time(NULL);
	d->src_ton = sm->src_ton;
	d->src_npi = sm->src_npi;
	d->dst_ton = sm->dst_ton;
	d->dst_npi = sm->dst_npi;
	snprintf(d->src, sizeof d->src, "%s", sm->src);
	snprintf(d->dst, sizeof d->dst, "%s", sm->dst);
	snprintf(d->msgid, sizeof d->msgid, "%s", msgid);
	if ((d->ev = evtimer_new(f->base, dlr_fire, d)) == NULL)
		abort();
	evtimer_add(d->ev, &tv);
	TAILQ_INSERT_TAIL(&f->dlrs, d, entry);
}

static void
conn_bind(struct conn *c, uint32_t id, uint32_t seq,
    const unsigned char *body, size_t len)
{
	struct fake	*f = c->f;
	struct buf	 resp = { 0 };
	const char	*sysid, *pw, *systype, *name;
	size_t		 off = 0;
	uint32_t	 status = ESME_ROK;

	name = id == BIND_RECEIVER ? "bind_receiver" :
	    id == BIND_TRANSMITTER ? "bind_transmitter" : "bind_transceiver";
	if ((sysid = get_cstr(body, len, &off)) == NULL ||
	    (pw = get_cstr(body, len, &off)) == NULL ||
	    (systype = get_cstr(body, len, &off)) == NULL) {
		emit_error("%s: truncated body", name);
		conn_send(c, GENERIC_NACK, ESME_RINVCMDLEN, seq, NULL);
		return;
	}
	if (c->bound)
		status = ESME_RALYBND;
	else if (f->system_id != NULL && strcmp(sysid, f->system_id) != 0)
		status = ESME_RBINDFAIL;
	else if (f->password != NULL && strcmp(pw, f->password) != 0)
		status = ESME_RINVPASWD;
	else
		c->bound = id == BIND_RECEIVER ? CAN_RECEIVE :
		    id == BIND_TRANSMITTER ? CAN_SEND : CAN_RECEIVE | CAN_SEND;

	emit(json_pack("{s:s,s:s,s:o,s:o,s:o,s:I}", "event", "bind",
	    "command", name, "system_id", jstr(sysid), "password", jstr(pw),
	    "system_type", jstr(systype), "status", (json_int_t)status));

	putcstr(&resp, "fakesmpp");
	conn_send(c, id | RESP, status, seq, &resp);
	free(resp.p);
}

static void
conn_submit(struct conn *c, uint32_t seq, const unsigned char *body,
    size_t len)
{
	struct fake	*f = c->f;
	struct buf	 resp = { 0 };
	struct sm	 sm;
	json_t		*o;
	char		 msgid[24], err[128];

	if (!(c->bound & CAN_SEND)) {
		emit_error("submit_sm on a connection not bound to send");
		conn_send(c, SUBMIT_SM | RESP, ESME_RINVBNDSTS, seq, NULL);
		return;
	}
	if (sm_parse(body, len, &sm, err, sizeof err) == -1) {
		emit_error("submit_sm: %s", err);
		conn_send(c, GENERIC_NACK, ESME_RINVCMDLEN, seq, NULL);
		return;
	}
	snprintf(msgid, sizeof msgid, "%lu", ++f->msgid);
	o = json_pack("{s:s,s:I,s:s}", "event", "submit_sm", "seq",
	    (json_int_t)seq, "message_id", msgid);
	sm_json(&sm, o);
	emit(o);

	putcstr(&resp, msgid);
	conn_send(c, SUBMIT_SM | RESP, ESME_ROK, seq, &resp);
	free(resp.p);
	if (f->dlr_stat != NULL && (sm.registered_delivery & 1))
		dlr_schedule(c, &sm, msgid);
}

/* Stops reading; the connection closes once its output is written. */
static void
conn_drain(struct conn *c)
{
	c->draining = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_kill(c);
}

static void
conn_pdu(struct conn *c, const unsigned char *p, size_t len)
{
	uint32_t	 id = get32(p + 4), status = get32(p + 8);
	uint32_t	 seq = get32(p + 12);

	p += PDU_HEADER;
	len -= PDU_HEADER;
	switch (id) {
	case BIND_RECEIVER:
	case BIND_TRANSMITTER:
	case BIND_TRANSCEIVER:
		conn_bind(c, id, seq, p, len);
		break;
	case SUBMIT_SM:
		conn_submit(c, seq, p, len);
		break;
	case ENQUIRE_LINK:
		conn_send(c, ENQUIRE_LINK | RESP, ESME_ROK, seq, NULL);
		break;
	case ENQUIRE_LINK | RESP:
		break;
	case DELIVER_SM | RESP:
	case GENERIC_NACK:
		emit(json_pack("{s:s,s:I,s:I}", "event", id == GENERIC_NACK ?
		    "generic_nack" : "deliver_sm_resp", "seq", (json_int_t)seq,
		    "status", (json_int_t)status));
		break;
	case UNBIND:
		emit(json_pack("{s:s}", "event", "unbind"));
		c->bound = 0;
		conn_send(c, UNBIND | RESP, ESME_ROK, seq, NULL);
		conn_drain(c);
		break;
	case UNBIND | RESP:		/* to the unbind of fake_quit() */
		c->bound = 0;
		conn_kill(c);
		break;
	default:
		if (id & RESP) {		/* never answer an answer */
			emit_error("unexpected response 0x%08x", id);
			break;
		}
		emit_error("unknown command_id 0x%08x", id);
		conn_send(c, GENERIC_NACK, ESME_RINVCMDID, seq, NULL);
		break;
	}
}

/* Takes every whole PDU out of the input, by its command_length. */
static void
conn_read(struct bufferevent *bev, void *arg)
{
	static unsigned char	 pdu[PDU_MAX];
	struct conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	unsigned char		 h[4];
	uint32_t		 len;

	while (!c->dead && !c->draining && evbuffer_get_length(in) >= 4) {
		evbuffer_copyout(in, h, sizeof h);
		len = get32(h);
		if (len < PDU_HEADER || len > PDU_MAX) {
			emit_error("command_length %u out of range, closing",
			    len);
			conn_kill(c);
			return;
		}
		if (evbuffer_get_length(in) < len)
			return;
		evbuffer_remove(in, pdu, len);
		conn_pdu(c, pdu, len);
	}
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*out = bufferevent_get_output(bev);

	if (c->draining && evbuffer_get_length(out) == 0)
		conn_kill(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_kill(arg);
}

/* Marks c closed; the reaper frees it outside of its callbacks. */
static void
conn_kill(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	emit(json_pack("{s:s}", "event", "closed"));
	event_active(c->f->ev_reap, 0, 0);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct fake	*f = arg;
	struct conn	*c;
	int		 one = 1;

	(void)l;
	(void)sa;
	(void)salen;
	/* Small PDUs answered at once: no Nagle pause in the dialogue. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((c = calloc(1, sizeof *c)) == NULL)
		abort();
	if ((c->bev = bufferevent_socket_new(f->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		emit_error("bufferevent_socket_new failed");
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->f = f;
	c->id = ++f->conn_ids;
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&f->conns, c, entry);
}

static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	emit_error("accept: %s", strerror(errno));
}

static void
reap(evutil_socket_t fd, short what, void *arg)
{
	struct fake	*f = arg;
	struct conn	*c, *cnext;
	struct dlr	*d, *dnext;

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&f->conns); c != NULL; c = cnext) {
		cnext = TAILQ_NEXT(c, entry);
		if (!c->dead)
			continue;
		TAILQ_REMOVE(&f->conns, c, entry);
		bufferevent_free(c->bev);
		free(c);
	}
	for (d = TAILQ_FIRST(&f->dlrs); d != NULL; d = dnext) {
		dnext = TAILQ_NEXT(d, entry);
		if (!d->fired)
			continue;
		TAILQ_REMOVE(&f->dlrs, d, entry);
		event_free(d->ev);
		free(d);
	}
	if (f->quitting && TAILQ_EMPTY(&f->conns))
		event_base_loopbreak(f->base);
}

/* Unbinds every bound ESME; the loop ends once all are gone. */
static void
fake_quit(struct fake *f)
{
	const struct timeval	 tv = { QUIT_GRACE_SEC, 0 };
	struct conn		*c;

	if (f->quitting)
		return;
	f->quitting = 1;
	evconnlistener_disable(f->listener);
	event_del(f->ev_stdin);
	TAILQ_FOREACH(c, &f->conns, entry) {
		if (c->dead || c->draining)
			continue;
		if (c->bound)
			conn_send(c, UNBIND, ESME_ROK, next_seq(f), NULL);
		else
			conn_kill(c);
	}
	evtimer_add(f->ev_quit, &tv);
	event_active(f->ev_reap, 0, 0);
}

static void
on_quit_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fake	*f = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(f->base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct fake	*f = arg;

	(void)sig;
	(void)what;
	if (++f->signals > 1)		/* a second one: do not wait */
		event_base_loopbreak(f->base);
	fake_quit(f);
}

/* The next word of *sp, NUL-terminated in place; NULL at the end. */
static char *
word(char **sp)
{
	char	*s = *sp, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*sp = s;
		return NULL;
	}
	for (w = s; *s != '\0' && *s != ' ' && *s != '\t'; s++)
		;
	if (*s != '\0')
		*s++ = '\0';
	*sp = s;
	return w;
}

static int
addr_ok(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= ADDR_MAX;
}

/* Sends a deliver_sm from FROM to TO, or says why not. */
static void
deliver_to(struct fake *f, char *from, const char *to, struct sm *m)
{
	struct conn	*c;

	if (*from == '+')
		from++;
	if (!addr_ok(from) || !addr_ok(to)) {
		emit_error("an address takes 1 to %d characters", ADDR_MAX);
		return;
	}
	if ((c = receiver(f, 0)) == NULL) {
		emit_error("no ESME is bound to receive");
		return;
	}
	m->src_ton = 1;
	m->src_npi = 1;
	m->src = from;
	m->dst_ton = 0;
	m->dst_npi = 1;
	m->dst = to;
	deliver_send(f, c, m);
}

static void
cmd_ussd(struct fake *f, char *args)
{
	struct buf	 extra = f->extra, tlvs = { 0 }, si = { 0 };
	struct buf	 msg = { 0 };
	struct sm	 m;
	char		*from, *to, *op, *sess;
	unsigned long	 opv;
	unsigned char	 opb;

	memset(&f->extra, 0, sizeof f->extra);
	if ((from = word(&args)) == NULL || (to = word(&args)) == NULL ||
	    (op = word(&args)) == NULL || (sess = word(&args)) == NULL) {
		emit_error("usage: ussd FROM TO OP SESSINFO TEXT");
		goto out;
	}
	if (parse_uint(op, 255, &opv) == -1) {
		emit_error("ussd: OP is a number from 0 to 255");
		goto out;
	}
	if (strcmp(sess, "-") != 0 &&
	    (hex_decode(sess, &si) == -1 || si.len != 2)) {
		emit_error("ussd: SESSINFO is 4 hex digits or -");
		goto out;
	}
	opb = opv;
	puttlv(&tlvs, TLV_USSD_SERVICE_OP, &opb, 1);
	if (si.len > 0)
		puttlv(&tlvs, TLV_ITS_SESSION_INFO, si.p, si.len);
	putmem(&tlvs, extra.p, extra.len);

	memset(&m, 0, sizeof m);
	m.service_type = "USSD";
	if (utf8_to_gsm(args, &msg) == -1) {
		msg.len = 0;
		if (utf8_to_ucs2(args, &msg) == -1) {
			emit_error("ussd: TEXT is not UTF-8");
			goto out;
		}
		m.data_coding = 8;
	}
	m.msg = msg.p;
	m.msglen = msg.len;
	m.tlvs = tlvs.p;
	m.tlvlen = tlvs.len;
	deliver_to(f, from, to, &m);
out:
	free(extra.p);
	free(tlvs.p);
	free(si.p);
	free(msg.p);
}

static void
cmd_deliver(struct fake *f, char *args)
{
	struct buf	 extra = f->extra, msg = { 0 };
	struct sm	 m;
	char		*from, *to, *dcs, *hex;
	unsigned long	 dc;

	memset(&f->extra, 0, sizeof f->extra);
	if ((from = word(&args)) == NULL || (to = word(&args)) == NULL ||
	    (dcs = word(&args)) == NULL) {
		emit_error("usage: deliver FROM TO DCS HEX");
		goto out;
	}
	if ((hex = word(&args)) == NULL)
		hex = "";			/* an empty message */
	else if (word(&args) != NULL) {
		emit_error("usage: deliver FROM TO DCS HEX");
		goto out;
	}
	if (parse_uint(dcs, 255, &dc) == -1 || hex_decode(hex, &msg) == -1) {
		emit_error("deliver: DCS is a number up to 255, HEX bytes");
		goto out;
	}
	memset(&m, 0, sizeof m);
	m.service_type = "";
	m.data_coding = dc;
	m.msg = msg.p;
	m.msglen = msg.len;
	m.tlvs = extra.p;
	m.tlvlen = extra.len;
	deliver_to(f, from, to, &m);
out:
	free(extra.p);
	free(msg.p);
}

static void
cmd_tlv(struct fake *f, char *args)
{
	struct buf	 value = { 0 };
	char		*tag, *hex;
	size_t		 k;
	unsigned	 t = 0;

	if ((tag = word(&args)) == NULL) {
		emit_error("usage: tlv TAG [VALUE]");
		return;
	}
	if ((hex = word(&args)) == NULL)
		hex = "";
	else if (word(&args) != NULL) {
		emit_error("usage: tlv TAG [VALUE]");
		return;
	}
	for (k = 0; tag[k] != '\0' && k < 4 && hex_digit(tag[k]) != -1; k++)
		t = t << 4 | (unsigned)hex_digit(tag[k]);
	if (k == 0 || tag[k] != '\0' || hex_decode(hex, &value) == -1 ||
	    value.len > 0xffff) {
		emit_error("tlv: TAG is 1 to 4 hex digits, VALUE hex bytes");
		free(value.p);
		return;
	}
	puttlv(&f->extra, t, value.p, value.len);
	free(value.p);
}

/* Looks a receipt status up; -1 if it is none. */
static int
dlr_set(struct fake *f, const char *s)
{
	size_t	 k;

	for (k = 0; k < sizeof stats / sizeof stats[0]; k++)
		if (strcasecmp(s, stats[k].name) == 0) {
			f->dlr_stat = stats[k].name;
			f->dlr_state = stats[k].state;
			return 0;
		}
	return -1;
}

static void
cmd_dlr(struct fake *f, char *args)
{
	char	*s;

	if ((s = word(&args)) == NULL || word(&args) != NULL)
		emit_error("usage: dlr STAT | dlr off");
	else if (strcmp(s, "off") == 0)
		f->dlr_stat = NULL;
	else if (dlr_set(f, s) == -1)
		emit_error("dlr: STAT is DELIVRD, EXPIRED, DELETED, UNDELIV, "
		    "ACCEPTD, UNKNOWN, REJECTD or off");
}

static void
cmd_quit(struct fake *f, char *args)
{
	if (word(&args) != NULL)
		emit_error("usage: quit");
	else
		fake_quit(f);
}

static const struct {
	const char	*name;
	void		(*fn)(struct fake *, char *);
} commands[] = {
	{ "ussd", cmd_ussd },
	{ "deliver", cmd_deliver },
	{ "tlv", cmd_tlv },
	{ "dlr", cmd_dlr },
	{ "quit", cmd_quit },
};

static void
command(struct fake *f, char *line, size_t len)
{
	char	*name;
	size_t	 k;

	if (strlen(line) != len) {
		emit_error("a command holds a NUL");
		return;
	}
	if ((name = word(&line)) == NULL)
		return;				/* a blank line */
	for (k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(name, commands[k].name) == 0) {
			commands[k].fn(f, line);
			return;
		}
	emit_error("unknown command %.32s", name);
}

/*
 * Runs every whole line of stdin.  A pipe or a terminal is polled; a
 * file (or /dev/null) cannot be, so it is read to its end a chunk per
 * turn of the loop.
 */
static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct fake	*f = arg;
	char		*line;
	size_t		 len;
	int		 n;

	(void)fd;
	(void)what;
	n = evbuffer_read(f->line, STDIN_FILENO, 4096);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0 && evbuffer_get_length(f->line) > 0)
		evbuffer_add(f->line, "\n", 1);	/* a last line unended */
	while (!f->quitting && (line = evbuffer_readln(f->line, &len,
	    EVBUFFER_EOL_CRLF)) != NULL) {
		command(f, line, len);
		free(line);
	}
	if (evbuffer_get_length(f->line) > LINE_MAX_LEN) {
		emit_error("a command line is too long");
		evbuffer_drain(f->line, evbuffer_get_length(f->line));
	}
	if (n <= 0)
		fake_quit(f);
	else if (!f->stdin_polled && !f->quitting)
		event_active(f->ev_stdin, EV_READ, 0);
}

static int
fake_listen(struct fake *f, const char *addr, const char *port)
{
	struct addrinfo		 hints, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	unsigned		 bound;
	int			 rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(addr, port, &hints, &ai)) != 0) {
		fprintf(stderr, "fakesmpp: %s port %s: %s\n", addr, port,
		    gai_strerror(rc));
		return -1;
	}
	f->listener = evconnlistener_new_bind(f->base, on_accept, f,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    -1, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (f->listener == NULL) {
		fprintf(stderr, "fakesmpp: listen on %s port %s: %s\n", addr,
		    port, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(f->listener, on_accept_error);
	if (getsockname(evconnlistener_get_fd(f->listener),
	    (struct sockaddr *)&ss, &sslen) == -1) {
		fprintf(stderr, "fakesmpp: getsockname: %s\n",
		    strerror(errno));
		return -1;
	}
	bound = ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);
	emit(json_pack("{s:s,s:i}", "event", "ready", "port", (int)bound));
	return 0;
}

/* Pipes and terminals can be polled; files and /dev/null cannot. */
static int
stdin_pollable(void)
{
	struct stat	 st;

	if (fstat(STDIN_FILENO, &st) == -1)
		return 0;
	return !S_ISREG(st.st_mode) &&
	    !(S_ISCHR(st.st_mode) && !isatty(STDIN_FILENO));
}

static void
fake_free(struct fake *f)
{
	struct conn	*c;
	struct dlr	*d;

	while ((c = TAILQ_FIRST(&f->conns)) != NULL) {
		TAILQ_REMOVE(&f->conns, c, entry);
		bufferevent_free(c->bev);
		free(c);
	}
	while ((d = TAILQ_FIRST(&f->dlrs)) != NULL) {
		TAILQ_REMOVE(&f->dlrs, d, entry);
		event_free(d->ev);
		free(d);
	}
	if (f->listener != NULL)
		evconnlistener_free(f->listener);
	event_free(f->ev_stdin);
	event_free(f->ev_int);
	event_free(f->ev_term);
	event_free(f->ev_reap);
	event_free(f->ev_quit);
	evbuffer_free(f->line);
	free(f->extra.p);
	event_base_free(f->base);
}

static void
usage(void)
{
	fprintf(stderr, "usage: fakesmpp [-a address] -p port "
	    "[-s system_id] [-w password] [-d STAT]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct fake	 f;
	const char	*addr = "127.0.0.1", *port = NULL;
	unsigned long	 v;
	int		 ch;

	memset(&f, 0, sizeof f);
	TAILQ_INIT(&f.conns);
	TAILQ_INIT(&f.dlrs);
	while ((ch = getopt(argc, argv, "a:p:s:w:d:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 's':
			f.system_id = optarg;
			break;
		case 'w':
			f.password = optarg;
			break;
		case 'd':
			if (dlr_set(&f, optarg) == -1) {
				fprintf(stderr, "fakesmpp: -d takes DELIVRD, "
				    "EXPIRED, DELETED, UNDELIV, ACCEPTD, "
				    "UNKNOWN or REJECTD\n");
				return 1;
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port == NULL ||
	    parse_uint(port, 65535, &v) == -1)
		usage();

	/* A peer that goes away must not kill us in the middle of a write. */
	signal(SIGPIPE, SIG_IGN);
	if ((f.base = event_base_new()) == NULL ||
	    (f.line = evbuffer_new()) == NULL)
		abort();
	f.stdin_polled = stdin_pollable();
	f.ev_stdin = event_new(f.base, f.stdin_polled ? STDIN_FILENO : -1,
	    f.stdin_polled ? EV_READ | EV_PERSIST : 0, on_stdin, &f);
	f.ev_int = evsignal_new(f.base, SIGINT, on_signal, &f);
	f.ev_term = evsignal_new(f.base, SIGTERM, on_signal, &f);
	f.ev_reap = event_new(f.base, -1, 0, reap, &f);
	f.ev_quit = evtimer_new(f.base, on_quit_timer, &f);
	if (f.ev_stdin == NULL || f.ev_int == NULL || f.ev_term == NULL ||
	    f.ev_reap == NULL || f.ev_quit == NULL)
		abort();
	if (fake_listen(&f, addr, port) == -1) {
		fake_free(&f);
		return 1;
	}
	evsignal_add(f.ev_int, NULL);
	evsignal_add(f.ev_term, NULL);
	if (f.stdin_polled)
		event_add(f.ev_stdin, NULL);
	else
		event_active(f.ev_stdin, EV_READ, 0);
	event_base_dispatch(f.base);
	fake_free(&f);
	return 0;
}
