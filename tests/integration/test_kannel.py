"""
Through real Kannel: Debian's bearerbox and smsbox (-v 2) between the
gateway and a fake operator — the project's fakesmpp for USSD over SMPP,
Kannel's fakesmsc for SMS.  What is asserted is what the operator's SMSC
and the phone see: submit_sm PDUs with their ussd_service_op,
its_session_info and data_coding, and SMS texts.
"""

import json
import time
import urllib.parse

import pytest

from conftest import BACKOFFICE_SECRET, wait_until
from flagship import LANGS, menu_text, submit_request, walk_to_cnic
from kannel import FakeSMPP, Kannel
from ussd import new_phone

SECRET = "kannel-chain-secret"
ADMIN_TOKEN = "admin-chain-token"


class Chain:
    """fakesmpp + bearerbox + smsbox + fakesmsc + the gateway."""

    def __init__(self, smpp, kannel, gw):
        self.smpp = smpp
        self.kannel = kannel
        self.gw = gw


@pytest.fixture
def chain(tmp_path, gateway):
    """chain(kannel_overrides=None, **gateway_overrides) -> Chain."""
    started = []

    def make(kannel_overrides=None, **over):
        smpp = FakeSMPP(str(tmp_path)).start()
        started.append(smpp)
        k = Kannel(str(tmp_path), None, SECRET, smpp.port,
                   overrides=kannel_overrides)
        started.append(k)
        kconf = {
            "secret": SECRET,
            "allow": ["127.0.0.1"],
            "smsc": [{"id": "ussd", "kind": "ussd"},
                     {"id": "sms", "kind": "sms", "service": "*786#"}],
            "sendsms": {"url": k.sendsms_url,
                        "username": k.sendsms_username,
                        "password": k.sendsms_password,
                        "from": "786", "smsc": "sms"},
        }
        kconf.update(over.pop("kannel", {}))
        gw = gateway(kannel=kconf, admin={"token": ADMIN_TOKEN}, **over)
        kconf["gateway_url"] = f"http://127.0.0.1:{gw.port}"
        k.gw_port = gw.port
        k.start()
        smpp.wait_bound()
        return Chain(smpp, k, gw)
    yield make
    for p in reversed(started):
        p.stop()


class SmppReply:
    """A submit_sm the gateway's answer became, read like a screen."""

    def __init__(self, pdu):
        self.pdu = pdu
        self.tlvs = pdu["tlvs"]
        self.text = pdu["text"]

    @property
    def op(self):
        return int(self.tlvs["0501"], 16) if "0501" in self.tlvs else None

    @property
    def session_info(self):
        v = self.tlvs.get("1383")
        return bytes.fromhex(v) if v is not None else None

    @property
    def con(self):
        return self.op == 2

    @property
    def end(self):
        return self.op == 17

    @property
    def screen(self):
        return self.text

    def __repr__(self):
        return (f"SmppReply(op={self.op}, info={self.session_info!r}, "
                f"dcs={self.pdu['data_coding']}, {self.text!r})")


class SmppDialog:
    """One subscriber at the operator's SMSC: deliver_sm with op 1 to
    dial, 18 to answer; every reply must be a submit_sm to that phone
    with op 2 or 17, its_session_info echoed (end bit on op 17 only), in
    data_coding 8 exactly when the text is not GSM.  flagship.Dialog's
    interface."""

    def __init__(self, chain, phone, session):
        self.smpp = chain.smpp
        self.phone = phone.lstrip("+")
        self.session = session
        self.seq = 0
        self.replies = []

    def _mo(self, op, text):
        info = bytes([self.session, self.seq << 1]).hex()
        self.smpp.ussd(self.phone, "786", op, info, text)
        r = SmppReply(self.smpp.next_submit(15))
        assert r.pdu["destination_addr"].lstrip("+") == self.phone, r.pdu
        assert r.pdu["service_type"] == "USSD", r.pdu
        assert r.op in (2, 17), r
        assert r.session_info is not None and \
            r.session_info[0] == self.session, r
        assert (r.session_info[1] & 1) == (r.op == 17), r
        assert r.session_info[1] >> 1 == self.seq, r
        from kannel import is_gsm
        assert r.pdu["data_coding"] == (0 if is_gsm(r.text) else 8), r
        self.replies.append(r)
        return r

    def dial(self, dialled="*786#"):
        return self._mo(1, dialled)

    def send(self, x):
        assert not self.replies or self.replies[-1].con, self.replies[-1]
        self.seq += 1
        return self._mo(18, x)

    def choose(self, label):
        from flagship import pick
        return self.send(pick(self.replies[-1], label))

    @property
    def last(self):
        return self.replies[-1]


