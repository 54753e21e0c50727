"""make install, as an operator or a packager runs it: the files where
they belong, with their modes, nothing outside the tree, an existing
configuration kept, the installed daemon accepting the installed
configuration; make uninstall taking it all away but the configuration;
the man pages clean for mandoc."""

import os
import shutil
import stat
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAN_PAGES = ["man/asanigw.8", "man/asanigw.conf.5", "man/asanigw.menu.5",
             "man/asanigw-verify.1"]


def make(*args):
    out = subprocess.run(["make", "--no-print-directory", "-C", ROOT,
                          *args], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def tree(root):
    found = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            found[os.path.relpath(p, root)] = stat.S_IMODE(os.stat(p).st_mode)
    return found


def test_staged_install_for_a_package(tmp_path):
    dest = str(tmp_path / "stage")
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    files = tree(dest)
    assert files["usr/sbin/asanigw"] == 0o755
    assert files["usr/bin/asanigw-verify"] == 0o755
    assert files["etc/asanigw/asanigw.conf"] == 0o640
    for page, sec in (("asanigw.8", 8), ("asanigw.conf.5", 5),
                      ("asanigw.menu.5", 5), ("asanigw-verify.1", 1)):
        assert files[f"usr/share/man/man{sec}/{page}"] == 0o644
    assert files["usr/lib/systemd/system/asanigw.service"] == 0o644
    assert "usr/share/asanigw/menus/asani.menu" in files
    assert "usr/share/asanigw/menus/complaints.menu" in files
    assert "usr/share/doc/asanigw/examples/kannel.conf" in files
    assert "usr/share/doc/asanigw/CHANGELOG.md" in files
    top = {p.split("/")[0] for p in files}
    assert top <= {"usr", "etc"}, top
    with open(os.path.join(dest, "usr/lib/systemd/system/asanigw.service")) \
            as f:
        unit = f.read()
    assert "ExecStart=/usr/sbin/asanigw -d -c /etc/asanigw/asanigw.conf" \
        in unit
    assert "Type=notify" in unit and "@" not in unit.replace(
        "@system-service", "").replace("@privileged", "")
    with open(os.path.join(dest, "etc/asanigw/asanigw.conf")) as f:
        conf = f.read()
    assert '"/usr/share/asanigw/menus/asani.menu"' in conf
    assert '"/var/lib/asanigw/requests.jsonl"' in conf


def test_prefix_install_runs_and_keeps_the_configuration(tmp_path):
    prefix = str(tmp_path / "opt")
    make("install", f"PREFIX={prefix}")
    binary = os.path.join(prefix, "sbin", "asanigw")
    conf = os.path.join(prefix, "etc", "asanigw", "asanigw.conf")
    out = subprocess.run([binary, "-t", "-c", conf], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0 and "configuration OK" in out.stdout, out
    out = subprocess.run([os.path.join(prefix, "bin", "asanigw-verify")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "usage: asanigw-verify" in out.stderr
    # An operator's edit survives the next install.
    with open(conf, "a") as f:
        f.write("# edited by the operator\n")
    make("install", f"PREFIX={prefix}")
    with open(conf) as f:
        assert f.read().endswith("# edited by the operator\n")
    make("uninstall", f"PREFIX={prefix}")
    left = tree(prefix)
    assert left == {"etc/asanigw/asanigw.conf": 0o640}, left


@pytest.mark.skipif(shutil.which("mandoc") is None, reason="needs mandoc")
@pytest.mark.parametrize("page", MAN_PAGES)
def test_man_page_lints_clean(page):
    out = subprocess.run(["mandoc", "-Tlint", "-W", "warning",
                          os.path.join(ROOT, page)], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0 and out.stdout + out.stderr == "", \
        out.stdout + out.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("dpkg-buildpackage")
                    is None, reason="needs root and dpkg-buildpackage")
def test_debian_package_installs_runs_and_purges():
    make("deb")                 # includes lintian, failing on warnings
    debs = [f for f in os.listdir(os.path.join(ROOT, "build", "deb"))
            if f.startswith("asanigw_") and f.endswith(".deb")]
    assert len(debs) == 1, debs
    deb = os.path.join(ROOT, "build", "deb", debs[0])

    def run(*cmd):
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, (cmd, out.stdout, out.stderr)
        return out.stdout

    run("dpkg", "-i", deb)
    try:
        assert run("/usr/sbin/asanigw", "-V").startswith("asanigw ")
        assert "configuration OK" in run("/usr/sbin/asanigw", "-t", "-c",
                                         "/etc/asanigw/asanigw.conf")
        st = os.stat("/etc/asanigw/asanigw.conf")
        assert stat.S_IMODE(st.st_mode) == 0o640
        assert run("getent", "passwd", "asanigw")
        unit = "/lib/systemd/system/asanigw.service"
        assert os.path.exists(unit)
        # Installed, neither enabled nor started.
        assert not os.path.exists("/etc/systemd/system/multi-user.target."
                                  "wants/asanigw.service")
        if shutil.which("systemd-analyze"):
            out = subprocess.run(["systemd-analyze", "verify", unit],
                                 capture_output=True, text=True, timeout=60)
            bad = [ln for ln in out.stderr.splitlines()
                   if "asanigw.service" in ln and "sysinit.target" not in ln]
            assert not bad, bad
    finally:
        run("dpkg", "--purge", "asanigw")
    for p in ("/usr/sbin/asanigw", "/usr/bin/asanigw-verify", "/etc/asanigw", "/var/lib/asanigw",
              "/lib/systemd/system/asanigw.service",
              "/usr/share/asanigw", "/usr/share/doc/asanigw",
              "/usr/share/man/man8/asanigw.8.gz"):
        assert not os.path.exists(p), f"{p} left behind"
