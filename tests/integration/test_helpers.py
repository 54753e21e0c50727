"""The test helpers themselves: a wrong septet count would make every
page-budget assertion of the suite pass or fail for nothing."""

from flagship import menu_text
from ussd import (find_refs, fits_page, gsm7_septets, options, page_cost,
                  ucs2_units)


def test_gsm7_counting():
    assert gsm7_septets("Hello @£$¥ èéùìò") == 16
    assert gsm7_septets("{}[]~|^\\€") == 18          # extension: 2 each
    assert gsm7_septets("\n\r") == 2
    assert gsm7_septets("ç") is None                 # only Ç is GSM-7
    assert gsm7_septets("`") is None
    assert gsm7_septets("\x1b") is None              # the escape itself
    assert gsm7_septets("اردو") is None


def test_page_budget():
    assert fits_page("a" * 182) and not fits_page("a" * 183)
    assert fits_page("€" * 91) and not fits_page("€" * 91 + "a")
    assert fits_page("ب" * 80) and not fits_page("ب" * 81)
    assert page_cost("a" * 79 + "ب") == ("ucs2", 80)
    assert ucs2_units("😀") == 2


def test_refs_and_options():
    assert find_refs("Your reference is 4W2THX. Keep it") == ["4W2THX"]
    assert find_refs("no I0O1 codes: ABCDE1 ABCDEI") == []
    assert options("Head\n1. Food\n2. Clothing\n0 Back 00 Home") == {
        "Food": "1", "Clothing": "2"}


def test_menu_text_reader():
    assert menu_text("cnic", "en") == "Enter the last 4 digits of your CNIC:"
    assert menu_text("cnic", "ur-Latn", "error") == \
        "Baraye meharbani sirf 4 hindsay likhein."
    assert menu_text("language", "en") == "Asani Exchange\nLanguage / Zaban:"


def test_menu_derived_texts():
    from flagship import LANGS, menu_value
    assert menu_value("food", "ur") == "کھانا"
    assert menu_value("lahore", "en") == "Lahore"
    assert LANGS["en"]["ref"].search("Your reference is 4W2THX.").group(1) \
        == "4W2THX"
    assert LANGS["ur"]["ref"].search(
        "آپ کا حوالہ نمبر 4W2THX ہے۔").group(1) == "4W2THX"
    assert LANGS["en"]["confirm_has"] == ["food", "Lahore", "1234"]
