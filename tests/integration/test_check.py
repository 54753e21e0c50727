"""asanigw -t: "configuration OK" and 0, or every error with file:line:
and 1."""

import os
import re
import signal
import subprocess

import pytest

from conftest import (MENU, SHIPPED_CONF, Gateway, asanigw_binary, run_check,
                      to_libconfig, wait_until)

ERROR_LINE = re.compile(r"^\S.*?:\d+: \S")
SUMMARY = "configuration has errors"


def line_of(path, needle, nth=1):
    """1-based line number of the nth line of path containing needle."""
    seen = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                seen += 1
                if seen == nth:
                    return n
    raise AssertionError(f"{needle!r} not in {path}")


def write_conf(tmp_path, text, name="broken.conf"):
    path = os.path.join(str(tmp_path), name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def base_conf(tmp_path, **over):
    gw = Gateway(str(tmp_path), None, over, [], "check")
    return gw.conf


def assert_errors(out, expected):
    """Every line is an error with file:line: (or the closing summary) and
    each (path, line, regex) expected is among them."""
    lines = [x for x in out.splitlines() if x.strip()]
    assert lines, "no output"
    for x in lines:
        assert x == SUMMARY or ERROR_LINE.match(x), (
            f"line without file:line: {x!r}\n{out}")
    for path, line, pattern in expected:
        prefix = f"{path}:{line}: "
        hits = [x for x in lines if x.startswith(prefix)
                and re.search(pattern, x[len(prefix):])]
        assert hits, f"no error {prefix}/{pattern}/ in:\n{out}"


def test_shipped_config_is_ok(tmp_path):
    rc, out = run_check(SHIPPED_CONF)
    assert rc == 0, out
    assert out.strip() == "configuration OK", out


def test_test_config_is_ok(tmp_path):
    conf = base_conf(tmp_path)
    nowhere = os.path.join(str(tmp_path), "not-yet", "requests.jsonl")
    conf["adapters"]["requests"]["path"] = nowhere
    rc, out = run_check(write_conf(tmp_path, to_libconfig(conf), "ok.conf"))
    assert rc == 0, out
    assert out.strip() == "configuration OK", out
    # Checking opens nothing: the adapter's directory is not created.
    assert not os.path.exists(os.path.dirname(nowhere))


@pytest.mark.parametrize("group,key,value,pattern", [
    ("listen", "colour", "1", r"unknown setting listen\.colour"),
    ("redis", "port", '"6379"', r"redis\.port must be an integer"),
    ("listen", "port", "70000", r"listen\.port must be between"),
    ("listen", "port", "0", r"listen\.port must be between"),
    ("session", "ttl", "-5", r"session\.ttl"),
    ("log", "level", '"loud"', r"log\.level"),
])
def test_broken_setting(tmp_path, group, key, value, pattern):
    conf = base_conf(tmp_path)
    conf[group].pop(key, None)
    text = to_libconfig(conf)
    # Insert the bad setting as the first line of its group.
    marker = f"{group} = {{\n"
    text = text.replace(marker, marker + f"\t{key} = {value};\n", 1)
    path = write_conf(tmp_path, text)
    rc, out = run_check(path)
    assert rc == 1, out
    assert "configuration OK" not in out
    assert_errors(out, [(path, line_of(path, f"\t{key} = {value};"),
                         pattern)])


def test_all_errors_reported_at_once(tmp_path):
    conf = base_conf(tmp_path)
    conf["listen"]["colour"] = "blue"
    conf["redis"]["port"] = "6379"
    conf["listen"]["port"] = 70000
    conf["session"]["hop_deadline_ms"] = "fast"
    path = write_conf(tmp_path, to_libconfig(conf))
    rc, out = run_check(path)
    assert rc == 1, out
    assert_errors(out, [
        (path, line_of(path, "colour"), r"unknown setting"),
        (path, line_of(path, 'port = "6379"'), r"redis\.port"),
        (path, line_of(path, "port = 70000"), r"listen\.port"),
        (path, line_of(path, "hop_deadline_ms"), r"hop_deadline_ms"),
    ])


def test_syntax_error(tmp_path):
    conf = base_conf(tmp_path)
    text = to_libconfig(conf).replace("max_body = 4096;",
                                      "max_body = = 4096;", 1)
    path = write_conf(tmp_path, text)
    rc, out = run_check(path)
    assert rc == 1, out
    assert_errors(out, [(path, line_of(path, "max_body = = 4096"), r".")])


def test_missing_file(tmp_path):
    path = os.path.join(str(tmp_path), "nope.conf")
    rc, out = run_check(path)
    assert rc == 1, out
    assert path in out and "configuration OK" not in out


def broken_menu(tmp_path, old, new):
    with open(MENU, encoding="utf-8") as f:
        src = f.read()
    assert src.count(old) == 1, f"{old!r} is not once in the menu"
    path = os.path.join(str(tmp_path), "broken.menu")
    with open(path, "w", encoding="utf-8") as f:
        f.write(src.replace(old, new))
    return path


def conf_with_menu(tmp_path, menu):
    conf = base_conf(tmp_path)
    conf["services"][0]["menu"] = menu
    return write_conf(tmp_path, to_libconfig(conf))


def test_menu_unknown_target(tmp_path):
    menu = broken_menu(tmp_path, 'goto = "district_other";',
                       'goto = "district_elsewhere";')
    rc, out = run_check(conf_with_menu(tmp_path, menu))
    assert rc == 1, out
    assert_errors(out, [(menu, line_of(menu, '"district_elsewhere"'),
                         r"unknown target 'district_elsewhere'")])


def test_menu_several_errors(tmp_path):
    menu = broken_menu(tmp_path, 'yes = "send";', 'yes = "sned";')
    with open(menu, encoding="utf-8") as f:
        src = f.read()
    src = src.replace('pattern = "^[0-9]{4}$";', 'pattern = "^[0-9{4}$";')
    src = src.replace('kind = "end";', 'kind = "fin";', 1)
    with open(menu, "w", encoding="utf-8") as f:
        f.write(src)
    rc, out = run_check(conf_with_menu(tmp_path, menu))
    assert rc == 1, out
    assert_errors(out, [
        (menu, line_of(menu, '"sned"'), r"unknown target 'sned'"),
        (menu, line_of(menu, '"^[0-9{4}$"'), r"pattern"),
        (menu, line_of(menu, '"fin"'), r"fin"),
    ])


# -- every finding of a menu at once, each once ---------------------------

LONG_CNIC = ("Enter the last 4 digits of your CNIC, the national identity "
             "card that every adult citizen carries, so that we can find "
             "your earlier requests and the partner who answers them; "
             "nothing else is asked:")


def faulty_menu(tmp_path, unknown_target=True):
    """The shipped menu with a missing translation (district_other's
    ur-Latn text), a prompt too long for a 182-septet page (cnic's en
    text) and, with unknown_target, a target that names no screen."""
    with open(MENU, encoding="utf-8") as f:
        src = f.read()
    edits = [('\t\t\tur-Latn = "Apne zilay ka naam likhein:";\n', ""),
             ('en = "Enter the last 4 digits of your CNIC:";',
              f'en = "{LONG_CNIC}";')]
    if unknown_target:
        edits.append(('goto = "district_other";',
                      'goto = "district_elsewhere";'))
    for old, new in edits:
        assert src.count(old) == 1, f"{old!r} is not once in the menu"
        src = src.replace(old, new)
    path = os.path.join(str(tmp_path), "faulty.menu")
    with open(path, "w", encoding="utf-8") as f:
        f.write(src)
    return path


def three_transports(hubtel_budget=182):
    """/ussd and /hubtel profiles and a Kannel USSD smsc (and an SMS one,
    which has no page a menu must fit)."""
    return {
        "aggregators": [
            {"path": "/ussd", "text": "path", "page_budget": 182},
            {"path": "/hubtel", "text": "latest",
             "page_budget": hubtel_budget}],
        "kannel": {"secret": "kannel-secret", "allow": ["127.0.0.1"],
                   "smsc": [{"id": "ussd", "kind": "ussd"},
                            {"id": "sms", "kind": "sms",
                             "service": "*786#"}]},
    }


def faulty_conf(tmp_path, menu, **over):
    conf = base_conf(tmp_path, **over)
    conf["services"][0]["menu"] = menu
    return write_conf(tmp_path, to_libconfig(conf))


def menu_findings(menu):
    """(line, regex) of what -t finds in faulty_menu() besides the
    unknown target, on /ussd, /hubtel and smsc ussd at 182 septets."""
    return [
        (line_of(menu, '"Type the name of your district:"') - 1,
         r"^screen 'district_other': text has no 'ur-Latn' translation$"),
        (line_of(menu, LONG_CNIC) - 1,
         r"^screen 'cnic': prompt does not fit one page in 'en' "
         r"\(197 septets, page holds 182 on /ussd, /hubtel, smsc ussd\)$"),
    ]


def assert_each_once(out):
    lines = [x for x in out.splitlines() if x.strip()]
    twice = sorted({x for x in lines if lines.count(x) > 1})
    assert not twice, f"reported more than once: {twice}\n{out}"


def test_menu_every_finding_at_once(tmp_path):
    """An unknown target no longer hides what else is wrong with the
    menu, and three transports of one page size give one line each."""
    menu = faulty_menu(tmp_path)
    rc, out = run_check(faulty_conf(tmp_path, menu, **three_transports()))
    assert rc == 1, out
    expected = [(menu, line_of(menu, '"district_elsewhere"'),
                 r"^screen 'district': unknown target "
                 r"'district_elsewhere'$")]
    expected += [(menu, n, p) for n, p in menu_findings(menu)]
    assert_errors(out, expected)
    assert_each_once(out)
    assert out.strip().splitlines()[-1] == SUMMARY, out


def test_menu_findings_once_per_page_size(tmp_path):
    """A text too long for two page sizes: one line per size, naming the
    transports that serve pages of it; the rest once."""
    menu = faulty_menu(tmp_path, unknown_target=False)
    rc, out = run_check(faulty_conf(tmp_path, menu,
                                    **three_transports(hubtel_budget=160)))
    assert rc == 1, out
    cnic = line_of(menu, LONG_CNIC) - 1
    assert_errors(out, [
        (menu, cnic, r"\(197 septets, page holds 182 on /ussd, smsc ussd\)$"),
        (menu, cnic, r"\(197 septets, page holds 160 on /hubtel\)$"),
    ])
    assert_each_once(out)
    assert len([x for x in out.splitlines() if "'cnic'" in x]) == 2, out


def test_daemon_warns_of_what_check_finds(gateway, tmp_path):
    """The daemon serves a menu -t finds fault with, but says what -t
    would say, one warning line each, at start and at every reload."""
    menu = faulty_menu(tmp_path, unknown_target=False)
    over = three_transports()
    over["kannel"]["path"] = "/kannel/mo"
    gw = gateway(start=False, services=[
        {"code": "*786#", "menu": menu, "adapter": "requests"}], **over)
    rc, out = run_check(gw.conf_path)
    assert rc == 1, out

    def assert_warned(times):
        log = gw.log()
        warnings = [x for x in log.splitlines()
                    if "event=config-warning" in x]
        for line, pattern in menu_findings(menu):
            hits = [x for x in warnings if f'msg="{menu}:{line}: ' in x
                    and re.search(pattern.strip("^$"), x)]
            assert len(hits) == times, (line, pattern, log)

    gw.start()
    assert_warned(1)
    gw.signal(signal.SIGHUP)
    wait_until(lambda: "event=reload services" in gw.log(), 3.0,
               "the daemon to reload")
    assert_warned(2)


def test_daemon_refuses_broken_config(tmp_path):
    conf = base_conf(tmp_path)
    conf["listen"]["colour"] = "blue"
    path = write_conf(tmp_path, to_libconfig(conf))
    p = subprocess.run([asanigw_binary(), "-d", "-c", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=10)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 1, out
    assert f"{path}:{line_of(path, 'colour')}: " in out, out


def test_usage():
    p = subprocess.run([asanigw_binary(), "-h"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10)
    assert p.returncode == 0
    assert b"usage: asanigw" in p.stdout
    p = subprocess.run([asanigw_binary(), "-x"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10)
    assert p.returncode == 1
    assert b"usage: asanigw" in p.stderr


# -- adapter settings: each type's table of keys, checked by -t ------------

def http_adapter(**settings):
    ad = {"type": "http", "url": "http://127.0.0.1:9/requests",
          "secret": "s3cret"}
    ad.update(settings)
    return {k: v for k, v in ad.items() if v is not None}


def adapter_conf(tmp_path, adapter):
    """A test configuration whose service uses adapter (a dict)."""
    conf = base_conf(tmp_path)
    conf["adapters"] = {"backoffice": adapter}
    conf["services"][0]["adapter"] = "backoffice"
    return write_conf(tmp_path, to_libconfig(conf))


def test_adapter_settings_ok(tmp_path):
    ca = os.path.join(str(tmp_path), "ca.pem")
    with open(ca, "w", encoding="utf-8") as f:
        f.write("not checked here, only readable\n")
    for ad in (http_adapter(),
               http_adapter(url="https://bo.example/r", ca_file=ca,
                            timeout_ms=100, connections=256,
                            lookup_path="/lookup"),
               {"type": "redis-stream", "stream": "bo:requests"},
               {"type": "redis-stream", "host": "10.0.0.7", "port": 6380,
                "db": 2, "stream": "s", "maxlen": 1000, "timeout_ms": 250}):
        rc, out = run_check(adapter_conf(tmp_path, ad))
        assert rc == 0, (ad, out)
        assert out.strip() == "configuration OK", out


def test_http_adapter_without_secret(tmp_path):
    """Once "configuration OK", and the daemon then died at start."""
    path = adapter_conf(tmp_path, http_adapter(secret=None))
    rc, out = run_check(path)
    assert rc == 1, out
    assert_errors(out, [(path, line_of(path, "backoffice = {"),
                         r"^adapters\.backoffice\.secret must be set for a "
                         r"http adapter$")])


@pytest.mark.parametrize("key,value,pattern", [
    # Once silently 4.
    ("connections", 1000, r"^adapters\.backoffice\.connections must be "
     r"between 1 and 256, not 1000$"),
    ("connections", 0, r"connections must be between 1 and 256, not 0"),
    ("timeout_ms", 99, r"timeout_ms must be between 100 and 120000"),
    ("connections", "4", r"^adapters\.backoffice\.connections must be an "
     r"integer$"),
    ("secret", 42, r"^adapters\.backoffice\.secret must be a string$"),
    ("nconns", 8, r"^unknown setting adapters\.backoffice\.nconns for a "
     r"http adapter$"),
    ("url", "backoffice.example/requests",
     r"^adapters\.backoffice\.url must be http:// or https://"),
    ("url", "ftp://backoffice.example/requests", r"url must be http://"),
    ("lookup_path", "lookup", r"lookup_path must start with '/'"),
    ("ca_file", "no-such-ca.pem", r"ca_file: cannot read .*no-such-ca\.pem"),
    ("secret", "env:ASANIGW_NO_SUCH_VARIABLE",
     r"ASANIGW_NO_SUCH_VARIABLE is not set"),
])
def test_http_adapter_broken_setting(tmp_path, key, value, pattern):
    path = adapter_conf(tmp_path, http_adapter(**{key: value}))
    rc, out = run_check(path)
    assert rc == 1, out
    assert "configuration OK" not in out
    written = f'"{value}"' if isinstance(value, str) else value
    assert_errors(out, [(path, line_of(path, f"{key} = {written};"),
                         pattern)])


def test_redis_stream_adapter_broken(tmp_path):
    path = adapter_conf(tmp_path, {"type": "redis-stream", "port": 70000,
                                   "maxlen": 0, "path": "x"})
    rc, out = run_check(path)
    assert rc == 1, out
    assert_errors(out, [
        (path, line_of(path, "backoffice = {"),
         r"adapters\.backoffice\.stream must be set"),
        (path, line_of(path, "port = 70000"),
         r"adapters\.backoffice\.port must be between 1 and 65535"),
        (path, line_of(path, "maxlen = 0"), r"maxlen must be between"),
        (path, line_of(path, 'path = "x"'),
         r"unknown setting adapters\.backoffice\.path for a redis-stream"),
    ])


def test_daemon_refuses_broken_adapter(tmp_path):
    """The daemon fails at once, with -t's message, before it listens or
    opens anything."""
    path = adapter_conf(tmp_path, http_adapter(secret=None,
                                               connections=1000))
    p = subprocess.run([asanigw_binary(), "-d", "-c", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=10)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 1, out
    group = line_of(path, "backoffice = {")
    assert (f"{path}:{group}: adapters.backoffice.secret must be set for a "
            "http adapter") in out, out
    assert (f"{path}:{line_of(path, 'connections = 1000')}: "
            "adapters.backoffice.connections must be between 1 and 256, "
            "not 1000") in out, out


def test_short_retry_window_is_a_warning(tmp_path):
    """A retry window shorter than outbox.ride_out_s: still OK (exit 0),
    with a warning line on stderr that gives both figures, the line and
    what to change."""
    conf = base_conf(tmp_path, outbox={
        "attempts": 4, "backoff_min_ms": 20, "backoff_max_ms": 200,
        "claim_idle_ms": 2000, "ride_out_s": 60})
    path = write_conf(tmp_path, to_libconfig(conf), "short.conf")
    p = subprocess.run([asanigw_binary(), "-t", "-c", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=10)
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 0, err
    assert out.strip() == "configuration OK", out
    line = line_of(path, "outbox")
    warnings = [x for x in err.splitlines() if x.strip()]
    assert len(warnings) == 1, err
    assert warnings[0].startswith(f"{path}:{line}: warning: "), err
    for needle in ("retry window is 0.0 s", "0.1 s at the longest",
                   "attempts=4", "ride_out_s=60", "raise outbox.attempts",
                   "outbox.backoff_max_ms"):
        assert needle in warnings[0], (needle, err)
    # Long enough, or no outage to ride out: no warning.
    for outbox in ({"ride_out_s": 0}, {"attempts": 700, "ride_out_s": 60}):
        conf = base_conf(tmp_path, outbox=outbox)
        path = write_conf(tmp_path, to_libconfig(conf), "long.conf")
        rc, out = run_check(path)
        assert rc == 0 and out.strip() == "configuration OK", out
