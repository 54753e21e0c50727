"""The back office (here the file adapter) cannot take the request: the
subscriber is told so, nothing is half-recorded, and the session can be
confirmed again once the back office is back."""

import os

from flagship import Dialog, confirm_yes, walk_to_cnic
from ussd import new_phone, new_session

FAILED_EN = "Sorry, we could not record your request. Please try again."


def test_back_office_full(gateway, tmp_path):
    # /dev/full accepts the open and fails every write with ENOSPC.
    gw = gateway(adapters={"requests": {"type": "file",
                                        "path": "/dev/full"}})
    phone, sid = new_phone(), new_session()
    d = Dialog(gw, phone, sid)
    walk_to_cnic(d, "en")
    r = d.send("1234")
    assert r.con, r
    r = d.send("1")
    assert r.end, r
    assert r.screen == FAILED_EN, r
    assert "event=submit-failed" in gw.log()
    assert "No space left on device" in gw.log()
    # Nothing was recorded and the confirm was not saved as done: the same
    # hop again is the confirm once more (not a replayed answer, not an
    # expired session), and fails once more.
    r = gw.hop(sid, phone, d.text())
    assert r.end and r.screen == FAILED_EN, r
    assert gw.log().count("event=submit-failed") == 2


def test_back_office_in_a_new_directory(gateway, tmp_path):
    """The file adapter makes the directory its file lives in, and books
    a request exactly once."""
    path = os.path.join(str(tmp_path), "office", "requests.jsonl")
    gw = gateway(adapters={"requests": {"type": "file", "path": path}})
    d = Dialog(gw, new_phone(), new_session())
    walk_to_cnic(d, "en")
    d.send("1234")
    ref = confirm_yes(d, "en")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) == 1 and ref in lines[0]
