"""
Real Kannel for the integration tests: Debian's bearerbox and smsbox, a
fake operator SMSC for USSD (the project's fakesmpp) and Kannel's own
fakesmsc for SMS, each on free loopback ports in the test's own temporary
directory.  Stdlib only, like conftest.py, which builds fixtures on these.

The chain under test:

    FakeSMPP --SMPP--> bearerbox link "ussd" --+
                                               +--> smsbox --get-url--> gateway
    FakeSMSC --fake--> bearerbox link "sms" ---+       ^
                                                       |
    gateway --GET /cgi-bin/sendsms (MTs, dlr-url)------+

Pieces

  FakeSMPP(tmpdir, port=0)
      The fake operator USSD SMSC (build/fakesmpp, or $FAKESMPP).  It
      listens for bearerbox's SMPP bind; the test drives it with
      ussd(frm, to, op, sessinfo_hex, text, tlvs) (a deliver_sm to
      Kannel), reads what Kannel sent with next_submit(timeout) (the
      submit_sm as a dict, TLVs included) and makes it send delivery
      receipts with dlr("DELIVRD").  .port, wait_bound(), .events, stop().

  FakeSMSC(tmpdir, port)
      Kannel's fakesmsc, connected to bearerbox's "sms" link and fed
      through a FIFO.  send(frm, to, text) is an MO (GSM text, or UCS-2
      when the text needs it); next_reply(timeout) returns the next MT as
      (sender, receiver, text) with the text decoded to str.  stop().

  Kannel(tmpdir, gw_port, secret, smpp_port)
      Writes kannel.conf derived from conf/kannel-demo.conf (only ports,
      log paths, the gateway's address and the secret change; `overrides`
      may change more), starts bearerbox -v 2, a FakeSMSC, then smsbox
      -v 2, and waits until /status shows both links online and smsbox
      connected.  .admin_port, .sendsms_port, .sendsms_url,
      .sendsms_username, .sendsms_password, .fakesmsc_port, .fakesmsc,
      status(), summary(), sendsms(...), logs(), stop().  With
      smpp_port=None the "ussd" link is left out.

Typical use (conftest.py wraps these in fixtures that always stop them):

    smpp = FakeSMPP(tmpdir).start()
    k = Kannel(tmpdir, gw.port, gw_secret, smpp.port).start()
    smpp.ussd("923001234567", "786", 1, "2a00", "*786#")
    sub = smpp.next_submit(10)          # the gateway's first screen
    k.fakesmsc.send("+923001234567", "8786", "PLEDGE 500 FOOD")
    frm, to, text = k.fakesmsc.next_reply(10)
    ...
    k.stop(); smpp.stop()

Worth knowing

  * A reply keeps the smsc-id of the MO it answers, so a USSD reply
    leaves on "ussd" and an SMS reply on "sms"; allowed-smsc-id on each
    link keeps it that way, and a sendsms without smsc= goes out as SMS.
  * fakesmsc reads lines of at most 255 bytes (send() refuses longer
    ones): about 60 Urdu characters in one UCS-2 MO.
  * Kannel calls dlr-urls from a pool of HTTP clients: a test should not
    depend on the order of two callbacks (type 8, then 1, usually).

Every wait is bounded; a failure raises HarnessError (an AssertionError,
so pytest reports it as a test failure) carrying the tail of the logs.
Processes are stopped on failure inside start() too.
"""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from harness import HarnessError, free_port, wait_until  # noqa: F401

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO_CONF = os.path.join(ROOT, "conf", "kannel-demo.conf")

BEARERBOX = os.environ.get("BEARERBOX") or "/usr/sbin/bearerbox"
SMSBOX = os.environ.get("SMSBOX") or "/usr/sbin/smsbox"
FAKESMSC = os.environ.get("FAKESMSC") or "/usr/lib/kannel/test/fakesmsc"

# Bounded waits, in seconds.
START_TIMEOUT = 20.0        # bearerbox + smsbox + links online
STOP_TIMEOUT = 10.0         # per process, before SIGKILL
HTTP_TIMEOUT = 10.0
LOG_TAIL = 3000             # characters of each log in failure messages


def _tail(path, n=LOG_TAIL):
    try:
        with open(path, encoding="utf-8", errors="backslashreplace") as f:
            return f.read()[-n:]
    except OSError:
        return ""


