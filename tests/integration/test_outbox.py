"""
The outbox: nothing confirmed is lost or booked twice — through a back
office that is down for a while, a gateway killed with -9 in the middle
of deliveries, a back office killed in the middle of a batch, and two
gateways sharing the work (one of them killed).
"""

import concurrent.futures
import json
import re
import time

from conftest import BACKOFFICE_SECRET, wait_until
from flagship import Dialog, submit_request
from ussd import new_phone, new_session


def http_backoffice(bo, **outbox):
    return {"adapters": {"requests": {
        "type": "http", "url": bo.url, "secret": BACKOFFICE_SECRET,
        "timeout_ms": 300, "path": None}},
        "outbox": dict({"attempts": 1000}, **outbox)}


def submit_many(gw, phones, per_phone, workers=8):
    """per_phone requests from each phone, each phone's one after the
    other; returns {phone: [refs in order]}."""
    def one_phone(phone):
        return phone, [submit_request(Dialog(gw, phone, new_session()),
                                      "en") for _ in range(per_phone)]
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return dict(ex.map(one_phone, phones))


def recorded(bo):
    return bo.stats()["recorded"]


def test_back_office_down_for_a_while(gateway, backoffice):
    bo = backoffice()
    gw = gateway(**http_backoffice(bo))
    bo.control(fail="503")
    phones = [new_phone() for _ in range(5)]
    sent = submit_many(gw, phones, 4)
    time.sleep(1.0)
    assert recorded(bo) == 0
    assert gw.outbox()["waiting"] == 20
    bo.control(fail="none")
    wait_until(lambda: recorded(bo) == 20, 20, "all 20 requests")
    # In order per subscriber: the back office saw each phone's requests
    # in the order they were confirmed.
    seen = {}
    for r in bo.requests():
        seen.setdefault(r["body"]["msisdn"], []).append(r["body"]["ref"])
    assert seen == {p.lstrip("+"): refs for p, refs in sent.items()}
    assert bo.stats()["duplicates"] == 0
    wait_until(lambda: gw.outbox()["waiting"] == 0, 5, "an empty outbox")


def seen_keys(redis):
    """The idempotency key of every request the outbox ever took."""
    prefix = b"asanigw:{outbox}:seen:"
    keys, cursor = set(), b"0"
    while True:
        cursor, batch = redis.command("SCAN", cursor, "MATCH",
                                      prefix + b"*", "COUNT", 1000)
        keys.update(k[len(prefix):].decode() for k in batch)
        if cursor in (b"0", "0"):
            return keys


def test_kill_9_while_delivering_loses_nothing(gateway, backoffice, redis):
    bo = backoffice()
    gw = gateway(**http_backoffice(bo))
    # 1 000 confirmed while the back office is down ...
    bo.control(fail="503")
    sent = submit_many(gw, [new_phone() for _ in range(250)], 4)
    confirmed = {ref for refs in sent.values() for ref in refs}
    assert len(confirmed) == 1000 and gw.outbox()["waiting"] == 1000
    # ... then it fails half the calls, and the gateway is killed in the
    # middle of delivering them.
    bo.control(fail="500", ratio=0.5)
    wait_until(lambda: recorded(bo) >= 200, 60, "deliveries under way")
    gw.kill()                   # SIGKILL: no drain, nothing acknowledged
    before = recorded(bo)
    assert before < 1000
    bo.control(fail="none")
    gw.exit_checked = False
    gw.start()                  # the same consumer: its pending first
    wait_until(lambda: recorded(bo) == 1000, 120,
               f"1000 requests after the restart (had {before})")
    got = bo.requests()
    refs = [r["body"]["ref"] for r in got]
    assert len(refs) == len(set(refs)) == 1000, "booked twice"
    assert set(refs) == confirmed
    assert {r["key"] for r in got} == seen_keys(redis)
    wait_until(lambda: gw.outbox()["waiting"] == 0, 10, "an empty outbox")


def test_back_office_killed_mid_batch_loses_nothing(gateway, backoffice,
                                                   redis):
    bo = backoffice()
    gw = gateway(**http_backoffice(bo, inflight=64, batch=32))
    bo.control(fail="503")
    sent = submit_many(gw, [new_phone() for _ in range(50)], 4)
    confirmed = {ref for refs in sent.values() for ref in refs}
    assert len(confirmed) == 200
    # Deliveries under way, each a little slow, when the back office is
    # killed: what it booked is gone with it, the rest is in flight.
    bo.control(fail="slow", slow_ms=20)
    wait_until(lambda: recorded(bo) >= 40, 30, "deliveries under way")
    bo.kill()
    first = {ev["key"]: ev["ref"] for ev in bo.drain_events("request")
             if ev["status"] == "recorded"}
    assert 40 <= len(first) < 200
    # Back on the same port, empty: every request not acknowledged
    # before the kill comes again, with its idempotency key.
    again = backoffice(port=bo.port)
    wait_until(lambda: gw.outbox()["waiting"] == 0 and
               gw.outbox()["pending"] == 0, 60, "an empty outbox")
    second = {r["key"]: r["body"]["ref"] for r in again.requests()}
    assert again.stats()["duplicates"] == 0
    assert set(first.values()) | set(second.values()) == confirmed
    assert set(first) | set(second) == seen_keys(redis)
    # Booked twice only what was in flight at the kill, by the same key.
    both = set(first) & set(second)
    assert len(both) <= 64, len(both)
    assert all(first[k] == second[k] for k in both)


