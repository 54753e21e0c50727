"""Sessions: where they live, when they expire, retried hops, text modes."""

import hashlib
import hmac
import json
import re
import threading
import time

from conftest import wait_until
from flagship import (EXPIRED_EN, LANGS, Dialog, confirm_yes, menu_text,
                      submit_request, walk_to_cnic)
from ussd import new_phone, new_session, session_record


def test_session_key_and_ttl(gateway, redis):
    gw = gateway(session={"ttl": 30})
    phone, sid = new_phone(), new_session()
    dial, main = gw.walk(sid, phone, ["1"])
    assert dial.con and main.con and LANGS["en"]["main"] in main.screen
    key = f"asanigw:{{{phone[1:]}}}:ussd:{sid}"
    raw = redis.command("GET", key)
    assert raw is not None, f"no session under {key}"
    # "VERSION|RECORD": the version is the number of hops saved.
    version, record = session_record(raw)
    assert raw.startswith(b"2|S2;"), raw
    assert version == 2 and record["seq"] == 2, raw
    assert record["screen"] == "main" and record["lang"] == "en", raw
    ttl = redis.command("TTL", key)
    assert 0 < ttl <= 30, ttl


def saved_at_main(gw, redis, phone):
    """A session of phone walked to the main screen: its answer there and
    its record as Redis holds it."""
    sid = new_session()
    dial, main = gw.walk(sid, phone, ["1"])
    assert main.con and LANGS["en"]["main"] in main.screen
    return main, redis.command("GET", gw.session_key(phone, sid))


def test_json_record_of_an_older_version_is_read(gateway, redis):
    """Sessions live across an upgrade: a record in the JSON form older
    versions wrote is read, and the next save writes the compact form."""
    gw = gateway()
    phone, sid_b = new_phone(), new_session()
    main, raw = saved_at_main(gw, redis, phone)
    version, record = session_record(raw)
    record["v"] = 1
    # The same session, as JSON, under an id this gateway never served.
    key_b = gw.session_key(phone, sid_b)
    redis.command("SET", key_b, f"{version}|{json.dumps(record)}", "EX", "60")
    r = gw.hop(sid_b, phone, "1*1")
    assert r.con and LANGS["en"]["category"] in r.screen, r
    raw = redis.command("GET", key_b)
    assert raw.startswith(b"3|S2;"), raw
    assert session_record(raw)[1]["screen"] == "category", raw


def test_retry_digest_of_an_older_version_is_read(gateway, redis):
    """Records of 0.9.0 and before mark the last hop with HMAC-SHA256
    digests ("LEN:HEX"), where this one writes SipHash's ("LEN:sHEX"): a
    retry of a session saved by an older gateway is still seen as one."""
    gw = gateway()
    phone, sid_b = new_phone(), new_session()
    main, raw = saved_at_main(gw, redis, phone)
    mark = re.search(rb"19:1:s[0-9a-f]{16}", raw)
    assert mark, raw
    for hexlen in (16, 32, 64):
        old = b"1:" + hmac.new(b"integration-test-secret", b"1",
                               hashlib.sha256).hexdigest()[:hexlen].encode()
        key_b = gw.session_key(phone, sid_b)
        redis.command("SET", key_b, raw.replace(
            mark.group(0), b"%d:%s" % (len(old), old)), "EX", "60")
        # The same hop again: answered as before, not stepped from main.
        r = gw.hop(sid_b, phone, "1")
        assert r.con and r.screen == main.screen, (hexlen, r)
        sid_b = new_session()
    # A digest that is not the text's is no retry: the hop steps.
    key_b = gw.session_key(phone, sid_b)
    redis.command("SET", key_b, raw.replace(
        mark.group(0), b"18:1:" + b"0" * 16), "EX", "60")
    r = gw.hop(sid_b, phone, "1")
    assert r.con and LANGS["en"]["category"] in r.screen, r


def test_session_expires_after_ttl(gateway, redis):
    ttl = 2
    gw = gateway(session={"ttl": ttl})
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    d.dial()
    r = d.choose(LANGS["ur-Latn"]["language"])
    assert r.con
    key = gw.session_key(phone, sid)
    assert 0 < redis.command("TTL", key) <= ttl
    t_last = time.monotonic()
    # Wait until Redis has let the session go, and past the TTL.
    wait_until(lambda: redis.command("EXISTS", key) == 0, ttl + 3,
               f"session key {key} to expire")
    assert time.monotonic() - t_last >= ttl - 0.1
    r = d.send("1")
    # The record is gone, but in path mode the text is the whole path: the
    # session is rebuilt from the first screen, in the language the path
    # chose, and lives a TTL again.
    assert r.con and LANGS["ur-Latn"]["category"] in r.screen, r
    assert 0 < redis.command("TTL", key) <= ttl
    # Dialling again starts afresh.
    r = gw.hop(new_session(), phone, "")
    assert r.con, r


