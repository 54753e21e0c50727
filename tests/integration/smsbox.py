"""
Calls the gateway's Kannel get-url exactly as Kannel 1.4.5's smsbox does
(see KANNEL notes in the README): %b as percent-encoded bytes with some
left literal, UCS-2 as UTF-16BE with coding=2&charset=UTF-16BE, %D
meta-data URL-encoded twice, %I a UUID that a retry repeats.  The replies
unpack into what a phone would get: the text, the ussd_service_op and the
session TLVs of X-Kannel-Meta-Data, the coding.

UssdDialog has the interface of flagship.Dialog (dial, send, choose,
last), so the flagship walks run over Kannel unchanged.
"""

import http.client
import urllib.parse
import uuid

from ussd import GSM7_BASIC_SET, GSM7_EXT_SET, fits_page, page_cost

SECRET = "kannel-test-secret"

# Kannel's octstr_url_encode() leaves these bytes as they are.
_SAFE = "-_.!~*'()"

OP_PSSR_INDICATION = 1
OP_USSR_REQUEST = 2
OP_PSSR_RESPONSE = 17
OP_USSR_CONFIRM = 18


def kannel_quote(data):
    if isinstance(data, str):
        data = data.encode()
    return urllib.parse.quote(data, safe=_SAFE)


def meta_encode(tlvs):
    """%D of a message with these TLVs (name -> bytes), as it appears in
    the get-url: the smpp group, values escaped, all escaped once more."""
    if not tlvs:
        return ""
    inner = "?smpp?" + "".join(f"{k}={kannel_quote(v)}&"
                               for k, v in tlvs.items())
    return kannel_quote(inner)


def meta_decode(header):
    """X-Kannel-Meta-Data of a reply -> {name: bytes} of its smpp group."""
    out = {}
    if not header:
        return out
    assert header.startswith("?smpp?"), header
    for pair in header[len("?smpp?"):].split("&"):
        if pair:
            k, _, v = pair.partition("=")
            out[urllib.parse.unquote(k)] = urllib.parse.unquote_to_bytes(v)
    return out


class KannelReply:
    """What smsbox would make of the gateway's answer."""

    def __init__(self, status, raw, headers):
        self.status = status
        self.raw = raw
        self.headers = {k.lower(): v for k, v in headers}
        self.body = raw.decode("utf-8")
        self.meta = meta_decode(self.headers.get("x-kannel-meta-data"))

    @property
    def op(self):
        v = self.meta.get("ussd_service_op")
        return v[0] if v is not None and len(v) == 1 else None

    @property
    def session_info(self):
        return self.meta.get("its_session_info")

    @property
    def ucs2(self):
        return self.headers.get("x-kannel-coding") == "2"

    # flagship.Dialog's reply interface
    @property
    def con(self):
        return self.status == 200 and self.op == OP_USSR_REQUEST

    @property
    def end(self):
        return self.status == 200 and self.op == OP_PSSR_RESPONSE

    @property
    def screen(self):
        return self.body

    def __repr__(self):
        return (f"KannelReply({self.status}, op={self.op}, "
                f"info={self.session_info!r}, {self.body!r})")


class Smsbox:
    """smsbox's side of the get-url, aimed at one gateway."""

    def __init__(self, port, secret=SECRET, path="/kannel/mo"):
        self.port = port
        self.secret = secret
        self.path = path

    def url(self, frm, text, smsc, msg_id=None, to="786", tlvs=None,
            ucs2=False, secret=None, extra=""):
        """The get-url for one message; text is str (or raw bytes)."""
        if isinstance(text, str):
            raw = text.encode("utf-16-be") if ucs2 else text.encode()
        else:
            raw = text
        coding, charset = ("2", "UTF-16BE") if ucs2 else ("0", "")
        q = (f"k={kannel_quote(self.secret if secret is None else secret)}"
             f"&from={kannel_quote(frm)}&to={kannel_quote(to)}"
             f"&text={kannel_quote(raw)}"
             f"&id={msg_id or str(uuid.uuid4())}&smsc={smsc}"
             f"&meta={meta_encode(tlvs)}&coding={coding}"
             f"&charset={charset}&ts=1795430000{extra}")
        return f"{self.path}?{q}"

    def get(self, url, timeout=10.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        try:
            # As smsbox sends it: three headers and nothing else.
            conn.putrequest("GET", url, skip_host=True,
                            skip_accept_encoding=True)
            conn.putheader("Host", f"127.0.0.1:{self.port}")
            conn.putheader("Connection", "keep-alive")
            conn.putheader("User-Agent", "Kannel/1.4.5")
            conn.endheaders()
            r = conn.getresponse()
            return KannelReply(r.status, r.read(), r.getheaders())
        finally:
            conn.close()

    def mo(self, frm, text, smsc, **kw):
        return self.get(self.url(frm, text, smsc, **kw))


def is_gsm7(text):
    return all(c in GSM7_BASIC_SET or c in GSM7_EXT_SET for c in text)


def ussd_tlvs(op, session, seq, end=False):
    return {"ussd_service_op": bytes([op]),
            "its_session_info": bytes([session, (seq << 1) | int(end)])}


class UssdDialog:
    """One subscriber's USSD session over the get-url: dial sends op 1
    with the USSD string, every answer op 18; its_session_info carries
    the session number and a sequence.  Every reply is checked: 200, op 2
    or 17, session info echoed with the end bit set exactly on op 17,
    UCS-2 announced exactly when the text needs it, one page."""

    def __init__(self, box, phone, session, smsc="ussd", dialled="*786#"):
        self.box = box
        self.phone = "+" + phone.lstrip("+")
        self.session = session
        self.smsc = smsc
        self.dialled = dialled
        self.seq = 0
        self.replies = []
        self.last_url = None

    def _check(self, r, what):
        assert r.status == 200, f"{what}: {r!r}"
        assert r.op in (OP_USSR_REQUEST, OP_PSSR_RESPONSE), f"{what}: {r!r}"
        info = r.session_info
        assert info is not None and len(info) == 2, f"{what}: {r!r}"
        assert info[0] == self.session, f"{what}: {r!r}"
        assert (info[1] & 1) == (r.op == OP_PSSR_RESPONSE), f"{what}: {r!r}"
        assert r.headers["content-type"].lower() == \
            "text/plain; charset=utf-8", r.headers
        assert r.ucs2 == (not is_gsm7(r.body)), f"{what}: {r!r}"
        assert fits_page(r.body), f"{what}: over budget {page_cost(r.body)}"
        self.replies.append(r)
        return r

    def _mo(self, op, text):
        self.last_url = self.box.url(
            self.phone, text, self.smsc,
            tlvs=ussd_tlvs(op, self.session, self.seq))
        return self._check(self.box.get(self.last_url), text)

    def dial(self):
        return self._mo(OP_PSSR_INDICATION, self.dialled)

    def send(self, x):
        assert not self.replies or self.replies[-1].con, self.replies[-1]
        self.seq += 1
        return self._mo(OP_USSR_CONFIRM, x)

    def again(self):
        """The last message once more, same %I: smsbox's retry."""
        return self._check(self.box.get(self.last_url), "retry")

    def choose(self, label):
        from flagship import pick
        return self.send(pick(self.replies[-1], label))

    @property
    def last(self):
        return self.replies[-1]
