"""
The Kannel endpoints spoken to directly, byte for byte as smsbox speaks:
USSD dialogues with their ops and session TLVs, UCS-2, idempotency on %I,
"service busy" with a dead Redis, unreadable messages, the allowlist and
the secret, delivery reports, and the admin endpoints with a stand-in
sendsms server.  test_kannel.py runs the same through real Kannel.
"""

import http.server
import json
import random
import threading
import time
import urllib.parse

import pytest

from flagship import BUSY_EN, LANGS, menu_text, menu_value, submit_request
from smsbox import (OP_PSSR_RESPONSE, OP_USSR_REQUEST, SECRET, Smsbox,
                    UssdDialog, ussd_tlvs)
from ussd import new_phone

ADMIN_TOKEN = "admin-test-token"


def kannel_conf(**over):
    k = {
        "secret": SECRET,
        "allow": ["127.0.0.1"],
        "smsc": [{"id": "ussd", "kind": "ussd"},
                 {"id": "sms", "kind": "sms", "service": "*786#"}],
    }
    k.update(over)
    return k


@pytest.fixture
def kgw(gateway):
    """A gateway with the Kannel bridge and its smsbox."""
    def make(expect_errors=(), **over):
        gw = gateway(kannel=kannel_conf(**over),
                     admin={"token": ADMIN_TOKEN},
                     expect_errors=expect_errors)
        return gw, Smsbox(gw.port)
    return make


def session_number():
    return random.randrange(256)


def test_flagship_dialogue_in_each_language(kgw):
    gw, box = kgw()
    refs = []
    for lang in ("en", "ur-Latn", "ur"):
        d = UssdDialog(box, new_phone(), session_number())
        refs.append(submit_request(d, lang))
        # The dialogue at the op level: 2 on every screen but the last.
        assert [r.op for r in d.replies[:-1]] == \
            [OP_USSR_REQUEST] * (len(d.replies) - 1)
        assert d.last.op == OP_PSSR_RESPONSE
        assert d.last.session_info[1] & 1
    # Urdu screens go out as UCS-2 (checked on every reply by UssdDialog).
    assert d.replies[-1].ucs2
    booked = [r["ref"] for r in gw.requests()]
    assert booked == refs


def test_ucs2_input_with_literal_bytes(kgw):
    gw, box = kgw()
    d = UssdDialog(box, new_phone(), session_number())
    d.dial()
    d.choose(LANGS["en"]["language"])
    # "١" (ARABIC-INDIC DIGIT ONE) is not "1": an invalid choice, read
    # correctly from UTF-16BE whose bytes smsbox leaves partly unescaped.
    d.seq += 1
    url = box.url(d.phone, "سلام", "ussd", ucs2=True,
                  tlvs=ussd_tlvs(18, d.session, d.seq))
    assert "%063%06D%06'%06E" in url
    r = box.get(url)
    assert r.status == 200 and r.op == OP_USSR_REQUEST, r
    assert r.body.startswith("Invalid choice."), r