def test_ussd_dialogue_at_the_smpp_level(chain):
    c = chain()
    d = SmppDialog(c, new_phone(), 42)
    ref = submit_request(d, "ur")
    ops = [r.op for r in d.replies]
    assert ops == [2] * (len(ops) - 1) + [17], ops
    # Urdu screens travel as UCS-2 and decode to the menu's exact text.
    main = d.replies[1]
    assert main.pdu["data_coding"] == 8
    assert main.text.startswith(menu_text("main", "ur")), main
    assert [x["ref"] for x in c.gw.requests()] == [ref]
    first = d.replies[0]
    assert first.text.startswith(menu_text("language", "en").split("\n")[0])


def test_shortcut_dial_through_kannel(chain):
    """*786*1*2# arrives with op 1 as the USSD string: it opens at the
    screen its inputs name (English, "Follow my request"); *786*2*1*1*1#
    at the district one in Roman Urdu, and the session goes on over op
    18 to a request booked once."""
    c = chain()
    d = SmppDialog(c, new_phone(), 12)
    r = d.dial("*786*1*2#")
    assert r.con and menu_text("track", "en") in r.text, r
    d = SmppDialog(c, new_phone(), 13)
    r = d.dial("*786*2*1*1*1#")
    L = LANGS["ur-Latn"]
    assert r.con and L["cnic_prompt"] in r.text, r
    r = d.send("1234")
    assert r.con and "1234" in r.text, r
    r = d.send("1")
    assert r.end, r
    ref = L["ref"].search(r.text)
    assert ref, r
    assert [x["ref"] for x in c.gw.requests()] == [ref.group(1)]


def test_sms_reaches_the_gateway_and_the_reply_the_phone(chain):
    c = chain()
    sms = c.kannel.fakesmsc
    sms.send("+923001234567", "786", "hello")
    frm, to, text = sms.next_reply(15)
    # Not a command: the HELP, in the sender's language.
    assert to.lstrip("+") == "923001234567" and "*786#" in text, text
    assert "PLEDGE" in text, text
    sms.send("+923001234568", "786", "سلام")
    frm, to, text = sms.next_reply(15)
    assert "عطیہ" in text and "*786#" in text, text
    assert "outcome=unknown" in c.gw.log()


def test_smsbox_retry_of_a_slow_call_books_once(chain, redis):
    # smsbox gives up on a call after 1 s and repeats it (same %I); the
    # gateway is held up 2 s by a busy Redis, well within its deadline.
    c = chain(kannel_overrides={"smsbox": {"http-timeout": 1,
                                           "http-request-retry": 3,
                                           "http-queue-delay": 0}},
              redis={"timeout_ms": 3000},
              session={"hop_deadline_ms": 4000})
    d = SmppDialog(c, new_phone(), 7)
    walk_to_cnic(d, "en")
    d.send("1234")                       # the confirm screen
    d.seq += 1
    info = bytes([d.session, d.seq << 1]).hex()
    import threading
    blocker = threading.Thread(target=redis.command, kwargs={
        "timeout": 10}, args=(
        "EVAL", "local t = redis.call('TIME'); "
        "local stop = t[1] * 1000000 + t[2] + 2000000; "
        "repeat t = redis.call('TIME') "
        "until t[1] * 1000000 + t[2] >= stop; return 1", "0"))
    blocker.start()
    time.sleep(0.05)
    c.smpp.ussd(d.phone, "786", 18, info, "1")
    blocker.join(10)
    r = SmppReply(c.smpp.next_submit(15))
    assert r.end and LANGS["en"]["ref"].search(r.text), r
    # One request booked, the retries answered from the session.
    time.sleep(1.5)
    assert len(c.gw.requests()) == 1
    log = c.gw.log()
    assert "outcome=retry" in log, log[-3000:]


