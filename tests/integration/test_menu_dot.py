"""asanigw -G: a menu's compiled graph as Graphviz DOT.  dot must accept
it, and it must hold one node per screen and one edge per target the
menu names, counted here from the menu file itself."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, SHIPPED_CONF, asanigw_binary

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="graphviz (dot) is not installed")

SCREEN = re.compile(
    r'\bkind\s*=\s*"(menu|input|confirm|route|submit|lookup|end)"')
TARGET = re.compile(r'\b(goto|yes|no|default)\s*=\s*"')
NODE = re.compile(r'^\t"((?:[^"\\]|\\.)*)" \[(.*)\];$', re.M)
EDGE = re.compile(r'^\t"(?:[^"\\]|\\.)*" -> "(?:[^"\\]|\\.)*" \[', re.M)

UNREACHABLE = "#d9d9d9"
DEAD_END = "#f4cccc"

# Four screens reachable (start, ask, loop, bye), one of them (loop)
# going round for ever, and one (orphan) that nothing leads to.
SMALL = """
name = "Small";
languages = [ "en", "ur" ];
screens = {
	start = { kind = "menu"; text = { en = "Pick \\"one\\""; ur = "چنیں"; };
		options = (
			{ label = { en = "Ask"; ur = "پوچھیں"; }; goto = "ask"; },
			{ label = { en = "Loop"; ur = "چکر"; }; goto = "loop"; },
			{ label = { en = "Bye"; ur = "خدا حافظ"; }; goto = "bye"; } );
	};
	ask = { kind = "input"; var = "name";
		text = { en = "Name?"; ur = "نام؟"; }; goto = "bye"; };
	loop = { kind = "menu"; text = { en = "Again"; ur = "پھر"; };
		options = ( { label = { en = "Again"; ur = "پھر"; };
		    goto = "loop"; } ); };
	bye = { kind = "end"; text = { en = "Bye"; ur = "خدا حافظ"; }; };
	orphan = { kind = "end"; text = { en = "Lost"; ur = "گم"; }; };
};
"""


def picture(*args):
    p = subprocess.run([asanigw_binary(), *args], capture_output=True,
                       text=True, encoding="utf-8", timeout=30)
    return p.returncode, p.stdout, p.stderr


def rendered(dot_text):
    p = subprocess.run(["dot", "-Tsvg"], input=dot_text.encode("utf-8"),
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    assert b"<svg" in p.stdout
    return p.stdout.decode("utf-8")


def counts_in_file(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return len(SCREEN.findall(text)), len(TARGET.findall(text))


def nodes(dot_text):
    return dict(NODE.findall(dot_text))


@pytest.mark.parametrize("name", ["asani.menu", "complaints.menu"])
def test_shipped_menu_counts(name):
    path = os.path.join(ROOT, "menus", name)
    rc, out, err = picture("-G", path)
    assert rc == 0, err
    rendered(out)
    screens, targets = counts_in_file(path)
    assert screens > 5 and targets > screens
    assert len(nodes(out)) == screens
    assert len(EDGE.findall(out)) == targets


def test_service_code_through_configuration():
    rc, out, err = picture("-c", SHIPPED_CONF, "-G", "*787#")
    assert rc == 0, err
    screens, targets = counts_in_file(
        os.path.join(ROOT, "menus", "complaints.menu"))
    assert len(nodes(out)) == screens
    assert len(EDGE.findall(out)) == targets
    rc, _, err = picture("-c", SHIPPED_CONF, "-G", "*999#")
    assert rc == 1 and "*999#" in err


def test_urdu_labels():
    path = os.path.join(ROOT, "menus", "complaints.menu")
    rc, out, err = picture("-G", path, "-L", "ur")
    assert rc == 0, err
    svg = rendered(out)
    assert 'label="3. اردو"' in out
    assert "شکایت" in out and "شکایت" in svg
    rc, en, _ = picture("-G", path)
    assert "File a complaint" in en and "File a complaint" not in out


def test_unknown_language():
    rc, out, err = picture("-G", os.path.join(ROOT, "menus", "asani.menu"),
                           "-L", "xx")
    assert rc == 1 and "'xx'" in err


def test_small_menu_colours(tmp_path):
    path = os.path.join(str(tmp_path), "small.menu")
    with open(path, "w", encoding="utf-8") as f:
        f.write(SMALL)
    rc, out, err = picture("-G", path, "-L", "ur")
    assert rc == 0, err
    svg = rendered(out)
    n = nodes(out)
    assert sorted(n) == ["ask", "bye", "loop", "orphan", "start"]
    assert len(EDGE.findall(out)) == 5
    assert f'fillcolor="{UNREACHABLE}"' in n["orphan"]
    assert f'fillcolor="{DEAD_END}"' in n["loop"]
    for ok in ("start", "ask", "bye"):
        assert "fillcolor" not in n[ok], n[ok]
    assert "peripheries=2" in n["start"]
    assert "shape=parallelogram" in n["ask"]
    assert "shape=octagon" in n["bye"]
    assert "چکر" in out and "پوچھیں" in svg
    # The quote in the English text survives, escaped.
    rc, en, _ = picture("-G", path)
    assert r'Pick \"one\"' in en
    rendered(en)
