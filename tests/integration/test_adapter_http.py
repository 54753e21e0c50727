"""
The http adapter against the test back office: signed requests, booked
once; a wrong secret refused; HTTPS with a CA made for the test, and a
wrong host name or an unknown CA refused; a failing or slow back office.
"""

import json
import time

import pytest

from backoffice import BackOffice, make_ca
from flagship import Dialog, submit_request
from ussd import new_phone, new_session

SECRET = "backoffice-test-secret"


@pytest.fixture
def backoffice(tmp_path):
    made = []

    def make(**kw):
        bo = BackOffice(tmp_path, SECRET, **kw).start()
        made.append(bo)
        return bo
    yield make
    for bo in made:
        bo.stop()


def http_gateway(gateway, url, secret=SECRET, expect_errors=(), **extra):
    ad = {"type": "http", "url": url, "secret": secret, "timeout_ms": 400,
          "path": None}
    ad.update(extra)
    return gateway(adapters={"requests": ad}, expect_errors=expect_errors)


def failed(reply):
    return reply.end and "could not record your request" in reply.screen


def test_requests_arrive_signed_and_once(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url)
    refs = [submit_request(Dialog(gw, new_phone(), new_session()), lang)
            for lang in ("en", "ur")]
    got = bo.requests()
    assert [r["body"]["ref"] for r in got] == refs
    body = got[1]["body"]
    assert body["fields"]["cnic4"] == "1234" and body["lang"] == "ur"
    assert got[0]["key"] == got[0]["body"]["idempotency_key"]
    st = bo.stats()
    assert st["recorded"] == 2 and st["bad_signature"] == 0, st


def test_wrong_secret_is_refused(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url, secret="not-the-secret")
    d = Dialog(gw, new_phone(), new_session())
    from flagship import walk_to_cnic
    walk_to_cnic(d, "en")
    d.send("1234")
    assert failed(d.send("1")), d.last
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
    st = bo.stats()
    assert st["recorded"] == 1 and st["duplicates"] == 1, st
    assert st["bad_signature"] == 1 and st["stale"] == 1, st


@pytest.mark.parametrize("mode", ["500", "slow", "drop", "429"])
def test_back_office_failing(gateway, backoffice, mode):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url)
    bo.control(fail=mode, slow_ms=2000)
    d = Dialog(gw, new_phone(), new_session())
    from flagship import walk_to_cnic
    walk_to_cnic(d, "en")
    d.send("1234")
    t0 = time.monotonic()
    r = d.send("1")
    assert failed(r), r
    assert time.monotonic() - t0 < gw.deadline + 0.3
    # Back again: the same confirmation books it.
    bo.control(fail="none")
    r = d.again()
    assert r.end and "reference" in r.screen.lower(), r
    assert len(bo.requests()) == 1


def test_https_verified(gateway, backoffice, tmp_path):
    ca, cert, key = make_ca(tmp_path, host="localhost")
    bo = backoffice(cert=cert, key=key)
    url = f"https://localhost:{bo.port}/requests"
    gw = http_gateway(gateway, url, ca_file=ca)
    submit_request(Dialog(gw, new_phone(), new_session()), "en")
    assert len(bo.requests()) == 1


def test_https_wrong_host_or_unknown_ca(gateway, backoffice, tmp_path):
    ca, cert, key = make_ca(tmp_path, host="backoffice.example")
    other_ca, _, _ = make_ca(tmp_path, host="localhost", name="other")
    bo = backoffice(cert=cert, key=key)
    from flagship import walk_to_cnic
    for url, cafile in ((f"https://localhost:{bo.port}/requests", ca),
                        (f"https://localhost:{bo.port}/requests", other_ca)):
        gw = http_gateway(gateway, url, ca_file=cafile)
        d = Dialog(gw, new_phone(), new_session())
        walk_to_cnic(d, "en")
        d.send("1234")
        assert failed(d.send("1")), d.last
        gw.stop()
        assert "TLS with localhost" in gw.log() and \
            "certificate verify failed" in gw.log(), gw.log()[-2000:]
    assert bo.requests() == []
