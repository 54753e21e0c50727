"""
The http adapter against the test back office, through the outbox:
signed requests, booked once; a wrong secret refused (a dead letter at
once); connections kept alive over HTTP, and over HTTPS kept alive and
their TLS sessions resumed when the back office closes them; HTTPS with a
CA made for the test, and a wrong host name or an unknown CA refused; a failing, slow or dropping back office, after which
every request arrives once.
"""

import json
import time

import pytest

from backoffice import make_ca
from conftest import BACKOFFICE_SECRET as SECRET
from conftest import wait_until
from flagship import Dialog, submit_request
from ussd import new_phone, new_session


def http_gateway(gateway, url, secret=SECRET, outbox=None, **extra):
    ad = {"type": "http", "url": url, "secret": secret, "timeout_ms": 300,
          "path": None}
    ad.update(extra)
    return gateway(adapters={"requests": ad}, outbox=outbox or {})


def arrived(bo, n, timeout=10):
    return wait_until(lambda: len(bo.requests()) >= n and bo.requests(),
                      timeout, f"{n} requests at the back office")


def test_requests_arrive_signed_and_once(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url)
    refs = [submit_request(Dialog(gw, new_phone(), new_session()), lang)
            for lang in ("en", "ur")]
    got = arrived(bo, 2)
    assert [r["body"]["ref"] for r in got] == refs
    body = got[1]["body"]
    assert body["fields"]["cnic4"] == "1234" and body["lang"] == "ur"
    assert got[0]["key"] == got[0]["body"]["idempotency_key"]
    st = bo.stats()
    assert st["recorded"] == 2 and st["bad_signature"] == 0, st


def test_wrong_secret_is_refused(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url, secret="not-the-secret")
    submit_request(Dialog(gw, new_phone(), new_session()), "en")
    # Refused: no retry can help, a dead letter at once.
    wait_until(lambda: gw.outbox()["dead"] == 1, 5, "a dead letter")
    assert bo.stats()["bad_signature"] == 1
    assert bo.requests() == []
    assert "refused the request (HTTP 401)" in gw.log()


def test_back_office_checks_signature_and_age(backoffice):
    bo = backoffice()
    body = json.dumps({"ref": "K7MX3Q"}).encode()
    assert bo.post("/requests", body, key="a")[0] == 200
    assert json.loads(bo.post("/requests", body, key="a")[1])["status"] == \
        "duplicate"
    assert bo.post("/requests", body, key="b", secret="x")[0] == 401
    # A replay of a genuine request, ten minutes later.
    assert bo.post("/requests", body, key="c",
                   ts=int(time.time()) - 600)[0] == 401
    # The header key must be the signed body's.
    signed = json.dumps({"idempotency_key": "d", "ref": "K7MX3Q"}).encode()
    assert bo.post("/requests", signed, key="e")[0] == 400
    assert bo.post("/requests", signed, key="d")[0] == 200
    st = bo.stats()
    assert st["recorded"] == 2 and st["duplicates"] == 1, st
    assert st["bad_signature"] == 1 and st["stale"] == 1, st


@pytest.mark.parametrize("mode", ["500", "slow", "drop", "429"])
def test_back_office_failing(gateway, backoffice, mode):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url, outbox={"attempts": 100})
    bo.control(fail=mode, slow_ms=1000)
    # The subscriber is told "received" at once: the request is durable
    # in the outbox, whatever the back office does.
    t0 = time.monotonic()
    refs = [submit_request(Dialog(gw, new_phone(), new_session()), "en")
            for _ in range(3)]
    assert time.monotonic() - t0 < 3 * 7 * 0.2
    time.sleep(0.5)
    wait_until(lambda: "event=delivery-retry" in gw.log(), 5, "a retry")
    # Back again: every request arrives, once.
    bo.control(fail="none")
    got = arrived(bo, 3)
    assert sorted(r["body"]["ref"] for r in got) == sorted(refs)
    wait_until(lambda: gw.outbox()["waiting"] == 0, 5, "an empty outbox")
    assert len(bo.requests()) == 3


def test_https_verified(gateway, backoffice, tmp_path):
    ca, cert, key = make_ca(tmp_path, host="localhost")
    bo = backoffice(cert=cert, key=key)
    url = f"https://localhost:{bo.port}/requests"
    gw = http_gateway(gateway, url, ca_file=ca)
    submit_request(Dialog(gw, new_phone(), new_session()), "en")
    assert len(arrived(bo, 1)) == 1


def submit_n(gw, n):
    return [submit_request(Dialog(gw, new_phone(), new_session()), "en")
            for _ in range(n)]


def test_http_connections_kept_alive(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url, connections=2)
    submit_n(gw, 10)
    arrived(bo, 10)
    conns, _, _ = bo.connections_of_others()
    assert 1 <= conns <= 2, conns


def test_https_connections_reused_and_sessions_resumed(gateway, backoffice,
                                                       tmp_path):
    ca, cert, key = make_ca(tmp_path, host="localhost")
    bo = backoffice(cert=cert, key=key)
    # Every fourth answer closes its connection: the gateway connects
    # again, and resumes the TLS session instead of a full handshake.
    bo.control(close_every=4)
    url = f"https://localhost:{bo.port}/requests"
    gw = http_gateway(gateway, url, ca_file=ca, connections=2)
    refs = submit_n(gw, 16)
    got = arrived(bo, 16)
    assert sorted(r["body"]["ref"] for r in got) == sorted(refs)
    conns, full, resumed = bo.connections_of_others()
    # Calls 4, 8, 12 and 16 each end their connection, so at least four
    # were made; no more than the two first ones and one per close.
    assert 4 <= conns <= 2 + 16 // 4, (conns, full, resumed)
    assert conns == full + resumed, (conns, full, resumed)
    # Only the connections made before the first session came are full
    # handshakes (one per slot at most); every later one resumes, even
    # after a connection that resumed was closed under it.
    assert 1 <= full <= 2 and resumed == conns - full, (conns, full, resumed)
    assert bo.stats()["duplicates"] == 0


def test_https_wrong_host_or_unknown_ca(gateway, backoffice, tmp_path):
    ca, cert, key = make_ca(tmp_path, host="backoffice.example")
    other_ca, _, _ = make_ca(tmp_path, host="localhost", name="other")
    bo = backoffice(cert=cert, key=key)
    url = f"https://localhost:{bo.port}/requests"
    for n, cafile in enumerate((ca, other_ca), 1):
        gw = http_gateway(gateway, url, ca_file=cafile)
        submit_request(Dialog(gw, new_phone(), new_session()), "en")
        wait_until(lambda: gw.outbox()["dead"] == n, 10, "a dead letter")
        gw.stop()
        assert "TLS with localhost" in gw.log() and \
            "certificate verify failed" in gw.log(), gw.log()[-2000:]
    assert bo.requests() == []
