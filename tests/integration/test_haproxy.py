"""Two gateways behind a real HAProxy that checks GET /ready: one killed
mid-session, the sessions go on on the other and nothing confirmed is
lost; Redis gone, both say not ready and HAProxy answers busy."""

import copy
import signal

from conftest import wait_until
from flagship import LANGS, Dialog, confirm_yes, walk_to_cnic
from sentinel import HAProxy
from ussd import new_phone, new_session

L = LANGS["en"]


def via(gw, port):
    """The gateway's client, pointed at HAProxy."""
    p = copy.copy(gw)
    p.port = port
    return p


def test_one_gateway_killed_mid_session(gateway, redis, tmp_path):
    gw1, gw2 = gateway(), gateway()
    for g in (gw1, gw2):
        wait_until(lambda g=g: g.get("/ready").status == 200, 5, "ready")
    hp = HAProxy(tmp_path, "haproxy").start([gw1, gw2])
    front = via(gw1, hp.port)
    dialogs = [Dialog(front, new_phone(), new_session()) for _ in range(4)]
    for d in dialogs:
        walk_to_cnic(d, "en")
    gw1.signal(signal.SIGKILL)
    gw1.proc.wait()
    gw1.proc = None             # no clean exit to check
    refs = []
    for d in dialogs:
        d.send("1234")
        refs.append(confirm_yes(d, "en"))
    got = [r["ref"] for r in gw2.requests()]
    assert sorted(got) == sorted(refs), (got, refs)
    hp.kill()


def test_redis_gone_both_not_ready(gateway, redis, tmp_path):
    gw1 = gateway(expect_errors=[r"redis"])
    gw2 = gateway(expect_errors=[r"redis"])
    hp = HAProxy(tmp_path, "haproxy").start([gw1, gw2])
    front = via(gw1, hp.port)
    r = wait_until(lambda: (lambda x: x if x.con else None)(
        front.hop(new_session(), new_phone(), "")), 10, "served via haproxy")
    redis.stop()
    for g in (gw1, gw2):
        wait_until(lambda g=g: g.get("/ready").status == 503, 5,
                   "not ready")
        assert "no redis master" in g.get("/ready").body
    # Both down in HAProxy's checks: its own busy answer.
    r = wait_until(lambda: (lambda x: x if x.status == 200 and
                            "Service busy" in x.body and
                            "Date" not in x.headers else None)(
        front.hop(new_session(), new_phone(), "")), 10, "haproxy busy")
    assert r.body.startswith("END "), r
    redis.start()
    wait_until(lambda: front.hop(new_session(), new_phone(), "").con, 15,
               "served again")
    hp.kill()
