"""The flagship session of *786#, end to end, in every language."""

import time

import pytest

from flagship import (LANGS, Dialog, confirm_yes, menu_text, pick,
                      submit_request, walk_to_cnic)
from ussd import (REF_ALPHABET, SERVICE, fits_page, gsm7_septets,
                  has_arabic_script, new_phone, new_session, page_cost,
                  session_record, ucs2_units)


def strings(v):
    """Every string in a JSON value."""
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)


@pytest.mark.parametrize("lang", ["en", "ur-Latn", "ur"])
def test_request_help(gateway, redis, lang):
    gw = gateway()
    phone = new_phone()
    d = Dialog(gw, phone, new_session())
    t0 = time.time()
    ref = submit_request(d, lang)
    t1 = time.time()

    assert len(ref) == 6 and all(c in REF_ALPHABET for c in ref), ref
    # Every screen until the end continues the session; only the last ends.
    assert all(r.con for r in d.replies[:-1]), d.replies
    assert d.last.end
    if lang == "ur":
        # Urdu script from the main menu on, proper UTF-8 (the client
        # decodes strictly), travelling as UCS-2.
        for r in d.replies[2:]:
            assert has_arabic_script(r.screen), r
            assert gsm7_septets(r.screen) is None
            assert ucs2_units(r.screen) <= 80, r
    else:
        # Roman texts travel in GSM-7: nothing outside GSM 03.38 after the
        # language choice.
        for r in d.replies[2:]:
            assert gsm7_septets(r.screen) is not None, r
            assert gsm7_septets(r.screen) <= 182, r

    # Exactly one JSON line for this request, with what was entered.
    lines = gw.requests()
    mine = [x for x in lines if x.get("ref") == ref]
    assert len(lines) == 1 and len(mine) == 1, lines
    req = mine[0]
    assert req["fields"] == {"category": "food", "district": "lahore",
                             "cnic4": "1234"}, req
    assert req["service"] == SERVICE
    assert req["request"] == "help"
    assert req["msisdn"] == phone.lstrip("+")
    assert req["msisdn_hash"] and phone.lstrip("+") not in req["msisdn_hash"]
    assert isinstance(req["idempotency_key"], str) and req["idempotency_key"]
    assert isinstance(req["ts"], int)
    assert t0 * 1000 - 1000 <= req["ts"] <= t1 * 1000 + 1000, req
    assert req.get("lang") == lang, req

    # The session keeps no ID-card digits once they are handed over
    # (cnic4 is sensitive): in no string of it, not even the last
    # transport text kept to recognise a retry.
    raw = redis.command("GET", gw.session_key(phone, d.sid))
    assert raw is not None
    version, record = session_record(raw)
    assert version > 0, raw
    leaks = [s for s in strings(record) if "1234" in s]
    assert not leaks, f"CNIC digits kept in the session: {leaks}; {raw!r}"

    # The log never shows the number (a keyed hash stands for it).
    assert phone.lstrip("+") not in gw.log()


URDU_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def test_request_help_urdu_digits(gateway):
    """A whole request in Urdu typed with Urdu digits only: every menu
    choice, the CNIC digits, the confirm and the more key.  The back
    office receives the CNIC digits as ASCII."""
    gw = gateway()
    L = LANGS["ur"]
    d = Dialog(gw, new_phone(), new_session())

    def choose(label):
        typed = pick(d.last, label).translate(URDU_DIGITS)
        assert not any(c.isascii() for c in typed), typed
        return d.send(typed)

    r = d.dial()
    assert r.con, r
    r = choose(L["language"])
    assert L["main"] in r.screen, r
    r = choose(L["help"])
    assert L["category"] in r.screen, r
    choose(L["food"])
    r = choose(L["lahore"])
    assert r.con and L["cnic_prompt"] in r.screen, r
    r = d.send("۱۲۳۴")
    assert r.con, r
    for part in L["confirm_has"]:
        assert part in r.screen, r
    r = d.send("۱")
    m = L["ref"].search(r.screen)
    assert m, r
    while r.con and r.screen.endswith("\n" + L["more"]):
        r = d.send("۹۸")
    assert r.end, r

    (req,) = gw.requests()
    assert req["ref"] == m.group(1)
    assert req["fields"] == {"category": "food", "district": "lahore",
                             "cnic4": "1234"}, req
    assert req.get("lang") == "ur", req


