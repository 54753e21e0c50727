"""
Lookup screens: "Follow my request" on *786# asks the back office (the
http adapter to the test back office, or the file adapter's own file) and
shows its answer; a back office that is slow past the hop's deadline, or
down, or an adapter that answers no lookups, gives the fallback text in
time.  Only the number that made a request is told about it.
"""

import re
import time

import pytest

from conftest import BACKOFFICE_SECRET as SECRET
from conftest import wait_until
from flagship import LANGS, Dialog, menu_text, menu_value, submit_request
from ussd import new_phone, new_session


def http_gateway(gateway, bo_url, **kw):
    ad = {"type": "http", "url": bo_url, "secret": SECRET,
          "timeout_ms": 5000, "lookup_path": "/lookup", "path": None}
    return gateway(adapters={"requests": ad}, **kw)


def render(template, lang, **values):
    """A menu text as the gateway shows it: ${x} replaced by values[x],
    translated through the menu's `values` where it has one."""
    def one(m):
        v = values.get(m.group(1), "")
        try:
            return menu_value(v, lang)
        except AssertionError:
            return v
    return re.sub(r"\$\{([^}]*)\}", one, template)


def track(gw, phone, ref, lang):
    """Dials, picks the language and "Follow my request", types ref;
    returns the lookup's reply (and checks it came in time)."""
    L = LANGS[lang]
    d = Dialog(gw, phone, new_session())
    d.dial()
    d.choose(L["language"])
    r = d.choose(L["track"])
    assert r.con and menu_text("track", lang) in r.screen, r
    t0 = time.monotonic()
    r = d.send(ref)
    r.took = time.monotonic() - t0
    return r


def submitted(gw, bo, lang):
    phone = new_phone()
    ref = submit_request(Dialog(gw, phone, new_session()), lang)
    wait_until(lambda: any(x["body"]["ref"] == ref for x in bo.requests()),
               10, f"request {ref} at the back office")
    return phone, ref


@pytest.mark.parametrize("lang", ["en", "ur-Latn", "ur"])
def test_request_status_answered(gateway, backoffice, lang):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url)
    phone, ref = submitted(gw, bo, lang)
    # Typed in lower case, as a keypad often does.
    r = track(gw, phone, ref.lower(), lang)
    assert r.end, r
    assert r.screen == render(menu_text("track_status", lang), lang,
                              ref=ref, category="food", district="lahore",
                              status="received"), r
    bo.control(set_status={"ref": ref, "status": "assigned"})
    r = track(gw, phone, ref, lang)
    assert menu_value("assigned", lang) in r.screen, r
    ev = bo.drain_events("lookup", count=2)
    assert [e["outcome"] for e in ev] == ["found", "found"], ev
    assert re.search(r"event=lookup .*query=request_status outcome=found",
                     gw.log())


def test_only_the_requester_is_told(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url)
    _, ref = submitted(gw, bo, "en")
    r = track(gw, new_phone(), ref, "en")
    assert r.end and r.screen == render(
        menu_text("track_status", "en", "not_found"), "en", ref=ref), r
    # A reference nobody was given.
    r = track(gw, new_phone(), "ZZZZZZ", "en")
    assert "ZZZZZZ" in r.screen and r.end, r


def test_bad_reference_asks_again(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url)
    d = Dialog(gw, new_phone(), new_session())
    d.dial()
    d.choose(LANGS["en"]["language"])
    d.choose(LANGS["en"]["track"])
    r = d.send("AB1")       # 1 is never in a reference
    assert r.con and r.screen.startswith(
        menu_text("track", "en", "error")), r
    assert bo.stats()["lookups"] == 0


def test_slow_back_office_gives_fallback_in_time(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url)
    phone, ref = submitted(gw, bo, "en")
    bo.control(fail="slow", slow_ms=3000, for_ms=60000)
    r = track(gw, phone, ref, "en")
    assert r.end and r.screen == menu_text("track_status", "en",
                                           "fallback"), r
    # hop_deadline_ms 1000 less redis timeout_ms 300: the lookup gets
    # 0.7 s, and the subscriber hears back before the deadline.
    assert 0.6 < r.took < gw.deadline, r.took
    assert "event=lookup-late" in gw.log()
    # The answer that comes later is dropped, nothing else happens.
    wait_until(lambda: "outcome=dropped" in gw.log(), 10,
               "the late answer")
    assert "event=hop-deadline" not in gw.log()


def test_back_office_down_gives_fallback(gateway, backoffice):
    bo = backoffice()
    gw = http_gateway(gateway, bo.url)
    phone, ref = submitted(gw, bo, "ur")
    bo.stop()
    r = track(gw, phone, ref, "ur")
    assert r.end and r.screen == menu_text("track_status", "ur",
                                           "fallback"), r
    assert r.took < 0.5, r.took
    assert re.search(r"event=lookup-failed .*did not answer", gw.log())


def test_lookup_answer_not_json_gives_fallback(gateway, backoffice):
    bo = backoffice()
    # The back office's /stats answers 200 with JSON that is no answer
    # to a POST: point lookups at a path that answers 404 instead.
    gw = gateway(adapters={"requests": {
        "type": "http", "url": bo.url, "secret": SECRET,
        "lookup_path": "/nowhere", "path": None}})
    r = track(gw, new_phone(), "K7MX3Q", "en")
    assert r.screen == menu_text("track_status", "en", "fallback"), r
    assert re.search(r"event=lookup-failed .*HTTP 404", gw.log())


def test_file_adapter_answers_from_its_file(gateway):
    gw = gateway()
    phone = new_phone()
    ref = submit_request(Dialog(gw, phone, new_session()), "ur-Latn")
    gw.outbox_drained()     # the file knows what was delivered to it
    r = track(gw, phone, ref, "ur-Latn")
    assert r.screen == render(menu_text("track_status", "ur-Latn"),
                              "ur-Latn", ref=ref, category="food",
                              district="lahore", status="received"), r
    r = track(gw, new_phone(), ref, "en")
    assert r.screen == render(menu_text("track_status", "en",
                                        "not_found"), "en", ref=ref), r


def test_adapter_without_lookups_gives_fallback(gateway, redis):
    gw = gateway(adapters={"requests": {
        "type": "redis-stream", "port": redis.port, "stream": "requests",
        "path": None}})
    r = track(gw, new_phone(), "K7MX3Q", "en")
    assert r.screen == menu_text("track_status", "en", "fallback"), r
    assert "answers no lookups" in gw.log()


def test_oversized_answer_gives_fallback(gateway):
    """A back office answering a lookup with more than the gateway reads
    (64 KiB) gets the fallback shown, not a gateway holding it all."""
    import http.server
    import threading

    class Huge(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = ('{"found":true,"status":"' + "x" * 100000 +
                    '"}').encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Huge)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        gw = gateway(adapters={"requests": {
            "type": "http", "secret": SECRET, "lookup_path": "/lookup",
            "url": f"http://127.0.0.1:{srv.server_port}/requests",
            "path": None}})
        r = track(gw, new_phone(), "K7MX3Q", "en")
        assert r.screen == menu_text("track_status", "en", "fallback"), r
    finally:
        srv.shutdown()
