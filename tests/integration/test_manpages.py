"""asanigw.conf(5) and the code cannot drift apart: every key the
configuration reader checks (the keys lists in gateway/conf.c and the
adapters' tables of settings) is described in the man page's section of
its group, and every setting the man page lists is one the code knows."""

import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# The reader's functions and the group of the man page each one reads.
FUNCTIONS = {
    "conf_load": "Top-level settings",
    "read_listen": "listen",
    "read_redis": "redis",
    "read_session": "session",
    "read_log": "log",
    "read_aggregators": "aggregators",
    "read_profile": "kannel",
    "read_smsc": "kannel",
    "read_sendsms": "kannel",
    "read_kannel": "kannel",
    "read_outbox": "outbox",
    "read_sms": "sms",
    "read_notify": "notify",
    "read_admin": "admin",
    "read_services": "services",
    "read_metrics": "metrics",
    "read_ledger": "ledger",
}
ADAPTERS = {"adapter_file.c": "file", "adapter_http.c": "http",
            "adapter_redis_stream.c": "redis-stream"}


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def code_keys():
    """{group: set of keys} as gateway/conf.c checks them."""
    src = read("gateway/conf.c")
    groups = {}
    for m in re.finditer(r"static const char \*const keys\[\] = \{(.*?)\};",
                         src, re.S):
        fn = re.findall(r"^(\w+)\(", src[:m.start()], re.M)[-1]
        assert fn in FUNCTIONS, f"conf.c: {fn}() checks keys: name its " \
            f"man page section in FUNCTIONS"
        keys = set(re.findall(r'"([^"]+)"', m.group(1)))
        groups.setdefault(FUNCTIONS[fn], set()).update(keys)
    top = groups.pop("Top-level settings")
    assert "listen" in top and "services" in top, top
    return groups, top


def adapter_keys():
    out = {}
    for f, kind in ADAPTERS.items():
        src = read(os.path.join("adapters", f))
        m = re.search(r"static const struct adapter_key \w+\[\] = \{(.*?)"
                      r"\n\};", src, re.S)
        assert m, f"{f}: no table of settings"
        out[kind] = set(re.findall(r'\.name = "([^"]+)"', m.group(1)))
    return out


def man_sections():
    """{section title: its text} of asanigw.conf(5)'s DESCRIPTION."""
    text = read("man/asanigw.conf.5")
    parts = re.split(r"^\.Ss (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def ic_words(section, first_only=False):
    """The keys an Ic macro names: ".It Ic a , b Ar integer" names a and
    b; with first_only, only those of .It lines (the settings a list
    describes), else every Ic in the text."""
    found = set()
    for line in section.splitlines():
        if first_only and not line.startswith(".It Ic "):
            continue
        toks = line.split()
        for i, t in enumerate(toks):
            if t not in ("Ic", ".Ic"):
                continue
            for w in toks[i + 1:]:
                if w == ",":
                    continue
                if not re.fullmatch(r"[A-Za-z_][\w-]*", w) or \
                        w[0].isupper():
                    break
                found.add(w)
            if first_only:
                break
    return found


def test_every_key_of_the_code_is_in_the_man_page():
    groups, top = code_keys()
    man = man_sections()
    for group, keys in groups.items():
        assert group in man, f"asanigw.conf(5) has no section {group}"
        missing = keys - ic_words(man[group])
        assert not missing, f"{group}: {sorted(missing)} not in the man page"
    for key in top:
        if key in groups:
            continue
        assert key in man["Top-level settings"] or key in man, \
            f"top-level {key} not in the man page"


def test_every_listed_setting_of_the_man_page_is_in_the_code():
    groups, top = code_keys()
    man = man_sections()
    for title, body in man.items():
        if title not in groups:
            continue
        listed = ic_words(body, first_only=True)
        unknown = listed - groups[title]
        assert not unknown, f"{title}: {sorted(unknown)} listed in the " \
            f"man page but unknown to the code"
    listed = ic_words(man["Top-level settings"], first_only=True)
    assert listed <= top, listed - top


def test_every_adapter_setting_is_in_the_man_page():
    body = man_sections()["adapters"]
    items = re.split(r"^\.It Li ", body, flags=re.M)[1:]
    described = {it.split("\n", 1)[0].strip(): ic_words(it) for it in items}
    for kind, keys in adapter_keys().items():
        assert kind in described, f"adapter type {kind} not described"
        missing = keys - described[kind]
        assert not missing, f"{kind}: {sorted(missing)} not in the man page"
        unknown = described[kind] - keys - {"type"}
        assert not unknown, f"{kind}: {sorted(unknown)} unknown to the code"