def test_retry_of_same_id_while_first_runs(kgw, redis):
    gw, box = kgw()
    d = UssdDialog(box, new_phone(), session_number())
    from flagship import walk_to_cnic
    walk_to_cnic(d, "en")
    d.send("1234")                   # the confirm screen
    d.seq += 1
    url = box.url(d.phone, "1", "ussd",
                  tlvs=ussd_tlvs(18, d.session, d.seq))
    # Redis busy for 200 ms: the first call waits on it, and smsbox's
    # retry (same %I) arrives while it does.
    blocker = threading.Thread(target=redis.command, args=(
        "EVAL", "local t = redis.call('TIME'); "
        "local stop = t[1] * 1000000 + t[2] + 200000; "
        "repeat t = redis.call('TIME') "
        "until t[1] * 1000000 + t[2] >= stop; return 1", "0"))
    blocker.start()
    time.sleep(0.05)
    replies = [None, None]

    def call(i):
        replies[i] = box.get(url)
    ts = [threading.Thread(target=call, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
        time.sleep(0.02)
    for t in ts + [blocker]:
        t.join(10)
    a, b = replies
    assert a.status == b.status == 200
    assert a.body == b.body and a.op == b.op == OP_PSSR_RESPONSE, (a, b)
    assert len(gw.requests()) == 1
    # And once more, later: still the same answer, still one request.
    assert box.get(url).body == a.body
    assert len(gw.requests()) == 1
    assert "outcome=retry" in gw.log()


def test_new_session_under_a_used_number_starts_over(kgw):
    gw, box = kgw()
    phone, n = new_phone(), session_number()
    d = UssdDialog(box, phone, n)
    d.dial()
    d.choose(LANGS["en"]["language"])
    d2 = UssdDialog(box, phone, n)
    r = d2.dial()
    assert menu_text("language", "en").split("\n")[0] in r.body, r


def test_shortcut_dial_opens_at_the_named_screen(kgw):
    """*786*1*1#: English, then "Request help" — the dial names the
    screen, and the session goes on from there over op 18."""
    gw, box = kgw()
    d = UssdDialog(box, new_phone(), session_number(), dialled="*786*1*1#")
    r = d.dial()
    assert r.op == OP_USSR_REQUEST and \
        LANGS["en"]["category"] in r.body, r
    r = d.choose(LANGS["en"]["food"])
    assert menu_text("district", "en") in r.body, r
    # In Urdu script, and with the CNIC digits in the dial: the confirm.
    d = UssdDialog(box, new_phone(), session_number(),
                   dialled="*786*3*1*1*1*1234#")
    r = d.dial()
    assert r.ucs2 and menu_value("lahore", "ur") in r.body, r
    assert "1234" in r.body, r
    # An input no screen takes stops there, with the screen's error.
    d = UssdDialog(box, new_phone(), session_number(),
                   dialled="*786*1*9*1#")
    r = d.dial()
    assert r.op == OP_USSR_REQUEST, r
    assert r.body.startswith("Invalid choice.\n"), r
    assert LANGS["en"]["main"] in r.body, r


def test_redis_down_answers_busy_with_200(kgw, redis):
    gw, box = kgw()
    redis.stop()
    d = UssdDialog(box, new_phone(), session_number())
    r = d.dial()
    assert r.end and r.body == BUSY_EN, r
    redis.start()


def test_continuation_of_unknown_session_expires(kgw):
    gw, box = kgw()
    r = box.mo(new_phone(), "1", "ussd", tlvs=ussd_tlvs(18, 9, 1))
    assert r.status == 200 and r.op == OP_PSSR_RESPONSE, r
    assert r.body.startswith("Your session has expired"), r
    assert r.session_info == bytes([9, 3])


def test_unreadable_text_ends_politely(kgw):
    gw, box = kgw()
    # An odd number of UTF-16 bytes, and an unpaired surrogate.
    for raw in (b"\x06", b"\xd8\x00\x00\x41"):
        url = box.url(new_phone(), raw, "ussd", ucs2=True,
                      tlvs=ussd_tlvs(1, 5, 0))
        r = box.get(url)
        assert r.status == 200 and r.op == OP_PSSR_RESPONSE, r
        assert r.body.startswith("Sorry, your message could not be read"), r
        assert r.session_info == bytes([5, 1])
    r = box.mo(new_phone(), b"\x06", "sms", ucs2=True)
    assert r.status == 200 and "could not be read" in r.body, r
    assert gw.log().count("event=unreadable") == 3


def test_abort_and_unknown_ops_send_nothing(kgw):
    gw, box = kgw(ussd_profiles={"default": {"abort": [33]}})
    for op in (33, 99):
        r = box.mo(new_phone(), "", "ussd", tlvs=ussd_tlvs(op, 1, 1))
        assert r.status == 200 and r.raw == b"", r
    assert "event=ussd-abort" in gw.log()
    assert "event=ussd-unknown-op" in gw.log()


def test_vendor_session_tlv_names_the_session(kgw):
    gw, box = kgw(
        smsc=[{"id": "ussd", "kind": "ussd", "profile": "vendor"}],
        ussd_profiles={"vendor": {"begin": [1], "continue": [18],
                                  "session_info": False,
                                  "session_tlv": "vendor_session_id"}})
    phone = new_phone()
    # Two sessions of one phone, told apart only by the vendor TLV.
    for vid in (b"A1\x00", b"B2\x00"):
        r = box.mo(phone, "*786#", "ussd", tlvs={
            "ussd_service_op": b"\x01", "vendor_session_id": vid})
        assert r.op == OP_USSR_REQUEST, r
        assert r.meta["vendor_session_id"] == vid
        assert "its_session_info" not in r.meta
    r = box.mo(phone, "1", "ussd", tlvs={
        "ussd_service_op": b"\x12", "vendor_session_id": b"A1\x00"})
    assert r.op == OP_USSR_REQUEST and LANGS["en"]["main"] in r.body, r
    r = box.mo(phone, "3", "ussd", tlvs={
        "ussd_service_op": b"\x12", "vendor_session_id": b"B2\x00"})
    assert r.op == OP_USSR_REQUEST and "اردو" not in r.body, r
    assert gw.session_key(phone, "kannel.ussd.v413100") in \
        [k.decode() for k in gw.redis.command("KEYS", "asanigw:*")]


def test_unknown_sms_gets_help_in_its_language(kgw):
    gw, box = kgw()
    r = box.mo(new_phone(), "hello", "sms")
    assert r.status == 200 and "*786#" in r.body and not r.ucs2, r
    assert "x-kannel-meta-data" not in r.headers
    r = box.mo(new_phone(), "سلام", "sms", ucs2=True)
    assert r.status == 200 and r.ucs2 and "*786#" in r.body, r
    assert "عطیہ" in r.body, r     # the HELP, in Urdu


def test_only_allowed_callers_with_the_secret(kgw):
    gw, box = kgw()
    url = box.url(new_phone(), "*786#", "ussd", tlvs=ussd_tlvs(1, 1, 0))
    assert box.get(url).status == 200
    for bad in ("", "kannel-test-secreT", SECRET + "x"):
        r = box.get(box.url(new_phone(), "*786#", "ussd", secret=bad,
                            tlvs=ussd_tlvs(1, 1, 0)))
        assert r.status == 403, r
    r = box.get(url.replace(f"k={SECRET}&", ""))
    assert r.status == 403, r
    gw2, box2 = kgw(allow=["10.0.0.0/8", "::1"])
    r = box2.get(box2.url(new_phone(), "*786#", "ussd",
                          tlvs=ussd_tlvs(1, 1, 0)))
    assert r.status == 403, r
    assert "address not allowed" in gw2.log()
    assert SECRET not in gw.log() and SECRET not in gw2.log()


def test_get_url_mistakes_are_400_and_said_loudly(kgw):
    gw, box = kgw(expect_errors=[r"event=bad-request"])
    phone = new_phone()
    cases = [
        (box.url("0300123", "x", "ussd"), "from"),
        (box.url(phone, "x", "nowhere"), "kannel.smsc"),
        (box.url(phone, "x", "ussd", msg_id="bad%21id"), "id"),
        (box.url(phone, "x", "ussd", extra="&coding=0"), "repeated"),
        (box.url(phone, "x", "ussd").replace("&coding=0", "&coding=x"),
         "coding"),
        # smsbox escapes every '%' it sends: a bare one is no get-url's
        (box.url(phone, "x", "ussd").replace("text=x", "text=%zz"),
         "field text has a bad percent escape"),
        (box.url(phone, "x", "ussd").replace("text=x", "text=1%"),
         "bad percent escape"),
    ]
    for url, want in cases:
        r = box.get(url)
        assert r.status == 400 and want in r.body, (url, r)
    r = gw.request("POST", box.url(phone, "x", "ussd"))
    assert r.status == 405 and r.headers["Allow"] == "GET"


def dlr(gw, msg_id, typ, secret=SECRET, smscid="77"):
    return gw.get(f"/kannel/dlr?k={secret}&type={typ}&smscid={smscid}"
                  f"&ts=1&id={msg_id}")


def submitted(redis, msg_id):
    """The record sendsms leaves for a message smsbox took."""
    redis.command("HSET", "asanigw:{dlr}:" + msg_id, "state", "submitted",
                  "submitted_ms", "1")
    redis.command("HINCRBY", "asanigw:{dlr}:counts", "submitted", 1)


def admin_get(gw, path, token=ADMIN_TOKEN):
    return gw.request("GET", path,
                      headers={"Authorization": f"Bearer {token}"})


def test_dlr_states_are_recorded_and_counted(kgw, redis):
    gw, box = kgw(expect_errors=[r"event=bad-request"],
                  sendsms={"url": "http://127.0.0.1:9/", "dlr_ttl": 120})
    a, b = "0123456789abcdef", "fedcba9876543210"
    for msg_id in (a, b):       # as sendsms leaves them
        submitted(redis, msg_id)
    assert dlr(gw, a, 8).status == 200
    assert dlr(gw, a, 1).status == 200
    assert dlr(gw, a, 8).status == 200     # late and repeated
    assert dlr(gw, b, 16).status == 200
    rec = redis.command("HGETALL", "asanigw:{dlr}:" + a)
    rec = dict(zip(rec[::2], rec[1::2]))
    assert rec[b"state"] == b"delivered" and rec[b"smsc_id"] == b"77"
    assert 0 < redis.command("TTL", "asanigw:{dlr}:" + a) <= 120
    stats = json.loads(admin_get(gw, "/admin/stats").body)
    assert stats["dlr"] == {"accepted": 1, "delivered": 1, "rejected": 1,
                            "submitted": 2}
    assert dlr(gw, a, 3).status == 400
    assert dlr(gw, "xyz", 1).status == 400
    assert dlr(gw, a, 1, secret="nope").status == 403
    redis.stop()
    assert dlr(gw, a, 1).status == 503
    redis.start()


def test_dlr_for_an_id_never_issued_is_answered_but_not_counted(kgw, redis):
    """A report for an id the gateway never sent (or whose record
    expired) is logged and answered 200, so smsbox does not retry it, but
    neither recorded nor counted."""
    gw, box = kgw(sendsms={"url": "http://127.0.0.1:9/", "dlr_ttl": 120})
    known, forged = "00112233445566aa", "ffeeddccbbaa9988"
    submitted(redis, known)
    r = dlr(gw, forged, 1)
    assert r.status == 200 and r.body.strip() == "unknown id", r
    assert dlr(gw, forged, 8).status == 200
    assert redis.command("EXISTS", "asanigw:{dlr}:" + forged) == 0
    assert dlr(gw, known, 1).status == 200
    stats = json.loads(admin_get(gw, "/admin/stats").body)
    assert stats["dlr"] == {"delivered": 1, "submitted": 1}
    lines = [ln for ln in gw.log().splitlines() if "event=dlr-unknown" in ln]
    assert len(lines) == 2 and all(f"id={forged}" in ln for ln in lines)
    assert f"event=dlr id={known} state=delivered" in gw.log()


class FakeSendsms(http.server.ThreadingHTTPServer):
    """smsbox's sendsms interface, answering from a script of statuses
    (the last repeats); every query it got is kept."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.queries = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.queries.append(urllib.parse.parse_qs(
                    urllib.parse.urlsplit(self.path).query))
                st = (outer.statuses.pop(0) if len(outer.statuses) > 1
                      else outer.statuses[0])
                if st is None:
                    time.sleep(3)
                    return
                body = b"0: Accepted for delivery"
                self.send_response(st)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        super().__init__(("127.0.0.1", 0), H)
        self.thread = threading.Thread(target=self.serve_forever,
                                       daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/cgi-bin/sendsms"

    def close(self):
        self.shutdown()
        self.server_close()


@pytest.fixture
def fake_sendsms():
    made = []

    def make(*statuses):
        s = FakeSendsms(statuses)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def admin_send(gw, **fields):
    return gw.request(
        "POST", "/admin/send", body=urllib.parse.urlencode(fields),
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                 "Content-Type": "application/x-www-form-urlencoded"})


def test_sendsms_retries_then_succeeds(kgw, fake_sendsms, redis):
    ss = fake_sendsms(503, 503, 202)
    gw, box = kgw(sendsms={"url": ss.url, "username": "gw",
                           "password": "pw", "from": "786", "smsc": "sms",
                           "attempts": 4})
    r = admin_send(gw, to="+923001234567", text="آپ کی رسید")
    assert r.status == 202, r
    msg_id = json.loads(r.body)["id"]
    assert len(ss.queries) == 3
    q = ss.queries[-1]
    assert q["username"] == ["gw"] and q["password"] == ["pw"]
    assert q["to"] == ["+923001234567"] and q["from"] == ["786"]
    assert q["text"] == ["آپ کی رسید"]
    assert q["coding"] == ["2"] and q["charset"] == ["UTF-8"]
    assert q["smsc"] == ["sms"] and q["dlr-mask"] == ["31"]
    dlr_url = q["dlr-url"][0]
    assert dlr_url.startswith(f"http://127.0.0.1:{gw.port}/kannel/dlr?")
    assert f"id={msg_id}" in dlr_url and "type=%d" in dlr_url
    # Kannel fills in %d: the report lands under the message's id.
    filled = dlr_url.replace("%d", "1").replace("%F", "9").replace("%T", "1")
    assert gw.get(filled[len(f"http://127.0.0.1:{gw.port}"):]).status == 200
    rec = redis.command("HGET", "asanigw:{dlr}:" + msg_id, "state")
    assert rec == b"delivered"
    assert gw.log().count("event=sendsms-retry") == 2


def test_sendsms_pushes_ussd_and_gives_up_properly(kgw, fake_sendsms):
    ss = fake_sendsms(202)
    gw, box = kgw(sendsms={"url": ss.url, "attempts": 2,
                           "timeout_ms": 500})
    r = admin_send(gw, to="923001234567", text="Your request moved on",
                   smsc="ussd", ussd_op="3")
    assert r.status == 202, r
    meta = ss.queries[-1]["meta-data"][0]
    assert meta == "?smpp?ussd_service_op=%03&", meta
    assert ss.queries[-1]["coding"] == ["0"]
    # Refused: no retry.
    ss.statuses = [403]
    n = len(ss.queries)
    r = admin_send(gw, to="923001234567", text="x")
    assert r.status == 502 and "credentials" in r.body, r
    assert len(ss.queries) == n + 1
    # Never answering: each attempt times out, then it fails.
    ss.statuses = [None]
    t0 = time.monotonic()
    r = admin_send(gw, to="923001234567", text="x")
    assert r.status == 502 and "no answer" in r.body, r
    assert time.monotonic() - t0 < 3
    assert admin_send(gw, to="923001234567", text="x",
                      ussd_op="5").status == 400


def test_admin_needs_the_token(kgw):
    gw, box = kgw()
    assert gw.get("/admin/stats").status == 401
    assert admin_get(gw, "/admin/stats", token="wrong").status == 403
    r = admin_get(gw, "/admin/stats")
    assert r.status == 200 and json.loads(r.body)["inflight"] == 0
    r = admin_send(gw, to="923001234567", text="x")
    assert r.status == 503 and "not configured" in r.body, r


def test_reload_changes_the_kannel_settings(kgw):
    import signal as sig
    from conftest import wait_until
    gw, box = kgw()
    d = UssdDialog(box, new_phone(), session_number())
    d.dial()
    gw.rewrite_config(kannel=kannel_conf(
        secret="rotated-secret",
        smsc=[{"id": "ussd", "kind": "ussd"},
              {"id": "ussd2", "kind": "ussd"}]))
    gw.signal(sig.SIGHUP)
    wait_until(lambda: "event=reload services" in gw.log(), 3.0,
               "the reload")
    assert box.get(d.last_url).status == 403
    box.secret = "rotated-secret"
    # The session in progress goes on; the new smsc serves.
    r = d.choose(LANGS["en"]["language"])
    assert r.con and LANGS["en"]["main"] in r.body, r
    r = UssdDialog(box, new_phone(), 3, smsc="ussd2").dial()
    assert r.con, r


def test_admin_send_respects_stop(kgw, fake_sendsms):
    """An SMS to a number that sent STOP is refused; a USSD push into the
    subscriber's own session is not an SMS and still goes."""
    ss = fake_sendsms(202)
    gw, box = kgw(sendsms={"url": ss.url})
    phone = new_phone()
    assert "no more messages" in box.mo(phone, "STOP", "sms").body
    r = admin_send(gw, to=phone, text="Hello")
    assert r.status == 409 and "STOP" in r.body, r
    assert ss.queries == []
    r = admin_send(gw, to=phone, text="Your request moved on", smsc="ussd",
                   ussd_op="3")
    assert r.status == 202, r
    box.mo(phone, "START", "sms")
    assert admin_send(gw, to=phone, text="Hello").status == 202
    assert admin_send(gw, to="12", text="Hello").status == 400
