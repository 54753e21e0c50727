"""
The test back office (tests/backoffice/backoffice.c, build/backoffice or
$BACKOFFICE) on a free loopback port: it verifies the gateway's
signatures, records each request once per idempotency key and counts
duplicates, answers lookups, and can be told to fail for a while.  Also a
CA and server certificates made with the openssl CLI, for HTTPS.
"""

import hashlib
import hmac
import http.client
import json
import os
import queue
import ssl
import subprocess
import threading
import time

from harness import HarnessError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def backoffice_binary():
    path = os.environ.get("BACKOFFICE") or os.path.join(ROOT, "build",
                                                         "backoffice")
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def sign(secret, ts, body):
    return "v1=" + hmac.new(secret.encode(), str(ts).encode() + b"." + body,
                            hashlib.sha256).hexdigest()


class BackOffice:
    def __init__(self, tmpdir, secret, cert=None, key=None, port=0):
        self.dir = str(tmpdir)
        self.secret = secret
        self.cert, self.key = cert, key
        self.proc = None
        self.port = None
        self.want_port = port   # 0: a free one
        self.calls = 0          # the test's own, each a connection
        self.events = queue.Queue()
        self.logpath = os.path.join(self.dir, "backoffice.log")

    def start(self, timeout=10.0):
        args = [backoffice_binary(), "-p", str(self.want_port), "-s",
                self.secret]
        if self.cert:
            args += ["-c", self.cert, "-k", self.key]
        self._log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=self._log,
                                     stdin=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ev = self.events.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if ev.get("event") == "ready":
                self.port = ev["port"]
                return self
        self.stop()
        raise HarnessError("the test back office did not start")

    def _read(self):
        for line in iter(self.proc.stdout.readline, b""):
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass

    @property
    def url(self):
        scheme = "https" if self.cert else "http"
        return f"{scheme}://127.0.0.1:{self.port}/requests"

    def _call(self, method, path, body=None, headers=None):
        self.calls += 1
        if self.cert:
            # The test's own look at it: no need to verify.
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=10,
                context=ssl._create_unverified_context())
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                              timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def stats(self):
        return json.loads(self._call("GET", "/stats")[1])

    def drain_events(self, name=None, count=0, timeout=5.0):
        """The event lines printed since the last call (only those named
        name, if given).  With count, waits up to timeout seconds for that
        many: the back office prints an event after it has answered, so
        the gateway may have its answer before the line is read here."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            wait = deadline - time.monotonic() if len(out) < count else 0
            try:
                ev = self.events.get(timeout=wait) if wait > 0 \
                    else self.events.get_nowait()
            except queue.Empty:
                return out
            if name is None or ev.get("event") == name:
                out.append(ev)

    def requests(self):
        return json.loads(self._call("GET", "/requests")[1])

    def control(self, **kw):
        st, _ = self._call("POST", "/control", json.dumps(kw).encode(),
                           {"Content-Type": "application/json"})
        assert st == 200, st

    def post(self, path, body, ts=None, secret=None, key="k1"):
        """A request signed as the gateway signs."""
        ts = int(time.time()) if ts is None else ts
        return self._call("POST", path, body, {
            "Content-Type": "application/json",
            "X-Asanigw-Idempotency-Key": key,
            "X-Asanigw-Timestamp": str(ts),
            "X-Asanigw-Signature": sign(secret or self.secret, ts, body)})

    def connections_of_others(self):
        """(TCP connections, full TLS handshakes, resumed ones) the back
        office saw from others than the test's own calls (each of which
        is a connection of its own, with a full handshake over TLS)."""
        st = self.stats()
        mine = self.calls
        return (st["connections"] - mine,
                st["tls_handshakes"] - (mine if self.cert else 0),
                st["tls_resumed"])

    def kill(self):
        """SIGKILL: whatever it held in memory is gone; the lines it
        printed before are all in events."""
        self.proc.kill()
        self.proc.wait()
        self._reader.join(5)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()


def make_ca(tmpdir, host="localhost", name="ca"):
    """A CA and a server certificate for host (DNS and 127.0.0.1) made
    with the openssl CLI: returns (ca.pem, server.pem, server.key)."""
    d = str(tmpdir)
    ca_key, ca = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.pem")
    key = os.path.join(d, f"{name}-server.key")
    csr = os.path.join(d, f"{name}-server.csr")
    cert = os.path.join(d, f"{name}-server.pem")
    ext = os.path.join(d, f"{name}-ext.cnf")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
        "-out", ca, "-days", "2", "-subj", f"/CN=asanigw test CA {name}")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
        csr, "-subj", f"/CN={host}")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=DNS:{host}\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key
