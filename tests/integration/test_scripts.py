"""scripts/phone and scripts/demo, driven without a terminal."""

import os
import re
import subprocess
import sys

from conftest import ROOT, asanigw_binary, port_open

PHONE = os.path.join(ROOT, "scripts", "phone")
DEMO = os.path.join(ROOT, "scripts", "demo")


def run_phone(gw, script, *args):
    url = f"http://127.0.0.1:{gw.port}{gw.ussd_path}"
    p = subprocess.run([PHONE, "-u", url, *args], input=script.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    return p.returncode, p.stdout.decode("utf-8")


def test_phone_session_in_urdu(gateway):
    gw = gateway()
    # Urdu, request help, food, Lahore, a wrong CNIC then the right one,
    # yes: the confirmation with its reference fits one page.
    rc, out = run_phone(gw, "3\n1\n1\n1\n12a\n1234\n1\n", "-n",
                        "923001112233")
    assert rc == 0, out
    assert "Dialling *786# from +923001112233" in out
    assert "اپنا ضلع چنیں" in out
    assert "براہ کرم صرف 4 ہندسے لکھیں۔" in out
    assert "(end)" in out
    (req,) = gw.requests()
    assert req["msisdn"] == "923001112233"
    assert req["fields"] == {"category": "food", "district": "lahore",
                             "cnic4": "1234"}
    assert req["ref"] in out
    # Every box line is as wide as the box (characters, not bytes).
    widths = {len(x) for x in out.splitlines() if x.startswith("│")}
    assert widths == {34}, widths


def test_phone_dial_again_and_quit(gateway):
    gw = gateway()
    # About (two pages, then END), dial again, about again, quit.
    rc, out = run_phone(gw, "1\n4\n98\n\n1\n4\n98\nq\n")
    assert rc == 0, out
    assert out.count("Dialling *786#") == 2
    assert out.count("(end)") == 2


def test_phone_input_ends_mid_session(gateway):
    gw = gateway()
    rc, out = run_phone(gw, "1\n")
    assert rc == 3, out


def test_phone_gateway_unreachable(gateway):
    gw = gateway()
    gw.stop()
    rc, out = run_phone(gw, "1\n")
    assert rc == 2, out
    assert "Cannot reach" in out


def test_phone_http_error(gateway):
    gw = gateway()
    rc, out = run_phone(gw, "", "-n", "abc")
    assert rc == 2, out
    assert "HTTP 400" in out


def test_demo_scripted_session():
    p = subprocess.run([DEMO, asanigw_binary()], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, cwd=ROOT)
    out = p.stdout.decode("utf-8")
    assert p.returncode == 0, out
    m = re.search(r"OK: the session ended with reference ([0-9A-Z]{6})", out)
    assert m, out
    assert f'"ref":"{m.group(1)}"' in out, out
    # Everything it started is gone, and so is its directory.
    ports = re.findall(r"127\.0\.0\.1:(\d+)", out)
    assert len(ports) >= 2, out
    for port in ports:
        assert not port_open(int(port)), f"port {port} still open"
    d = re.search(r"requests file\s+(\S+)", out).group(1)
    assert not os.path.exists(os.path.dirname(d))


def test_demo_fails_without_a_working_gateway(tmp_path):
    fake = tmp_path / "asanigw"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    p = subprocess.run([DEMO, str(fake)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, cwd=ROOT)
    assert p.returncode != 0, p.stdout


def test_demo_kannel_scripted():
    from kannel import fakesmpp_binary
    p = subprocess.run([os.path.join(ROOT, "scripts", "demo-kannel"),
                        asanigw_binary(), fakesmpp_binary()],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=90, cwd=ROOT)
    out = p.stdout.decode("utf-8")
    assert p.returncode == 0, out
    m = re.search(r"OK: USSD, SMS and a push went through Kannel; request "
                  r"([0-9A-Z]{6})", out)
    assert m, out
    d = re.search(r"the chain is up, in (\S+)", out).group(1)
    assert not os.path.exists(d)
    ports = re.findall(r":(\d+)", out.split("the chain is up")[1]
                       .split("\n\n")[0])
    for port in ports:
        assert not port_open(int(port)), f"port {port} still open"


def test_demo_ha_scripted():
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts",
                                                     "demo-ha"),
                        asanigw_binary()],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120, cwd=ROOT)
    out = p.stdout.decode("utf-8")
    assert p.returncode == 0, out
    assert re.search(r"demo: OK: reference ([0-9A-Z]{6}) reached the back "
                     r"office once, through a failover", out), out
    ports = re.findall(r":(\d+)", out.split("demo: killed")[0])
    for port in ports:
        assert not port_open(int(port)), f"port {port} still open"
