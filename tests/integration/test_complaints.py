"""
The second service, menus/complaints.menu on *787#: a complaint filed in
each language reaches the back office with its department, district and
words; its status is then looked up by reference, by the number that
filed it only.  *786#'s request lookup does not find complaints.
"""

import os
import re

import pytest

from conftest import BACKOFFICE_SECRET as SECRET
from conftest import SERVICE, wait_until
from flagship import Dialog, menu_text, menu_value
from ussd import new_phone, new_session

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPLAINTS = os.path.join(ROOT, "menus", "complaints.menu")
CODE = "*787#"

LABELS = {
    "en": {"language": r"^English$", "file": r"^File a complaint$",
           "check": r"^Check complaint status$", "land": r"^Land records$",
           "lahore": r"^Lahore$"},
    "ur-Latn": {"language": r"^Roman Urdu$", "file": r"^Shikayat darj",
                "check": r"^Shikayat ka status", "land": r"^Zameen",
                "lahore": r"^Lahore$"},
    "ur": {"language": r"^اردو$", "file": r"^شکایت درج",
           "check": r"^شکایت کی صورتحال$", "land": r"^زمین",
           "lahore": r"^لاہور$"},
}
WORDS = {"en": "Patwari asks for a bribe", "ur-Latn": "Patwari rishwat "
         "mangta hai", "ur": "پٹواری رشوت مانگتا ہے"}


def text(screen, lang, key="text"):
    return menu_text(screen, lang, key, path=COMPLAINTS)


def value(name, lang):
    return menu_value(name, lang, path=COMPLAINTS)


def render(template, lang, **values):
    return re.sub(r"\$\{([^}]*)\}",
                  lambda m: value(values[m.group(1)], lang)
                  if m.group(1) in ("department", "district", "status")
                  else values.get(m.group(1), ""), template)


def complaints_gateway(gateway, backoffice, **over):
    """A gateway serving *786# and *787# through the test back office."""
    bo = backoffice()
    g = gateway(adapters={"requests": {
        "type": "http", "url": bo.url, "secret": SECRET,
        "lookup_path": "/lookup", "path": None}},
        services=[{"code": SERVICE, "menu": os.path.join(
            ROOT, "menus", "asani.menu"), "adapter": "requests"},
            {"code": CODE, "menu": COMPLAINTS, "adapter": "requests"}],
        **over)
    g.bo = bo
    return g


@pytest.fixture
def gw(gateway, backoffice):
    return complaints_gateway(gateway, backoffice)


def dialog(gw, phone, lang):
    d = Dialog(gw, phone, new_session(), service=CODE)
    r = d.dial()
    assert r.con and r.screen.startswith("Asani Complaints"), r
    r = d.choose(LABELS[lang]["language"])
    assert r.con and text("main", lang) in r.screen, r
    return d


def file_complaint(gw, phone, lang):
    L = LABELS[lang]
    d = dialog(gw, phone, lang)
    r = d.choose(L["file"])
    assert text("department", lang) in r.screen, r
    r = d.choose(L["land"])
    r = d.choose(L["lahore"])
    assert r.con and text("description", lang) in r.screen, r
    r = d.send("no")            # too short: asked again
    assert r.screen.startswith(text("description", lang, "error")), r
    r = d.send(WORDS[lang])
    assert r.con and WORDS[lang] in r.screen, r
    r = d.send("1")
    m = re.search(r"\b([2-9A-HJ-NP-Z]{6})\b", r.screen)
    assert m, r
    while r.con:
        r = d.send("98")
    return m.group(1)


def check_status(gw, phone, ref, lang):
    d = dialog(gw, phone, lang)
    r = d.choose(LABELS[lang]["check"])
    assert r.con and text("check", lang) in r.screen, r
    r = d.send(ref.lower())
    while r.con:                # a long answer takes pages
        r = d.send("98")
    return " ".join(x.screen.removesuffix("\n98 More")
                    .removesuffix("\n98 Aur").removesuffix("\n98 مزید")
                    for x in d.replies[3:])


@pytest.mark.parametrize("lang", ["en", "ur-Latn", "ur"])
def test_file_and_check_a_complaint(gw, lang):
    phone = new_phone()
    ref = file_complaint(gw, phone, lang)
    got = wait_until(lambda: gw.bo.requests(), 10, "the complaint")
    body = got[0]["body"]
    assert body["service"] == CODE and body["request"] == "complaint"
    assert body["ref"] == ref and body["lang"] == lang
    assert body["fields"] == {"department": "land", "district": "lahore",
                              "description": WORDS[lang]}, body
    shown = check_status(gw, phone, ref, lang)
    want = render(text("status", lang), lang, ref=ref, department="land",
                  district="lahore", status="received")
    assert shown.split() == want.split(), shown

    gw.bo.control(set_status={"ref": ref, "status": "in_progress"})
    assert value("in_progress", lang) in check_status(gw, phone, ref, lang)


def test_complaint_is_not_a_request(gw):
    phone = new_phone()
    ref = file_complaint(gw, phone, "en")
    wait_until(lambda: gw.bo.requests(), 10, "the complaint")
    # Another number, and *786#'s request lookup, find nothing.
    shown = check_status(gw, new_phone(), ref, "en")
    assert shown == render(text("status", "en", "not_found"), "en",
                           ref=ref), shown
    d = Dialog(gw, phone, new_session())
    d.dial()
    d.send("1")
    d.send("2")
    r = d.send(ref)
    assert r.end and "No request" in r.screen, r
