"""
Shortcut dials and lost sessions over an aggregator in path mode: a first
hop whose text already carries inputs ("1*1", what *786*1*1# becomes)
opens at the screen they name, and a session whose record is gone is
rebuilt from the path, each input stepped as if typed on a hop of its
own.  A replayed submit is the request already queued, never a second
one; a path longer than session.replay_max is refused, cheaply.
"""

import time

from flagship import (EXPIRED_EN, LANGS, Dialog, confirm_yes, menu_text,
                      menu_value, submit_request)
from ussd import find_refs, new_phone, new_session

TOO_LONG_EN = ("Too many choices at once. Please dial the service code "
               "and choose step by step.")


def test_shortcut_first_hop_opens_at_the_named_screen(gateway, redis):
    gw = gateway()
    phone, sid = new_phone(), new_session()
    # English, then "Request help": the category screen at once.
    r = gw.hop(sid, phone, "1*1")
    assert r.con and LANGS["en"]["category"] in r.screen, r
    key = gw.session_key(phone, sid)
    version, _, _ = redis.command("GET", key).decode().partition("|")
    assert version == "1", version      # one hop saved: the shortcut
    # The session goes on from there, one input per hop as usual.
    r = gw.hop(sid, phone, "1*1*1")
    assert r.con and menu_text("district", "en") in r.screen, r
    # The same shortcut again is a retry: the same answer.
    assert gw.hop(sid, phone, "1*1*1").body == r.body
    assert "event=replay" in gw.log()


def test_shortcut_chooses_the_language_on_the_way(gateway):
    gw = gateway()
    # 2: Roman Urdu, then 1: help.  3: Urdu script.
    r = gw.hop(new_session(), new_phone(), "2*1")
    assert r.con and LANGS["ur-Latn"]["category"] in r.screen, r
    r = gw.hop(new_session(), new_phone(), "3*1")
    assert r.con and LANGS["ur"]["category"] in r.screen, r


def test_shortcut_page_is_the_walked_one(gateway):
    """A shortcut lands on the very page a walk one input per hop shows,
    free text (the CNIC digits) and all."""
    gw = gateway()
    inputs = ["1", "1", "1", "1", "1234"]
    walked = gw.walk(new_session(), new_phone(), inputs)[-1]
    short = gw.hop(new_session(), new_phone(), "*".join(inputs))
    assert short.body == walked.body, (short, walked)
    for part in LANGS["en"]["confirm_has"]:
        assert part in short.screen, short


def test_lost_session_is_rebuilt_mid_walk(gateway, redis):
    gw = gateway()
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    d.dial()
    d.choose(LANGS["en"]["language"])
    d.choose(LANGS["en"]["help"])
    # An unbroken walk of the same inputs, for the pages to expect.
    ref = gw.walk(new_session(), new_phone(), d.inputs + ["1", "1"])
    key = gw.session_key(phone, sid)
    for i, want in enumerate(ref[-2:]):
        # The record goes between the hops (the gateway still has the
        # session in memory: its save finds the record gone).
        assert redis.command("DEL", key) == 1
        r = d.send("1")
        assert r.body == want.body, (i, r, want)
        assert redis.command("EXISTS", key) == 1
    assert LANGS["en"]["cnic_prompt"] in d.last.screen, d.last
    # A record lost while the session sat in no gateway's memory: the
    # restarted gateway reads nothing and rebuilds from the path too.
    assert redis.command("DEL", key) == 1
    gw.stop()
    gw.start()
    r = d.send("1234")
    for part in LANGS["en"]["confirm_has"]:
        assert part in r.screen, r
    assert "event=session-gone" in gw.log() or "event=replay" in gw.log()


def test_invalid_input_in_the_path_stops_there(gateway):
    gw = gateway()
    phone, sid = new_phone(), new_session()
    # 9 is no choice on the main screen: its error, and the "1" after it
    # is dropped (it was typed for a screen the caller never saw).
    r = gw.hop(sid, phone, "1*9*1")
    assert r.con, r
    assert r.screen.startswith("Invalid choice.\n"), r
    assert LANGS["en"]["main"] in r.screen, r
    # The next hop's input is taken on the main screen.
    r = gw.hop(sid, phone, "1*9*1*1")
    assert r.con and LANGS["en"]["category"] in r.screen, r
    # Free text in the path is checked as typed: a CNIC of two digits.
    r = gw.hop(new_session(), new_phone(), "1*1*1*1*12*1")
    assert r.con and r.screen.startswith(LANGS["en"]["cnic_error"]), r
    # An empty input is refused like any other.
    r = gw.hop(new_session(), new_phone(), "1**1")
    assert r.con and r.screen.startswith("Invalid choice.\n"), r


