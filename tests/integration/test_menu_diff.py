"""asanigw -D OLD NEW on the shipped menu: silent and 0 against itself,
and the lines and exit status of each kind of change a copy can bring."""

import os
import re
import subprocess

from conftest import ROOT, asanigw_binary

ASANI = os.path.join(ROOT, "menus", "asani.menu")
LANGUAGE_EN = 'en = "Asani Exchange\\nLanguage / Zaban:";'
LABELS = ('{ label = { en = "%s"; ur-Latn = "%s";\n'
          '\t\t\t      ur = "%s"; };')


def shipped():
    with open(ASANI, encoding="utf-8") as f:
        return f.read()


def diff(tmp_path, new_text):
    """Runs -D with the shipped menu as OLD and new_text as NEW."""
    new = os.path.join(str(tmp_path), "new.menu")
    with open(new, "w", encoding="utf-8") as f:
        f.write(new_text)
    p = subprocess.run([asanigw_binary(), "-D", ASANI, new],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout.splitlines(), p.stderr


def changed(old, new):
    text = shipped()
    assert old in text, old
    return text.replace(old, new, 1)


def test_same_menu_is_silent():
    p = subprocess.run([asanigw_binary(), "-D", ASANI, ASANI],
                       capture_output=True, text=True, timeout=30)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")


def test_text_changed_is_a_note(tmp_path):
    rc, out, err = diff(tmp_path, changed(
        LANGUAGE_EN, 'en = "Asani\\nLanguage / Zaban:";'))
    assert rc == 1, err
    assert out == ["note: screen 'language' (en): text changed"]


def test_page_grew_is_a_note(tmp_path):
    # The option "اردو" makes the screen travel in UCS-2: 80 units a page.
    rc, out, err = diff(tmp_path, changed(
        LANGUAGE_EN, 'en = "Asani Exchange: %s\\nLanguage / Zaban:";' %
        ("help for those in need, " * 8)))
    assert rc == 1, err
    assert out == [
        "note: screen 'language' (en): text changed",
        "note: screen 'language' (en): no longer fits one page (3 pages)",
    ]


def test_options_swapped_break(tmp_path):
    english = LABELS % (("English",) * 3)
    roman = LABELS % (("Roman Urdu",) * 3)
    text = shipped()
    assert english in text and roman in text
    text = (text.replace(english, "@@", 1).replace(roman, english, 1)
            .replace("@@", roman, 1))
    rc, out, err = diff(tmp_path, text)
    assert rc == 2, err
    assert out == [
        "break: screen 'language': option 1 \"English\" is now option 2",
        "break: screen 'language': option 2 \"Roman Urdu\" is now option 1",
    ]


def test_keyword_removed_breaks(tmp_path):
    rc, out, err = diff(tmp_path, changed('[ "HELP", "INFO" ]',
                                          '[ "HELP" ]'))
    assert rc == 2, err
    assert out == [
        "break: SMS keyword 'INFO' (en) of command 'help' removed"]


def test_screen_renamed_and_removed(tmp_path):
    text = shipped().replace('"main"', '"home"').replace(
        "\n\tmain = {", "\n\thome = {", 1)
    rc, out, err = diff(tmp_path, text)
    assert rc == 1, err
    assert out == ["note: screen 'main' renamed to 'home'"]


def test_file_with_errors(tmp_path):
    rc, out, err = diff(tmp_path, changed('start = "language";',
                                          'start = "nowhere";'))
    assert rc == 3
    assert out == []
    lines = err.splitlines()
    assert lines[-1] == "menu has errors"
    assert all(re.match(r"^\S+new\.menu:\d+: \S", l) for l in lines[:-1])
    assert len(lines) > 1
