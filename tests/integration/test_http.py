"""The aggregator HTTP face: well-formed hops, malformed requests, health."""

import email.utils
import http.client
import json
import re
import time
import urllib.parse

import pytest

from conftest import ADMIN_TOKEN
from ussd import SERVICE, new_phone, new_session


def one_line(body):
    """A 400's body is one non-empty line (a trailing newline allowed)."""
    text = body[:-1] if body.endswith("\n") else body
    return text != "" and "\n" not in text and "\r" not in text


def form(**fields):
    base = {"sessionId": new_session(), "serviceCode": SERVICE,
            "phoneNumber": new_phone(), "networkCode": "41001", "text": ""}
    for k, v in fields.items():
        if v is None:
            base.pop(k)
        else:
            base[k] = v
    return base


def test_health(gateway):
    gw = gateway()
    r = gw.get("/health")
    assert r.status == 200
    assert r.body.strip() == "ok"


def test_answers_carry_one_current_date(gateway):
    """The gateway writes the Date header itself (made once a second):
    one per answer, in IMF-fixdate, now."""
    gw = gateway()
    for method, path, body in (("POST", gw.ussd_path,
                                urllib.parse.urlencode(form())),
                               ("GET", "/health", None),
                               ("POST", gw.ussd_path, "sessionId=x")):
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded"})
            r = conn.getresponse()
            r.read()
            dates = [v for k, v in r.getheaders() if k.lower() == "date"]
        finally:
            conn.close()
        assert len(dates) == 1, (path, r.status, dates)
        assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
                            r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|"
                            r"Dec) \d{4} \d\d:\d\d:\d\d GMT", dates[0]), dates
        sent = email.utils.parsedate_to_datetime(dates[0]).timestamp()
        assert abs(sent - time.time()) < 5, dates


def test_wellformed_dial_answers_con(gateway):
    gw = gateway()
    r = gw.post_form(form())
    assert r.status == 200, r
    assert r.body.startswith("CON "), r
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r
    assert "charset=utf-8" in r.headers.get("Content-Type", "").lower(), r


def test_phone_without_plus_is_accepted(gateway):
    gw = gateway()
    r = gw.post_form(form(phoneNumber="923001234567"))
    assert r.con, r


def test_network_code_is_optional(gateway):
    gw = gateway()
    r = gw.post_form(form(networkCode=None))
    assert r.con, r


@pytest.mark.parametrize("field",
                         ["sessionId", "serviceCode", "phoneNumber", "text"])
def test_missing_field(gateway, field):
    gw = gateway()
    r = gw.post_form(form(**{field: None}))
    assert r.status == 400, r
    assert one_line(r.body), r
    assert field in r.body, r


def test_empty_text_is_present_not_missing(gateway):
    gw = gateway()
    # "text=" with nothing after it: the dial of an Africa's Talking hop.
    body = urllib.parse.urlencode(form(text=None)) + "&text="
    r = gw.post_form(body)
    assert r.con, r


@pytest.mark.parametrize("phone", ["abc", "12", "+92300123456789012", ""])
def test_phone_not_msisdn(gateway, phone):
    gw = gateway()
    r = gw.post_form(form(phoneNumber=phone))
    assert r.status == 400, r
    assert one_line(r.body), r


@pytest.mark.parametrize("size", [4097, 5000, 70000])
def test_oversized_body(gateway, size):
    gw = gateway(listen={"max_body": 4096})
    body = urllib.parse.urlencode(form(text=""))
    body += "&pad=" + "x" * (size - len(body) - 5)
    assert len(body) == size
    r = gw.post_form(body)
    assert r.status == 400, r
    assert one_line(r.body), r


def test_body_at_max_is_accepted(gateway):
    gw = gateway(listen={"max_body": 1024})
    body = urllib.parse.urlencode(form(text=""))
    body += "&pad=" + "x" * (1024 - len(body) - 5)
    assert len(body) == 1024
    r = gw.post_form(body)
    assert r.con, r


@pytest.mark.parametrize("raw", ["%C0%AF", "%FF", "1%ED%A0%80"])
def test_text_not_utf8(gateway, raw):
    gw = gateway()
    body = urllib.parse.urlencode(form(text=None)) + "&text=" + raw
    r = gw.post_form(body)
    assert r.status == 400, r
    assert one_line(r.body), r


def test_get_on_ussd_is_405(gateway):
    gw = gateway()
    r = gw.get("/ussd?" + urllib.parse.urlencode(form()))
    assert r.status == 405, r
    assert one_line(r.body), r
    # RFC 9110 15.5.6: a 405 must say which methods the resource takes.
    assert "POST" in r.headers.get("Allow", ""), r.headers


def test_unknown_path_is_404(gateway):
    gw = gateway()
    r = gw.post_form(form(), path="/nope")
    assert r.status == 404, r


def test_wrong_content_type_is_400(gateway):
    gw = gateway()
    r = gw.request("POST", "/ussd",
                   body=urllib.parse.urlencode(form()).encode(),
                   headers={"Content-Type": "application/json"})
    assert r.status == 400, r
    assert one_line(r.body), r


