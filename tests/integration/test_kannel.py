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

    def dial(self):
        return self._mo(1, "*786#")

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


def test_sms_reaches_the_gateway_and_the_reply_the_phone(chain):
    c = chain()
    sms = c.kannel.fakesmsc
    sms.send("+923001234567", "786", "hello")
    frm, to, text = sms.next_reply(15)
    assert to.lstrip("+") == "923001234567" and "*786#" in text, text
    assert text.startswith("Asani Exchange"), text
    sms.send("+923001234568", "786", "سلام")
    frm, to, text = sms.next_reply(15)
    assert text.startswith("آسانی ایکسچینج"), text
    assert "event=sms-mo" in c.gw.log()


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