def test_reference_codes_differ(gateway):
    gw = gateway()
    refs = {submit_request(Dialog(gw, new_phone(), new_session()), "en")
            for _ in range(3)}
    assert len(refs) == 3
    assert sorted(x["ref"] for x in gw.requests()) == sorted(refs)


def test_back_and_home(gateway):
    gw = gateway()
    L = LANGS["en"]
    d = Dialog(gw, new_phone(), new_session())
    d.dial()
    main = d.choose(L["language"])
    assert L["main"] in main.screen
    cat = d.choose(L["help"])
    assert L["category"] in cat.screen
    assert cat.screen.endswith("\n0 Back 00 Home"), cat
    # 0: the screen before, exactly as it was shown.
    assert d.send("0").body == main.body
    assert d.choose(L["help"]).body == cat.body
    d.choose(L["food"])
    d.choose(L["lahore"])
    # 00: home (the main menu), from two screens further down.
    assert d.send("00").body == main.body
    # Home cleared the way back: 0 on home shows home again, never the
    # old category/district screens.
    assert d.send("0").body == main.body
    # And the walk still reaches its end from there.
    d2 = Dialog(gw, new_phone(), new_session())
    ref = submit_request(d2, "en")
    assert ref


def test_back_on_first_screen_stays(gateway):
    gw = gateway()
    d = Dialog(gw, new_phone(), new_session())
    first = d.dial()
    assert d.send("0").body == first.body


@pytest.mark.parametrize("lang", ["en", "ur-Latn", "ur"])
def test_training_pages(gateway, lang):
    """The long Training & jobs text: paged with 98, every page within the
    budget, no word cut, 0 goes back a page, the last page ends."""
    gw = gateway()
    L = LANGS[lang]
    d = Dialog(gw, new_phone(), new_session())
    d.dial()
    d.choose(L["language"])
    first = d.choose(L["training"])
    pages = [first]
    while pages[-1].con:
        assert len(pages) < 20, "more than 20 pages"
        assert pages[-1].screen.endswith("\n" + L["more"]), pages[-1]
        if len(pages) == 2:
            # 0 on the second page shows the first again, then 98 on.
            assert d.send("0").body == first.body
            assert d.send("98").body == pages[1].body
        pages.append(d.send("98"))
    assert len(pages) >= 2, f"the training text fits one page? {first!r}"
    assert pages[-1].end
    assert not pages[-1].screen.endswith(L["more"]), pages[-1]

    for p in pages:
        coding, n = page_cost(p.screen)
        assert fits_page(p.screen), (coding, n, p)
        if lang == "ur":
            assert coding == "ucs2" and n <= 80, (coding, n, p)
        else:
            assert coding == "gsm7" and n <= 182, (coding, n, p)

    bodies = [p.screen[:-len("\n" + L["more"])] for p in pages[:-1]]
    bodies.append(pages[-1].screen)
    source = menu_text("training", lang)
    # Pages break only between words: the words of the pages, in order,
    # are the words of the text (a cut word would show as two).
    assert " ".join(bodies).split() == source.split()
    # And no page is needlessly short: the next page's first word would
    # not have fitted on it, unless the page ends a sentence and holds at
    # least half of what ending at the last word that fits would.
    for i in range(len(bodies) - 1):
        words = bodies[i + 1].split()
        longest = bodies[i]
        while words and fits_page(longest + " " + words[0] + "\n" +
                                  L["more"]):
            longest += " " + words.pop(0)
        if longest != bodies[i]:
            assert bodies[i].endswith((".", "!", "?", "۔", "؟")), (
                bodies[i], longest)
            assert 2 * len(bodies[i]) >= len(longest), (bodies[i], longest)


