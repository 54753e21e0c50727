"""
No silent refusal, no empty page, through the daemon over /ussd.

An invalid choice on a screen that fills its page (the Urdu main menu and
categories of *786#, its district screen in every language, the one-page
district screen of *787# in English) brings the menu's invalid message at
the head of the reply, within the page's budget, in English, Roman Urdu
and Urdu; every option stays within reach with 98.  No page of the
district screens is the navigation line alone.  The Urdu complaint
receipt breaks after the sentence that gives the reference.
"""

import os
import re

import pytest

from conftest import SERVICE
from flagship import Dialog, menu_text
from ussd import fits_page, new_phone, new_session, page_cost

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ASANI = os.path.join(ROOT, "menus", "asani.menu")
COMPLAINTS = os.path.join(ROOT, "menus", "complaints.menu")
CODE = "*787#"

LANGS = ["en", "ur-Latn", "ur"]
# The menus' language screen lists the languages in this order.
LANG_KEY = {"en": "1", "ur-Latn": "2", "ur": "3"}
# The built-in messages the shipped menus use.
INVALID = {"en": "Invalid choice.", "ur-Latn": "Ghalat intikhab.",
           "ur": "غلط انتخاب۔"}
NAV = {"en": "0 Back 00 Home", "ur-Latn": "0 Wapas 00 Shuru",
       "ur": "0 واپس 00 شروع"}
MORE = {"en": "98 More", "ur-Latn": "98 Aur", "ur": "98 مزید"}


@pytest.fixture
def gw(gateway):
    return gateway(services=[
        {"code": SERVICE, "menu": ASANI, "adapter": "requests"},
        {"code": CODE, "menu": COMPLAINTS, "adapter": "requests"}])


def dialog(gw, code, lang):
    """A fresh session on code, past its language screen."""
    d = Dialog(gw, new_phone(), new_session(), service=code)
    assert d.dial().con
    r = d.send(LANG_KEY[lang])
    assert r.con, r
    return d


def more(r, lang):
    return r.con and r.screen.endswith("\n" + MORE[lang])


def option_numbers(pages):
    return {int(m) for p in pages
            for m in re.findall(r"^(\d{1,2})\. ", p, re.M)}


def refuse(d, lang, bad="99"):
    """Sends an answer the screen cannot take: the error must head the
    reply, which fits its page (Dialog checks that too)."""
    r = d.send(bad)
    assert r.con, r
    assert r.screen.startswith(INVALID[lang] + "\n"), (
        f"silent refusal in {lang}: {r!r}")
    assert fits_page(r.screen), page_cost(r.screen)
    return r


def pages_from_here(d, lang):
    """This page and every later one of the screen, via 98."""
    pages = [d.last.screen]
    while more(d.last, lang):
        pages.append(d.send("98").screen)
        assert len(pages) < 10
    return pages


def assert_no_nav_alone(pages, lang):
    for p in pages:
        body = p.removeprefix(INVALID[lang] + "\n")
        assert body != NAV[lang], f"a page of navigation alone: {pages}"


@pytest.mark.parametrize("lang", LANGS)
def test_refusal_heard_on_asani_screens(gw, lang):
    d = dialog(gw, SERVICE, lang)
    main = menu_text("main", lang)
    assert d.last.screen.startswith(main), d.last
    r = refuse(d, lang)
    assert main in r.screen, r
    assert option_numbers(pages_from_here(d, lang)) == {1, 2, 3, 4, 5}

    r = d.send("1")
    category = menu_text("category", lang)
    assert r.screen.startswith(category), r
    r = refuse(d, lang, "9")
    assert category in r.screen, r
    pages = pages_from_here(d, lang)
    assert option_numbers(pages) == set(range(1, 7))
    assert_no_nav_alone(pages, lang)

    r = d.send("1")
    assert r.screen.startswith(menu_text("district", lang)), r
    r = refuse(d, lang, "13")
    pages = pages_from_here(d, lang)
    assert option_numbers(pages) == set(range(1, 13))
    assert_no_nav_alone(pages, lang)
    r = d.send("1")
    assert r.con and menu_text("cnic", lang) in r.screen, r


@pytest.mark.parametrize("lang", LANGS)
def test_asani_district_has_no_page_of_nav_alone(gw, lang):
    d = dialog(gw, SERVICE, lang)
    d.send("1")
    r = d.send("1")
    assert r.screen.startswith(menu_text("district", lang)), r
    pages = pages_from_here(d, lang)
    assert len(pages) >= 2
    assert_no_nav_alone(pages, lang)
    assert pages[-1].endswith("\n" + NAV[lang]), pages
    assert option_numbers(pages) == set(range(1, 13))


@pytest.mark.parametrize("lang", LANGS)
def test_complaints_district(gw, lang):
    d = dialog(gw, CODE, lang)
    d.send("1")
    r = d.send("1")
    district = menu_text("district", lang, path=COMPLAINTS)
    assert r.screen.startswith(district), r
    pages = pages_from_here(d, lang)
    assert_no_nav_alone(pages, lang)
    assert option_numbers(pages) == set(range(1, 13))
    if lang == "en":
        # One full page: 182 septets, no room for the error above it.
        assert pages == [r.screen] and page_cost(r.screen) == ("gsm7", 182)
    for _ in pages[1:]:
        d.send("0")
    assert d.last.screen == pages[0], d.last
    r = refuse(d, lang)
    assert district in r.screen, r
    pages = pages_from_here(d, lang)
    assert option_numbers(pages) == set(range(1, 13)), pages
    assert_no_nav_alone(pages, lang)
    r = d.send("12")
    assert r.con and menu_text("district_other", lang,
                               path=COMPLAINTS) in r.screen, r


def test_urdu_complaint_receipt_breaks_after_a_sentence(gw):
    d = dialog(gw, CODE, "ur")
    for key in ("1", "1", "1"):
        d.send(key)
    r = d.send("پٹواری رشوت مانگتا ہے")
    assert r.con and "بھیج دیں؟" in r.screen, r
    r = d.send("1")
    assert r.con, r
    m = re.fullmatch(r"آپ کی شکایت درج ہو گئی۔ حوالہ نمبر ([2-9A-HJ-NP-Z]{6}) "
                     r"ہے۔\n98 مزید", r.screen)
    assert m, r
    r = d.send("98")
    assert r.end, r
    assert r.screen == ("صورتحال جاننے کے لیے *787# ڈائل کر کے 2 چنیں۔ حوالہ "
                        "نمبر سنبھال کر رکھیں۔"), r
