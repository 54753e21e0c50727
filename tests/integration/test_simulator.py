"""
The phone simulator (/admin/simulator): off unless configured, behind the
admin allowlist and token, and driving the real engine and SMS commands.
First through its JSON endpoints, then in real headless Chromium, clicking
and typing in the page as a menu author would; each browser test saves a
screenshot into $ASANIGW_ARTIFACTS (default build/artifacts).
"""

import json
import os
import re
import signal
import urllib.parse

import pytest

from conftest import ADMIN_TOKEN, ROOT, wait_until
from ussd import (SERVICE, USSD_SEPTETS, USSD_UCS2_UNITS, find_refs,
                  has_arabic_script, new_phone, page_cost)

BASE = "/admin/simulator"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
FORM = "application/x-www-form-urlencoded"

# A beneficiary's whole request: language, Request help, Food, Lahore,
# the CNIC's last digits, Yes.
ENGLISH = ["1", "1", "1", "1", "1234", "1"]
URDU = ["3", "1", "1", "1", "1234", "1"]


def simulator_on(gateway, **admin):
    return gateway(admin=dict({"token": ADMIN_TOKEN, "simulator": True},
                              **admin))


def post(gw, path, fields, headers=AUTH):
    r = gw.request("POST", BASE + path, body=urllib.parse.urlencode(fields),
                   headers=dict(headers, **{"Content-Type": FORM}))
    return r.status, json.loads(r.body)


def ussd(gw, **fields):
    status, page = post(gw, "/ussd", fields)
    assert status == 200, (status, page)
    return page


def sms(gw, phone, text):
    status, answer = post(gw, "/sms", {"msisdn": phone, "service": SERVICE,
                                       "text": text})
    assert status == 200, (status, answer)
    return answer


def check_measured(page):
    """The length, budget and coding the simulator reports are the page's,
    as ussd.py measures it independently of the gateway."""
    coding, n = page_cost(page["text"])
    assert page["encoding"] == {"gsm7": "GSM-7", "ucs2": "UCS-2"}[coding]
    assert page["length"] == n, page
    assert page["budget"] == (USSD_SEPTETS if coding == "gsm7"
                              else USSD_UCS2_UNITS), page
    assert page["fits"] and n <= page["budget"], page


def code_of(reply):
    m = re.search(r"\b(\d{4})\b", reply)
    assert m, reply
    return m.group(1)


# -- off, and who may use it ------------------------------------------------

def test_off_by_default(gateway):
    gw = gateway()      # an admin group, without simulator = true
    for path in ("", "/config", "/simulator.js", "/simulator.css"):
        r = gw.request("GET", BASE + path, headers=AUTH)
        assert r.status == 404, (path, r)
    r = gw.request("POST", BASE + "/ussd", body="msisdn=923001234567",
                   headers=dict(AUTH, **{"Content-Type": FORM}))
    assert r.status == 404, r
    # The other admin paths are untouched.
    assert gw.admin("GET", "/admin/outbox")[0] == 200


def test_token_and_allowlist(gateway):
    gw = simulator_on(gateway)
    for method, path in (("GET", ""), ("GET", "/config"),
                         ("GET", "/simulator.js"), ("POST", "/ussd"),
                         ("POST", "/sms")):
        r = gw.request(method, BASE + path, body="" if method == "POST"
                       else None)
        assert r.status == 401, (path, r)
        assert r.headers.get("WWW-Authenticate") == "Bearer", r.headers
        r = gw.request(method, BASE + path, body="" if method == "POST"
                       else None, headers={"Authorization": "Bearer wrong"})
        assert r.status == 403, (path, r)
        r = gw.request(method, BASE + path, body="" if method == "POST"
                       else None, headers={"Cookie": "asanigw_admin=wrong"})
        assert r.status == 403, (path, r)
    r = gw.request("GET", BASE + "?token=wrong")
    assert r.status == 403 and "Set-Cookie" not in r.headers, r
    # Neither a wrong token nor the query is written to the log.
    assert "token=wrong" not in gw.log()
    gw.stop()

    # Loopback outside the allowlist: 403 even with the right token.
    gw = simulator_on(gateway, allow=["192.0.2.0/24"])
    for path in ("", "/config"):
        r = gw.request("GET", BASE + path, headers=AUTH)
        assert r.status == 403, (path, r)
    r = gw.request("GET", BASE + "?token=" + ADMIN_TOKEN)
    assert r.status == 403 and "Set-Cookie" not in r.headers, r
    status, _ = post(gw, "/ussd", {"msisdn": "923001234567",
                                   "service": SERVICE})
    assert status == 403