@pytest.mark.parametrize("lang", ["en", "ur-Latn", "ur"])
def test_wrong_cnic_then_right(gateway, lang):
    gw = gateway()
    L = LANGS[lang]
    d = Dialog(gw, new_phone(), new_session())
    prompt = walk_to_cnic(d, lang)
    r = d.send("12a")
    assert r.con, r
    assert r.screen == L["cnic_error"] + "\n" + prompt.screen, r
    r = d.send("12345")
    assert r.screen == L["cnic_error"] + "\n" + prompt.screen, r
    r = d.send("1234")
    assert r.con, r
    for part in L["confirm_has"]:
        assert part in r.screen, r
    confirm_yes(d, lang)
    assert [x["fields"]["cnic4"] for x in gw.requests()] == ["1234"]


def test_invalid_menu_choice(gateway):
    gw = gateway()
    L = LANGS["en"]
    d = Dialog(gw, new_phone(), new_session())
    d.dial()
    d.choose(L["language"])
    cat = d.choose(L["help"])
    for bad in ["9", "abc", "7", ""]:
        r = d.send(bad)
        assert r.con, r
        assert r.screen == "Invalid choice.\n" + cat.screen, r
    r = d.choose(L["food"])
    assert r.con and menu_text("district", "en") in r.screen, r


def test_confirm_no_goes_to_main_without_request(gateway):
    gw = gateway()
    L = LANGS["en"]
    d = Dialog(gw, new_phone(), new_session())
    walk_to_cnic(d, "en")
    d.send("1234")
    r = d.send("2")
    assert r.con and L["main"] in r.screen, r
    assert gw.requests() == []


def test_back_after_submit_does_not_resubmit(gateway):
    """Once the END is shown the session is over: nothing the phone sends
    afterwards books the request again."""
    gw = gateway()
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    submit_request(d, "en")
    text = "*".join(d.inputs + ["0"])
    r = gw.hop(sid, phone, text)
    assert r.end, r
    r = gw.hop(sid, phone, text + "*1")
    assert r.end, r
    assert len(gw.requests()) == 1


def test_other_district_typed(gateway):
    gw = gateway()
    L = LANGS["en"]
    d = Dialog(gw, new_phone(), new_session())
    d.dial()
    d.choose(L["language"])
    d.choose(L["help"])
    d.choose(L["food"])
    # The last district shares the second page with the nav line.
    d.send("98")
    r = d.choose(r"^Other district$")
    assert r.screen == menu_text("district_other", "en"), r
    d.send("Swat")
    d.send("4321")
    r = d.send("1")
    assert r.end, r
    (req,) = gw.requests()
    assert req["fields"] == {"category": "food", "district": "Swat",
                             "cnic4": "4321"}


def test_daily_request_limit(gateway):
    """sms.requests_per_day: past it the confirm answers the `limited`
    message, nothing is booked and the refusal is counted."""
    gw = gateway(sms={"requests_per_day": 2})
    phone = new_phone()
    for _ in range(2):
        submit_request(Dialog(gw, phone, new_session()), "en")
    d = Dialog(gw, phone, new_session())
    walk_to_cnic(d, "en")
    d.send("1234")
    r = d.send("1")
    assert r.end and r.screen.startswith("Sorry, you have reached the "
                                         "limit"), r
    assert len(gw.requests()) == 2
    assert gw.redis.command("HGET", "asanigw:{stats}:limited",
                            "requests_per_day") == b"1"
    # Another subscriber is not held to this one's limit.
    submit_request(Dialog(gw, new_phone(), new_session()), "en")
