"""
GET /metrics: the Prometheus exposition is what promtool accepts, only
allowed scrapers get it, counters live through a reload, and a real
Prometheus scraping two gateways sees exactly the funnel the test played.
"""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import ADMIN_TOKEN, asanigw_binary
from harness import free_port, wait_until
from ussd import new_phone, new_session

SERVICE = "*111#"

# Two languages, a menu, an end: enough for every answer result.
FUNNEL_MENU = """
name = "Funnel";
languages = [ "en", "ur-Latn" ];
default_language = "en";
start = "language";
home = "main";
screens = {
	language = {
		kind = "menu";
		text = { en = "Language:"; ur-Latn = "Zaban:"; };
		options = (
			{ label = { en = "English"; ur-Latn = "English"; };
			  set = { lang = "en"; }; goto = "main"; },
			{ label = { en = "Roman Urdu"; ur-Latn = "Roman Urdu"; };
			  set = { lang = "ur-Latn"; }; goto = "main"; }
		);
	};
	main = {
		kind = "menu";
		text = { en = "Main:"; ur-Latn = "Shuru:"; };
		options = (
			{ label = { en = "Goodbye"; ur-Latn = "Khuda hafiz"; };
			  goto = "bye"; },
			{ label = { en = "Also goodbye"; ur-Latn = "Phir milen";
			      };
			  goto = "bye"; }
		);
	};
	bye = { kind = "end"; text = { en = "Bye."; ur-Latn = "Alvida."; }; };
};
"""

METRICS_TOKEN = "metrics-test-token"
AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def funnel_gateway(gateway, tmp_path, **over):
    menu = os.path.join(str(tmp_path), "funnel.menu")
    with open(menu, "w") as f:
        f.write(FUNNEL_MENU)
    services = [{"code": SERVICE, "menu": menu, "adapter": "requests"}]
    over.setdefault("metrics", {"token": METRICS_TOKEN})
    return gateway(services=services, **over)


def scrape(gw):
    r = gw.request("GET", "/metrics", headers=AUTH)
    assert r.status == 200, r
    assert r.headers.get("Content-Type", "").startswith(
        "text/plain; version=0.0.4"), r.headers
    return r.body


