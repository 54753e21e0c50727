/*
 * Unit tests for kannel_text.c: the text of an MO in each coding and
 * charset Kannel sends, and the smpp meta-data both ways.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/http.h>

#include "gsm.h"
#include "kannel_text.h"
#include "unit.h"

#define SALAM	"\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85"	/* سلام */
#define GRIN	"\xf0\x9f\x98\x80"			/* U+1F600 */

/* Decodes raw[0..len) and checks the result is want; frees it. */
static void
decode_ok(const char *raw, size_t len, int coding, const char *charset,
    const char *want)
{
	char	 err[256] = "";
	char	*out;
	size_t	 outlen = 12345;

	out = kannel_text_decode(raw, len, coding, charset, &outlen, err,
	    sizeof err);
	ck_assert_msg(out != NULL, "decode failed: %s", err);
	ck_assert_uint_eq(outlen, strlen(want));
	ck_assert_mem_eq(out, want, outlen + 1);
	ck_assert(utf8_valid(out, outlen));
	free(out);
}

/* Decoding raw[0..len) fails with an error containing what. */
static void
decode_fails(const char *raw, size_t len, int coding, const char *charset,
    const char *what)
{
	char	 err[256] = "";
	size_t	 outlen = 12345;

	ck_assert_ptr_null(kannel_text_decode(raw, len, coding, charset,
	    &outlen, err, sizeof err));
	ck_assert_msg(strstr(err, what) != NULL, "error \"%s\" lacks \"%s\"",
	    err, what);
}

START_TEST(test_utf16_kannel_example)
{
	/* KANNEL.md: %b of "سلام" with some bytes left unescaped. */
	size_t	 len;
	char	*raw = evhttp_uridecode("%063%06D%06'%06E", 0, &len);

	ck_assert_ptr_nonnull(raw);
	ck_assert_uint_eq(len, 8);
	ck_assert_mem_eq(raw, "\x06\x33\x06\x44\x06\x27\x06\x45", 8);
	decode_ok(raw, len, 2, "UTF-16BE", SALAM);
	decode_ok(raw, len, 2, NULL, SALAM);
	decode_ok(raw, len, 2, "", SALAM);
	decode_ok(raw, len, 0, "ucs-2", SALAM);
	free(raw);
}
END_TEST