def test_token_link_becomes_a_cookie(gateway):
    gw = simulator_on(gateway)
    r = gw.request("GET", BASE + "?token=" + urllib.parse.quote(ADMIN_TOKEN))
    assert r.status == 303, r
    assert r.headers["Location"] == BASE
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("asanigw_admin=" + ADMIN_TOKEN + ";"), cookie
    for attr in ("HttpOnly", "SameSite=Strict", "Path=" + BASE):
        assert attr in cookie, cookie
    jar = {"Cookie": cookie.split(";")[0]}
    page = gw.request("GET", BASE, headers=jar)
    assert page.status == 200, page
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp, csp
    assert "http:" not in csp and "https:" not in csp, csp
    assert 'src="/admin/simulator/simulator.js"' in page.body
    # Every asset is served from the binary, and none loads anything from
    # elsewhere.
    for name, ctype in (("simulator.js", "text/javascript"),
                        ("simulator.css", "text/css")):
        r = gw.request("GET", f"{BASE}/{name}", headers=jar)
        assert r.status == 200 and r.headers["Content-Type"].startswith(
            ctype), r
        with open(os.path.join(ROOT, "gateway", "simulator", name),
                  encoding="utf-8") as f:
            assert r.body == f.read()
    for body in (page.body, gw.request("GET", BASE + "/simulator.css",
                                       headers=jar).body):
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", body,
                             re.I), "an outside URL in an asset"
        assert "@import" not in body and "url(" not in body
    assert ADMIN_TOKEN not in gw.log()


def test_config(gateway):
    gw = simulator_on(gateway)
    r = gw.request("GET", BASE + "/config", headers=AUTH)
    assert r.status == 200 and r.headers["Content-Type"] == \
        "application/json", r
    c = json.loads(r.body)
    assert [s["code"] for s in c["services"]] == [SERVICE]
    assert c["services"][0]["name"] == "Asani Exchange"
    assert c["services"][0]["languages"] == ["en", "ur-Latn", "ur"]
    assert c["transports"] == [{"name": "/ussd", "kind": "aggregator",
                                "gsm7": 182, "ucs2": 80}]
    assert c["sms"] == {"gsm7": 160, "gsm7_part": 153, "ucs2": 70,
                        "ucs2_part": 67}
    assert c["keys"] == {"back": "0", "home": "00", "more": "98"}


def test_reload_turns_it_on_and_off(gateway):
    gw = gateway()
    assert gw.request("GET", BASE + "/config", headers=AUTH).status == 404

    def reload(n):
        gw.signal(signal.SIGHUP)
        wait_until(lambda: gw.log().count("event=reload services=") >= n,
                   5.0, "the daemon to log the reload")

    gw.rewrite_config(admin={"token": ADMIN_TOKEN, "simulator": True})
    reload(1)
    phone = new_phone()
    page = ussd(gw, msisdn=phone, service=SERVICE)
    # A session opened before a reload goes on after it.
    gw.rewrite_config(aggregators=[{"path": "/ussd", "text": "path",
                                    "page_budget": 160}])
    reload(2)
    nxt = ussd(gw, msisdn=phone, session=page["session"], input="1")
    assert "Request help" in nxt["text"] and nxt["budget"] == 160, nxt
    gw.rewrite_config(admin={"token": ADMIN_TOKEN, "simulator": False})
    reload(3)
    assert gw.request("GET", BASE + "/config", headers=AUTH).status == 404


