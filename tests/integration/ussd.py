"""
What a test needs to know about USSD texts, independent of the gateway's
own code: GSM 03.38 septet counting, UCS-2 units, page budgets, reference
codes, menu screens, and fresh phone numbers and session ids.
"""

import json
import random
import re
import uuid

SERVICE = "*786#"

# GSM 03.38 default alphabet, by code (0x1B is the escape to the
# extension table, not a character).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(GSM7_BASIC) == 128
GSM7_BASIC_SET = frozenset(GSM7_BASIC) - {"\x1b"}
# The extension table: each costs the escape plus itself.
GSM7_EXT_SET = frozenset("\f^{}\\[~]|€")

USSD_SEPTETS = 182     # one USSD page in GSM-7
USSD_UCS2_UNITS = 80   # the same 160 octets in UCS-2

REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REF_RE = re.compile(r"(?<![0-9A-Za-z])([%s]{6})(?![0-9A-Za-z])"
                    % REF_ALPHABET)


def gsm7_septets(text):
    """Septets text costs in GSM-7, or None if it cannot travel in it."""
    n = 0
    for ch in text:
        if ch in GSM7_BASIC_SET:
            n += 1
        elif ch in GSM7_EXT_SET:
            n += 2
        else:
            return None
    return n


def ucs2_units(text):
    return len(text.encode("utf-16-le")) // 2


def page_cost(text):
    """("gsm7", septets) or ("ucs2", units): what the page travels in."""
    s = gsm7_septets(text)
    if s is not None:
        return "gsm7", s
    return "ucs2", ucs2_units(text)


def fits_page(text, septets=USSD_SEPTETS, units=USSD_UCS2_UNITS):
    coding, n = page_cost(text)
    return n <= (septets if coding == "gsm7" else units)


def has_arabic_script(text):
    return any("\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufdff" or
               "\ufe70" <= ch <= "\ufeff" for ch in text)


def find_refs(text):
    """Every token of text that is shaped like a reference code."""
    return REF_RE.findall(text)


def new_phone():
    """A fresh Pakistani mobile number, +92300 and seven digits."""
    return "+92300%07d" % random.randrange(10 ** 7)


def new_session():
    return "ATUid_" + uuid.uuid4().hex


_OPTION = re.compile(r"^(\d{1,2})\. (.+)$")


def options(screen):
    """The numbered options of a screen: {label: number}."""
    out = {}
    for line in screen.splitlines():
        m = _OPTION.match(line)
        if m:
            out[m.group(2)] = m.group(1)
    return out


def option(screen, label):
    """The number to type for the option whose label matches the regex
    label (case-insensitive); fails if none or several match."""
    opts = options(screen)
    hits = [n for text, n in opts.items() if re.search(label, text, re.I)]
    assert len(hits) == 1, (f"want exactly one option matching {label!r} "
                            f"in screen {screen!r}; options {opts}")
    return hits[0]


def session_record(raw):
    """A session record as Redis holds it ("VERSION|VALUE") as
    (version, dict): the value in the gateway's compact form ("S2;...",
    see gateway/session.c) or, written by older versions, JSON.  The dict
    has the JSON form's keys."""
    version, _, value = raw.partition(b"|")
    if not value.startswith(b"S2;"):
        return int(version), json.loads(value)
    pos = 3

    def num():
        nonlocal pos
        end = value.index(b";", pos)
        n = int(value[pos:end])
        pos = end + 1
        return n

    def string():
        nonlocal pos
        if value[pos:pos + 1] == b"~":
            pos += 1
            return None
        colon = value.index(b":", pos)
        n = int(value[pos:colon])
        s = value[colon + 1:colon + 1 + n]
        assert len(s) == n, raw
        pos = colon + 1 + n
        return s.decode()

    rec = {"v": 2, "screen": string(), "page": num(), "lang": string(),
           "service": string()}
    rec["vars"] = [[string(), string()] for _ in range(num())]
    rec["history"] = [string() for _ in range(num())]
    rec["seq"] = num()
    rec["last_text"] = string()
    # '=': the reply was the page the session shows, not kept.
    rec["last_page"] = value[pos:pos + 1] == b"="
    if rec["last_page"]:
        pos += 1
        rec["last_reply"] = None
    else:
        rec["last_reply"] = string()
    rec["last_end"] = num() == 1
    rec["last_ms"] = num()
    assert pos == len(value), raw
    return int(version), rec
