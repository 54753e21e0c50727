"""SIGHUP: menus, services and adapters are read again; a configuration
with errors is reported and the running one keeps serving."""

import os
import shutil
import signal

from conftest import hop_in_flight, read_reply, wait_until
from flagship import LANGS, MENU, Dialog, menu_text
from ussd import new_phone, new_session


def reload(gw, count):
    """Sends SIGHUP and waits for the count-th reload line (done or
    failed)."""
    gw.signal(signal.SIGHUP)
    wait_until(lambda: gw.log().count("event=reload") >= count, 3.0,
               "the daemon to log the reload")


def own_menu(tmp_path):
    path = os.path.join(str(tmp_path), "asani.menu")
    shutil.copy(MENU, path)
    return path


def rewrite(path, old, new):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    assert old in text
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new))


def test_reload_serves_the_new_menu(gateway, tmp_path):
    menu = own_menu(tmp_path)
    gw = gateway(services=[{"code": "*786#", "menu": menu,
                            "adapter": "requests"}])
    first = menu_text("language", "en", path=menu)
    # A session in progress before the reload ...
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    assert first in d.dial().screen
    d.choose(LANGS["en"]["language"])

    rewrite(menu, "Asani Exchange\\n", "Asani Exchange 2\\n")
    reload(gw, 1)
    assert "event=reload services=1" in gw.log()
    r = gw.hop(new_session(), new_phone(), "")
    assert r.con and r.screen.startswith("Asani Exchange 2\n"), r
    # ... goes on where it was.
    r = d.choose(LANGS["en"]["help"])
    assert r.con and menu_text("category", "en", path=menu) in r.screen, r


def test_reload_with_errors_keeps_serving(gateway, tmp_path):
    menu = own_menu(tmp_path)
    gw = gateway(services=[{"code": "*786#", "menu": menu,
                            "adapter": "requests"}],
                 expect_errors=[r"event=reload-failed"])
    rewrite(menu, 'goto = "cnic";', 'goto = "no-such-screen";')
    reload(gw, 1)
    log = gw.log()
    assert "unknown target" in log and "no-such-screen" in log, log
    assert "still serving the previous one" in log
    # The old menu still serves a whole request.
    d = Dialog(gw, new_phone(), new_session())
    r = d.dial()
    assert r.con, r
    assert gw.proc.poll() is None


def test_reload_adds_a_service(gateway, tmp_path):
    gw = gateway()
    r = gw.hop(new_session(), new_phone(), "", service="*787#")
    assert r.end, r
    gw.rewrite_config(services=[
        {"code": "*786#", "menu": MENU, "adapter": "requests"},
        {"code": "*787#", "menu": MENU, "adapter": "requests"}])
    reload(gw, 1)
    r = gw.hop(new_session(), new_phone(), "", service="*787#")
    assert r.con, r


def test_reload_with_a_hop_in_flight(gateway, redis, tmp_path):
    """A hop started before the reload finishes on the configuration it
    started with, which is freed only then (the sanitizer build checks
    that nothing is used after it is freed)."""
    menu = own_menu(tmp_path)
    gw = gateway(services=[{"code": "*786#", "menu": menu,
                            "adapter": "requests"}],
                 redis={"timeout_ms": 2000},
                 session={"hop_deadline_ms": 3000})
    redis.pause()
    try:
        conn = hop_in_flight(gw)
        rewrite(menu, "Asani Exchange\\n", "Asani Exchange 2\\n")
        reload(gw, 1)
    finally:
        redis.resume()
    status, body = read_reply(conn)
    assert status == 200 and body.startswith("CON Asani Exchange\n"), body
    r = gw.hop(new_session(), new_phone(), "")
    assert r.screen.startswith("Asani Exchange 2\n"), r
