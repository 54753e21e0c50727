"""
Donors by SMS, at the get-url: each message exactly as smsbox sends it
(tests/integration/smsbox.py), the answer as smsbox gets it.  The whole
journey through real Kannel is in test_donor_kannel.py.
"""

import json
import re

import pytest

from conftest import BACKOFFICE_SECRET, wait_until
from smsbox import SECRET, Smsbox
from ussd import new_phone

SERVICE = "*786#"


@pytest.fixture
def donor(gateway, backoffice):
    """A gateway with the Kannel bridge, the http adapter to the test back
    office, and a smsbox to send text messages: (gw, box, bo)."""
    def make(sms=None, **over):
        bo = backoffice()
        conf = dict(
            kannel={"secret": SECRET, "allow": ["127.0.0.1"],
                    "smsc": [{"id": "sms", "kind": "sms",
                              "service": SERVICE}]},
            adapters={"requests": {
                "type": "http", "url": bo.url, "secret": BACKOFFICE_SECRET,
                "lookup_path": "/lookup", "path": None}})
        if sms:
            conf["sms"] = sms
        conf.update(over)
        gw = gateway(**conf)
        return gw, Smsbox(gw.port), bo
    return make


def text(box, phone, msg, **kw):
    r = box.mo(phone, msg, "sms", ucs2=any(ord(c) > 0x7f for c in msg),
               **kw)
    assert r.status == 200, r
    return r.body


def code_of(reply):
    m = re.search(r"\b(\d{4})\b", reply)
    assert m, reply
    return m.group(1)


def test_pledge_confirmed_reaches_the_back_office(donor):
    gw, box, bo = donor()
    phone = new_phone()
    reply = text(box, phone, "PLEDGE 500 FOOD")
    assert "Rs 500" in reply and "food" in reply, reply
    code = code_of(reply)
    done = text(box, phone, f"yes {code}")
    ref = re.search(r"\b([2-9A-HJ-NP-Z]{6})\b", done).group(1)
    got = wait_until(lambda: bo.requests(), 10, "the pledge")
    body = got[0]["body"]
    assert body["request"] == "pledge" and body["ref"] == ref
    assert body["fields"] == {"amount": "500", "cause": "food"}, body
    assert body["msisdn"] == phone.lstrip("+")
    # YES again: the same answer, nothing booked twice.
    assert text(box, phone, f"YES {code}") == done
    gw.outbox_drained()
    assert len(bo.requests()) == 1 and bo.stats()["duplicates"] == 0
    # STATUS of the pledge, through the back office.
    st = text(box, phone, f"status {ref.lower()}")
    assert ref in st and "received" in st.lower(), st


def test_wrong_and_expired_codes(donor):
    gw, box, bo = donor(sms={"code_ttl": 30})
    phone = new_phone()
    code = code_of(text(box, phone, "GIVE n12 1000"))
    wrong = "1111" if code != "1111" else "2222"
    assert "does not match" in text(box, phone, f"YES {wrong}")
    # Expire it by hand: the pledge's expiry is in the past.
    key = f"asanigw:{{{phone.lstrip('+')}}}:pledges"
    p = json.loads(gw.redis.command("HGET", key, code))
    p["expires_ms"] = 1
    gw.redis.command("HSET", key, code, json.dumps(p))
    assert "expired" in text(box, phone, f"YES {code}")
    assert bo.requests() == []


def test_no_cancels(donor):
    gw, box, bo = donor()
    phone = new_phone()
    code = code_of(text(box, phone, "PLEDGE 300 healthcare"))
    assert "cancelled" in text(box, phone, "NO")
    assert "no pledge waiting" in text(box, phone, "no")
    # Cancelled is gone: its code matches nothing any more.
    assert "does not match" in text(box, phone, f"YES {code}")
    assert bo.requests() == []


def test_needs_lists_the_back_offices_answer(donor):
    gw, box, bo = donor()
    r = text(box, new_phone(), "needs lahore")
    assert "N12" in r and "N17" in r and "N31" in r, r
    assert "Rs3000" in r.replace(" ", ""), r
    r = text(box, new_phone(), "NEEDS nowhere")
    assert "No needs" in r, r
    assert "NEEDS" in text(box, new_phone(), "NEEDS")   # usage


