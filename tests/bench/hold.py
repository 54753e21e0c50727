#!/usr/bin/env python3
"""Holds keep-alive connections open to a gateway (scripts/bench).

    hold.py PORT N READY_FILE

Opens N connections to 127.0.0.1:PORT, plays one first hop of a USSD
session on each (HTTP/1.1, kept alive), creates READY_FILE once all are
held, then waits for SIGUSR1: it plays one more hop on every connection,
prints how many answered, and exits 0 only if all did.
"""
import signal
import socket
import sys

BODY = ("sessionId=hold-{}-{}&serviceCode=%2A786%23&phoneNumber=92301{:07d}"
        "&networkCode=63902&text=")


def request(port, n, serial):
    body = BODY.format(serial, n, n % 10000000)
    return ("POST /ussd HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: {}\r\n\r\n{}".format(port, len(body), body)
            ).encode()


def answer(sock):
    """True if one whole 200 "CON ..." answer came back."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return False
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        chunk = sock.recv(4096)
        if not chunk:
            return False
        rest += chunk
    return head.startswith(b"HTTP/1.1 200") and rest.startswith(b"CON ")


def hop_all(socks, port, serial):
    good = 0
    for i, s in enumerate(socks):
        try:
            s.sendall(request(port, i, serial))
            good += answer(s)
        except OSError:
            pass
    return good


def main():
    port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    go = []
    signal.signal(signal.SIGUSR1, lambda *_: go.append(1))
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        socks.append(s)
    first = hop_all(socks, port, 1)
    if first != n:
        print("held: only {} of {} connections answered".format(first, n))
        return 1
    open(ready, "w").close()
    while not go:
        signal.pause()
    second = hop_all(socks, port, 2)
    print("held {} connections; {} answered again after the run".format(
        n, second))
    return 0 if second == n else 1


if __name__ == "__main__":
    sys.exit(main())