def test_gateway_restart_mid_session_resumes_from_redis(chain):
    c = chain()
    d = SmppDialog(c, new_phone(), 9)
    d.dial()
    d.choose(LANGS["en"]["language"])
    d.choose(LANGS["en"]["help"])
    c.gw.stop()
    c.gw.exit_checked = False
    c.gw.start()
    r = d.choose(LANGS["en"]["food"])
    assert r.con, r
    r = d.choose(LANGS["en"]["lahore"])
    assert r.con and LANGS["en"]["cnic_prompt"] in r.text, r


def admin(gw, method, path, **fields):
    body = urllib.parse.urlencode(fields) if fields else None
    return gw.request(method, path, body=body, headers={
        "Authorization": f"Bearer {ADMIN_TOKEN}",
        "Content-Type": "application/x-www-form-urlencoded"})


def test_sendsms_push_and_its_delivery_reports(chain, redis):
    c = chain()
    c.smpp.dlr("DELIVRD")
    # A network-initiated USSD notification (USSN, op 3) ...
    r = admin(c.gw, "POST", "/admin/send", to="+923001234567",
              text="آپ کی درخواست منظور ہو گئی", smsc="ussd", ussd_op="3")
    assert r.status == 202, r
    ussd_id = json.loads(r.body)["id"]
    pdu = c.smpp.next_submit(15)
    assert pdu["tlvs"]["0501"] == "03" and pdu["data_coding"] == 8, pdu
    assert pdu["text"] == "آپ کی درخواست منظور ہو گئی"
    assert pdu["registered_delivery"] & 1
    # ... and an SMS to the phone.
    r = admin(c.gw, "POST", "/admin/send", to="923001234568",
              text="Your request K7MX3Q was approved.")
    assert r.status == 202, r
    frm, to, text = c.kannel.fakesmsc.next_reply(15)
    assert text == "Your request K7MX3Q was approved." and frm == "786"

    key = "asanigw:{dlr}:" + ussd_id

    def delivered():
        return redis.command("HGET", key, "state") == b"delivered"
    deadline = time.monotonic() + 15
    while not delivered():
        assert time.monotonic() < deadline, redis.command("HGETALL", key)
        time.sleep(0.1)
    rec = redis.command("HGETALL", key)
    rec = dict(zip(rec[::2], rec[1::2]))
    assert b"accepted_ms" in rec and b"submitted_ms" in rec, rec
    stats = json.loads(admin(c.gw, "GET", "/admin/stats").body)
    assert stats["dlr"]["submitted"] == 2 and \
        stats["dlr"]["delivered"] >= 1, stats


def test_vendor_session_tlv_through_kannel(chain):
    c = chain(kannel={
        "smsc": [{"id": "ussd", "kind": "ussd", "profile": "vendor"},
                 {"id": "sms", "kind": "sms", "service": "*786#"}],
        "ussd_profiles": {"vendor": {"session_info": False,
                                     "session_tlv": "vendor_session_id"}}})
    phone = new_phone().lstrip("+")

    def mo(op, text, vid):
        c.smpp.ussd(phone, "786", op, None, text,
                    tlvs={0x1404: vid + b"\0"})
        return SmppReply(c.smpp.next_submit(15))

    # Two sessions of one phone, told apart by the operator's session id
    # alone; each reply carries its id back (Kannel adds the NUL again).
    a = mo(1, "*786#", b"S1")
    b = mo(1, "*786#", b"S2")
    assert a.con and b.con, (a, b)
    assert a.tlvs["1404"] == b"S1\0".hex() and "1383" not in a.tlvs, a
    r = mo(18, "1", b"S1")
    assert r.con and LANGS["en"]["main"] in r.text, r
    r = mo(18, "2", b"S2")
    assert r.con and LANGS["ur-Latn"]["main"] in r.text, r
    assert r.tlvs["1404"] == b"S2\0".hex(), r