def test_unknown_service_is_polite_end(gateway):
    gw = gateway()
    r = gw.post_form(form(serviceCode="*999#"))
    assert r.status == 200, r
    assert r.body == "END This service is not available.", r


def test_aggregator_path_is_configurable(gateway):
    gw = gateway(aggregators=[{"path": "/at/ussd", "text": "path"}])
    r = gw.post_form(form(), path="/at/ussd")
    assert r.con, r
    assert gw.post_form(form(), path="/ussd").status == 404


# -- strict forms: what a lenient reader would let through -------------------

def all_keys(redis):
    return sorted(redis.command("KEYS", "*"))


def strict_case(gateway, redis, body, headers, want=None):
    """POSTs body to /ussd; asserts a one-line 400 (naming want) and that
    no key appeared in Redis."""
    gw = gateway()
    before = all_keys(redis)
    r = gw.request("POST", "/ussd", body=body, headers=headers)
    assert r.status == 400, r
    assert one_line(r.body), r
    if want is not None:
        assert want in r.body, r
    assert all_keys(redis) == before
    # The same gateway serves a well-formed hop (and then stores it).
    assert gw.post_form(form()).con
    return gw


FORM_CT = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("field,raw,want", [
    ("sessionId", "nul1%00XYZ", "NUL"),
    ("phoneNumber", "923001117777%00junk", "NUL"),
    ("text", "1%00", "NUL"),
    ("text", "%zz", "percent escape"),
    ("text", "1%", "percent escape"),
    ("text", "%4", "percent escape"),
    ("sessionId", "ab%g0", "percent escape"),
    ("serviceCode", "*786%0Aerror%20event%3Ddead-letter#", "serviceCode"),
    ("serviceCode", "*786#x", "serviceCode"),
    ("serviceCode", "%E2%81%8E786#", "serviceCode"),
])
def test_strict_field_is_400(gateway, redis, field, raw, want):
    body = urllib.parse.urlencode(form(**{field: None})) + f"&{field}={raw}"
    gw = strict_case(gateway, redis, body.encode(), FORM_CT, want)
    # The reason is logged on one line; the forged line is not there.
    assert "event=bad-request" in gw.log()
    assert not any(x.startswith("error event=dead-letter")
                   for x in gw.log().splitlines())


def test_raw_nul_in_body_is_400(gateway, redis):
    body = urllib.parse.urlencode(form()).encode() + b"&x=\x00"
    strict_case(gateway, redis, body, FORM_CT, "NUL")


def test_missing_content_type_is_400(gateway, redis):
    strict_case(gateway, redis, urllib.parse.urlencode(form()).encode(),
                {}, "Content-Type")


@pytest.mark.parametrize("ct", [
    "text/plain", "application/x-www-form-urlencodedx",
    "multipart/form-data; boundary=x"])
def test_other_content_type_is_400(gateway, redis, ct):
    strict_case(gateway, redis, urllib.parse.urlencode(form()).encode(),
                {"Content-Type": ct}, "Content-Type")


def test_field_given_twice_is_400(gateway, redis):
    body = urllib.parse.urlencode(form()) + "&phoneNumber=923001117777"
    strict_case(gateway, redis, body.encode(), FORM_CT, "twice")


def test_content_type_with_charset_is_accepted(gateway):
    gw = gateway()
    r = gw.request("POST", "/ussd",
                   body=urllib.parse.urlencode(form()).encode(),
                   headers={"Content-Type": "application/x-www-form-"
                            "urlencoded; charset=UTF-8"})
    assert r.con, r


@pytest.mark.parametrize("code", ["*786#", "*786*1#", "786", "+786"])
def test_short_code_characters_are_accepted(gateway, code):
    gw = gateway()
    r = gw.post_form(form(serviceCode=code))
    assert r.status == 200, r


# -- /admin/send reads its form as strictly ---------------------------------

def admin_send(gw, body, content_type="application/x-www-form-urlencoded"):
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return gw.request("POST", "/admin/send", body=body, headers=headers)


@pytest.mark.parametrize("body,ct,want", [
    ("to=923001234567&text=", FORM_CT["Content-Type"], "text is empty"),
    ("to=923001234567&text=hi%00there", FORM_CT["Content-Type"], "NUL"),
    ("to=923001234567%00x&text=hi", FORM_CT["Content-Type"], "NUL"),
    ("to=923001234567&text=%zz", FORM_CT["Content-Type"], "escape"),
    ("to=923001234567&text=1%", FORM_CT["Content-Type"], "escape"),
    ("to=923001234567&text=hi", None, "Content-Type"),
    ("to=923001234567&text=hi", "application/json", "Content-Type"),
    ("to=923001234567&text=%FF", FORM_CT["Content-Type"], "UTF-8"),
])
def test_admin_send_strict_form_is_400(gateway, body, ct, want):
    gw = gateway()
    r = admin_send(gw, body.encode(), ct)
    assert r.status == 400, r
    assert want in json.loads(r.body)["error"], r
    # The same form made right gets past the form (503: no sendsms here).
    r = admin_send(gw, b"to=923001234567&text=hi")
    assert r.status == 503, r
