"""SIGTERM: stop accepting, answer the hops in flight, exit 0."""

import signal
import socket
import subprocess

from conftest import (asanigw_binary, hop_in_flight, port_open, read_reply,
                      wait_until)
from flagship import menu_text
from ussd import new_phone, new_session


def test_sigterm_drains_inflight_hop(gateway, redis):
    # A Redis timeout long enough for the whole choreography below.
    gw = gateway(redis={"timeout_ms": 2000},
                 session={"hop_deadline_ms": 3000})
    redis.pause()
    try:
        conn = hop_in_flight(gw)
        gw.signal(signal.SIGTERM)
        # No new connections once SIGTERM is handled.
        wait_until(lambda: not port_open(gw.port), 2.0,
                   "the listener to close after SIGTERM")
        assert gw.proc.poll() is None, "exited with a hop in flight"
    finally:
        redis.resume()
    status, body = read_reply(conn)
    # Redis answered in time: the hop is served normally.
    assert status == 200, body
    assert body.startswith("CON " + menu_text("language", "en")), body
    gw.wait_exit()


def test_sigterm_inflight_hop_with_redis_stuck(gateway, redis):
    """Redis never answers: the hop still gets its busy END by the
    deadline and the daemon then exits 0."""
    gw = gateway(redis={"timeout_ms": 500},
                 session={"hop_deadline_ms": 1000})
    redis.pause()
    try:
        conn = hop_in_flight(gw)
        gw.signal(signal.SIGTERM)
        status, body = read_reply(conn)
        assert status == 200
        assert body == "END Service busy, please try again later.", body
        gw.wait_exit()
    finally:
        redis.resume()


def test_sigterm_idle_exits_at_once(gateway):
    gw = gateway()
    assert gw.hop(new_session(), new_phone(), "").con
    gw.signal(signal.SIGTERM)
    gw.wait_exit(timeout=2.0)
    assert not port_open(gw.port)


def test_sigint_also_stops_cleanly(gateway):
    gw = gateway()
    gw.signal(signal.SIGINT)
    gw.wait_exit(timeout=2.0)


def test_refuses_busy_port(gateway):
    """A second daemon on a taken port fails at start, with an error line,
    and exit status 1."""
    gw = gateway()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        taken = s.getsockname()[1]
        gw2 = gateway(start=False, listen={"port": taken})
        p = subprocess.run([asanigw_binary(), "-d", "-c", gw2.conf_path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=10)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 1, out
    assert " error " in out and str(taken) in out, out
    assert gw.hop(new_session(), new_phone(), "").con
