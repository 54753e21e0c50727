"""
Integration test harness: a real redis-server and the real asanigw daemon,
each on a free loopback port in the test's own temporary directory.

Fixtures
  redis        a running RedisServer (stop / pause / resume / restart)
  gateway      a factory: gateway(**overrides) -> a running Gateway
  tmp_path     pytest's per-test directory; every file goes there

After each test every gateway it started is stopped with SIGTERM (it must
exit 0 within a few seconds) and its log is checked: sanitizer reports and
`error` lines the test did not declare with expect_errors= fail the test.

Stdlib only: the suite runs with Debian's python3-pytest and nothing else.
"""

import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(__file__))

from flagship import MENU  # noqa: E402
from harness import free_port, wait_until  # noqa: E402,F401
from ussd import SERVICE, new_phone, new_session  # noqa: E402

SHIPPED_CONF = os.path.join(ROOT, "conf", "asanigw.conf")

ADMIN_TOKEN = "test-admin-token"

# Bounded waits, in seconds.
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
HTTP_TIMEOUT = 10.0

SANITIZER_PATTERNS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "LeakSanitizer",
    "runtime error:",
    "ThreadSanitizer",
    "MemorySanitizer",
)

# 2026-11-23T09:40:00.123Z error message key=value
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn|info|debug) ")


def asanigw_binary():
    path = os.environ.get("ASANIGW") or os.path.join(ROOT, "build", "asanigw")
    if not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    return path


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# Redis


