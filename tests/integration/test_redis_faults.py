"""Redis down or stuck: every hop is still answered, in time, and service
comes back by itself.  warn lines about Redis are expected; error lines
are not."""

from conftest import wait_until
from flagship import BUSY_EN, LANGS, Dialog, menu_text, submit_request
from ussd import new_phone, new_session

# Short timers keep these tests fast; the slack covers a loaded machine.
FAULT_CONF = {"redis": {"timeout_ms": 300},
              "session": {"hop_deadline_ms": 1000}}
SLACK = 0.3


def assert_busy(gw, r, text=BUSY_EN):
    assert r.status == 200, r
    assert r.body == "END " + text, r
    assert r.elapsed < gw.deadline + SLACK, (
        f"answered after {r.elapsed:.3f}s, deadline {gw.deadline}s")


def service_works(gw):
    r = gw.hop(new_session(), new_phone(), "")
    return r.con


def test_redis_stopped_mid_session(gateway, redis):
    gw = gateway(**FAULT_CONF)
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    d.dial()
    d.choose(LANGS["en"]["language"])
    d.choose(LANGS["en"]["help"])

    redis.stop()
    # The next hop of the session, a retry of it, and a new dial: each
    # answered busy, in time.
    for text in (d.text() + "*1", d.text() + "*1", ""):
        r = gw.hop(sid if text else new_session(), phone, text)
        assert_busy(gw, r)
    # Many at once, still each in time.
    for _ in range(5):
        assert_busy(gw, gw.hop(new_session(), new_phone(), ""))

    redis.start()     # same port, empty (no persistence)
    wait_until(lambda: service_works(gw), 10.0,
               "service to resume after Redis came back")
    # A whole session works again, request booked.
    ref = submit_request(Dialog(gw, new_phone(), new_session()), "en")
    assert [x["ref"] for x in gw.requests()] == [ref]
    assert "event=connected" in gw.log().split("event=disconnected", 1)[-1]


def test_redis_down_at_start(gateway, redis):
    """The daemon starts without Redis, answers busy, and connects once
    Redis is there."""
    redis.stop()
    gw = gateway(**FAULT_CONF)
    assert_busy(gw, gw.hop(new_session(), new_phone(), ""))
    redis.start()
    wait_until(lambda: service_works(gw), 10.0,
               "service to work once Redis started")


def test_redis_paused(gateway, redis):
    """A stuck Redis (SIGSTOP): the per-command timer answers busy before
    the hop deadline; after SIGCONT service resumes."""
    gw = gateway(**FAULT_CONF)
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    d.dial()
    d.choose(LANGS["en"]["language"])

    redis.pause()
    try:
        for text in (d.text() + "*1", ""):
            r = gw.hop(sid if text else new_session(), phone, text)
            assert_busy(gw, r)
    finally:
        redis.resume()
    wait_until(lambda: service_works(gw), 10.0,
               "service to resume after SIGCONT")
    ref = submit_request(Dialog(gw, new_phone(), new_session()), "en")
    assert [x["ref"] for x in gw.requests()] == [ref]


def test_busy_in_session_language(gateway, redis):
    """Where the session's language is known — Redis answered the load and
    fails the save — busy is said in that language."""
    gw = gateway(**FAULT_CONF)
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    d.dial()
    d.choose(LANGS["ur-Latn"]["language"])
    # Reads work, writes fail: the hop loads the session (language known)
    # and cannot save it.
    assert redis.command("CONFIG", "SET", "min-replicas-to-write", "1") \
        == "OK"
    r = gw.hop(sid, phone, d.text() + "*1")
    assert_busy(gw, r, LANGS["ur-Latn"]["busy"])
    assert redis.command("CONFIG", "SET", "min-replicas-to-write", "0") \
        == "OK"
    assert gw.hop(sid, phone, d.text() + "*1").con


def test_redis_stopped_during_submit_books_nothing_twice(gateway, redis):
    """Redis gone between confirm and its retry: the gateway that served
    the confirm still knows the session, so the retry gets the very same
    answer, and nothing is booked a second time."""
    gw = gateway(**FAULT_CONF)
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    submit_request(d, "en")
    first = gw.hop(sid, phone, d.text())
    assert gw.outbox_drained()
    redis.stop()
    again = gw.hop(sid, phone, d.text())
    assert again.status == 200 and again.end, again
    assert again.body == first.body, (first, again)
    assert len(gw.requests()) == 1


def test_ended_session_is_not_kept_in_memory(gateway, redis):
    """A session that ended on a page it can make again (here the last
    page of About) is not kept in memory, unlike a receipt (above): a
    retry of its last hop reads Redis and gets the same answer, and with
    Redis away it is busy."""
    gw = gateway(**FAULT_CONF)
    phone, sid = new_phone(), new_session()
    for x in ("", "1", "1*3", "1*3*98", "1*3*98*98", "1*3*98*98*98"):
        last = gw.hop(sid, phone, x)
        assert last.status == 200, last
    assert last.end, last
    again = gw.hop(sid, phone, "1*3*98*98*98")
    assert again.body == last.body, (last, again)
    redis.stop()
    assert_busy(gw, gw.hop(sid, phone, "1*3*98*98*98"))


def test_redis_stopped_new_session_is_busy(gateway, redis):
    """A session this gateway has never seen cannot be served without
    Redis: busy, and nothing recorded."""
    gw = gateway(**FAULT_CONF)
    redis.stop()
    assert_busy(gw, gw.hop(new_session(), new_phone(), ""))
    assert len(gw.requests()) == 0


def test_script_cache_flushed(gateway, redis):
    """SCRIPT FLUSH under a running gateway (or a failover to a replica
    without the script): saves fail with NOSCRIPT, the gateway loads the
    script again, and a session in progress goes on."""
    gw = gateway(**FAULT_CONF)
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    d.dial()
    d.choose(LANGS["en"]["language"])
    assert redis.command("SCRIPT", "FLUSH") == "OK"
    r = gw.hop(sid, phone, d.text() + "*1")
    assert r.status == 200 and r.body.startswith(("CON ", "END ")), r
    wait_until(lambda: service_works(gw), 5.0,
               "service to work again after SCRIPT FLUSH")
    # The session itself was not advanced by the failed save: the same
    # input is taken again and moves it on.
    r = gw.hop(sid, phone, d.text() + "*1")
    assert r.con and menu_text("category", "en") in r.screen, r
