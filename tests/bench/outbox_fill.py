"""Fills the outbox stream with N requests (as the gateway writes them),
pipelined: tests/bench/outbox_fill.py REDIS_PORT N"""

import json
import socket
import sys
import uuid


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def fill(port, commands):
    """Sends the commands (encoded), pipelined a thousand at a time, and
    checks every reply."""
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    batch = []

    def flush():
        s.sendall(b"".join(batch))
        for _ in batch:
            line = f.readline()
            if line.startswith(b"$"):
                f.readline()
            elif not line.startswith(b"+"):
                sys.exit(f"redis: {line!r}")
        batch.clear()
    for c in commands:
        batch.append(c)
        if len(batch) == 1000:
            flush()
    if batch:
        flush()


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])

    def commands():
        for i in range(n):
            body = {"idempotency_key": uuid.uuid4().hex,
                    "ref": "B%05d" % i, "service": "*786#",
                    "request": "help", "msisdn": "923000%06d" % i,
                    "msisdn_hash": "h%06d" % i, "lang": "en",
                    "ts": 1795430000000,
                    "fields": {"category": "food", "district": "lahore"}}
            yield enc("XADD", "asanigw:{outbox}:requests", "*", "r",
                      json.dumps(body, separators=(",", ":")))
    fill(port, commands())


if __name__ == "__main__":
    main()