START_TEST(test_utf16_surrogate_pair)
{
	decode_ok("\xd8\x3d\xde\x00", 4, 2, "UTF-16BE", GRIN);
	decode_ok("\x00h\xd8\x3d\xde\x00\x00i", 8, 2, NULL, "h" GRIN "i");
	/* The largest code point, U+10FFFF. */
	decode_ok("\xdb\xff\xdf\xff", 4, 2, NULL, "\xf4\x8f\xbf\xbf");
	/* Edges of the encoder: U+007F, U+0080, U+07FF, U+0800, U+FFFF. */
	decode_ok("\x00\x7f\x00\x80\x07\xff\x08\x00\xff\xff", 10, 2, NULL,
	    "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
	decode_ok("", 0, 2, NULL, "");
}
END_TEST

START_TEST(test_utf16_odd_length)
{
	decode_fails("\x06\x33\x06", 3, 2, "UTF-16BE", "odd number");
	decode_fails("\x06", 1, 2, NULL, "odd number");
}
END_TEST

START_TEST(test_utf16_unpaired_surrogates)
{
	/* High surrogate at the end. */
	decode_fails("\x00h\xd8\x3d", 4, 2, NULL,
	    "unpaired high surrogate at byte 2");
	/* High surrogate followed by a BMP character. */
	decode_fails("\xd8\x3d\x00h", 4, 2, NULL, "unpaired high surrogate");
	/* Two high surrogates. */
	decode_fails("\xd8\x3d\xd8\x3d", 4, 2, NULL,
	    "unpaired high surrogate");
	/* Low surrogate alone. */
	decode_fails("\xde\x00", 2, 2, NULL,
	    "unpaired low surrogate at byte 0");
	/* Low before high. */
	decode_fails("\xde\x00\xd8\x3d", 4, 2, NULL, "unpaired low surrogate");
}
END_TEST

START_TEST(test_utf8)
{
	decode_ok(SALAM, strlen(SALAM), 0, "UTF-8", SALAM);
	decode_ok(SALAM GRIN, strlen(SALAM GRIN), 0, NULL, SALAM GRIN);
	decode_ok("hello", 5, 0, "utf-8", "hello");
	decode_ok("hello", 5, -1, "", "hello");
	/* smsbox's mo-recode: charset wins over the coding. */
	decode_ok(SALAM, strlen(SALAM), 2, "UTF-8", SALAM);
	decode_ok("", 0, 0, NULL, "");
}
END_TEST

START_TEST(test_utf8_invalid)
{
	decode_fails("caf\xe9", 4, 0, "UTF-8", "not valid UTF-8");
	decode_fails("\xc0\xaf", 2, 0, NULL, "not valid UTF-8");
	decode_fails("\xed\xa0\x80", 3, 0, NULL, "not valid UTF-8");
	/* Truncated: the first byte of سلام only. */
	decode_fails(SALAM, 1, 0, NULL, "not valid UTF-8");
}
END_TEST

START_TEST(test_latin1)
{
	decode_ok("\x63\x61\x66\xe9", 4, 0, "ISO-8859-1", "caf\xc3\xa9");
	decode_ok("\x63\x61\x66\xe9", 4, 0, "latin1", "caf\xc3\xa9");
	decode_ok("\x80\xff", 2, 0, "ISO-8859-1", "\xc2\x80\xc3\xbf");
}
END_TEST

START_TEST(test_cp1252)
{
	/* € and ™ differ from Latin-1; 0x81 is a hole, kept as U+0081. */
	decode_ok("\x80\x99\x81\xe9", 4, 0, "WINDOWS-1252",
	    "\xe2\x82\xac\xe2\x84\xa2\xc2\x81\xc3\xa9");
	decode_ok("\x9f", 1, 0, "cp1252", "\xc5\xb8");
}
END_TEST

START_TEST(test_binary_rejected)
{
	decode_fails("\x01\x02", 2, 1, NULL, "binary message");
	decode_fails("hello", 5, 1, "UTF-8", "binary message");
	decode_fails("hello", 5, 7, NULL, "unknown coding 7");
}
END_TEST

START_TEST(test_unknown_charset)
{
	decode_fails("hello", 5, 0, "KOI8-R", "unknown charset \"KOI8-R\"");
	decode_fails("hello", 5, 2, "UTF-32", "unknown charset \"UTF-32\"");
	/* Untrusted names are shown printable. */
	decode_fails("hello", 5, 0, "x\ny", "unknown charset \"x?y\"");
}
END_TEST

START_TEST(test_embedded_nul)
{
	decode_fails("a\0b", 3, 0, "UTF-8", "NUL at byte 1");
	decode_fails("a\0b", 3, 0, "ISO-8859-1", "NUL at byte 1");
	decode_fails("\x00h\x00\x00", 4, 2, NULL, "NUL at byte 2");
}
END_TEST

/* The TLV name has the value want[0..len). */
static void
tlv_is(const struct kannel_meta *m, const char *name, const char *want,
    size_t len)
{
	const struct kannel_tlv	*t = kannel_meta_get(m, name);

	ck_assert_msg(t != NULL, "no TLV %s", name);
	ck_assert_str_eq(t->name, name);
	ck_assert_uint_eq(t->len, len);
	if (len > 0)
		ck_assert_mem_eq(t->value, want, len);
}

static void
meta_ok(const char *meta, struct kannel_meta *m)
{
	char	 err[256] = "";

	ck_assert_msg(kannel_meta_parse(meta, m, err, sizeof err) == 0,
	    "parse of \"%s\" failed: %s", meta, err);
}

START_TEST(test_meta_kannel_example)
{
	struct kannel_meta	 m;

	meta_ok("?smpp?ussd_service_op=%01&its_session_info=*%00&", &m);
	ck_assert_uint_eq(m.ntlvs, 2);
	tlv_is(&m, "ussd_service_op", "\x01", 1);
	tlv_is(&m, "its_session_info", "\x2a\x00", 2);
	ck_assert_ptr_null(kannel_meta_get(&m, "its_session"));
	ck_assert_ptr_null(kannel_meta_get(&m, "smpp"));
	kannel_meta_free(&m);
	ck_assert_uint_eq(m.ntlvs, 0);
	ck_assert_ptr_null(m.tlvs);
}
END_TEST

START_TEST(test_meta_from_query)
{
	/* What smsbox puts in the URL, decoded once as the HTTP layer
	 * does. */
	struct kannel_meta	 m;
	char			*once;

	once = evhttp_uridecode("%3Fsmpp%3Fussd_service_op%3D%2501%26"
	    "its_session_info%3D*%2500%26", 1, NULL);
	ck_assert_ptr_nonnull(once);
	ck_assert_str_eq(once,
	    "?smpp?ussd_service_op=%01&its_session_info=*%00&");
	meta_ok(once, &m);
	tlv_is(&m, "ussd_service_op", "\x01", 1);
	tlv_is(&m, "its_session_info", "*\x00", 2);
	kannel_meta_free(&m);
	free(once);
}
END_TEST

START_TEST(test_meta_key_order)
{
	struct kannel_meta	 m;

	meta_ok("?smpp?its_session_info=%2A%00&ussd_service_op=%12&", &m);
	ck_assert_uint_eq(m.ntlvs, 2);
	tlv_is(&m, "ussd_service_op", "\x12", 1);
	tlv_is(&m, "its_session_info", "\x2a\x00", 2);
	kannel_meta_free(&m);
}
END_TEST

START_TEST(test_meta_other_groups)
{
	struct kannel_meta	 m;

	meta_ok("?smpp?ussd_service_op=%02&?other?x=y&ussd_service_op=9&",
	    &m);
	ck_assert_uint_eq(m.ntlvs, 1);
	tlv_is(&m, "ussd_service_op", "\x02", 1);
	kannel_meta_free(&m);

	meta_ok("?other?x=y&?SMPP?session=a+b%2B&", &m);
	ck_assert_uint_eq(m.ntlvs, 1);
	tlv_is(&m, "session", "a b+", 4);
	kannel_meta_free(&m);

	/* Last '&' missing, empty value, empty group. */
	meta_ok("?smpp?a=&b=x?x??smpp?c=1", &m);
	ck_assert_uint_eq(m.ntlvs, 3);
	tlv_is(&m, "a", "", 0);
	tlv_is(&m, "b", "x", 1);
	tlv_is(&m, "c", "1", 1);
	kannel_meta_free(&m);
}
END_TEST

START_TEST(test_meta_empty)
{
	struct kannel_meta	 m;

	meta_ok("", &m);
	ck_assert_uint_eq(m.ntlvs, 0);
	ck_assert_ptr_null(kannel_meta_get(&m, "ussd_service_op"));
	kannel_meta_free(&m);
	meta_ok("?smpp?", &m);
	ck_assert_uint_eq(m.ntlvs, 0);
	kannel_meta_free(&m);
	meta_ok(NULL, &m);
	ck_assert_uint_eq(m.ntlvs, 0);
	kannel_meta_free(&m);
}
END_TEST

START_TEST(test_meta_malformed)
{
	static const struct {
		const char	*meta;
		const char	*what;
	} cases[] = {
		{ "?smpp", "no closing '?'" },
		{ "?smpp?a=1&?other", "no closing '?'" },
		{ "?smpp?ussd_service_op&", "has no '='" },
		{ "?smpp?a=1&&", "has no '='" },
		{ "?other?novalue&?smpp?a=1&", "has no '='" },
		{ "?smpp?a=%0&", "bad percent escape \"%0\"" },
		{ "?smpp?a=%zz&", "bad percent escape \"%zz\"" },
		{ "?smpp?a=%", "bad percent escape \"%\"" },
		{ "?smpp?a%G1=1&", "key has a bad percent escape" },
		{ "?sm%pp?a=1&", "group has a bad percent escape" },
		{ "?smpp?=1&", "key is empty" },
		{ "?smpp?a%00b=1&", "key is holding a NUL" },
		{ "?smpp?a=1&a=2&", "\"a\" is repeated" },
		{ "smpp?a=1&", "not in a ?group?" },
	};
	struct kannel_meta	 m;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		m.tlvs = (void *)&m;	/* must be overwritten */
		m.ntlvs = 99;
		ck_assert_msg(kannel_meta_parse(cases[i].meta, &m, err,
		    sizeof err) == -1, "\"%s\" parsed", cases[i].meta);
		ck_assert_msg(strstr(err, cases[i].what) != NULL,
		    "\"%s\": error \"%s\" lacks \"%s\"", cases[i].meta, err,
		    cases[i].what);
		ck_assert_ptr_null(m.tlvs);
		ck_assert_uint_eq(m.ntlvs, 0);
		kannel_meta_free(&m);
	}
}
END_TEST

