"""What a service manager sees: the version, and systemd's notification
protocol (READY=1 once serving, RELOADING=1 then READY=1 around SIGHUP,
STOPPING=1 on SIGTERM), on a real socket."""

import os
import signal
import socket
import subprocess

from conftest import asanigw_binary
from harness import wait_until


def test_version():
    out = subprocess.run([asanigw_binary(), "-V"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0, out
    with open(os.path.join(os.path.dirname(__file__), "..", "..",
                           "Makefile")) as f:
        version = next(line.split("=", 1)[1].strip() for line in f
                       if line.startswith("VERSION\t") or
                       line.startswith("VERSION "))
    assert out.stdout.startswith(f"asanigw {version}"), out.stdout


def test_notify_ready_reload_stopping(gateway, tmp_path, monkeypatch):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    try:
        gw = gateway(start=False)
        gw.start()
        assert sock.recv(4096).decode().startswith("READY=1"), \
            "no READY=1 once serving"
        gw.signal(signal.SIGHUP)
        msg = sock.recv(4096).decode()
        assert msg.startswith("RELOADING=1\nMONOTONIC_USEC="), msg
        assert sock.recv(4096).decode().startswith("READY=1")
        wait_until(lambda: "event=reload " in gw.log(), 5, "the reload")
        gw.stop()
        assert sock.recv(4096).decode() == "STOPPING=1"
    finally:
        sock.close()


def test_no_notify_socket_no_trouble(gateway, monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    gw = gateway()
    gw.signal(signal.SIGHUP)
    wait_until(lambda: "event=reload " in gw.log(), 5, "the reload")
