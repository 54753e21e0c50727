"""
What the tests know of the flagship menu, menus/asani.menu (service *786#):
labels to pick per language, texts to expect, and a reader for a screen's
text straight from the menu file, so a test compares against the source.
"""

import os
import re

from ussd import fits_page, option, page_cost

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MENU = os.path.join(ROOT, "menus", "asani.menu")

# Per language: the label of each option the flagship walk picks (regex,
# matched against the option text), and the built-in messages.  Screen
# texts are read from the menu file itself when first asked for (see
# _Texts), so rewording the menu does not break the tests.
LABELS = {
    "en": {
        "language": r"^English$",
        "help": r"^Request help$",
        "track": r"^Follow my request$",
        "training": r"^Training",
        "food": r"^Food$",
        "lahore": r"^Lahore$",
        "more": "98 More",
        "busy": "Service busy, please try again later.",
    },
    "ur-Latn": {
        "language": r"^Roman Urdu$",
        "help": r"^Madad",
        "track": r"^Darkhwast ka haal$",
        "training": r"^Training",
        "food": r"^Khana$",
        "lahore": r"^Lahore$",
        "more": "98 Aur",
        "busy": "Service masroof hai, baraye meharbani thori dair baad "
                "koshish karein.",
    },
    "ur": {
        "language": r"^اردو$",
        "help": r"^مدد",
        "track": r"^درخواست کا حال$",
        "training": r"^تربیت",
        "food": r"^کھانا$",
        "lahore": r"^لاہور$",
        "more": "98 مزید",
        "busy": "سروس مصروف ہے، براہ کرم کچھ دیر بعد دوبارہ کوشش کریں۔",
    },
}


class _Texts(dict):
    """One language's texts: LABELS, then what the menu file says."""

    def __init__(self, lang):
        super().__init__(LABELS[lang])
        self.lang = lang

    def __missing__(self, key):
        lang = self.lang
        if key == "main":
            v = menu_text("main", lang)
        elif key == "category":
            v = menu_text("category", lang)
        elif key == "cnic_prompt":
            v = menu_text("cnic", lang)
        elif key == "cnic_error":
            v = menu_text("cnic", lang, "error")
        elif key == "confirm_has":
            v = [menu_value("food", lang), menu_value("lahore", lang),
                 "1234"]
        elif key == "ref":
            # The words right before ${ref} in the submit text, then the
            # code.
            before = menu_text("send", lang).split("${ref}")[0]
            words = before.split()[-2:]
            sep = " " if before.endswith(" ") else ""
            v = re.compile(re.escape(" ".join(words) + sep) +
                           r"([0-9A-Z]+)")
        else:
            raise KeyError(key)
        self[key] = v
        return v


LANGS = {lang: _Texts(lang) for lang in LABELS}

EXPIRED_EN = "Your session has expired. Please dial again."
BUSY_EN = LANGS["en"]["busy"]
UNKNOWN_EN = "This service is not available."

_STRING = r'"(?:[^"\\]|\\.)*"'