def test_submit_replayed_after_the_record_is_lost_books_once(gateway,
                                                             redis):
    gw = gateway()
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    ref = submit_request(d, "en")
    end = d.last
    assert [x["ref"] for x in gw.requests()] == [ref]
    key = gw.session_key(phone, sid)
    for _ in range(2):
        # The record is lost, and no gateway holds the session in memory
        # (a restart), when the submitting hop comes again: the path is
        # replayed up to the submit, whose idempotency key is the one
        # already queued — the same reference, no second request.
        assert redis.command("DEL", key) == 1
        gw.stop()
        gw.start()
        r = d.again()
        assert r.end and r.body == end.body, (r, end)
        assert gw.log().count("event=replay ") == _ + 1
        assert redis.command("EXISTS", key) == 1
    requests = gw.requests()
    assert [x["ref"] for x in requests] == [ref], requests
    assert len({x["idempotency_key"] for x in requests}) == 1


def test_shortcut_that_submits_books_once(gateway, redis):
    gw = gateway()
    phone, sid = new_phone(), new_session()
    path = "1*1*1*1*4321*1"
    r = gw.hop(sid, phone, path)
    assert r.end, r
    refs = find_refs(r.screen)
    assert len(refs) == 1, r
    for _ in range(2):
        assert redis.command("DEL", gw.session_key(phone, sid)) == 1
        gw.stop()
        gw.start()
        again = gw.hop(sid, phone, path)
        assert again.body == r.body, (again, r)
    requests = gw.requests()
    assert [x["ref"] for x in requests] == refs, requests
    assert requests[0]["fields"]["cnic4"] == "4321", requests


def test_replay_stops_at_a_lookup(gateway):
    gw = gateway()
    phone = new_phone()
    ref = submit_request(Dialog(gw, phone, new_session()), "en")
    gw.requests()
    # "Follow my request" with the reference in one go: the lookup runs
    # and its answer shows; the inputs after it are dropped.
    r = gw.hop(new_session(), phone, f"1*2*{ref}*1*1")
    assert r.end, r
    assert ref in r.screen and menu_value("received", "en") in r.screen, r


def test_path_longer_than_replay_max_is_refused(gateway, redis):
    gw = gateway(session={"replay_max": 4})
    phone, sid = new_phone(), new_session()
    r = gw.hop(sid, phone, "1*1*1*1")
    assert r.con and LANGS["en"]["cnic_prompt"] in r.screen, r
    r = gw.hop(new_session(), phone, "1*1*1*1*1234")
    assert r.end and r.screen == TOO_LONG_EN, r
    # A session with a record goes on past the cap: only replays count.
    r = gw.hop(sid, phone, "1*1*1*1*1234")
    assert r.con, r
    assert "event=replay-refused" in gw.log()


def test_hostile_path_costs_one_hop(gateway, redis):
    gw = gateway(listen={"max_body": 65536})
    phone, sid = new_phone(), new_session()
    path = "*".join(["98"] * 10000)
    t0 = time.monotonic()
    r = gw.hop(sid, phone, path)
    took = time.monotonic() - t0
    assert r.end and r.screen == TOO_LONG_EN, r
    assert took < gw.deadline, took
    assert redis.command("EXISTS", gw.session_key(phone, sid)) == 0
    # Within the cap, every step still fits a normal hop.
    t0 = time.monotonic()
    r = gw.hop(new_session(), phone, "*".join(["1", "1"] + ["0", "1"] * 14))
    assert r.con and LANGS["en"]["category"] in r.screen, r
    assert time.monotonic() - t0 < gw.deadline


def test_latest_mode_has_no_path_to_replay(gateway):
    gw = gateway(aggregators=[{"path": "/hubtel", "text": "latest"}])
    r = gw.hop(new_session(), new_phone(), "1*1", path="/hubtel")
    assert r.end and r.screen == EXPIRED_EN, r


def test_walk_after_a_shortcut_submits_as_usual(gateway):
    gw = gateway()
    phone, sid = new_phone(), new_session()
    r = gw.hop(sid, phone, "1*1*1*1")
    assert LANGS["en"]["cnic_prompt"] in r.screen, r
    d = Dialog(gw, phone, sid)
    d.inputs, d.replies = ["1", "1", "1", "1"], [r]
    d.send("1234")
    ref = confirm_yes(d, "en")
    assert [x["ref"] for x in gw.requests()] == [ref]
