"""
Waiting and ports, shared by every integration test helper: stdlib only.
"""

import socket
import time


class HarnessError(AssertionError):
    """A harness step failed; the message carries what the logs said."""


def free_port():
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, detail=None, interval=0.02):
    """Polls predicate() until it returns a true value, which is returned.
    After timeout seconds raises HarnessError naming `what`, with the last
    exception and detail() (e.g. log tails) when given."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = predicate()
            if v:
                return v
        except HarnessError:
            raise
        except Exception as e:  # noqa: BLE001 - reported below
            last_exc = e
        if time.monotonic() >= deadline:
            msg = f"timed out after {timeout:.1f}s waiting for {what}"
            if last_exc is not None:
                msg += f" (last error: {last_exc!r})"
            if detail is not None:
                msg += "\n" + detail()
            raise HarnessError(msg)
        time.sleep(interval)
