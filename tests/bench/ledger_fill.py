"""Fills the ledger's pending stream with N entries (as the outbox
records them), pipelined: tests/bench/ledger_fill.py REDIS_PORT N"""

import json
import sys
import uuid

from outbox_fill import enc, fill


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])

    def commands():
        for i in range(n):
            entry = {"time": "2026-12-05T07:30:00.000Z", "kind": "request",
                     "type": "help", "service": "*786#",
                     "ref": "B%05d" % i, "who": "h%05d" % i,
                     "key": uuid.uuid4().hex,
                     "fields": {"category": "food"}}
            yield enc("XADD", "asanigw:{ledger}:pending", "*", "r",
                      json.dumps(entry, sort_keys=True,
                                 separators=(",", ":")))
    fill(port, commands())


if __name__ == "__main__":
    main()
