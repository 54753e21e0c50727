"""The aggregator HTTP face: well-formed hops, malformed requests, health."""

import urllib.parse

import pytest

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