# -- through the JSON endpoints ----------------------------------------------

def test_ussd_request_in_english(gateway):
    gw = simulator_on(gateway)
    phone = new_phone()
    pages = [ussd(gw, msisdn=phone, service=SERVICE)]
    sid = pages[0]["session"]
    assert re.fullmatch(r"sim-[0-9a-f]{16}", sid), sid
    for x in ENGLISH:
        pages.append(ussd(gw, msisdn=phone, session=sid, input=x))
    for p in pages:
        check_measured(p)
        assert p["session"] == sid and p["transport"] == "/ussd"
    assert [p["end"] for p in pages] == [False] * 6 + [True]
    assert "Language" in pages[0]["text"]
    assert pages[1]["dir"] == "ltr" and "Request help" in pages[1]["text"]
    assert "98 More" in pages[3]["text"]
    refs = find_refs(pages[-1]["text"])
    assert len(refs) == 1, pages[-1]
    # Exactly what a handset gets through the aggregator transport.
    other = gw.walk("ATUid_sim_cmp", new_phone(), ENGLISH)
    assert [r.screen for r in other[:-1]] == [p["text"] for p in pages[:-1]]
    assert [r.end for r in other] == [p["end"] for p in pages]
    # The request is real: the back office got it.
    got = [r for r in gw.requests() if r["ref"] == refs[0]]
    assert len(got) == 1, gw.requests()
    assert got[0]["request"] == "help" and got[0]["lang"] == "en"
    assert got[0]["fields"]["category"] == "food"
    assert got[0]["msisdn"] == phone.lstrip("+")


def test_ussd_request_in_urdu_with_back_and_more(gateway):
    gw = simulator_on(gateway)
    phone = new_phone()
    first = ussd(gw, msisdn=phone, service=SERVICE)
    sid = first["session"]
    welcome = ussd(gw, msisdn=phone, session=sid, input="3")
    check_measured(welcome)
    assert welcome["encoding"] == "UCS-2" and welcome["budget"] == 80
    assert welcome["dir"] == "rtl" and has_arabic_script(welcome["text"])
    assert "98 مزید" in welcome["text"]
    # More, then Back: the same first page again, as the phone shows it.
    more = ussd(gw, msisdn=phone, session=sid, input="98")
    check_measured(more)
    assert more["text"] != welcome["text"]
    assert ussd(gw, msisdn=phone, session=sid, input="0")["text"] == \
        welcome["text"]
    page = welcome
    for x in URDU[1:]:
        page = ussd(gw, msisdn=phone, session=sid, input=x)
        check_measured(page)
        assert page["dir"] == "rtl", page
    assert page["end"]
    refs = find_refs(page["text"])
    assert len(refs) == 1, page
    got = [r for r in gw.requests() if r["ref"] == refs[0]]
    assert len(got) == 1 and got[0]["lang"] == "ur", got


def test_shortcut_dial_and_other_budget(gateway):
    gw = gateway(admin={"token": ADMIN_TOKEN, "simulator": True},
                 aggregators=[{"path": "/ussd", "text": "path",
                               "page_budget": 182},
                              {"path": "/small", "text": "latest",
                               "page_budget": 120}])
    phone = new_phone()
    # *786*1*1*1# dials English, Request help, Food in one go.
    page = ussd(gw, msisdn=phone, service="*786*1*1*1#", transport="/small")
    assert page["transport"] == "/small" and page["budget"] == 120
    assert page["length"] <= 120 and page["fits"], page
    assert "district" in page["text"].lower(), page
    assert "98 More" in page["text"], page