def test_two_gateways_share_and_take_over(gateway, backoffice, redis):
    bo = backoffice()
    conf = http_backoffice(bo)
    a = gateway(**conf)
    b = gateway(**conf)
    bo.control(fail="slow", slow_ms=200)
    sent = submit_many(a, [new_phone() for _ in range(10)], 2) | \
        submit_many(b, [new_phone() for _ in range(10)], 2)
    refs = {ref for rs in sent.values() for ref in rs}
    # Both deliver; then b dies with some of its share unacknowledged, and
    # a takes that over once it has been idle claim_idle_ms.  Each
    # delivery takes 200 ms: when b has made its first, the rest of what
    # it took is still under way (on a loaded machine that first one may
    # take longer than any fixed pause).
    wait_until(lambda: "event=delivered" in b.log(), 10,
               "b's first delivery")
    b.kill()
    b.exit_checked = True       # killed on purpose
    bo.control(fail="none")
    wait_until(lambda: recorded(bo) == 40, 30, "all 40 requests")
    got = [r["body"]["ref"] for r in bo.requests()]
    assert sorted(got) == sorted(refs)
    assert "event=delivered" in a.log() and "event=delivered" in b.log()
    wait_until(lambda: a.outbox()["waiting"] == 0, 10, "an empty outbox")


def test_redis_stream_adapter(gateway, redis):
    gw = gateway(adapters={"requests": {
        "type": "redis-stream", "host": "127.0.0.1", "port": redis.port,
        "stream": "backoffice:requests", "maxlen": 1000, "path": None}})
    refs = [submit_request(Dialog(gw, new_phone(), new_session()), lang)
            for lang in ("en", "ur")]
    wait_until(lambda: redis.command("XLEN", "backoffice:requests") == 2,
               5, "two entries in the back office's stream")
    entries = redis.command("XRANGE", "backoffice:requests", "-", "+")
    got = []
    for _, fields in entries:
        f = dict(zip(fields[::2], fields[1::2]))
        body = json.loads(f[b"request"])
        assert f[b"key"].decode() == body["idempotency_key"]
        got.append(body["ref"])
    assert got == refs


def stored_request(key, **more):
    return dict({
        "idempotency_key": key, "ref": "K7MX3Q", "service": "*786#",
        "request": "help", "msisdn": "923001234567",
        "msisdn_hash": "2a9b40a5ff98", "lang": "en", "ts": 1795427139953,
        "fields": {"district": "لاہور"}}, **more)


def test_stored_requests_go_as_stored(gateway, backoffice, redis):
    """A request goes to the back office byte for byte as the outbox
    holds it, signed so: also one an older gateway wrote with its members
    in another order and spaced out.  One with a member this gateway does
    not write goes as this gateway writes it; an entry that is no request
    is a dead letter, with why."""
    bo = backoffice()
    gw = gateway(**http_backoffice(bo))
    older = json.dumps(dict(reversed(stored_request("older").items())),
                       ensure_ascii=False)
    more = json.dumps(stored_request("more", channel="ussd"),
                      ensure_ascii=False, separators=(",", ":"))
    for text in (older, more, '{"ref":"K7MX3Q"}'):
        redis.command("XADD", "asanigw:{outbox}:requests", "*", "r",
                      text.encode())
    wait_until(lambda: recorded(bo) == 2, 10, "two requests")
    assert older.encode() in bo._call("GET", "/requests")[1]
    got = {r["key"]: r["body"] for r in bo.requests()}
    assert got == {"older": stored_request("older"),
                   "more": stored_request("more")}
    assert bo.stats()["bad_signature"] == 0
    wait_until(lambda: gw.outbox()["dead"] == 1, 10, "a dead letter")
    assert re.search(r'event=dead-letter id=\S+ error="a request field is '
                     r'missing or not a string"', gw.log())


