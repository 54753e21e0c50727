"""TLS in front: the shipped nginx example (contrib/nginx/asanigw.conf),
run by a real nginx on a free loopback port with a certificate made
here, in front of a real gateway.  A whole USSD session over HTTPS; and
X-Forwarded-For believed only from the trusted proxy, read so that a
client cannot write its way into an allowlist."""

import http.client
import os
import re
import shutil
import signal
import ssl
import subprocess
import urllib.parse

import pytest

from conftest import ADMIN_TOKEN
from harness import free_port, wait_until
from ussd import SERVICE, new_phone, new_session

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not os.access(NGINX, os.X_OK),
                                reason="needs nginx")


class Nginx:
    def __init__(self, tmp, gateway_port):
        self.dir = str(tmp)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.cert = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", self.cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        with open(os.path.join(ROOT, "contrib/nginx/asanigw.conf")) as f:
            site = f.read()
        # The example as shipped, on this machine's ports and files; the
        # inside network of the example is loopback here.
        site = site.replace("listen 443 ssl;",
                            f"listen 127.0.0.1:{self.port} ssl;")
        site = re.sub(r"\n\s*listen \[::\]:443 ssl;", "", site)
        site = site.replace("server 127.0.0.1:8786;",
                            f"server 127.0.0.1:{gateway_port};")
        site = re.sub(r"ssl_certificate .*;", f"ssl_certificate {self.cert};",
                      site)
        site = re.sub(r"ssl_certificate_key .*;",
                      f"ssl_certificate_key {key};", site)
        site = site.replace("allow 10.0.0.0/8;", "allow 127.0.0.0/8;")
        conf = os.path.join(self.dir, "nginx.conf")
        d = self.dir
        with open(conf, "w") as f:
            f.write(f"""daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
	access_log {d}/access.log;
	client_body_temp_path {d}/body;
	proxy_temp_path {d}/proxy;
	fastcgi_temp_path {d}/fastcgi;
	uwsgi_temp_path {d}/uwsgi;
	scgi_temp_path {d}/scgi;
{site}
}}
""")
        self.proc = subprocess.Popen([NGINX, "-p", d, "-c", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(d, "out.log"),
                                                 "wb"))
        self.ctx = ssl.create_default_context(cafile=self.cert)
        wait_until(lambda: self.request("GET", "/nothing")[0] == 404, 10,
                   "nginx to answer over TLS")

    def request(self, method, path, body=None, headers=None,
                source="127.0.0.1"):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port,
                                           context=self.ctx, timeout=10,
                                           source_address=(source, 0))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def nginx(tmp_path):
    made = []

    def make(gw):
        n = Nginx(tmp_path / f"nginx{len(made)}", gw.port)
        made.append(n)
        return n
    yield make
    for n in made:
        n.stop()


def hop(proxy, session, phone, text, source="127.0.0.1"):
    body = urllib.parse.urlencode({"sessionId": session,
                                   "serviceCode": SERVICE,
                                   "phoneNumber": phone,
                                   "networkCode": "41001", "text": text})
    return proxy.request("POST", "/ussd", body=body, source=source, headers={
        "Content-Type": "application/x-www-form-urlencoded"})


def test_a_whole_session_over_https(gateway, nginx):
    gw = gateway(listen={"trusted_proxies": ["127.0.0.1"]})
    proxy = nginx(gw)
    sid, phone = new_session(), new_phone()
    replies = [hop(proxy, sid, phone, t) for t in ("", "1", "1*1")]
    for status, body in replies:
        assert status == 200 and body.startswith("CON "), replies
    assert replies[0][1] != replies[1][1] != replies[2][1], replies
    # The aggregator allowlist (loopback by default) sees the client
    # behind the proxy, not the proxy.
    status, body = hop(proxy, new_session(), phone, "", source="127.0.0.5")
    assert status == 403, (status, body)


def test_forwarded_for_only_from_a_trusted_proxy(gateway, nginx):
    gw = gateway(listen={"trusted_proxies": ["127.0.0.1"]},
                 admin={"token": ADMIN_TOKEN, "allow": ["127.0.0.3"]})
    proxy = nginx(gw)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    # Straight to the gateway from an address that is no proxy: its
    # X-Forwarded-For is not believed.
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10,
                                      source_address=("127.0.0.2", 0))
    conn.request("GET", "/admin/stats",
                 headers={**auth, "X-Forwarded-For": "127.0.0.3"})
    r = conn.getresponse()
    assert r.status == 403, r.read()
    conn.close()
    # Through the proxy from the allowed address: in.
    status, body = proxy.request("GET", "/admin/stats", headers=auth,
                                 source="127.0.0.3")
    assert status == 200, body
    # Through the proxy from another address, writing the allowed one in
    # front: nginx appends the real one, and that is what counts.
    status, body = proxy.request("GET", "/admin/stats", source="127.0.0.4",
                                 headers={**auth,
                                          "X-Forwarded-For": "127.0.0.3"})
    assert status == 403, body
    # Garbage in the chain matches nothing.
    status, body = proxy.request("GET", "/admin/stats", source="127.0.0.3",
                                 headers={**auth,
                                          "X-Forwarded-For": "not-an-ip"})
    assert status == 200, body     # the last, appended by nginx, counts
    # Nothing a client wrote in the chain reaches the log.
    assert "not-an-ip" not in gw.log()