def _unescape(lit):
    out, i = [], 1
    while i < len(lit) - 1:
        c = lit[i]
        if c == "\\":
            n = lit[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def menu_text(screen, lang, key="text", path=MENU):
    """The `key` text of a screen in one language, read from the menu
    file (adjacent string literals are joined, as libconfig does)."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    screens = re.search(r"^screens\s*=\s*\{", src, re.M)
    assert screens, f"no screens group in {path}"
    src = src[screens.end():]
    m = re.search(r"\n\s*%s\s*=\s*\{" % re.escape(screen), src)
    assert m, f"screen {screen} not found in {path}"
    rest = src[m.end():]
    t = re.search(r"\b%s\s*=\s*\{" % re.escape(key), rest)
    assert t, f"screen {screen} has no {key}"
    block = rest[t.end():]
    s = re.search(r"(?<![\w-])%s\s*=\s*((?:%s\s*)+);"
                  % (re.escape(lang), _STRING), block)
    assert s, f"screen {screen} {key} has no {lang} text"
    return "".join(_unescape(x) for x in re.findall(_STRING, s.group(1)))


def menu_value(name, lang, path=MENU):
    """How a stored value reads on screen (the menu's `values` group)."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    values = re.search(r"^values\s*=\s*\{", src, re.M)
    assert values, f"no values group in {path}"
    src = src[values.end():]
    m = re.search(r"(?<![\w-])%s\s*=\s*\{([^}]*)\}" % re.escape(name), src)
    assert m, f"value {name} not found in {path}"
    s = re.search(r"(?<![\w-])%s\s*=\s*((?:%s\s*)+);"
                  % (re.escape(lang), _STRING), m.group(1))
    assert s, f"value {name} has no {lang} text"
    return "".join(_unescape(x) for x in re.findall(_STRING, s.group(1)))


def pick(reply, label):
    """The number to type on a menu reply for an option label regex."""
    assert reply.con, f"expected a CON menu, got {reply!r}"
    return option(reply.screen, label)


class Dialog:
    """One subscriber's session, hop by hop.  mode "path" sends the
    Africa's Talking cumulative text (inputs joined by '*'), mode "latest"
    only the latest input.  Every reply is checked: HTTP 200, CON or END,
    answered within the hop deadline, fits one USSD page."""

    def __init__(self, gw, phone, session_id, mode="path", slack=0.3,
                 service=None):
        self.gw = gw
        self.service = service
        self.phone = phone
        self.sid = session_id
        self.mode = mode
        self.inputs = []
        self.replies = []
        self.limit = gw.deadline + slack

    def text(self):
        if self.mode == "latest":
            return self.inputs[-1] if self.inputs else ""
        return "*".join(self.inputs)

    def _hop(self, text):
        if self.service is None:
            r = self.gw.hop(self.sid, self.phone, text)
        else:
            r = self.gw.hop(self.sid, self.phone, text,
                            service=self.service)
        assert r.status == 200, f"hop {text!r}: {r!r}"
        assert r.body.startswith(("CON ", "END ")), f"hop {text!r}: {r!r}"
        assert r.elapsed < self.limit, (
            f"hop {text!r} took {r.elapsed:.3f}s, deadline "
            f"{self.gw.deadline}s: {r!r}")
        assert fits_page(r.screen), (
            f"hop {text!r}: page over budget {page_cost(r.screen)}: {r!r}")
        self.replies.append(r)
        return r

    def dial(self):
        assert not self.inputs
        return self._hop("")

    def send(self, x):
        assert not self.replies or self.replies[-1].con, (
            f"sending {x!r} after the session ended: {self.replies[-1]!r}")
        self.inputs.append(x)
        return self._hop(self.text())

    def again(self):
        """The last hop once more, exactly as sent (a transport retry)."""
        return self._hop(self.text())

    def choose(self, label):
        return self.send(pick(self.replies[-1], label))

    @property
    def last(self):
        return self.replies[-1]


def walk_to_cnic(d, lang):
    """From a fresh session to the CNIC prompt, in language lang."""
    L = LANGS[lang]
    r = d.dial()
    assert r.con, r
    r = d.choose(L["language"])
    assert L["main"] in r.screen, r
    r = d.choose(L["help"])
    assert L["category"] in r.screen, r
    r = d.choose(L["food"])
    r = d.choose(L["lahore"])
    assert r.con and L["cnic_prompt"] in r.screen, r
    return r


def submit_request(d, lang, cnic="1234"):
    """From a fresh session to the END with a reference; returns it."""
    L = LANGS[lang]
    walk_to_cnic(d, lang)
    r = d.send(cnic)
    assert r.con, r
    for part in L["confirm_has"]:
        assert part.replace("1234", cnic) in r.screen, r
    return confirm_yes(d, lang)


def confirm_yes(d, lang):
    """Answers 1 (yes) on the confirm screen; returns the reference shown.
    A confirmation longer than a page ends after its last page (98)."""
    L = LANGS[lang]
    r = d.send("1")
    m = L["ref"].search(r.screen)
    assert m, f"no reference in {r!r}"
    while r.con and r.screen.endswith("\n" + L["more"]):
        r = d.send("98")
    assert r.end, r
    return m.group(1)