def _stop_process(proc, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
    """Sends sig, waits up to timeout, then SIGKILL.  Returns None when the
    process ended on sig (or had already ended), else a complaint."""
    if proc is None or proc.poll() is not None:
        return None
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        return None
    try:
        proc.wait(timeout)
        return None
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return (f"{os.path.basename(str(proc.args[0]))} did not exit within "
                f"{timeout:.0f}s of signal {int(sig)}; killed")


class _Inbox:
    """Thread-safe record of everything seen, plus take(pred, timeout) that
    hands out each matching item once, in arrival order."""

    def __init__(self):
        self.all = []
        self._pending = []
        self._cond = threading.Condition()

    def put(self, item):
        with self._cond:
            self.all.append(item)
            self._pending.append(item)
            self._cond.notify_all()

    def take(self, pred, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, item in enumerate(self._pending):
                    if pred(item):
                        del self._pending[i]
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def wait_for(self, pred, timeout):
        """Like take() but leaves the item where it is (also already
        taken ones count)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for item in self.all:
                    if pred(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)


# ---------------------------------------------------------------------------
# Kannel's configuration file: groups of "key = value" lines, a group ends
# at an empty line, '#' starts a comment line.


class ConfGroup:
    """One group of a Kannel configuration file."""

    def __init__(self, name):
        self.name = name
        self.items = []             # [key, raw value] in file order

    def get(self, key):
        """The value with surrounding quotes removed, or None."""
        for k, v in self.items:
            if k == key:
                if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                    return v[1:-1]
                return v
        return None

    def set(self, key, value):
        """Sets key (replacing it, or appending it).  An int is written
        bare, a str quoted; None deletes the key."""
        if value is None:
            self.items = [kv for kv in self.items if kv[0] != key]
            return
        if isinstance(value, bool):
            raw = "true" if value else "false"
        elif isinstance(value, int):
            raw = str(value)
        else:
            value = str(value)
            if any(c in value for c in '"\\\n\r'):
                raise ValueError(f"cannot write {value!r} into a Kannel "
                                 f"configuration")
            raw = f'"{value}"'
        for kv in self.items:
            if kv[0] == key:
                kv[1] = raw
                return
        self.items.append([key, raw])

    @property
    def selector(self):
        """"core", "smsc:ussd", "smpp-tlv:its_session_info",
        "sms-service:asanigw", "sendsms-user:asanigw", ..."""
        key = {"smsc": "smsc-id", "smpp-tlv": "name", "sms-service": "name",
               "sendsms-user": "username"}.get(self.name)
        v = self.get(key) if key else None
        return self.name if v is None else f"{self.name}:{v}"

    def text(self):
        lines = [f"group = {self.name}"]
        lines += [f"{k} = {v}" for k, v in self.items]
        return "\n".join(lines) + "\n"


def read_conf(path):
    """Parses a Kannel configuration file into a list of ConfGroup."""
    groups = []
    cur = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s:
                cur = None
                continue
            if s.startswith("#"):
                continue
            key, sep, value = s.partition("=")
            if not sep:
                raise ValueError(f"{path}:{n}: not 'key = value': {s!r}")
            key, value = key.strip(), value.strip()
            if key == "group":
                cur = ConfGroup(value)
                groups.append(cur)
            elif cur is None:
                raise ValueError(f"{path}:{n}: {key} outside a group")
            else:
                cur.items.append([key, value])
    return groups


def write_conf(groups, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(g.text() for g in groups))


def find_group(groups, selector):
    """The group a selector names ("smsc:sms", ...), or the first group of
    that name for a bare name ("core", "smsbox"); None if there is none."""
    for g in groups:
        if g.selector == selector or g.name == selector:
            return g
    return None


def demo_smpp_credentials(path=DEMO_CONF):
    """(system_id, password) the demo configuration binds "ussd" with."""
    g = find_group(read_conf(path), "smsc:ussd")
    return g.get("smsc-username"), g.get("smsc-password")


# ---------------------------------------------------------------------------
# GSM 03.38 default alphabet (basic set and extension table): text made only
# of these goes as GSM text, anything else as UCS-2.

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = "^{}\\[~]|€\f"


def is_gsm(text):
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


# ---------------------------------------------------------------------------
# Kannel's fakesmsc


class SMS:
    """One message fakesmsc received from bearerbox (an MT).  Unpacks as
    (sender, receiver, text); .type is "text", "ucs-2", "data" or "udh",
    .udh the raw UDH bytes (concatenated parts) or b"", .raw the line."""

    def __init__(self, sender, receiver, text, type_, udh, raw):
        self.sender = sender
        self.receiver = receiver
        self.text = text
        self.type = type_
        self.udh = udh
        self.raw = raw

    def __iter__(self):
        return iter((self.sender, self.receiver, self.text))

    def __repr__(self):
        return (f"SMS({self.sender!r} -> {self.receiver!r}, {self.type}, "
                f"{self.text!r})")


# fakesmsc reads its standard input with fgets() into 256 bytes: a longer
# line would arrive at Kannel as two messages.
FAKESMSC_MAX_LINE = 255

GOT_MESSAGE = re.compile(r"Got message \d+: <(.*)>$")
# bearerbox's fake SMSC protocol is one line per message and sends GSM
# text raw: a text with line breaks reaches fakesmsc as several "messages",
# the first with the header, the rest bare.
MT_HEADER = re.compile(r"^\S+ \S+ (text|ucs-2|data|udh) ")


def _unplus(s):
    """Kannel's URL encoding (octstr_url_encode) writes a space as '+'
    and a '+' as %2B."""
    return urllib.parse.unquote_to_bytes(s.replace("+", " "))


def parse_fakesmsc_line(line):
    """An MT line as fakesmsc prints it -> SMS.  bearerbox writes
    "sender receiver text TEXT", "... ucs-2 URLENCODED-UTF16BE",
    "... data URLENCODED" or "... udh URLENCODED-UDH data URLENCODED"."""
    sender, receiver, type_, rest = (line.split(" ", 3) + ["", "", ""])[:4]
    udh = b""
    if type_ == "text":
        text = rest
    elif type_ == "ucs-2":
        text = _unplus(rest).decode("utf-16-be", errors="replace")
    elif type_ == "udh":
        udh_enc, _, data = rest.partition(" data ")
        udh = _unplus(udh_enc)
        raw = _unplus(data)
        # A concatenated part says nothing of its coding: GSM text is
        # Kannel's UTF-8, UCS-2 is UTF-16BE, which has NULs (ASCII) or
        # other control bytes (0x06 for Arabic script) in every other byte.
        if any(b < 0x20 and b not in (9, 10, 13) for b in raw):
            text = raw.decode("utf-16-be", errors="replace")
        else:
            text = raw.decode("utf-8", errors="replace")
    elif type_ == "data":
        text = _unplus(rest).decode("latin-1")
    else:
        text = rest
    return SMS(sender, receiver, text, type_, udh, line)


class FakeSMSC:
    """Kannel's fakesmsc connected to bearerbox's `smsc = fake` port, fed
    through a FIFO (it crashes at the end of its standard input, so the
    FIFO stays open) and stopped with SIGINT.

    fakesmsc only looks at bearerbox's socket between two reads of its
    standard input (or after a 1 s select timeout), so a thread writes an
    empty line every POKE seconds: fakesmsc skips empty lines, and replies
    are seen within about POKE seconds instead of up to a second."""

    POKE = 0.05

    def __init__(self, tmpdir, port, host="127.0.0.1", name="fakesmsc"):
        self.dir = str(tmpdir)
        self.port = port
        self.host = host
        self.name = name
        self.fifo = os.path.join(self.dir, f"{name}.fifo")
        self.logpath = os.path.join(self.dir, f"{name}.log")
        self.proc = None
        self.replies = _Inbox()
        self._last_mt = None
        self._last_line = 0.0
        self._fd = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = []

    def start(self):
        if os.path.exists(self.fifo):
            os.unlink(self.fifo)
        os.mkfifo(self.fifo)
        # O_RDWR: the open does not wait for a reader, and fakesmsc never
        # sees the end of its input while we hold the FIFO.
        self._fd = os.open(self.fifo, os.O_RDWR)
        try:
            self.proc = subprocess.Popen(
                [FAKESMSC, "-H", self.host, "-r", str(self.port), "-i", "0"],
                stdin=self._fd, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=self.dir)
        except OSError:
            self._close_fd()
            raise
        self._stopping.clear()
        for target in (self._read, self._poke):
            t = threading.Thread(target=target, daemon=True,
                                 name=f"{self.name}-{target.__name__}")
            t.start()
            self._threads.append(t)
        return self

    def _read(self):
        with open(self.logpath, "ab") as log:
            for raw in iter(self.proc.stdout.readline, b""):
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                self._last_line = time.monotonic()
                m = GOT_MESSAGE.search(line)
                if not m:
                    continue
                if MT_HEADER.match(m.group(1)) or self._last_mt is None:
                    self._last_mt = parse_fakesmsc_line(m.group(1))
                    self.replies.put(self._last_mt)
                else:
                    self._last_mt.text += "\n" + m.group(1)

    def _poke(self):
        while not self._stopping.wait(self.POKE):
            try:
                self._write(b"\n")
            except OSError:
                return

    def _write(self, data):
        with self._lock:
            if self._fd is None:
                raise OSError("fakesmsc is stopped")
            os.write(self._fd, data)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_line(self, line):
        """Writes one raw fakesmsc message line ("sender receiver type
        data")."""
        data = line.encode("utf-8") + b"\n"
        if b"\n" in data[:-1] or b"\r" in data:
            raise ValueError("a fakesmsc message is one line")
        if len(data) > FAKESMSC_MAX_LINE:
            raise ValueError(f"fakesmsc line of {len(data)} bytes: at most "
                             f"{FAKESMSC_MAX_LINE} fit its input buffer")
        if not self.alive():
            raise HarnessError(f"fakesmsc is not running:\n"
                               f"{_tail(self.logpath)}")
        self._write(data)

    def send(self, frm, to, text, coding=None):
        """An MO from frm to to.  GSM text goes as type "text" (Kannel:
        coding 0); anything else as "ucs2", URL-encoded UTF-16BE (coding
        2).  coding="text"/"ucs2" forces one.  Neither frm nor to may hold
        a space; "text" must be one line."""
        if " " in frm or " " in to or not frm or not to:
            raise ValueError("sender and receiver are single words")
        kind = coding or ("text" if is_gsm(text) else "ucs2")
        if kind == "text":
            body = text
        elif kind == "ucs2":
            body = urllib.parse.quote_from_bytes(
                text.encode("utf-16-be"), safe="")
        else:
            raise ValueError(f"unknown coding {coding!r}")
        self.send_line(f"{frm} {to} {kind} {body}")

    def next_reply(self, timeout=HTTP_TIMEOUT):
        """The next MT fakesmsc received (an SMS: unpacks as sender,
        receiver, text); raises HarnessError after timeout seconds."""
        sms = self.replies.take(lambda _: True, timeout)
        if sms is None:
            raise HarnessError(
                f"fakesmsc received no message within {timeout:.1f}s; "
                f"its log:\n{_tail(self.logpath)}")
        # The rest of a text with line breaks follows at once (see
        # MT_HEADER): wait until fakesmsc has been quiet a moment.
        quiet_by = time.monotonic() + 1.0
        while time.monotonic() - self._last_line < 0.2 and \
                time.monotonic() < quiet_by:
            time.sleep(0.05)
        return sms

    def _close_fd(self):
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def stop(self):
        """SIGINT (its way to stop), bounded wait, SIGKILL as last resort.
        fakesmsc may crash while freeing at exit: its status is not
        checked.  Returns a complaint or None."""
        self._stopping.set()
        problem = _stop_process(self.proc, signal.SIGINT)
        self._close_fd()
        for t in self._threads:
            t.join(2.0)
        self._threads = []
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if os.path.exists(self.fifo):
            os.unlink(self.fifo)
        return problem


# ---------------------------------------------------------------------------
# The project's fake USSD SMSC


def fakesmpp_binary():
    path = os.environ.get("FAKESMPP") or os.path.join(ROOT, "build",
                                                       "fakesmpp")
    if not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    return path


class FakeSMPP:
    """build/fakesmpp (or $FAKESMPP): an SMPP 3.4 server standing for the
    operator's USSD SMSC; bearerbox binds to it as a transceiver.

    Its standard output is one JSON object per line, kept in .events:
    {"event": "ready", "port": N}, "bind" (with "status"), "submit_sm"
    (with "message_id", the addresses, "service_type", "esm_class",
    "registered_delivery", "data_coding", "short_message" (hex), "text"
    (decoded, or None), "tlvs" ({"0501": "02", ...}, lower-case hex)),
    "deliver_sm", "deliver_sm_resp", "generic_nack", "unbind", "closed",
    "error".  Its standard input takes the commands ussd, deliver, tlv,
    dlr (see tests/kannel/fakesmpp.c); the methods below write them.
    Message ids are a decimal counter sent as C strings, the same string
    in submit_sm_resp and in the receipt.
    """

    def __init__(self, tmpdir, port=0, system_id=None, password=None,
                 name="fakesmpp"):
        sid, pw = demo_smpp_credentials()
        self.dir = str(tmpdir)
        self.system_id = system_id or sid
        self.password = password or pw
        self.requested_port = port
        self.port = None
        self.name = name
        self.logpath = os.path.join(self.dir, f"{name}.log")
        self.proc = None
        self.inbox = _Inbox()
        self._reader = None
        self._stderr = None
        self._lock = threading.Lock()

    @property
    def events(self):
        """Every event seen so far (dicts), in order."""
        return list(self.inbox.all)

    def start(self, timeout=START_TIMEOUT):
        binary = fakesmpp_binary()
        if not os.access(binary, os.X_OK):
            raise HarnessError(f"{binary} is not built "
                               f"(make build/fakesmpp)")
        self._stderr = open(self.logpath, "ab")
        try:
            self.proc = subprocess.Popen(
                [binary, "-p", str(self.requested_port),
                 "-s", self.system_id, "-w", self.password],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self._stderr, cwd=self.dir)
        except OSError:
            self._stderr.close()
            raise
        self._reader = threading.Thread(target=self._read, daemon=True,
                                        name=f"{self.name}-read")
        self._reader.start()
        try:
            ev = wait_until(
                lambda: self._alive_or_fail() and self.inbox.wait_for(
                    lambda e: _kind(e) == "ready", 0.05),
                timeout, f"{self.name} to listen", detail=self.logs)
            self.port = int(ev["port"])
        except BaseException:
            self.stop()
            raise
        return self

    def _alive_or_fail(self):
        if self.proc.poll() is not None:
            raise HarnessError(f"{self.name} exited with "
                               f"{self.proc.returncode}:\n{self.logs()}")
        return True

    def _read(self):
        with open(os.path.join(self.dir, f"{self.name}.events"),
                  "ab") as rec:
            for raw in iter(self.proc.stdout.readline, b""):
                rec.write(raw)
                rec.flush()
                try:
                    ev = json.loads(raw)
                except ValueError:
                    ev = {"event": "unparsed", "line": raw.decode(
                        "utf-8", "replace").rstrip("\n")}
                if isinstance(ev, dict):
                    self.inbox.put(ev)

    def command(self, line):
        """Writes one raw command line to fakesmpp."""
        if "\n" in line:
            raise ValueError("one command per line")
        self._alive_or_fail()
        with self._lock:
            self.proc.stdin.write(line.encode("utf-8") + b"\n")
            self.proc.stdin.flush()

    def wait_bound(self, timeout=START_TIMEOUT):
        """Waits for a successful bind (bearerbox's); returns its event."""
        ev = wait_until(
            lambda: self._alive_or_fail() and self.inbox.wait_for(
                _is_bind, 0.05),
            timeout, f"a bind at {self.name}", detail=self.logs)
        return ev

    def _tlvs(self, tlvs):
        items = tlvs.items() if isinstance(tlvs, dict) else (tlvs or ())
        for tag, value in items:
            if isinstance(tag, int):
                tag = f"{tag:04x}"
            if isinstance(value, (bytes, bytearray)):
                value = value.hex()
            self.command(f"tlv {tag} {value}")

    def ussd(self, frm, to, op, sessinfo=None, text="", tlvs=None):
        """Sends a USSD deliver_sm to Kannel: service_type USSD, source
        frm (TON 1: Kannel shows it with a '+'), destination to,
        ussd_service_op op (decimal), its_session_info sessinfo (4 hex
        digits, e.g. "2a00"; None for none), short_message text (GSM, or
        UCS-2 when it needs it).  tlvs: {tag: value} of extra TLVs, tag an
        int or hex, value hex or bytes (e.g. {0x1404: b"S1\\0"})."""
        self._tlvs(tlvs)
        sess = sessinfo if sessinfo else "-"
        self.command(f"ussd {frm} {to} {int(op)} {sess} {text}")

    def deliver(self, frm, to, dcs, data, tlvs=None):
        """A plain SMS deliver_sm: data_coding dcs, short_message data
        (bytes, or hex)."""
        self._tlvs(tlvs)
        if isinstance(data, (bytes, bytearray)):
            data = data.hex()
        self.command(f"deliver {frm} {to} {int(dcs)} {data}")

    def next_submit(self, timeout=HTTP_TIMEOUT):
        """The next submit_sm fakesmpp received, as its event dict."""
        ev = self.inbox.take(_is_submit, timeout)
        if ev is None:
            raise HarnessError(f"{self.name} received no submit_sm within "
                               f"{timeout:.1f}s\n{self.logs()}")
        return ev

    def next_event(self, kind, timeout=HTTP_TIMEOUT):
        """The next event whose "event" is kind ("deliver_sm_resp",
        "unbind", "error", ...), taken once."""
        ev = self.inbox.take(lambda e: _kind(e) == kind, timeout)
        if ev is None:
            raise HarnessError(f"{self.name}: no {kind} event within "
                               f"{timeout:.1f}s\n{self.logs()}")
        return ev

    def dlr(self, stat="DELIVRD"):
        """From now on fakesmpp answers every submit_sm that asks for a
        receipt with one, stat DELIVRD, UNDELIV, EXPIRED, REJECTD, ...;
        "off" stops that.  Send it before the message."""
        self.command(f"dlr {stat}")

    def logs(self):
        evs = "\n".join(json.dumps(e) for e in self.inbox.all[-20:])
        return (f"--- {self.name} events (last 20) ---\n{evs}\n"
                f"--- {self.name} stderr ---\n{_tail(self.logpath)}")

    def stop(self):
        """Closes its standard input, SIGTERM, bounded wait, SIGKILL as
        last resort.  Returns a complaint or None."""
        problem = None
        if self.proc is not None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
            except OSError:
                pass
            problem = _stop_process(self.proc, signal.SIGTERM)
            if self._reader is not None:
                self._reader.join(2.0)
            if self.proc.stdout:
                self.proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return problem


def _kind(ev):
    return ev.get("event")


def _is_bind(ev):
    return _kind(ev) == "bind" and ev.get("status") == 0


def _is_submit(ev):
    return _kind(ev) == "submit_sm"


# ---------------------------------------------------------------------------
# bearerbox + smsbox


class Kannel:
    """bearerbox and smsbox with a configuration derived from
    conf/kannel-demo.conf, plus a FakeSMSC on the "sms" link.

    tmpdir      where kannel.conf and every log go
    gw_port     the gateway's HTTP port (sms-service get-url); may be None
                and set (with .secret) before start(), when the gateway's
                configuration needs .sendsms_url / .sendsms_password first
    secret      the gateway's Kannel secret (get-url's k=)
    smpp_port   FakeSMPP's port for the "ussd" link; None leaves it out
    overrides   {selector: {key: value or None}} applied last, selectors
                as in the file: "core", "smsbox", "smsc:ussd", "smsc:sms",
                "sms-service:asanigw", "sendsms-user:asanigw",
                "smpp-tlv:its_session_info"; e.g.
                {"smsbox": {"http-timeout": 3}}
    fakesmsc    start a FakeSMSC on the "sms" link (.fakesmsc)
    log_level   Kannel log-level of the log files (0 debug, the default:
                PDU dumps for failures; 1 info for load tests)
    sendsms_port, admin_port   fixed ports instead of free ones
    """

    def __init__(self, tmpdir, gw_port, secret, smpp_port=None,
                 overrides=None, fakesmsc=True, log_level=0,
                 conf=DEMO_CONF, sendsms_port=None, admin_port=None):
        self.dir = str(tmpdir)
        self.gw_port = gw_port
        self.secret = secret
        self.smpp_port = smpp_port
        self.overrides = overrides or {}
        self.log_level = log_level
        self.base_conf = conf
        self.admin_port = admin_port or free_port()
        self.smsbox_port = free_port()
        self.sendsms_port = sendsms_port or free_port()
        self.fakesmsc_port = free_port()
        self.conf_path = os.path.join(self.dir, "kannel.conf")
        self.path = {
            "bearerbox": os.path.join(self.dir, "bearerbox.log"),
            "bearerbox-console": os.path.join(self.dir,
                                              "bearerbox.console.log"),
            "bearerbox-access": os.path.join(self.dir,
                                             "bearerbox-access.log"),
            "smsbox": os.path.join(self.dir, "smsbox.log"),
            "smsbox-console": os.path.join(self.dir, "smsbox.console.log"),
            "smsbox-access": os.path.join(self.dir, "smsbox-access.log"),
        }
        self.with_fakesmsc = fakesmsc
        self.bearerbox = None
        self.smsbox = None
        self.fakesmsc = None
        self.problems = []
        self.write_config()
        core = find_group(self.groups, "core")
        self.admin_password = core.get("admin-password")
        user = find_group(self.groups, "sendsms-user")
        self.sendsms_username = user.get("username")
        self.sendsms_password = user.get("password")
        self.smsc_ids = [g.get("smsc-id") for g in self.groups
                         if g.name == "smsc"]

    @property
    def sendsms_url(self):
        """The URL the gateway's sendsms calls go to."""
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def write_config(self):
        """(Re)writes kannel.conf from the base file and the current
        gw_port, secret, smpp_port and overrides; start() calls it, so
        these may change between construction and start() (e.g. when the
        gateway's port is only known after its configuration, which needs
        .sendsms_port)."""
        if self.gw_port is None:
            self.groups = self._derive(self.base_conf, self.overrides,
                                       self.log_level, gw_port=1)
            return
        self.groups = self._derive(self.base_conf, self.overrides,
                                   self.log_level)
        write_conf(self.groups, self.conf_path)

    # -- configuration ------------------------------------------------------

    def _derive(self, conf, overrides, log_level, gw_port=None):
        groups = read_conf(conf)
        gw_port = gw_port or self.gw_port

        def need(selector):
            g = find_group(groups, selector)
            if g is None:
                raise HarnessError(f"{conf} has no group {selector}")
            return g

        core = need("core")
        core.set("admin-port", self.admin_port)
        core.set("smsbox-port", self.smsbox_port)
        core.set("log-file", self.path["bearerbox"])
        core.set("log-level", log_level)
        core.set("access-log", self.path["bearerbox-access"])

        ussd = need("smsc:ussd")
        if self.smpp_port is None:
            groups.remove(ussd)
        else:
            ussd.set("host", "127.0.0.1")
            ussd.set("port", int(self.smpp_port))

        need("smsc:sms").set("port", self.fakesmsc_port)

        box = need("smsbox")
        box.set("bearerbox-host", "127.0.0.1")
        box.set("bearerbox-port", self.smsbox_port)
        box.set("sendsms-port", self.sendsms_port)
        box.set("log-file", self.path["smsbox"])
        box.set("log-level", log_level)
        box.set("access-log", self.path["smsbox-access"])

        service = next((g for g in groups if g.name == "sms-service"), None)
        if service is None or service.get("get-url") is None:
            raise HarnessError(f"{conf} has no sms-service with a get-url")
        url = service.get("get-url")
        url, n = re.subn(r"^http://[^/]+/", f"http://127.0.0.1:"
                         f"{int(gw_port)}/", url)
        if n != 1:
            raise HarnessError(f"cannot find the gateway in get-url {url}")
        url, n = re.subn(r"([?&]k=)[^&]*",
                         lambda m: m.group(1) + urllib.parse.quote(
                             self.secret or "", safe=""), url)
        if n != 1:
            raise HarnessError(f"get-url has no k= parameter: {url}")
        service.set("get-url", url)

        for selector, changes in overrides.items():
            g = need(selector)
            for k, v in changes.items():
                g.set(k, v)
        return groups

    @property
    def get_url(self):
        return next(g for g in self.groups
                    if g.name == "sms-service").get("get-url")

    # -- processes ----------------------------------------------------------

    def _spawn(self, binary, console):
        with open(console, "ab") as out:
            return subprocess.Popen(
                [binary, "-v", "2", self.conf_path],
                stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.dir)

    def _check_alive(self):
        for name, p in (("bearerbox", self.bearerbox),
                        ("smsbox", self.smsbox)):
            if p is not None and p.poll() is not None:
                raise HarnessError(f"{name} exited with {p.returncode}\n"
                                   f"{self.logs()}")
        if self.fakesmsc is not None and not self.fakesmsc.alive():
            raise HarnessError(f"fakesmsc exited\n{self.logs()}")
        return True

    def start(self, timeout=START_TIMEOUT):
        """Starts bearerbox, the FakeSMSC and smsbox; returns self once
        /status shows every link online and smsbox connected.  On failure
        everything is stopped and HarnessError says why."""
        if self.gw_port is None:
            raise HarnessError("Kannel.start(): gw_port is not set")
        self.write_config()
        deadline = time.monotonic() + timeout

        def left():
            return max(0.1, deadline - time.monotonic())
        try:
            self.bearerbox = self._spawn(BEARERBOX,
                                         self.path["bearerbox-console"])
            # bearerbox opens the fake SMSC's port when it creates the
            # link, before it appears in /status.
            wait_until(lambda: self._check_alive() and
                       "sms" in self.status()["smscs"], left(),
                       "bearerbox's admin /status", detail=self.logs)
            if self.with_fakesmsc:
                self.fakesmsc = FakeSMSC(self.dir, self.fakesmsc_port)
                self.fakesmsc.start()
            self.smsbox = self._spawn(SMSBOX, self.path["smsbox-console"])
            want = [i for i in self.smsc_ids
                    if i != "sms" or self.with_fakesmsc]
            wait_until(lambda: self._check_alive() and self.ready(want),
                       left(), f"links {', '.join(want)} online and "
                       f"smsbox connected", detail=self._diagnosis)
            wait_until(self._sendsms_listening, left(),
                       "smsbox's sendsms port", detail=self.logs)
        except BaseException:
            self.stop()
            raise
        return self

    def ready(self, smsc_ids=None):
        """True when every named link (default all) is online and an
        smsbox is connected."""
        st = self.status()
        ids = self.smsc_ids if smsc_ids is None else smsc_ids
        return (any(b["type"] == "smsbox" and b["status"].startswith(
                    "on-line") for b in st["boxes"]) and
                all(st["smscs"].get(i, {}).get("status", "").startswith(
                    "online") for i in ids))

    def _sendsms_listening(self):
        with socket.create_connection(("127.0.0.1", self.sendsms_port),
                                      timeout=0.5):
            return True

    def stop(self):
        """smsbox, fakesmsc, then bearerbox: each its stop signal, a
        bounded wait, SIGKILL as last resort.  Safe to call twice.  Returns
        the list of complaints (also kept in .problems)."""
        steps = [lambda: _stop_process(self.smsbox, signal.SIGTERM)]
        if self.fakesmsc is not None:
            steps.append(self.fakesmsc.stop)
        steps.append(lambda: _stop_process(self.bearerbox, signal.SIGTERM))
        for step in steps:
            p = step()
            if p:
                self.problems.append(p)
        return list(self.problems)

    def summary(self):
        """One line per link and box from /status, or why there is none."""
        try:
            st = self.status()
        except Exception as e:  # noqa: BLE001 - this is a diagnostic
            return f"(no /status: {e!r})"
        lines = [f"link {i}: {v['status'] or '?'}"
                 for i, v in st["smscs"].items()]
        lines += [f"box {b['type']}: {b['status']}" for b in st["boxes"]]
        if not st["boxes"]:
            lines.append("no box connected")
        return "\n".join(lines)

    def logs(self, tail=LOG_TAIL):
        """What to show when something failed: the problem lines
        (WARNING, ERROR, PANIC) of each Kannel log and the tail of each
        log."""
        out = []
        names = ["bearerbox", "bearerbox-console", "smsbox",
                 "smsbox-console"]
        paths = [self.path[n] for n in names]
        if self.fakesmsc is not None:
            paths.append(self.fakesmsc.logpath)
        for path in paths:
            text = _tail(path, 1 << 20)
            if not text:
                continue
            name = os.path.basename(path)
            bad = [ln for ln in text.splitlines()
                   if re.search(r"\] (WARNING|ERROR|PANIC):", ln)]
            if bad:
                out.append(f"--- {name}: warnings and errors (last 20) "
                           f"---\n" + "\n".join(bad[-20:]))
            out.append(f"--- {name} (tail) ---\n{text[-tail:]}")
        return "\n".join(out) or "(no Kannel log written)"

    def _diagnosis(self):
        return f"{self.summary()}\n{self.logs()}"

    # -- HTTP ---------------------------------------------------------------

    def admin(self, command, timeout=HTTP_TIMEOUT, **params):
        """GET an admin command (status.xml, store-status, ...) -> text."""
        params.setdefault("password", self.admin_password)
        url = (f"http://127.0.0.1:{self.admin_port}/{command}?"
               + urllib.parse.urlencode(params))
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode("utf-8", "replace")

    def status(self, timeout=2.0):
        """bearerbox's /status.xml as a dict: "status" (text), "boxes" (a
        list of {"type", "id", "status", "queue"}), "smscs" ({smsc-id:
        {"status", "name", "failed", "queued", "received", "sent",
        "dlr_received", "dlr_sent"}}), "sms" and "dlr" totals."""
        root = ET.fromstring(self.admin("status.xml", timeout=timeout))

        def text(el, path, default=""):
            x = el.find(path)
            return x.text.strip() if x is not None and x.text else default

        def num(el, path):
            try:
                return int(text(el, path, "0"))
            except ValueError:
                return 0
        out = {
            "status": text(root, "status"),
            "boxes": [{"type": text(b, "type"), "id": text(b, "id"),
                       "status": text(b, "status"),
                       "queue": num(b, "queue")}
                      for b in root.findall("boxes/box")],
            "smscs": {},
            "sms": {"received": num(root, "sms/received/total"),
                    "sent": num(root, "sms/sent/total")},
            "dlr": {"received": num(root, "dlr/received/total"),
                    "sent": num(root, "dlr/sent/total"),
                    "queued": num(root, "dlr/queued")},
        }
        for s in root.findall("smscs/smsc"):
            out["smscs"][text(s, "id")] = {
                "name": text(s, "name"), "status": text(s, "status"),
                "failed": num(s, "failed"), "queued": num(s, "queued"),
                "received": num(s, "sms/received"),
                "sent": num(s, "sms/sent"),
                "dlr_received": num(s, "dlr/received"),
                "dlr_sent": num(s, "dlr/sent")}
        return out

    def sendsms(self, to, text, frm="8786", smsc=None, coding=None,
                charset="UTF-8", dlr_mask=None, dlr_url=None,
                meta_data=None, timeout=HTTP_TIMEOUT, **extra):
        """Calls smsbox's sendsms directly (as the gateway does) ->
        (HTTP status, body).  Non-GSM text goes with coding=2 unless coding
        is given; extra keyword arguments are more CGI variables, with _
        for - (e.g. validity=5, mclass=0)."""
        if coding is None and not is_gsm(text):
            coding = 2
        params = [("username", self.sendsms_username),
                  ("password", self.sendsms_password),
                  ("from", frm), ("to", to), ("text", text)]
        for k, v in (("smsc", smsc), ("coding", coding),
                     ("charset", charset), ("dlr-mask", dlr_mask),
                     ("dlr-url", dlr_url), ("meta-data", meta_data)):
            if v is not None:
                params.append((k, v))
        params += [(k.replace("_", "-"), v) for k, v in extra.items()]
        url = (f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms?"
               + urllib.parse.urlencode(params, encoding="utf-8"))
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")
