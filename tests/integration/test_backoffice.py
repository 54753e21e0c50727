"""The back office (here the file adapter) cannot take the requests for a
while: the subscriber is told "received" all the same (the request is in
the outbox), deliveries are tried again with backoff, then kept as dead
letters, and replayed once the back office is back."""

import os
import signal

from conftest import wait_until
from flagship import Dialog, confirm_yes, submit_request, walk_to_cnic
from ussd import new_phone, new_session


def test_back_office_full_then_dead_letters_then_replay(gateway, tmp_path):
    # /dev/full accepts the open and fails every write with ENOSPC.
    gw = gateway(adapters={"requests": {"type": "file",
                                        "path": "/dev/full"}})
    refs = [submit_request(Dialog(gw, new_phone(), new_session()), "en")
            for _ in range(3)]
    wait_until(lambda: gw.outbox()["dead"] == 3, 10,
               "three dead letters")
    log = gw.log()
    assert "No space left on device" in log
    assert log.count("event=delivery-retry") >= 3 * 3
    assert log.count("event=dead-letter") == 3
    assert gw.outbox()["waiting"] == 0
    # The back office is back: a reload points the adapter at a file,
    # and the operator replays the dead letters.
    good = os.path.join(str(tmp_path), "requests.jsonl")
    gw.rewrite_config(adapters={"requests": {"type": "file",
                                             "path": good}})
    gw.signal(signal.SIGHUP)
    wait_until(lambda: "event=reload services" in gw.log(), 3, "reload")
    status, body = gw.admin("POST", "/admin/outbox/replay?count=10")
    assert status == 200 and body == {"replayed": 3}, body
    wait_until(lambda: len(gw.requests(drain=False)) == 3, 10,
               "the replayed requests")
    assert sorted(r["ref"] for r in gw.requests()) == sorted(refs)
    assert gw.outbox()["dead"] == 0


def test_confirm_retried_books_once(gateway):
    """The same confirmation twice (an aggregator retry) is one request."""
    gw = gateway()
    d = Dialog(gw, new_phone(), new_session())
    walk_to_cnic(d, "en")
    d.send("1234")
    ref = confirm_yes(d, "en")
    d.again()
    assert [r["ref"] for r in gw.requests()] == [ref]


def test_back_office_in_a_new_directory(gateway, tmp_path):
    """The file adapter makes the directory its file lives in, and books
    a request exactly once."""
    path = os.path.join(str(tmp_path), "office", "requests.jsonl")
    gw = gateway(adapters={"requests": {"type": "file", "path": path}})
    d = Dialog(gw, new_phone(), new_session())
    walk_to_cnic(d, "en")
    d.send("1234")
    ref = confirm_yes(d, "en")
    assert gw.outbox_drained()
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) == 1 and ref in lines[0]