def xreadgroup_calls(redis):
    info = redis.command("INFO", "commandstats").decode()
    for line in info.splitlines():
        if line.startswith("cmdstat_xreadgroup:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


def test_restart_with_back_office_still_down(gateway, backoffice, redis):
    """After a restart the gateway reads its own pending requests once,
    in pages, and then waits for new ones: it neither spins on Redis
    while the back office is down nor forgets any of them."""
    bo = backoffice()
    gw = gateway(**http_backoffice(bo, inflight=8, batch=4))
    bo.control(fail="503")
    submit_many(gw, [new_phone() for _ in range(30)], 1)
    wait_until(lambda: "event=delivery-retry" in gw.log(), 5, "retries")
    gw.kill()
    gw.exit_checked = False
    gw.start()
    time.sleep(0.5)
    before = xreadgroup_calls(redis)
    time.sleep(1.0)
    assert xreadgroup_calls(redis) - before < 100, "polling Redis in a loop"
    bo.control(fail="none")
    wait_until(lambda: recorded(bo) == 30, 30, "all 30 requests")
    wait_until(lambda: gw.outbox()["waiting"] == 0, 10, "an empty outbox")


# -- dead letters re-driven -------------------------------------------------

def redrive_conf(bo, **outbox):
    """A retry window far shorter than the outage the tests make: two
    tries a few ms apart, then a dead letter; re-driven after a short
    cool-down."""
    return http_backoffice(bo, **dict({
        "attempts": 2, "backoff_min_ms": 20, "backoff_max_ms": 50,
        "redrive_after_ms": 800, "redrive_max": 3}, **outbox))


def confirmed_while_down(bo, gw, n):
    """n requests confirmed (each of its own subscriber) while the back
    office answers 503; their refs."""
    bo.control(fail="503")
    sent = submit_many(gw, [new_phone() for _ in range(n)], 1)
    return {ref for rs in sent.values() for ref in rs}


def redrive_counts(*gws):
    """The letters each gateway's log says it re-drove."""
    return [sum(int(m) for m in re.findall(r"event=redrive count=(\d+)",
                                           gw.log())) for gw in gws]


def test_dead_letters_come_back_by_themselves(gateway, backoffice, redis):
    bo = backoffice()
    gw = gateway(**redrive_conf(bo))
    refs = confirmed_while_down(bo, gw, 6)
    wait_until(lambda: gw.outbox()["dead"] == 6, 10, "six dead letters")
    assert recorded(bo) == 0 and gw.outbox()["redriven"] == 0
    # The outage ends; nobody replays: the cool-down brings them back.
    bo.control(fail="none")
    wait_until(lambda: recorded(bo) == 6, 20, "all six re-driven")
    got = bo.requests()
    assert sorted(r["body"]["ref"] for r in got) == sorted(refs)
    # Booked once each, under the key they were confirmed with.
    assert bo.stats()["duplicates"] == 0
    assert {r["key"] for r in got} == seen_keys(redis)
    wait_until(lambda: gw.outbox()["waiting"] == 0, 5, "an empty outbox")
    st = gw.outbox()
    assert st["dead"] == 0 and st["redriven"] == 6, st
    assert redrive_counts(gw) == [6]


def test_redrive_max_leaves_a_letter_for_a_person(gateway, backoffice):
    bo = backoffice()
    gw = gateway(**redrive_conf(bo, redrive_after_ms=200, redrive_max=2))
    confirmed_while_down(bo, gw, 3)
    # Each letter: 2 tries, then twice re-driven for 2 tries more.
    wait_until(lambda: gw.outbox()["redriven"] == 6, 20, "six re-drives")
    wait_until(lambda: gw.outbox()["dead"] == 3 and
               gw.outbox()["waiting"] == 0, 10, "three dead letters")
    # Several passes later, they are still dead and tried no more.
    time.sleep(2.5)
    st = gw.outbox()
    assert st["dead"] == 3 and st["redriven"] == 6, st
    assert bo.stats()["received"] == 3 * 2 * 3
    # A person's replay still brings them back.
    bo.control(fail="none")
    status, body = gw.admin("POST", "/admin/outbox/replay")
    assert status == 200 and body == {"replayed": 3}
    wait_until(lambda: recorded(bo) == 3, 10, "three replayed")
    assert bo.stats()["duplicates"] == 0


def test_two_gateways_redrive_each_letter_once(gateway, backoffice):
    bo = backoffice()
    conf = redrive_conf(bo, redrive_batch=4)
    a = gateway(**conf)
    b = gateway(**conf)
    refs = confirmed_while_down(bo, a, 12) | confirmed_while_down(bo, b, 12)
    wait_until(lambda: a.outbox()["dead"] == 24, 10, "24 dead letters")
    bo.control(fail="none")
    wait_until(lambda: recorded(bo) == 24, 30, "all 24 re-driven")
    wait_until(lambda: a.outbox()["waiting"] == 0, 5, "an empty outbox")
    got = [r["body"]["ref"] for r in bo.requests()]
    assert sorted(got) == sorted(refs)
    assert bo.stats()["duplicates"] == 0
    # Four letters a pass, a pass a second on each: both took part, and
    # between them each letter went back once.
    counts = redrive_counts(a, b)
    assert sum(counts) == 24 and a.outbox()["redriven"] == 24, counts
    assert all(counts), counts
    assert bo.stats()["received"] == 24 * 2 + 24