def samples(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            assert key not in out, f"duplicate series {key}"
            out[key] = float(value)
    return out


def play(gws, inputs, service=SERVICE):
    """One session, its hops spread over the gateways in turn (Africa's
    Talking style): the dial, then every input."""
    sid, phone = new_session(), new_phone()
    texts = [""] + ["*".join(inputs[:i + 1]) for i in range(len(inputs))]
    replies = []
    for i, text in enumerate(texts):
        r = gws[i % len(gws)].hop(sid, phone, text, service)
        assert r.status == 200, r
        replies.append(r.body)
    return replies


# What the scripted sessions show and answer, summed over the gateways.
SESSIONS = [
    ["1", "1"],		# English, completed
    ["2", "1"],		# Roman Urdu, completed
    ["1"],		# English, gives up on main
    ["2", "9"],		# Roman Urdu, a wrong answer, then gives up
    [],			# gives up on the language screen
]
EXPECT_SHOWN = {("language", "0", "en"): 5, ("main", "0", "en"): 2,
                ("main", "0", "ur-Latn"): 3}
EXPECT_ANSWERS = {("language", "0", "en", "ok"): 4,
                  ("main", "0", "en", "ok"): 1,
                  ("main", "0", "ur-Latn", "ok"): 1,
                  ("main", "0", "ur-Latn", "invalid"): 1}
EXPECT_DROPOFF = {("language", "0", "en"): 1, ("main", "0", "en"): 1,
                  ("main", "0", "ur-Latn"): 1}


def test_promtool_accepts_the_exposition(gateway, tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian's prometheus) is not installed")
    gw = funnel_gateway(gateway, tmp_path)
    for inputs in SESSIONS:
        play([gw], inputs)
    gw.hop(new_session(), new_phone(), "", "*999#")	# not served
    gw.get("/nowhere")
    gw.admin("GET", "/admin/stats")
    body = scrape(gw)
    p = subprocess.run([promtool, "check", "metrics"], input=body.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    assert p.returncode == 0, p.stdout.decode() + "\n" + body
    s = samples(body)
    for name in ("process_resident_memory_bytes", "process_open_fds",
                 "process_cpu_seconds_total", "process_start_time_seconds",
                 "asanigw_config_generation"):
        assert s[name] > 0, name
    out = subprocess.run([asanigw_binary(), "-V"], capture_output=True,
                         text=True, timeout=10).stdout.split(" ", 1)[1]
    assert s['asanigw_build_info{version="%s"}' % out.strip()] == 1
    assert s['asanigw_hops_total{service="*111#",transport="aggregator",'
             'outcome="end"}'] == 2
    # The code nobody serves is not a label value.
    assert not any("*999#" in k for k in s), body
    assert s['asanigw_hops_total{service="",transport="aggregator",'
             'outcome="unknown"}'] == 1
    assert s['asanigw_http_requests_total{route="other",status="404"}'] \
        == 1
    assert s['asanigw_http_requests_total{route="/ussd",status="200"}'] \
        == 13
    assert s['asanigw_hop_duration_seconds_count{service="*111#",'
             'transport="aggregator"}'] == 12
    assert s['asanigw_sessions_started_total{service="*111#"}'] == 5
    assert s['asanigw_sessions_ended_total{service="*111#",'
             'screen="bye"}'] == 2
    for (screen, page, lang), n in EXPECT_SHOWN.items():
        assert s['asanigw_funnel_pages_shown_total{service="*111#",'
                 f'screen="{screen}",page="{page}",lang="{lang}"}}'] == n
    for (screen, page, lang, result), n in EXPECT_ANSWERS.items():
        assert s['asanigw_funnel_answers_total{service="*111#",'
                 f'screen="{screen}",page="{page}",lang="{lang}",'
                 f'result="{result}"}}'] == n
    assert s['asanigw_funnel_think_seconds_count{service="*111#",'
             'screen="main"}'] == 3


def test_scrapers_are_checked(gateway, tmp_path):
    gw = funnel_gateway(gateway, tmp_path)
    r = gw.get("/metrics")
    assert r.status == 401, r
    r = gw.request("GET", "/metrics",
                   headers={"Authorization": "Bearer wrong"})
    assert r.status == 403, r
    assert gw.request("POST", "/metrics", headers=AUTH).status == 405


def test_address_not_allowed(gateway, tmp_path):
    gw = funnel_gateway(gateway, tmp_path,
                        admin={"token": ADMIN_TOKEN,
                               "allow": ["192.0.2.0/24"]})
    assert gw.request("GET", "/metrics", headers=AUTH).status == 403


def test_path_and_switch(gateway, tmp_path):
    gw = funnel_gateway(gateway, tmp_path,
                        metrics={"path": "/prom", "token": ""})
    assert gw.get("/prom").status == 200
    assert gw.get("/metrics").status == 404
    gw2 = gateway(metrics={"enabled": False})
    assert gw2.get("/metrics").status == 404


def test_counters_survive_a_reload(gateway, tmp_path):
    gw = funnel_gateway(gateway, tmp_path)
    for inputs in SESSIONS:
        play([gw], inputs)
    before = samples(scrape(gw))
    gw.signal(signal.SIGHUP)
    wait_until(lambda: samples(scrape(gw))["asanigw_config_generation"]
               == 2, 10, "the reload")
    after = samples(scrape(gw))    # samples() fails on a duplicate
    assert after['asanigw_config_reloads_total{result="ok"}'] == 1
    for k, v in before.items():
        if k.startswith(("asanigw_funnel", "asanigw_sessions",
                         "asanigw_hops_total")):
            assert after[k] == v, k
    play([gw], ["1", "1"])
    again = samples(scrape(gw))
    k = ('asanigw_funnel_pages_shown_total{service="*111#",'
         'screen="main",page="0",lang="en"}')
    assert again[k] == before[k] + 1
    # A screen a reload takes away stops growing; its successor counts.
    menu = gw.conf["services"][0]["menu"]
    with open(menu) as f:
        text = f.read()
    with open(menu, "w") as f:
        f.write(text.replace('"main"', '"start"').replace("main =",
                                                          "start ="))
    gw.signal(signal.SIGHUP)
    wait_until(lambda: samples(scrape(gw))["asanigw_config_generation"]
               == 3, 10, "the second reload")
    play([gw], ["1", "1"])
    last = samples(scrape(gw))
    assert last[k] == again[k]
    assert last[k.replace('"main"', '"start"')] == 1


class Prometheus:
    """Debian's prometheus on a free loopback port, scraping targets
    every second; stopped by its PID."""

    def __init__(self, tmpdir, targets):
        self.dir = os.path.join(tmpdir, "prometheus")
        os.makedirs(self.dir)
        self.port = free_port()
        conf = os.path.join(self.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: asanigw\n"
                    "    authorization:\n"
                    f"      credentials: {METRICS_TOKEN}\n"
                    "    static_configs:\n      - targets: ["
                    + ", ".join(f"'127.0.0.1:{p}'" for p in targets)
                    + "]\n")
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [shutil.which("prometheus"), f"--config.file={conf}",
             f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        wait_until(self.ready, 30, "prometheus ready")

    def ready(self):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def query(self, q):
        """An instant query -> {labels tuple: value}."""
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?"
               + urllib.parse.urlencode({"query": q}))
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return {tuple(sorted(x["metric"].items())): float(x["value"][1])
                for x in body["data"]["result"]}

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def by(result, *labels):
    return {tuple(dict(k)[n] for n in labels): v for k, v in result.items()}


def test_prometheus_sees_the_funnel(gateway, tmp_path):
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus (Debian) is not installed")
    gw1 = funnel_gateway(gateway, tmp_path)
    gw2 = funnel_gateway(gateway, tmp_path)
    for inputs in SESSIONS:
        play([gw1, gw2], inputs)
    prom = Prometheus(str(tmp_path), [gw1.port, gw2.port])
    try:
        shown_q = ('sum by (screen, page, lang) '
                   '(asanigw_funnel_pages_shown_total{service="*111#"})')
        wait_until(lambda: by(prom.query(shown_q), "screen", "page", "lang")
                   == EXPECT_SHOWN, 60, "both gateways scraped",
                   lambda: prom.query(shown_q))
        answers = prom.query(
            'sum by (screen, page, lang, result) '
            '(asanigw_funnel_answers_total{service="*111#"})')
        assert by(answers, "screen", "page", "lang", "result") == \
            EXPECT_ANSWERS
        # The README's drop-off query, over all time here.
        dropoff = prom.query(
            'sum by (screen, page, lang) '
            '(asanigw_funnel_pages_shown_total{service="*111#"}) - '
            'sum by (screen, page, lang) '
            '(asanigw_funnel_answers_total{service="*111#"})')
        assert by(dropoff, "screen", "page", "lang") == EXPECT_DROPOFF
        started = prom.query('sum(asanigw_sessions_started_total)')
        assert list(started.values()) == [5]
        ended = prom.query('sum by (screen) (asanigw_sessions_ended_total)')
        assert by(ended, "screen") == {("bye",): 2}
        up = prom.query('up{job="asanigw"}')
        assert sorted(up.values()) == [1, 1]
    finally:
        prom.stop()


def test_deliveries_counted(gateway):
    """A request confirmed on the flagship menu and delivered by the file
    adapter: counted by adapter and result, with its duration."""
    from flagship import Dialog, submit_request
    gw = gateway()
    submit_request(Dialog(gw, new_phone(), new_session()), "en")
    wait_until(lambda: samples(gw.get("/metrics").body).get(
        'asanigw_outbox_deliveries_total{adapter="requests",result="ok"}')
        == 1, 10, "the delivery counted")
    s = samples(gw.get("/metrics").body)
    assert s['asanigw_outbox_delivery_duration_seconds_count'
             '{adapter="requests"}'] == 1
    assert s['asanigw_hops_total{service="*786#",transport="aggregator",'
             'outcome="end"}'] == 1
    # The queue as the store counts it, read at the scrape.
    assert s["asanigw_outbox_up"] == 1
    wait_until(lambda: samples(gw.get("/metrics").body)[
        "asanigw_outbox_waiting"] == 0, 10, "an empty outbox")
    assert s["asanigw_outbox_dead"] == 0


def test_dashboard_uses_what_the_gateway_exposes(gateway, tmp_path):
    """contrib/grafana/asanigw.json is JSON, and every metric its queries
    name is one a scrape lists (a HELP line, with samples or not)."""
    import re
    from conftest import ROOT
    path = os.path.join(ROOT, "contrib", "grafana", "asanigw.json")
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [v["query"] for v in dash["templating"]["list"]
              if v["type"] == "query"]
    used = set()
    for e in exprs:
        used.update(re.findall(r"\b((?:asanigw|process)_[a-z_]+)", e))
    assert len(used) > 10, used
    gw = funnel_gateway(gateway, tmp_path)
    exposed = set(re.findall(r"^# HELP (\S+)", scrape(gw), re.M))
    for name in used:
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in exposed or base in exposed, name


def test_redis_commands_and_errors(gateway, redis, tmp_path):
    gw = funnel_gateway(gateway, tmp_path)
    play([gw], ["1", "1"])
    s = samples(scrape(gw))
    assert s["asanigw_redis_command_duration_seconds_count"] >= 3
    assert not any(k.startswith("asanigw_redis_errors_total") for k in s)
    assert s["asanigw_redis_connections_up"] == 1
    assert s["asanigw_redis_master_changes_total"] == 0
    redis.stop()
    r = gw.hop(new_session(), new_phone(), "", SERVICE)
    assert r.status == 200 and r.end, r
    s = samples(scrape(gw))
    errors = sum(v for k, v in s.items()
                 if k.startswith("asanigw_redis_errors_total{kind="
                                 '"disconnected"') or
                 k.startswith('asanigw_redis_errors_total{kind="timeout"'))
    assert errors >= 1, s
    assert s['asanigw_hops_total{service="*111#",transport="aggregator",'
             'outcome="busy"}'] == 1
    assert s["asanigw_outbox_up"] == 0
    assert s["asanigw_redis_connections_up"] == 0


def test_kannel_messages_reports_and_aborts(gateway, redis):
    """Messages from smsbox by smsc and kind, refusals, delivery reports
    by state, SMS commands and network aborts, all in one exposition
    that promtool accepts."""
    from smsbox import SECRET, Smsbox, ussd_tlvs
    gw = gateway(kannel={"secret": SECRET, "allow": ["127.0.0.1"],
                         "smsc": [{"id": "ussd", "kind": "ussd"},
                                  {"id": "sms", "kind": "sms",
                                   "service": "*786#"}],
                         "ussd_profiles": {"default": {"abort": [33]}},
                         "sendsms": {"url": "http://127.0.0.1:9/"}},
                 admin={"token": ADMIN_TOKEN})
    box = Smsbox(gw.port)
    assert box.mo(new_phone(), "hello", "sms").status == 200
    assert box.mo(new_phone(), "", "ussd",
                  tlvs=ussd_tlvs(33, 1, 1)).status == 200
    assert gw.get("/kannel/dlr?k=nope&type=1&id=0123456789abcdef"
                  ).status == 403
    # A report for an id the gateway never issued is not counted; one
    # for a message it sent (its record made as sendsms makes it) is.
    assert gw.get(f"/kannel/dlr?k={SECRET}&type=1&smscid=7&ts=1"
                  "&id=fedcba9876543210").status == 200
    redis.command("HSET", "asanigw:{dlr}:0123456789abcdef", "state",
                  "submitted")
    assert gw.get(f"/kannel/dlr?k={SECRET}&type=1&smscid=7&ts=1"
                  "&id=0123456789abcdef").status == 200
    r = gw.get("/metrics")
    assert r.status == 200, r
    s = samples(r.body)
    assert s['asanigw_kannel_mo_total{smsc="sms",kind="sms"}'] == 1
    assert s['asanigw_kannel_mo_total{smsc="ussd",kind="ussd"}'] == 1
    assert s['asanigw_sessions_aborted_total{smsc="ussd"}'] == 1
    assert s['asanigw_dlr_total{state="delivered"}'] == 1
    assert sum(v for k, v in s.items()
               if k.startswith("asanigw_kannel_refused_total")) == 1
    assert sum(v for k, v in s.items()
               if k.startswith('asanigw_sms_commands_total{service='
                               '"*786#"')) == 1
    promtool = shutil.which("promtool")
    if promtool is not None:
        p = subprocess.run([promtool, "check", "metrics"],
                           input=r.body.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        assert p.returncode == 0, p.stdout.decode()