def test_ended_session_stays_ended(gateway):
    """A hop after the session ended is not a new one, even in path
    mode: its record says it ended."""
    gw = gateway()
    phone, sid = new_phone(), new_session()
    # English, About, its second page: the end.
    assert gw.walk(sid, phone, ["1", "4", "98"])[-1].end
    r = gw.hop(sid, phone, "1*4*98*1")
    assert r.end and r.screen == EXPIRED_EN, r


def test_hop_extends_session(gateway, redis):
    """The TTL runs from the last hop, not from the dial."""
    ttl = 2
    gw = gateway(session={"ttl": ttl})
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    d.dial()
    key = gw.session_key(phone, sid)
    d.choose(LANGS["en"]["language"])
    # Halfway through the TTL, a hop resets it.
    wait_until(lambda: redis.command("PTTL", key) < ttl * 500, ttl,
               "half the session TTL to pass")
    d.choose(LANGS["en"]["help"])
    assert redis.command("PTTL", key) > ttl * 1000 - 500


def test_unknown_session_with_text_is_expired_in_latest_mode(gateway):
    """Latest mode carries no path to rebuild a session from (path mode
    does: see test_shortcut.py)."""
    gw = gateway(aggregators=LATEST)
    r = gw.hop(new_session(), new_phone(), "1")
    assert r.end and r.screen == EXPIRED_EN, r


def test_same_text_twice_same_answer(gateway):
    gw = gateway()
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    d.dial()
    d.choose(LANGS["en"]["language"])
    cat = d.choose(LANGS["en"]["help"])
    assert d.again().body == cat.body
    assert d.again().body == cat.body
    # The retry did not move the session: the next input is taken on the
    # category screen.
    r = d.choose(LANGS["en"]["food"])
    assert r.con and menu_text("district", "en") in r.screen, r


def test_page_reply_made_again_for_a_retry(gateway, redis):
    """A reply that is the page the session shows is not kept in the
    record, only marked; a retry gets it made again, the same bytes,
    from Redis (a second gateway has no cache) as from the cache. A page
    with an error above it is kept whole."""
    gw, other = gateway(), gateway()
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    key = gw.session_key(phone, sid)
    d.dial()
    d.choose(LANGS["ur"]["language"])
    cat = d.choose(LANGS["ur"]["help"])
    rec = session_record(redis.command("GET", key))[1]
    assert rec["last_page"] and rec["last_reply"] is None, rec
    assert d.again().body == cat.body
    assert other.hop(sid, phone, d.text()).body == cat.body
    # The next page of a screen: its page number is in the record.
    d.send("98")
    more = d.again()
    assert more.con and more.body != cat.body, more
    rec = session_record(redis.command("GET", key))[1]
    assert rec["last_page"] and rec["page"] == 1, rec
    assert other.hop(sid, phone, d.text()).body == more.body
    bad = d.send("77")
    assert bad.con and bad.body != more.body, bad
    rec = session_record(redis.command("GET", key))[1]
    assert not rec["last_page"] and rec["last_reply"] == bad.screen, rec
    assert other.hop(sid, phone, d.text()).body == bad.body


def test_duplicated_submit_books_once(gateway):
    gw = gateway()
    d = Dialog(gw, new_phone(), new_session())
    walk_to_cnic(d, "en")
    d.send("1234")
    end = d.send("1")
    assert end.end, end
    again = d.again()
    assert again.body == end.body
    assert len(gw.requests()) == 1, gw.requests()