def resp_encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def resp_read(f):
    line = f.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError("redis error: " + rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        if n < 0:
            return None
        return [resp_read(f) for _ in range(n)]
    raise RuntimeError(f"bad RESP line {line!r}")


class RedisServer:
    """A private redis-server without persistence."""

    def __init__(self, tmpdir, port=None):
        self.dir = tmpdir
        self.port = port or free_port()
        self.proc = None
        self.paused = False
        self.logpath = os.path.join(tmpdir, "redis.log")

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        with open(self.logpath, "ab") as log:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port),
                 "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", self.dir],
                stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        self.paused = False

        def ready():
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited with {self.proc.returncode}"
                            f":\n{self._logtail()}", pytrace=False)
            return self.command("PING", timeout=0.5) == "PONG"
        wait_until(ready, READY_TIMEOUT, f"redis-server on port {self.port}")
        return self

    def _logtail(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def command(self, *args, timeout=2.0):
        """Runs one command on a fresh connection; returns the reply."""
        with socket.create_connection(("127.0.0.1", self.port),
                                      timeout=timeout) as s:
            s.sendall(resp_encode(*args))
            with s.makefile("rb") as f:
                return resp_read(f)

    def stop(self):
        """SIGTERM and wait; the port is free afterwards."""
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.paused:
            self.resume()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("redis-server did not stop on SIGTERM",
                        pytrace=False)

    def pause(self):
        """SIGSTOP: the socket accepts, nothing answers (a stuck Redis)."""
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def restart(self):
        """Stops it if needed and starts it again on the same port."""
        self.stop()
        return self.start()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            if self.paused:
                self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------------------
# libconfig


def lc_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lc_value(v, indent):
    pad = "\t" * indent
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return lc_string(v)
    if isinstance(v, dict):
        inner = "".join(f"{pad}\t{k} = {lc_value(x, indent + 1)};\n"
                        for k, x in v.items() if x is not None)
        return "{\n" + inner + pad + "}"
    if isinstance(v, (list, tuple)):
        inner = ",\n".join(f"{pad}\t{lc_value(x, indent + 1)}" for x in v)
        return "(\n" + inner + "\n" + pad + ")"
    raise TypeError(f"cannot write {v!r} as libconfig")


def to_libconfig(conf):
    return "".join(f"{k} = {lc_value(v, 0)};\n"
                   for k, v in conf.items() if v is not None)


def merge(base, over):
    """Deep merge of dicts; lists and scalars replace; None deletes."""
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------
# The gateway


class Reply:
    """One hop's answer; unpacks as (status, body, elapsed)."""

    def __init__(self, status, body, elapsed, headers):
        self.status = status
        self.body = body
        self.elapsed = elapsed
        self.headers = headers

    def __iter__(self):
        return iter((self.status, self.body, self.elapsed))

    @property
    def con(self):
        return self.status == 200 and self.body.startswith("CON ")

    @property
    def end(self):
        return self.status == 200 and self.body.startswith("END ")

    @property
    def screen(self):
        """The text shown on the phone, without CON/END."""
        return self.body[4:]

    def __repr__(self):
        return (f"Reply({self.status}, {self.body!r}, "
                f"{self.elapsed * 1000:.0f}ms)")


class Gateway:
    def __init__(self, tmpdir, redis, overrides, expect_errors, name):
        self.dir = tmpdir
        self.redis = redis
        self.port = free_port()
        self.name = name
        self.conf_path = os.path.join(tmpdir, f"{name}.conf")
        self.logpath = os.path.join(tmpdir, f"{name}.log")
        self.requests_path = os.path.join(tmpdir, "requests.jsonl")
        self.expect_errors = [re.compile(p) for p in expect_errors]
        self.proc = None
        self.exit_checked = False
        self.nofile = None      # RLIMIT_NOFILE (soft = hard) to start with
        self.conf = merge(self.default_conf(), overrides)
        with open(self.conf_path, "w") as f:
            f.write(to_libconfig(self.conf))

    def rewrite_config(self, **overrides):
        """Merges overrides into the configuration file (for a reload)."""
        self.conf = merge(self.conf, overrides)
        with open(self.conf_path, "w") as f:
            f.write(to_libconfig(self.conf))

    def default_conf(self):
        return {
            "listen": {"address": "127.0.0.1", "port": self.port,
                       "max_body": 4096},
            "redis": {"host": "127.0.0.1",
                      "port": self.redis.port if self.redis else 1,
                      "password": "", "db": 0, "timeout_ms": 300},
            "session": {"ttl": 60, "hop_deadline_ms": 1000},
            "log": {"level": "info", "secret": "integration-test-secret"},
            "pidfile": "",
            "default_language": "en",
            "aggregators": [{"path": "/ussd", "text": "path",
                             "page_budget": 182}],
            # Quick retries, so tests see a back office come back soon.
            "outbox": {"attempts": 4, "backoff_min_ms": 20,
                       "backoff_max_ms": 200, "claim_idle_ms": 2000,
                       "ride_out_s": 0},
            "admin": {"token": ADMIN_TOKEN},
            "adapters": {"requests": {"type": "file",
                                      "path": self.requests_path}},
            "services": [{"code": SERVICE, "menu": MENU,
                          "adapter": "requests"}],
        }

    @property
    def deadline(self):
        """The configured hop deadline, in seconds."""
        return self.conf["session"]["hop_deadline_ms"] / 1000.0

    @property
    def ussd_path(self):
        return self.conf["aggregators"][0]["path"]

    # -- process ----------------------------------------------------------

    def start(self):
        binary = asanigw_binary()
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} is not built (run make)", pytrace=False)
        nofile = self.nofile
        self.exit_checked = False       # a new process, to be stopped

        def limits():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        with open(self.logpath, "ab") as log:
            self.proc = subprocess.Popen(
                [binary, "-d", "-c", self.conf_path],
                stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.dir, preexec_fn=limits)

        def ready():
            if self.proc.poll() is not None:
                self.exit_checked = True
                pytest.fail(f"asanigw exited with {self.proc.returncode} "
                            f"before it was ready; log:\n{self.log()}",
                            pytrace=False)
            status, body, _ = self.get("/health", timeout=1.0)
            return status == 200 and body.strip() == "ok"
        wait_until(ready, READY_TIMEOUT,
                   f"asanigw to answer GET /health on port {self.port}")
        return self

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; asserts the daemon exits 0 within timeout seconds."""
        if self.proc is None or self.exit_checked:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.wait_exit(timeout)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for an exit already asked for; asserts status 0."""
        self.exit_checked = True
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"asanigw did not exit within {timeout}s "
                                 f"of SIGTERM")
        assert rc == 0, f"asanigw exited with status {rc}, expected 0"

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        try:
            with open(self.logpath, encoding="utf-8",
                      errors="backslashreplace") as f:
                return f.read()
        except OSError:
            return ""

    def log_problems(self):
        """Sanitizer reports and unexpected error lines in the log."""
        problems = []
        for line in self.log().splitlines():
            if any(p in line for p in SANITIZER_PATTERNS):
                problems.append("sanitizer: " + line)
                continue
            m = LOG_LINE.match(line)
            if m and m.group(1) == "error" and not any(
                    p.search(line) for p in self.expect_errors):
                problems.append("unexpected error: " + line)
        return problems

    def expect_error(self, pattern):
        self.expect_errors.append(re.compile(pattern))

    # -- HTTP -------------------------------------------------------------

    def request(self, method, path, body=None, headers=None,
                timeout=HTTP_TIMEOUT):
        """One HTTP request on its own connection -> Reply.  The body is
        decoded as strict UTF-8: a reply that is not UTF-8 fails."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        t0 = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            raw = r.read()
            elapsed = time.monotonic() - t0
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise AssertionError(f"reply to {method} {path} is not "
                                     f"UTF-8: {raw!r}: {e}") from None
            return Reply(r.status, text, elapsed, dict(r.getheaders()))
        finally:
            conn.close()

    def get(self, path, timeout=HTTP_TIMEOUT):
        return self.request("GET", path, timeout=timeout)

    def post_form(self, fields, path=None, timeout=HTTP_TIMEOUT):
        """POSTs fields (a dict or a list of pairs, or a raw str/bytes body)
        form-encoded."""
        if isinstance(fields, (str, bytes)):
            body = fields
        else:
            body = urllib.parse.urlencode(fields)
        if isinstance(body, str):
            body = body.encode()
        return self.request(
            "POST", path or self.ussd_path, body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout)

    def hop(self, session_id, phone, text, service=SERVICE,
            network="41001", path=None):
        """One USSD hop; returns Reply (unpacks as status, body, elapsed)."""
        return self.post_form({"sessionId": session_id,
                               "serviceCode": service,
                               "phoneNumber": phone,
                               "networkCode": network,
                               "text": text}, path=path)

    def walk(self, session_id, phone, inputs, service=SERVICE,
             network="41001", dial=True):
        """Africa's-Talking style: dials (text "") when dial is set, then
        sends every input with text = all inputs so far joined by '*'.
        Returns the list of replies, the dial's first."""
        replies = []
        if dial:
            replies.append(self.hop(session_id, phone, "", service, network))
        for i in range(len(inputs)):
            text = "*".join(inputs[:i + 1])
            replies.append(self.hop(session_id, phone, text, service,
                                    network))
        return replies

    def walk_latest(self, session_id, phone, inputs, service=SERVICE,
                    network="41001", dial=True):
        """Hubtel style: text is only the latest input ("" to dial)."""
        replies = []
        if dial:
            replies.append(self.hop(session_id, phone, "", service, network))
        for x in inputs:
            replies.append(self.hop(session_id, phone, x, service, network))
        return replies

    # -- what the gateway wrote --------------------------------------------

    def outbox_drained(self, timeout=5.0):
        """Waits (at most timeout s) until the outbox holds nothing not
        yet delivered; returns whether it got there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.redis.command("XLEN",
                                      "asanigw:{outbox}:requests") == 0:
                    return True
            except (OSError, RuntimeError, ConnectionError):
                pass
            time.sleep(0.02)
        return False

    def requests(self, drain=True):
        """The file adapter's JSON lines, parsed (each must be JSON), once
        the outbox has delivered what it holds (drain=False: as they are
        now)."""
        if drain and self.redis is not None:
            self.outbox_drained()
        try:
            with open(self.requests_path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for n, line in enumerate(lines, 1):
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise AssertionError(f"{self.requests_path}:{n}: not JSON: "
                                     f"{line!r}: {e}") from None
        return out

    def admin(self, method, path, body=None):
        """An admin endpoint with the token -> (status, parsed JSON)."""
        r = self.request(method, path, body=body, headers={
            "Authorization": f"Bearer {ADMIN_TOKEN}"})
        return r.status, json.loads(r.body) if r.body.strip() else None

    def outbox(self):
        """GET /admin/outbox: waiting, oldest_ms, pending, dead."""
        status, body = self.admin("GET", "/admin/outbox")
        assert status == 200, (status, body)
        return body

    def session_key(self, phone, session_id):
        return f"asanigw:{{{phone.lstrip('+')}}}:ussd:{session_id}"


def _register(request, gw):
    request.node.__dict__.setdefault("_asanigw", []).append(gw)


@pytest.fixture
def redis(tmp_path):
    r = RedisServer(str(tmp_path))
    r.start()
    yield r
    r.kill()


@pytest.fixture
def gateway(request, tmp_path, redis):
    """gateway(expect_errors=(), start=True, **overrides) -> Gateway.

    overrides are merged into the config (dicts deeply, lists replaced,
    None removes a key), e.g. session={"ttl": 2} or
    aggregators=[{"path": "/ussd", "text": "latest"}]."""
    made = []

    def make(expect_errors=(), start=True, **overrides):
        name = "asanigw" if not made else f"asanigw{len(made) + 1}"
        gw = Gateway(str(tmp_path), redis, overrides, expect_errors, name)
        made.append(gw)
        _register(request, gw)
        if start:
            gw.start()
        return gw
    yield make
    for gw in made:
        gw.kill()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """After the test body: stop every gateway it started (must exit 0 on
    SIGTERM) and check its log; problems fail the test itself."""
    outcome = yield
    gws = item.__dict__.get("_asanigw", [])
    problems = []
    for gw in gws:
        if gw.proc is None:
            continue
        try:
            gw.stop()
        except AssertionError as e:
            problems.append(f"{gw.name}: {e}")
        problems.extend(f"{gw.name}: {p}" for p in gw.log_problems())
    for gw in gws:
        if gw.proc is not None:
            item.add_report_section("call", f"{gw.name} log",
                                    gw.log()[-6000:])
    if problems and outcome.excinfo is None:
        pytest.fail("after the test:\n  " + "\n  ".join(problems),
                    pytrace=False)


BACKOFFICE_SECRET = "backoffice-test-secret"


@pytest.fixture
def backoffice(tmp_path):
    """backoffice(cert=None, key=None) -> a running test back office
    (tests/backoffice/backoffice.c) that checks BACKOFFICE_SECRET."""
    from backoffice import BackOffice
    made = []

    def make(**kw):
        bo = BackOffice(tmp_path, BACKOFFICE_SECRET, **kw).start()
        made.append(bo)
        return bo
    yield make
    for bo in made:
        bo.stop()


def run_check(conf_path, timeout=10.0):
    """asanigw -t -c conf_path -> (exit status, stdout + stderr)."""
    p = subprocess.run([asanigw_binary(), "-t", "-c", conf_path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "backslashreplace")


# -- a hop held in flight ---------------------------------------------------

def server_has_read(gw_port, client_port):
    """True once the daemon has read everything the client sent: the
    server side of that connection is established with an empty receive
    queue (Linux /proc/net/tcp)."""
    want_local = "0100007F:%04X" % gw_port
    want_rem = "0100007F:%04X" % client_port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, rem, state = fields[1], fields[2], fields[3]
            if local == want_local and rem == want_rem and state == "01":
                rx_queue = int(fields[4].split(":")[1], 16)
                return rx_queue == 0
    return False


def _send_hop(gw, session_id, phone, text):
    """Sends a hop and returns the connection without reading the reply."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    conn.request("POST", gw.ussd_path, body=urllib.parse.urlencode({
        "sessionId": session_id, "serviceCode": SERVICE,
        "phoneNumber": phone, "networkCode": "41001", "text": text}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    return conn


def hop_in_flight(gw, text=""):
    """Sends a hop of a new session and returns its connection once the
    daemon has read it, without reading the reply (make it stay in flight
    by pausing Redis first)."""
    conn = _send_hop(gw, new_session(), new_phone(), text)
    client_port = conn.sock.getsockname()[1]
    wait_until(lambda: server_has_read(gw.port, client_port), 2.0,
               "the daemon to read the hop")
    return conn


def read_reply(conn):
    """The (status, body) a connection from hop_in_flight() gets."""
    r = conn.getresponse()
    body = r.read().decode("utf-8")
    conn.close()
    return r.status, body
