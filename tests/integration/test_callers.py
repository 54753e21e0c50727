"""Callers checked on the aggregator path: each profile's allowlist (loopback
only unless opened) and its optional secret, given as the header
X-Asanigw-Secret or the query field k.  A caller that fails either gets 403,
touches no Redis key and is logged (never with the secret).

Another host is played by a client bound to 127.0.0.2: Linux routes all of
127.0.0.0/8 to the loopback interface, so no packet leaves the machine."""

import http.client
import os
import urllib.parse

import pytest

from conftest import Reply, run_check
from ussd import SERVICE, new_phone, new_session

SECRET = "ussd-callback-token-0123456789"
FORM_CT = {"Content-Type": "application/x-www-form-urlencoded"}


def form():
    return urllib.parse.urlencode({
        "sessionId": new_session(), "serviceCode": SERVICE,
        "phoneNumber": new_phone(), "networkCode": "41001", "text": ""})


def post(gw, path="/ussd", body=None, headers=None, source="127.0.0.1"):
    """One POST from the source address -> Reply."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10,
                                      source_address=(source, 0))
    try:
        conn.request("POST", path, body=(body or form()).encode(),
                     headers=dict(FORM_CT, **(headers or {})))
        r = conn.getresponse()
        return Reply(r.status, r.read().decode("utf-8"), 0.0,
                     dict(r.getheaders()))
    finally:
        conn.close()


def all_keys(redis):
    return sorted(redis.command("KEYS", "*"))


def assert_forbidden(gw, redis, reason, **kw):
    before = all_keys(redis)
    n = gw.log().count("event=forbidden")
    r = post(gw, **kw)
    assert r.status == 403, r
    assert all_keys(redis) == before
    lines = [x for x in gw.log().splitlines() if "event=forbidden" in x]
    assert len(lines) == n + 1, gw.log()
    assert lines[-1].endswith(f'path=/ussd reason="{reason}"'), lines[-1]


def test_default_allows_loopback_only(gateway, redis):
    gw = gateway()
    assert_forbidden(gw, redis, "address not allowed", source="127.0.0.2")
    # A bad form from outside is a 403 too: a stranger learns nothing.
    assert_forbidden(gw, redis, "address not allowed", source="127.0.0.2",
                     body="sessionId=x%00")
    before = all_keys(redis)
    assert post(gw).con
    assert all_keys(redis) != before     # the hop from 127.0.0.1 stored


def test_allow_opens_addresses_and_cidrs(gateway, redis):
    gw = gateway(aggregators=[{"path": "/ussd", "text": "path",
                               "allow": ["127.0.0.2", "10.0.0.0/8"]}])
    assert post(gw, source="127.0.0.2").con
    assert_forbidden(gw, redis, "address not allowed")      # 127.0.0.1
    gw2 = gateway(aggregators=[{"path": "/ussd", "text": "path",
                                "allow": ["127.0.0.0/30"]}])
    assert post(gw2, source="127.0.0.2").con
    assert post(gw2, source="127.0.0.1").con
    assert_forbidden(gw2, redis, "address not allowed", source="127.0.0.5")


def test_secret_in_query_or_header(gateway, redis):
    gw = gateway(aggregators=[{"path": "/ussd", "text": "path",
                               "secret": SECRET}])
    why = "wrong or missing secret"
    assert_forbidden(gw, redis, why)
    assert_forbidden(gw, redis, why, path="/ussd?k=")
    assert_forbidden(gw, redis, why, path="/ussd?k=" + SECRET[:-1])
    assert_forbidden(gw, redis, why, path="/ussd?k=" + SECRET + "x")
    assert_forbidden(gw, redis, why, path="/ussd?k=" + SECRET + "%zz")
    assert_forbidden(gw, redis, why, path="/ussd?key=" + SECRET)
    assert_forbidden(gw, redis, why, headers={"X-Asanigw-Secret": "nope"})
    # The header, when given, is what counts.
    assert_forbidden(gw, redis, why, path="/ussd?k=" + SECRET,
                     headers={"X-Asanigw-Secret": "nope"})
    # Right: in the callback URL's query, or in the header.
    assert post(gw, path="/ussd?k=" + SECRET).con
    assert post(gw, path="/ussd?x=1&k=" + urllib.parse.quote(SECRET)).con
    assert post(gw, headers={"X-Asanigw-Secret": SECRET}).con
    # A secret does not open the allowlist.
    assert_forbidden(gw, redis, "address not allowed", source="127.0.0.2",
                     path="/ussd?k=" + SECRET)
    # Never logged, not even the wrong ones that came close.
    assert SECRET[:-1] not in gw.log()


@pytest.mark.parametrize("nets,secret,warned", [
    (["0.0.0.0/0"], "", True),
    (["::/0"], "", True),
    (["127.0.0.1", "0.0.0.0/0"], "", True),
    (["0.0.0.0/0", "::/0"], SECRET, False),
    (["10.0.0.0/8"], "", False),
    (None, "", False),
])
def test_check_warns_about_a_profile_open_to_all(gateway, nets, secret,
                                                 warned):
    agg = {"path": "/ussd", "text": "path", "secret": secret}
    if nets is not None:
        agg["allow"] = nets
    gw = gateway(start=False, aggregators=[agg])
    rc, out = run_check(gw.conf_path)
    assert rc == 0, out
    lines = out.strip().splitlines()
    assert lines[-1] == "configuration OK", out
    warnings = [x for x in lines if "warning:" in x]
    if not warned:
        assert warnings == [], out
        return
    assert len(warnings) == 1, out
    w = warnings[0]
    assert w.startswith(gw.conf_path + ":"), w
    assert int(w.split(":")[1]) > 0, w
    assert "/ussd" in w and "every address" in w, w
    # The daemon says so at start as well, and serves every address of
    # the family opened (an IPv4 peer is not in ::/0).
    gw.start()
    assert "event=config-warning" in gw.log() and \
        "aggregator /ussd is open to every address" in gw.log()
    if "0.0.0.0/0" in nets:
        assert post(gw, source="127.0.0.2").con


def test_check_rejects_a_bad_allowlist(gateway):
    gw = gateway(start=False, aggregators=[
        {"path": "/ussd", "text": "path", "allow": ["10.0.0.1/8"]}])
    rc, out = run_check(gw.conf_path)
    assert rc == 1, out
    assert "allow" in out, out
    assert os.path.exists(gw.conf_path)
