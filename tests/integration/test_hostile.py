"""The listener on a hostile network: what clients without a credential
can make the gateway hold (memory, connections, descriptors) is bounded,
and a subscriber's hop is still served while they try."""

import errno
import json
import os
import resource
import select
import socket
import time

import pytest

from harness import wait_until
from ussd import new_phone, new_session

MB = 1024 * 1024


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_own_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            pytest.skip(f"needs {want} descriptors; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect(gw, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect(("127.0.0.1", gw.port))
    s.setblocking(False)
    return s


def closed_by_server(s):
    """True once the server ended the connection (EOF or reset); reads
    and drops whatever answer came first."""
    try:
        while True:
            data = s.recv(65536)
            if data == b"":
                return True
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


def served_hop(gw):
    r = gw.hop(new_session(), new_phone(), "")
    assert r.status == 200 and r.body.startswith("CON "), r


def test_pipelining_clients_that_never_read_cannot_grow_memory(
        gateway, monkeypatch):
    # Under AddressSanitizer freed memory waits in a quarantine (256 MB
    # by default) that would hide what the gateway itself holds.
    monkeypatch.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "") +
                       ":quarantine_size_mb=4")
    gw = gateway()
    served_hop(gw)
    before = rss(gw.proc.pid)
    request = b"GET /health HTTP/1.1\r\nHost: gw\r\n\r\n" * 512
    socks = [connect(gw) for _ in range(40)]
    sent = 0
    deadline = time.monotonic() + 6
    try:
        while time.monotonic() < deadline:
            _, writable, _ = select.select([], socks, [], 0.2)
            for s in writable:
                try:
                    sent += s.send(request)
                except (BlockingIOError, ConnectionResetError,
                        BrokenPipeError):
                    pass
        # Without a bound the gateway read all of it (a gigabyte in
        # seconds); with it, each connection holds one request's worth.
        assert sent > 40 * 512 * 1024, f"only {sent} bytes went out"
        grown = rss(gw.proc.pid) - before
        assert grown < 64 * MB, f"RSS grew by {grown / MB:.1f} MB"
        served_hop(gw)
    finally:
        for s in socks:
            s.close()


def test_slowloris_connections_are_cut_by_the_request_deadline(gateway):
    n = 2000
    raise_own_fd_limit(n + 256)
    # Two thousand connections trickling bytes load a small host; Redis
    # and the hop get room so that only the cuts are under test here.
    gw = gateway(listen={"request_ms": 1000, "max_per_address": n + 100},
                 redis={"timeout_ms": 2000},
                 session={"hop_deadline_ms": 3000})
    socks = []
    try:
        for i in range(n):
            # From other loopback addresses than the subscriber's hops.
            s = connect(gw, f"127.0.0.{2 + i % 200}")
            s.send(b"GET /health HTTP/1.1\r\nHo")
            socks.append(s)
        open_ = list(socks)
        t0 = time.monotonic()
        while open_ and time.monotonic() - t0 < 10:
            # One more header byte now and then: a per-read timeout
            # never fires on these.
            for s in open_:
                try:
                    s.send(b"s")
                except OSError:
                    pass
            served_hop(gw)
            time.sleep(0.3)
            open_ = [s for s in open_ if not closed_by_server(s)]
        assert not open_, f"{len(open_)} of {n} slow connections still open"
        served_hop(gw)
        wait_until(lambda: "event=http-cut" in gw.log(), 5,
                   "the cuts to be logged")
    finally:
        for s in socks:
            s.close()


def test_connection_caps_refuse_politely_and_recover(gateway):
    gw = gateway(listen={"max_connections": 30, "max_per_address": 10})
    idle = [connect(gw, "127.0.0.3") for _ in range(10)]
    try:
        # The eleventh from that address is answered 503 and closed.
        extra = connect(gw, "127.0.0.3")
        wait_until(lambda: closed_by_server(extra), 5,
                   "the connection over the per-address cap to be closed")
        extra.close()
        # Others are still served.
        served_hop(gw)
        more = [connect(gw, f"127.0.0.{4 + i}") for i in range(20)]
        # Now 30 are open: the next from anywhere is refused.
        late = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        reply = b""
        while True:
            data = late.recv(4096)
            if not data:
                break
            reply += data
        late.close()
        assert reply.startswith(b"HTTP/1.1 503 "), reply
        assert reply.endswith(b"\r\n\r\nbusy\n"), reply
        for s in more:
            s.close()
    finally:
        for s in idle:
            s.close()
    # Full service as soon as connections close.
    wait_until(lambda: gw.get("/health", timeout=1.0).status == 200, 5,
               "service to come back")
    served_hop(gw)
    assert "event=http-refused" in gw.log()


def test_out_of_descriptors_pauses_accepting_without_spinning(gateway):
    gw = gateway(start=False)
    gw.nofile = 64
    gw.start()
    socks = []
    try:
        for _ in range(120):
            try:
                socks.append(connect(gw))
            except OSError as e:
                if e.errno not in (errno.ECONNREFUSED, errno.EAGAIN):
                    raise
        wait_until(lambda: "event=accept-failed" in gw.log(), 5,
                   "accept failures to be logged")
        c0 = cpu_seconds(gw.proc.pid)
        time.sleep(2)
        used = cpu_seconds(gw.proc.pid) - c0
        # Spinning on accept() took a whole core; pausing takes nearly
        # nothing.
        assert used < 0.5, f"{used:.2f} s of CPU in 2 s while out of fds"
        lines = [ln for ln in gw.log().splitlines()
                 if "event=accept-failed" in ln]
        assert len(lines) <= 6, f"{len(lines)} accept-failed lines"
    finally:
        for s in socks:
            s.close()
    wait_until(lambda: gw.get("/health", timeout=1.0).status == 200, 5,
               "service to come back")
    served_hop(gw)


def test_a_value_from_outside_cannot_forge_a_log_line(gateway):
    gw = gateway()
    r = gw.post_form("sessionId=inj1&serviceCode=*1%0Aerror%20event%3D"
                     "dead-letter&phoneNumber=923001234567&networkCode=1"
                     "&text=%0D%0Aerror%20event%3Ddead-letter")
    assert r.status in (200, 400), r
    served_hop(gw)
    for line in gw.log().splitlines():
        assert not line.startswith("error event=dead-letter"), line
        assert " error event=dead-letter" not in line[:40], line
        if "dead-letter" in line:
            assert "\\x0a" in line or "\\x0d" in line, line


def test_json_logs_are_one_object_a_line(gateway):
    gw = gateway(log={"level": "info", "secret": "s", "format": "json"})
    gw.post_form("sessionId=inj2&serviceCode=*1%0Aerror%20event%3Ddead-"
                 "letter&phoneNumber=923001234567&networkCode=1&text=")
    served_hop(gw)
    events = [json.loads(line) for line in gw.log().splitlines()
              if line.startswith("{")]
    assert events and all(e["ts"] and e["level"] for e in events), events
    assert any(e.get("event") == "hop" and e.get("outcome") == "next"
               for e in events), events
    assert not any(e.get("event") == "dead-letter" for e in events), events