# --- Donors by SMS, the whole way -----------------------------------------

NOTIFY_SECRET = "notify-chain-secret"


def notify(gw, body, key, secret=NOTIFY_SECRET, ts=None):
    """The back office's signed callback; returns (status, JSON)."""
    from backoffice import sign
    raw = json.dumps(body).encode()
    ts = int(time.time()) if ts is None else ts
    r = gw.request("POST", "/notify", body=raw, headers={
        "Content-Type": "application/json",
        "X-Asanigw-Idempotency-Key": key,
        "X-Asanigw-Timestamp": str(ts),
        "X-Asanigw-Signature": sign(secret, ts, raw)})
    return r.status, json.loads(r.body)


@pytest.fixture
def donors(chain, backoffice):
    """A chain whose *786# books through the http adapter to the test
    back office, with the back office's callbacks on /notify."""
    def make(**over):
        bo = backoffice()
        c = chain(adapters={"requests": {
            "type": "http", "url": bo.url, "secret": BACKOFFICE_SECRET,
            "lookup_path": "/lookup", "path": None}},
            notify={"secret": NOTIFY_SECRET, "allow": ["127.0.0.1"]},
            **over)
        c.bo = bo
        return c
    return make


def sms_exchange(c, phone, text, timeout=15):
    c.kannel.fakesmsc.send("+" + phone, "786", text)
    frm, to, reply = c.kannel.fakesmsc.next_reply(timeout)
    assert to.lstrip("+") == phone, (to, reply)
    return reply


def test_donor_journey(donors):
    """NEEDS -> GIVE -> a wrong code -> YES code -> the back office ->
    the paid callback -> a receipt SMS with its delivery report."""
    c = donors()
    phone = "923001230001"
    needs = sms_exchange(c, phone, "NEEDS LAHORE")
    assert "N12" in needs and "N17" in needs, needs
    offer = sms_exchange(c, phone, "give n12 500")
    code = offer.split("YES ")[1].split()[0]
    assert code.isdigit() and len(code) == 4, offer
    wrong = "0000" if code != "0000" else "1111"
    assert "does not match" in sms_exchange(c, phone, f"YES {wrong}")
    done = sms_exchange(c, phone, f"YES {code}")
    got = wait_until(lambda: c.bo.requests(), 10, "the pledge")
    body = got[0]["body"]
    assert body["request"] == "pledge" and body["ref"] in done, done
    assert body["fields"] == {"need": "N12", "amount": "500"}, body

    st, out = notify(c.gw, {"msisdn": phone, "service": "*786#",
                            "event": "pledge_paid", "lang": body["lang"],
                            "ref": body["ref"],
                            "fields": {"amount": "500"}}, key="paid-1")
    assert st == 200 and out["sent"] is True, out
    frm, to, receipt = c.kannel.fakesmsc.next_reply(15)
    assert to.lstrip("+") == phone and body["ref"] in receipt, receipt
    assert "500" in receipt
    # Kannel's report comes back under the gateway's message id.
    key = f"asanigw:{{dlr}}:{out['id']}"
    wait_until(lambda: c.gw.redis.command("HGET", key, "state"), 15,
               "the receipt's delivery report")
    # The back office's retry of the same callback sends nothing again.
    st, again = notify(c.gw, {"msisdn": phone, "service": "*786#",
                              "event": "pledge_paid", "ref": body["ref"],
                              "fields": {"amount": "500"}}, key="paid-1")
    assert st == 200 and again.get("duplicate") and again["id"] == out["id"]
    assert c.kannel.fakesmsc.replies.take(lambda _: True, 2) is None