def test_urdu_aliases_get_urdu_answers(donor):
    gw, box, bo = donor()
    phone = new_phone()
    r = box.mo(phone, "عطیہ ۵۰۰ کھانا", "sms", ucs2=True)
    assert r.status == 200 and r.ucs2, r
    code = code_of(r.body)
    r = box.mo(phone, f"ہاں {code}", "sms", ucs2=True)
    assert r.ucs2 and re.search(r"[\u0600-\u06ff]", r.body), r
    got = wait_until(lambda: bo.requests(), 10, "the pledge")
    assert got[0]["body"]["lang"] == "ur"


def test_unknown_text_gets_help(donor):
    gw, box, bo = donor()
    r = text(box, new_phone(), "hello, what is this?")
    assert "PLEDGE" in r and "NEEDS" in r, r
    r = box.mo(new_phone(), "سلام", "sms", ucs2=True)
    assert r.ucs2 and "عطیہ" in r.body, r


def test_stop_and_start(donor):
    gw, box, bo = donor()
    phone = new_phone()
    assert "no more messages" in text(box, phone, "STOP")
    assert gw.redis.command(
        "GET", f"asanigw:{{{phone.lstrip('+')}}}:optout") is not None
    assert "on again" in text(box, phone, "start")
    assert gw.redis.command(
        "GET", f"asanigw:{{{phone.lstrip('+')}}}:optout") is None


def test_pledge_limits(donor):
    gw, box, bo = donor(sms={"pledges_per_hour": 3, "pending_pledges": 2})
    phone = new_phone()
    text(box, phone, "PLEDGE 100 food")
    text(box, phone, "PLEDGE 200 food")
    # Two waiting: a third is refused until one is confirmed or dropped.
    assert "limit" in text(box, phone, "PLEDGE 300 food")
    assert "cancelled" in text(box, phone, "NO")
    text(box, phone, "PLEDGE 400 food")
    # Three proposed this hour: the fourth is refused.
    assert "limit" in text(box, phone, "PLEDGE 500 food")
    assert gw.redis.command("HGET", "asanigw:{stats}:limited",
                            "pledges_per_hour") == b"1"
    assert "event=limited kind=pledges_per_hour" in gw.log()
    # Operators see the refusals by limit.
    status, stats = gw.admin("GET", "/admin/stats")
    assert status == 200 and stats["limited"] == {
        "pending_pledges": 1, "pledges_per_hour": 1}, stats


def test_retry_of_same_message_gets_same_answer(donor):
    gw, box, bo = donor()
    phone = new_phone()
    a = text(box, phone, "PLEDGE 700 food", msg_id="5f0c1a2b-0000-4000-8000-000000000001")
    b = text(box, phone, "PLEDGE 700 food", msg_id="5f0c1a2b-0000-4000-8000-000000000001")
    assert a == b
    assert gw.redis.command("HLEN", f"asanigw:{{{phone.lstrip('+')}}}:pledges") == 1


def test_redis_down_answers_busy_and_forgets_it(donor, redis):
    gw, box, bo = donor()
    phone = new_phone()
    msg = "5f0c1a2b-0000-4000-8000-0000000000aa"
    redis.stop()
    r = text(box, phone, "PLEDGE 500 FOOD", msg_id=msg)
    assert r.startswith("Service busy"), r
    redis.start()
    wait_until(lambda: "event=connected" in gw.log().split("busy")[-1], 10,
               "the gateway back on Redis")
    # smsbox's retry of the same message now gets the real answer.
    r = text(box, phone, "PLEDGE 500 FOOD", msg_id=msg)
    assert "YES" in r, r


def test_lookup_in_flight_across_a_reload(donor):
    """A NEEDS whose back office is slow, with SIGHUP (a new generation:
    menus and adapters reopened) while it waits: it is answered from the
    generation it started in, and nothing is freed under it (ASan)."""
    import signal
    import threading
    gw, box, bo = donor()
    bo.control(fail="slow", slow_ms=400, for_ms=10000)
    out = {}
    t = threading.Thread(target=lambda: out.update(
        r=text(box, new_phone(), "NEEDS multan")))
    t.start()
    wait_until(lambda: bo.stats()["lookups"] >= 1, 5, "the lookup")
    gw.signal(signal.SIGHUP)
    wait_until(lambda: "event=reload" in gw.log(), 5, "the reload")
    t.join(10)
    assert "N12" in out["r"], out