START_TEST(test_meta_build)
{
	struct kannel_tlv	 tlvs[] = {
		{ "ussd_service_op", (unsigned char *)"\x02", 1 },
		{ "its_session_info", (unsigned char *)"\x2a\x00", 2 },
	};
	char			*s;

	s = kannel_meta_build(tlvs, 2);
	ck_assert_str_eq(s,
	    "?smpp?ussd_service_op=%02&its_session_info=%2A%00&");
	free(s);
	s = kannel_meta_build(tlvs, 0);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_meta_round_trip)
{
	unsigned char		 all[256];
	struct kannel_tlv	 tlvs[4];
	struct kannel_meta	 m;
	char			*s;
	size_t			 i;

	for (i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)i;
	tlvs[0] = (struct kannel_tlv){ "every_byte", all, sizeof all };
	tlvs[1] = (struct kannel_tlv){ "empty", all, 0 };
	tlvs[2] = (struct kannel_tlv){ "odd ?&=%+name", all + 32, 16 };
	tlvs[3] = (struct kannel_tlv){ "its_session_info",
	    (unsigned char *)"\x2a\x01", 2 };
	s = kannel_meta_build(tlvs, 4);
	meta_ok(s, &m);
	ck_assert_uint_eq(m.ntlvs, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_str_eq(m.tlvs[i].name, tlvs[i].name);
		tlv_is(&m, tlvs[i].name, (const char *)tlvs[i].value,
		    tlvs[i].len);
	}
	kannel_meta_free(&m);
	free(s);
}
END_TEST

static Suite *
kannel_text_suite(void)
{
	Suite	*s = suite_create("kannel_text");
	TCase	*tc;

	tc = tcase_create("decode");
	UNIT_ADD(tc, test_utf16_kannel_example, test_utf16_surrogate_pair,
	    test_utf16_odd_length, test_utf16_unpaired_surrogates, test_utf8,
	    test_utf8_invalid, test_latin1, test_cp1252, test_binary_rejected,
	    test_unknown_charset, test_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("meta");
	UNIT_ADD(tc,
	    test_meta_kannel_example, test_meta_from_query, test_meta_key_order,
	    test_meta_other_groups, test_meta_empty, test_meta_malformed,
	    test_meta_build, test_meta_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(kannel_text_suite());
}