def test_stop_is_respected_by_notifications(donors):
    c = donors()
    phone = "923001230002"
    assert "no more messages" in sms_exchange(c, phone, "STOP")
    st, out = notify(c.gw, {"msisdn": phone, "event": "request_status",
                            "ref": "K7MX3Q", "fields": {"status":
                                                        "assigned"}},
                     key="status-1")
    assert st == 200 and out["sent"] is False, out
    assert c.kannel.fakesmsc.replies.take(lambda _: True, 3) is None
    assert "event=notify-suppressed" in c.gw.log()
    # START again: the next one is sent.
    sms_exchange(c, phone, "START")
    st, out = notify(c.gw, {"msisdn": phone, "event": "request_status",
                            "ref": "K7MX3Q", "fields": {"status":
                                                        "assigned"}},
                     key="status-2")
    assert out["sent"] is True, out
    frm, to, text = c.kannel.fakesmsc.next_reply(15)
    assert "K7MX3Q" in text, text


def test_notify_refuses_bad_callbacks(donors):
    c = donors()
    body = {"msisdn": "923001230003", "event": "pledge_paid", "ref": "X"}
    assert notify(c.gw, body, "k1", secret="wrong")[0] == 401
    assert notify(c.gw, {**body, "event": "nope"}, "k2")[0] == 400
    assert notify(c.gw, {**body, "msisdn": "12"}, "k3")[0] == 400
    # Ten minutes old: a replay.
    assert notify(c.gw, body, "k4", ts=int(time.time()) - 600)[0] == 401
    assert c.kannel.fakesmsc.replies.take(lambda _: True, 2) is None
    # A genuine call replayed under another key (the key is not signed).
    ts = int(time.time())
    st, out = notify(c.gw, body, "k5", ts=ts)
    assert st == 200 and out["sent"] is True, out
    c.kannel.fakesmsc.next_reply(15)
    assert notify(c.gw, body, "k6", ts=ts)[0] == 409
    # ... and under its own key: the first answer, nothing sent again.
    st, again = notify(c.gw, body, "k5", ts=ts)
    assert st == 200 and again["duplicate"] and again["id"] == out["id"]
    assert c.kannel.fakesmsc.replies.take(lambda _: True, 2) is None


def test_urdu_donor_gets_urdu_in_ucs2_concatenated(donors):
    c = donors()
    phone = "923001230004"
    offer = sms_exchange(c, phone, "عطیہ ۵۰۰ کھانا")
    assert "ہاں" in offer and "500" in offer, offer
    code = [w for w in offer.split() if w.isdigit() and len(w) == 4][0]
    done = sms_exchange(c, phone, f"ہاں {code}")
    assert any("\u0600" <= ch <= "\u06ff" for ch in done), done
    # The usage of PLEDGE in Urdu is longer than one UCS-2 SMS (70):
    # Kannel sends it in parts with a concatenation header, and the
    # parts put together are the menu's text.
    c.kannel.fakesmsc.send("+" + phone, "786", "عطیہ")
    parts = [c.kannel.fakesmsc.next_reply(15)]
    while parts[-1].udh and len(parts) < parts[-1].udh[4]:
        parts.append(c.kannel.fakesmsc.next_reply(15))
    assert len(parts) >= 2 and all(p.udh for p in parts), parts
    whole = "".join(p.text for p in sorted(parts, key=lambda p: p.udh[5]))
    assert whole.startswith("عطیہ"), whole


def test_pledge_rate_limit_through_kannel(donors):
    c = donors(sms={"pledges_per_hour": 1})
    phone = "923001230005"
    assert "YES" in sms_exchange(c, phone, "PLEDGE 100 FOOD")
    assert "limit" in sms_exchange(c, phone, "PLEDGE 200 FOOD")


def test_expired_code_through_kannel(donors):
    c = donors()
    phone = "923001230006"
    offer = sms_exchange(c, phone, "PLEDGE 100 FOOD")
    code = offer.split("YES ")[1].split()[0]
    # Past its time: the pledge's expiry moved into the past.
    key = f"asanigw:{{{phone}}}:pledges"
    p = json.loads(c.gw.redis.command("HGET", key, code))
    p["expires_ms"] = 1
    c.gw.redis.command("HSET", key, code, json.dumps(p))
    assert "expired" in sms_exchange(c, phone, f"YES {code}")
    assert c.bo.requests() == []