def test_pledge_by_sms(gateway):
    gw = simulator_on(gateway)
    phone = new_phone()
    ask = sms(gw, phone, "PLEDGE 500 FOOD")
    assert "Rs 500" in ask["text"] and "food" in ask["text"], ask
    assert ask["encoding"] == "GSM-7" and ask["parts"] == 1, ask
    assert ask["length"] == len(ask["text"]) and ask["dir"] == "ltr"
    done = sms(gw, phone, "YES " + code_of(ask["text"]))
    refs = find_refs(done["text"])
    assert len(refs) == 1, done
    got = [r for r in gw.requests() if r["ref"] == refs[0]]
    assert len(got) == 1, gw.requests()
    assert got[0]["request"] == "pledge"
    assert got[0]["fields"] == {"amount": "500", "cause": "food"}
    # In Urdu: UCS-2, right to left, counted in UTF-16 units.
    ask = sms(gw, new_phone(), "عطیہ ۵۰۰ کھانا")
    assert ask["encoding"] == "UCS-2" and ask["dir"] == "rtl", ask
    assert ask["length"] == len(ask["text"].encode("utf-16-le")) // 2
    assert ask["parts"] == (1 if ask["length"] <= 70 else
                            -(-ask["length"] // 67)), ask


def test_bad_requests_are_refused_with_a_reason(gateway):
    gw = simulator_on(gateway)
    phone = new_phone()
    for path, fields, why in (
            ("/ussd", {"service": SERVICE}, "msisdn is needed"),
            ("/ussd", {"msisdn": "12", "service": SERVICE},
             "not an MSISDN"),
            ("/ussd", {"msisdn": phone, "service": "*999#"},
             "not a configured short code"),
            ("/ussd", {"msisdn": phone, "service": SERVICE,
                       "transport": "/nope"}, "transport"),
            ("/ussd", {"msisdn": phone, "session": "ATUid_1",
                       "input": "1"}, "not one the simulator opened"),
            ("/sms", {"msisdn": phone, "service": SERVICE, "text": ""},
             "text is empty"),
            ("/sms", {"msisdn": phone, "service": "*786*1#",
                      "text": "HELP"}, "not a configured short code")):
        status, body = post(gw, path, fields)
        assert status == 400 and why in body["error"], (fields, body)
    r = gw.request("POST", BASE + "/ussd", body=b"msisdn=1%00",
                   headers=dict(AUTH, **{"Content-Type": FORM}))
    assert r.status == 400 and "NUL" in json.loads(r.body)["error"], r
    r = gw.request("GET", BASE + "/ussd", headers=AUTH)
    assert r.status == 405, r
    assert gw.requests() == []


# -- in a real browser -------------------------------------------------------

def artifacts_dir():
    d = os.environ.get("ASANIGW_ARTIFACTS",
                       os.path.join(ROOT, "build", "artifacts"))
    os.makedirs(d, exist_ok=True)
    return d


@pytest.fixture
def browser():
    """Headless Chromium through chromedriver; skipped only when
    ASANIGW_NO_BROWSER=1."""
    if os.environ.get("ASANIGW_NO_BROWSER") == "1":
        pytest.skip("ASANIGW_NO_BROWSER=1")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=1200,1000",
              "--lang=en-US"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                           options=opts)
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


class Page:
    """The simulator's page in the browser, by what a person does."""

    def __init__(self, drv, gw):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        self.by = By
        self.drv = drv
        self.wait = WebDriverWait(drv, 20)
        drv.get(f"http://127.0.0.1:{gw.port}{BASE}?token="
                + urllib.parse.quote(ADMIN_TOKEN))
        # The link's token became a cookie and left the address bar.
        assert drv.current_url == f"http://127.0.0.1:{gw.port}{BASE}"
        self.wait.until(lambda d: d.find_element(
            By.CSS_SELECTOR, "body[data-ready='1']"))

    def el(self, id_):
        return self.drv.find_element(self.by.ID, id_)

    def screen(self):
        return self.el("screen").text

    def _until_screen_changes(self, before):
        self.wait.until(lambda d: self.screen() != before
                        and self.el("meter").text != "")
        return self.screen()

    def dial(self, phone, code=SERVICE):
        for id_, value in (("msisdn", phone), ("service", code)):
            self.el(id_).clear()
            self.el(id_).send_keys(value)
        before = self.screen()
        self.el("dial").click()
        return self._until_screen_changes(before)

    def answer(self, text):
        before = self.screen()
        self.el("answer").send_keys(text)
        self.el("send").click()
        return self._until_screen_changes(before)

    def press(self, id_):
        before = self.screen()
        self.el(id_).click()
        return self._until_screen_changes(before)

    def text_sms(self, phone, text):
        n = len(self.drv.find_elements(self.by.CSS_SELECTOR,
                                       "#sms-log li.received"))
        self.el("sms-msisdn").clear()
        self.el("sms-msisdn").send_keys(phone)
        self.el("sms-text").send_keys(text)
        self.el("sms-send").click()
        self.wait.until(lambda d: len(d.find_elements(
            self.by.CSS_SELECTOR, "#sms-log li.received")) > n)
        return self.drv.find_elements(self.by.CSS_SELECTOR,
                                      "#sms-log li.received")[-1]

    def shot(self, name):
        path = os.path.join(artifacts_dir(), name)
        assert self.drv.save_screenshot(path), path
        assert os.path.getsize(path) > 1000, path
        return path

    def errors(self):
        e = self.el("error")
        return e.text if e.is_displayed() else ""


def test_browser_request_in_english(gateway, browser):
    gw = simulator_on(gateway)
    page = Page(browser, gw)
    phone = new_phone()
    assert "Language" in page.dial(phone)
    assert "Request help" in page.answer("1")
    assert "Food" in page.answer("1")
    district = page.answer("1")
    assert "Lahore" in district and "98 More" in district
    # More shows the next districts; Back (0) the first ones again.
    assert "Lahore" not in page.press("more")
    assert page.press("back") == district
    meter = page.el("meter").text
    assert re.match(r"\d+ / 182 septets · GSM-7 · /ussd$", meter), meter
    assert "CNIC" in page.answer("1")
    assert "Lahore" in page.answer("1234")
    end = page.answer("1")
    refs = find_refs(end)
    assert len(refs) == 1 and "Received" in end, end
    assert "session ended" in page.el("meter").text
    assert not page.el("send").is_enabled()
    assert page.errors() == ""
    page.shot("simulator-english.png")
    got = [r for r in gw.requests() if r["ref"] == refs[0]]
    assert len(got) == 1 and got[0]["msisdn"] == phone.lstrip("+")


def test_browser_request_in_urdu(gateway, browser):
    gw = simulator_on(gateway)
    page = Page(browser, gw)
    page.dial(new_phone())
    welcome = page.answer("3")
    assert has_arabic_script(welcome), welcome
    screen = page.el("screen")
    assert screen.get_attribute("dir") == "rtl"
    assert screen.value_of_css_property("direction") == "rtl"
    meter = page.el("meter").text
    assert re.match(r"\d+ / 80 UCS-2 units · UCS-2 · /ussd$", meter), meter
    for x in URDU[1:-1]:
        page.answer(x)
    end = page.answer(URDU[-1])
    refs = find_refs(end)
    assert len(refs) == 1 and has_arabic_script(end), end
    assert page.el("screen").get_attribute("dir") == "rtl"
    page.shot("simulator-urdu.png")
    got = [r for r in gw.requests() if r["ref"] == refs[0]]
    assert len(got) == 1 and got[0]["lang"] == "ur", got


def test_browser_pledge_by_sms(gateway, browser):
    gw = simulator_on(gateway)
    page = Page(browser, gw)
    phone = new_phone()
    ask = page.text_sms(phone, "PLEDGE 500 FOOD")
    assert "Rs 500" in ask.text and "1 part · GSM-7" in ask.text, ask.text
    done = page.text_sms(phone, "YES " + code_of(ask.text))
    refs = find_refs(done.text)
    assert len(refs) == 1, done.text
    sent = [li.text for li in browser.find_elements(
        page.by.CSS_SELECTOR, "#sms-log li.sent")]
    assert sent[0] == "PLEDGE 500 FOOD" and sent[1].startswith("YES ")
    assert page.errors() == ""
    page.shot("simulator-pledge.png")
    got = [r for r in gw.requests() if r["ref"] == refs[0]]
    assert len(got) == 1 and got[0]["request"] == "pledge", got
