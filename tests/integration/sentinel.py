"""
Redis high availability for the tests: a master, its replicas and three
redis-sentinel processes (Debian's), each on a free loopback port in the
test's directory, started and waited for (sentinels that know the master,
its replicas and each other), stopped by PID.  down-after-milliseconds is
small, so a failover takes about a second.  Also a real haproxy in front
of gateways.  Stdlib only.
"""

import os
import signal
import socket
import subprocess
import time

from conftest import resp_encode, resp_read
from harness import HarnessError, free_port, wait_until

MASTER_NAME = "mymaster"
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 3000
READY_TIMEOUT = 20.0


def resp(port, *args, timeout=1.0):
    """One command on a fresh connection -> the reply (bulk strings as
    bytes); a Redis error raises RuntimeError."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(resp_encode(*args))
        with s.makefile("rb") as f:
            return resp_read(f)


class Proc:
    """A server process on a port, with its log in dir."""

    def __init__(self, tmpdir, name, port=None):
        self.dir = str(tmpdir)
        self.name = name
        self.port = port or free_port()
        self.proc = None
        self.logpath = os.path.join(self.dir, f"{name}.log")

    def spawn(self, args):
        with open(self.logpath, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL,
                                         cwd=self.dir)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL (after SIGCONT, should it be stopped), and reap."""
        if self.alive():
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()


class Redis(Proc):
    def __init__(self, tmpdir, name, port=None):
        super().__init__(tmpdir, name, port)

    def start(self, master_port=None):
        args = ["redis-server", "--port", str(self.port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.dir, "--dbfilename", f"{self.name}.rdb"]
        if master_port:
            args += ["--replicaof", "127.0.0.1", str(master_port)]
        self.spawn(args)
        wait_until(lambda: self.command("PING") == "PONG", READY_TIMEOUT,
                   f"{self.name} on port {self.port}", self.log)
        return self

    def command(self, *args, timeout=1.0):
        return resp(self.port, *args, timeout=timeout)

    def role(self):
        return self.command("ROLE")[0].decode()

    def linked(self):
        info = self.command("INFO", "replication")
        return b"master_link_status:up" in info


class Sentinel(Proc):
    def start(self, master_port, quorum=2):
        conf = os.path.join(self.dir, f"{self.name}.conf")
        with open(conf, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\n"
                    f"dir {self.dir}\n"
                    f"sentinel monitor {MASTER_NAME} 127.0.0.1 "
                    f"{master_port} {quorum}\n"
                    f"sentinel down-after-milliseconds {MASTER_NAME} "
                    f"{DOWN_AFTER_MS}\n"
                    f"sentinel failover-timeout {MASTER_NAME} "
                    f"{FAILOVER_TIMEOUT_MS}\n"
                    f"sentinel parallel-syncs {MASTER_NAME} 1\n")
        self.spawn(["redis-sentinel", conf])
        wait_until(lambda: resp(self.port, "PING") == "PONG", READY_TIMEOUT,
                   f"{self.name} on port {self.port}", self.log)
        return self

    def master(self):
        h, p = resp(self.port, "SENTINEL", "get-master-addr-by-name",
                    MASTER_NAME)
        return int(p)

    def knows(self, nreplicas, nsentinels):
        r = resp(self.port, "SENTINEL", "replicas", MASTER_NAME)
        s = resp(self.port, "SENTINEL", "sentinels", MASTER_NAME)
        return len(r) >= nreplicas and len(s) >= nsentinels


class Topology:
    """A master, nreplicas replicas and three sentinels watching them."""

    def __init__(self, tmpdir, nreplicas=1, nsentinels=3):
        self.dir = str(tmpdir)
        self.master = Redis(tmpdir, "redis-master")
        self.replicas = [Redis(tmpdir, f"redis-replica{i + 1}")
                         for i in range(nreplicas)]
        self.sentinels = [Sentinel(tmpdir, f"sentinel{i + 1}")
                          for i in range(nsentinels)]

    def start(self):
        self.master.start()
        for r in self.replicas:
            r.start(master_port=self.master.port)
        for r in self.replicas:
            wait_until(r.linked, READY_TIMEOUT, f"{r.name} in sync")
        for s in self.sentinels:
            s.start(self.master.port)
        n = len(self.sentinels) - 1
        for s in self.sentinels:
            wait_until(lambda s=s: s.knows(len(self.replicas), n),
                       READY_TIMEOUT, f"{s.name} to know its peers",
                       s.log)
        return self

    @property
    def addrs(self):
        return [f"127.0.0.1:{s.port}" for s in self.sentinels]

    def servers(self):
        return [self.master] + self.replicas

    def master_now(self):
        """The server the live sentinels name as master."""
        for s in self.sentinels:
            if s.alive():
                try:
                    port = s.master()
                except (OSError, RuntimeError):
                    continue
                for r in self.servers():
                    if r.port == port:
                        return r
        return None

    def wait_promoted(self, old, timeout=READY_TIMEOUT):
        """Until the sentinels name another master than old, which is
        then a master by ROLE; returns it."""
        def moved():
            m = self.master_now()
            return m if m is not None and m is not old and \
                m.role() == "master" else None
        return wait_until(moved, timeout, "the sentinels to promote a "
                          "replica", self.logs)

    def logs(self):
        return "\n".join(f"--- {p.name}\n{p.log()}" for p in
                         self.sentinels + self.servers())

    def stop(self):
        for p in self.sentinels + self.servers():
            p.kill()


class HAProxy(Proc):
    """haproxy -db with the shipped configuration's shape, on loopback:
    backends are the gateways, health-checked on GET /ready."""

    def start(self, gateways, inter_ms=200):
        conf = os.path.join(self.dir, f"{self.name}.cfg")
        servers = "\n".join(
            f"    server gw{i + 1} 127.0.0.1:{g.port} check inter "
            f"{inter_ms} fall 2 rise 2" for i, g in enumerate(gateways))
        with open(conf, "w") as f:
            f.write(f"""global
    maxconn 1000
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 5s
    retries 1
    option redispatch
    errorfile 503 {self.dir}/busy.http
frontend ussd
    bind 127.0.0.1:{self.port}
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk GET /ready
    http-check expect status 200
{servers}
""")
        with open(os.path.join(self.dir, "busy.http"), "w") as f:
            f.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                    "Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
                    "END Service busy, please try again later.\n")
        self.spawn(["haproxy", "-db", "-f", conf])
        wait_until(lambda: self.alive() and _port_open(self.port),
                   READY_TIMEOUT, "haproxy", self.log)
        return self


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_stopped(proc, timeout=5.0):
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            raise HarnessError("process did not exit")
        time.sleep(0.02)