def test_concurrent_duplicate_submit_books_once(gateway):
    """The aggregator retries while the first try is still running: both
    get the same answer and the request is written once."""
    gw = gateway()
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    walk_to_cnic(d, "en")
    d.send("1234")
    text = d.text() + "*1"
    out = [None] * 4
    go = threading.Barrier(len(out))

    def send(i):
        go.wait()
        out[i] = gw.hop(sid, phone, text)
    threads = [threading.Thread(target=send, args=(i,))
               for i in range(len(out))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert all(r is not None for r in out), out
    assert all(r.end for r in out), out
    assert len({r.body for r in out}) == 1, out
    assert len(gw.requests()) == 1, gw.requests()


def test_two_sessions_interleaved(gateway):
    """Two phones at once do not see each other's state."""
    gw = gateway()
    a = Dialog(gw, new_phone(), new_session())
    b = Dialog(gw, new_phone(), new_session())
    a.dial()
    b.dial()
    a.choose(LANGS["en"]["language"])
    b.choose(LANGS["ur-Latn"]["language"])
    a.choose(LANGS["en"]["help"])
    r = b.choose(LANGS["ur-Latn"]["help"])
    assert LANGS["ur-Latn"]["category"] in r.screen, r
    ra = submit_request(Dialog(gw, new_phone(), new_session()), "en")
    assert ra


# --- latest mode (Hubtel style): text is only the latest input ----------

LATEST = [{"path": "/ussd", "text": "latest", "page_budget": 182,
           "retry_window_ms": 150}]


class LatestDialog(Dialog):
    """Latest-mode dialog that, like a person, never types the same thing
    twice within the retry window (which would be a retry)."""

    window = 0.15

    def send(self, x):
        if self.inputs and self.inputs[-1] == x:
            t = time.monotonic()
            wait_until(lambda: time.monotonic() - t > self.window + 0.05,
                       self.window + 1.0, "the retry window to pass")
        return super().send(x)


def test_latest_mode_flow(gateway):
    gw = gateway(aggregators=LATEST)
    for lang in ("en", "ur"):
        d = LatestDialog(gw, new_phone(), new_session(), mode="latest")
        ref = submit_request(d, lang)
        assert ref in [x["ref"] for x in gw.requests()]
        # The inputs really went one at a time.
        assert all("*" not in x for x in d.inputs)
    assert len(gw.requests()) == 2


def test_latest_mode_first_hop_may_carry_service_code(gateway):
    gw = gateway(aggregators=LATEST)
    r = gw.hop(new_session(), new_phone(), "*786#")
    assert r.con and r.screen.startswith(menu_text("language", "en")), r
    # walk_latest: dial with "", then one input per hop.
    dial, main, cat = gw.walk_latest(new_session(), new_phone(), ["1", "1"])
    assert dial.con and LANGS["en"]["main"] in main.screen
    # The second "1" came within the retry window: the same answer.
    assert cat.body == main.body


def test_latest_mode_retry_window(gateway):
    gw = gateway(aggregators=LATEST)
    L = LANGS["en"]
    d = LatestDialog(gw, new_phone(), new_session(), mode="latest")
    d.dial()
    main = d.choose(L["language"])          # "1"
    # The same "1" again at once: a retry, the same answer.
    assert d.again().body == main.body
    # After the window, "1" is a new input: Request help.
    r = d.send("1")
    assert L["category"] in r.screen, r


def test_latest_mode_duplicated_submit_books_once(gateway):
    gw = gateway(aggregators=LATEST)
    d = LatestDialog(gw, new_phone(), new_session(), mode="latest")
    walk_to_cnic(d, "en")
    d.send("1234")
    ref = confirm_yes(d, "en")
    again = d.again()
    assert again.end and ref in again.screen, again
    assert len(gw.requests()) == 1


class Alternating:
    """Hands each hop to the next gateway in turn, as a load balancer
    without stickiness does."""

    def __init__(self, *gws):
        self.gws = gws
        self.n = 0
        self.deadline = gws[0].deadline

    def hop(self, *args, **kwargs):
        gw = self.gws[self.n % len(self.gws)]
        self.n += 1
        return gw.hop(*args, **kwargs)


def test_two_gateways_share_sessions(gateway):
    """Hops of one session alternate between two gateways on one Redis.
    Each gateway's in-memory copy of the session is then always behind
    the other's save: its compare-and-set must fail and step again from
    the stored record, so every screen is right and the request is booked
    exactly once."""
    gw1, gw2 = gateway(), gateway()
    for lang in ("en", "ur"):
        phone = new_phone()
        ref = submit_request(Dialog(Alternating(gw1, gw2), phone,
                                    new_session()), lang)
        lines = gw1.requests()
        if gw2.requests_path != gw1.requests_path:
            lines += gw2.requests()
        booked = [r for r in lines if r["msisdn"] == phone.lstrip("+")]
        assert [r["ref"] for r in booked] == [ref], booked


def test_gateway_restart_resumes_session(gateway):
    """A session started on one gateway goes on, from Redis, on a gateway
    that never saw it."""
    gw1 = gateway()
    phone, sid = new_phone(), new_session()
    d = Dialog(gw1, phone, sid)
    walk_to_cnic(d, "en")
    gw2 = gateway()
    d.gw = gw2
    r = d.send("1234")
    assert r.con, r
    for part in LANGS["en"]["confirm_has"]:
        assert part in r.screen, r
    ref = confirm_yes(d, "en")
    assert [x["ref"] for x in gw2.requests()] == [ref]
