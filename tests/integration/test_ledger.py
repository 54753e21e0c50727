"""
The tamper-evident ledger, through the real gateway, redis-server, the
test back office and real Kannel: requests, pledges and status callbacks
from two gateways (one killed with -9 midway, then started again) make
one chain with no gap and no duplicate that asanigw-verify accepts; a
changed byte, a removed entry, a reordered pair and a forged checkpoint
are each refused with the entry named; VERIFY over SMS and the USSD
"Public ledger" screen tell a subscriber where their request stands.
"""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import wait_until
from flagship import LANGS, Dialog, submit_request
from test_kannel import chain, donors, notify, sms_exchange  # noqa: F401
from ussd import new_phone, new_session, options

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PENDING = "asanigw:{ledger}:pending"


def verify_binary():
    return os.environ.get("VERIFY",
                          os.path.join(ROOT, "build", "asanigw-verify"))


@pytest.fixture
def keys(tmp_path):
    """(private key PEM path, public key PEM path), made by openssl."""
    priv = os.path.join(str(tmp_path), "ledger.key")
    pub = os.path.join(str(tmp_path), "ledger.pub")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out",
                    priv], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub],
                   check=True, capture_output=True)
    return priv, pub


def ledger_conf(tmp_path, keys, **kw):
    return dict({"file": os.path.join(str(tmp_path), "ledger.jsonl"),
                 "key": "file:" + keys[0], "checkpoint_entries": 5,
                 "checkpoint_seconds": 1}, **kw)


def run_verify(path, pub):
    p = subprocess.run([verify_binary(), path, pub], capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def lines_of(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def entries_of(path):
    return [e for e in map(json.loads, lines_of(path)) if "seq" in e]


def entry_of(path, ref):
    found = [e for e in entries_of(path)
             if e["ref"] == ref and e["kind"] != "status"]
    return found[0] if found else None


def settled(redis, path, expected):
    """Nothing pending, `expected` entries written, and a checkpoint as
    the last line (signed to the end)."""
    if redis.command("XLEN", PENDING) != 0:
        return False
    if redis.command("XLEN", "asanigw:{outbox}:requests") != 0:
        return False
    lines = lines_of(path)
    return (len(entries_of(path)) >= expected and lines and
            json.loads(lines[-1]).get("checkpoint") == expected)


def pledge_by_sms(c, phone):
    offer = sms_exchange(c, phone, "PLEDGE 500 FOOD")
    code = offer.split("YES ")[1].split()[0]
    done = sms_exchange(c, phone, f"YES {code}")
    return re.search(r"Pledge ([2-9A-HJ-NP-Z]{6})", done).group(1)


def receipt(c):
    """The SMS a status callback sent (taken, so it is not mistaken for
    the answer to a later message)."""
    return c.kannel.fakesmsc.next_reply(15)


# --- one chain through two gateways and a kill -9 ---------------------------

def submit_on(gw, n, lang="en"):
    """n requests on gw, from new phones, at once; their references."""
    def one(_):
        return submit_request(Dialog(gw, new_phone(), new_session()), lang)
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        return list(ex.map(one, range(n)))


def test_two_gateways_one_chain_through_kill_9(tmp_path, gateway, donors,
                                               redis, keys):
    ledger = ledger_conf(tmp_path, keys)
    c = donors(ledger=ledger)
    b = c.gw                    # Kannel's gateway, started first: writer
    a = gateway(adapters={"requests": dict(b.conf["adapters"]["requests"],
                                           path=None)},
                notify=b.conf["notify"],
                kannel=dict(b.conf["kannel"]), ledger=ledger)
    wait_until(lambda: "event=ledger-writer" in b.log(), 5, "B writing")
    assert "event=ledger-writer" not in a.log()
    refs, statuses = [], set()

    # Both gateways take requests; B pledges by SMS; both accept the back
    # office's callbacks.
    refs += submit_on(a, 3) + submit_on(b, 2)
    phone = "923001240001"
    pledge = pledge_by_sms(c, phone)
    refs.append(pledge)
    st, out = notify(a, {"msisdn": phone, "service": "*786#",
                         "event": "pledge_paid", "ref": pledge,
                         "fields": {"amount": "500"}}, key="paid-1")
    assert st == 200 and out["sent"] is True, out
    statuses.add("paid-1")
    receipt(c)
    wait_until(lambda: len(entries_of(ledger["file"])) >= 7, 10,
               "B writing the first entries")

    # The writer dies with requests on their way; A goes on taking them
    # and becomes the writer.
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        more = ex.submit(submit_on, a, 6)
        b.kill()
        refs += more.result()
    wait_until(lambda: "event=ledger-writer" in a.log(), 10, "A writing")
    st, out = notify(a, {"msisdn": phone, "service": "*786#",
                         "event": "request_status", "ref": refs[0],
                         "fields": {"status": "assigned"}}, key="st-1")
    assert st == 200, out
    statuses.add("st-1")
    receipt(c)

    # B comes back (a restart): its outbox and the back office's retry of
    # a callback it had taken are not booked twice.
    b.exit_checked = False
    b.start()
    refs += submit_on(b, 2, "ur")
    refs.append(pledge_by_sms(c, "923001240002"))
    st, again = notify(b, {"msisdn": phone, "service": "*786#",
                           "event": "pledge_paid", "ref": pledge,
                           "fields": {"amount": "500"}}, key="paid-1")
    assert st == 200 and again.get("duplicate"), again

    expected = len(refs) + len(statuses)
    wait_until(lambda: settled(redis, ledger["file"], expected), 30,
               f"{expected} entries written and signed",
               detail=lambda: "\n".join(lines_of(ledger["file"])[-5:]))
    entries = entries_of(ledger["file"])
    assert [e["seq"] for e in entries] == list(range(1, expected + 1))
    assert len({e["key"] for e in entries}) == expected, "a duplicate"
    assert sorted(e["ref"] for e in entries if e["kind"] != "status") == \
        sorted(refs)
    kinds = [e["kind"] for e in entries]
    assert kinds.count("pledge") == 2 and kinds.count("status") == 2
    assert kinds.count("request") == len(refs) - 2
    # Nothing personal: no number, no CNIC digits, no free text.
    text = open(ledger["file"], encoding="utf-8").read()
    assert phone not in text and "92300124" not in text
    assert all("cnic4" not in e["fields"] for e in entries)
    assert all(e["who"] and len(e["who"]) == 12 for e in entries)
    rc, out = run_verify(ledger["file"], keys[1])
    assert rc == 0, out
    assert f"{expected} entries" in out and \
        f"signed up to entry {expected}" in out, out
    # The head the running gateways share is the file's last entry.
    head = redis.command("GET", "asanigw:{ledger}:head").decode()
    assert head == f"{expected} {entries[-1]['hash']}"
    tampering(tmp_path, ledger["file"], keys[1])


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(x + "\n" for x in lines))


def tampering(tmp_path, path, pub):
    """Every kind of tampering is found, and names the broken entry."""
    good = lines_of(path)
    at = {json.loads(x).get("seq"): i for i, x in enumerate(good)}
    copy = os.path.join(str(tmp_path), "tampered.jsonl")

    def broken(lines, named):
        write_lines(copy, lines)
        rc, out = run_verify(copy, pub)
        assert rc == 1, out
        assert named in out, out

    # One changed byte: the amount of a pledge.
    lines = list(good)
    i = next(i for i, x in enumerate(lines) if '"amount":"500"' in x)
    lines[i] = lines[i].replace('"amount":"500"', '"amount":"900"')
    broken(lines, f"entry {json.loads(good[i])['seq']} ")
    # A removed entry.
    lines = list(good)
    del lines[at[4]]
    broken(lines, "entry 4 ")
    # A reordered pair.
    lines = list(good)
    lines[at[2]], lines[at[3]] = lines[at[3]], lines[at[2]]
    broken(lines, "entry 2 ")
    # A forged checkpoint: claims another head under the old signature.
    # Checkpoints fall every 5 entries or every second, whichever comes
    # first, so which entries they sign depends on the machine's pace.
    lines = list(good)
    i = next(i for i, x in enumerate(lines) if '"checkpoint":' in x)
    cp = json.loads(lines[i])
    first = cp["checkpoint"]
    cp["head"] = json.loads(good[at[1]])["hash"]
    lines[i] = json.dumps(cp, sort_keys=True, separators=(",", ":"))
    broken(lines, f"checkpoint at entry {first} ")
    # Signed by another key than the operator's.
    other = os.path.join(str(tmp_path), "other.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out",
                    other], check=True, capture_output=True)
    other_pub = other + ".pub"
    subprocess.run(["openssl", "pkey", "-in", other, "-pubout", "-out",
                    other_pub], check=True, capture_output=True)
    write_lines(copy, good)
    rc, out = run_verify(copy, other_pub)
    assert rc == 1 and f"checkpoint at entry {first} " in out, out
    # The untouched copy passes.
    shutil.copy(path, copy)
    assert run_verify(copy, pub)[0] == 0


# --- VERIFY over SMS, through real Kannel -----------------------------------

def test_verify_over_sms_in_three_languages(tmp_path, donors, redis, keys):
    ledger = ledger_conf(tmp_path, keys)
    c = donors(ledger=ledger)
    phone = "923001240011"
    ref = pledge_by_sms(c, phone)
    e = wait_until(lambda: entry_of(ledger["file"], ref), 10,
                   "the pledge in the ledger")
    seq, prefix = str(e["seq"]), e["hash"][:12]
    for word in ("VERIFY", "tasdeeq", "تصدیق"):
        reply = sms_exchange(c, phone, f"{word} {ref}")
        assert seq in reply and prefix in reply, (word, reply)
    assert "entry" in sms_exchange(c, phone, f"VERIFY {ref}")
    # Another number asking for the same reference learns nothing.
    other = sms_exchange(c, "923001240012", f"VERIFY {ref}")
    assert prefix not in other and "No request or pledge" in other, other


# --- the USSD screen, in English and Urdu -----------------------------------

def ledger_screen(gw, phone, lang, ref):
    """Dials, picks the language and Public ledger, sends ref: the END."""
    L = LANGS[lang]
    d = Dialog(gw, phone, new_session())
    d.dial()
    r = d.choose(L["language"])
    label = {"en": r"^Public ledger$", "ur-Latn": r"^Public ledger$",
             "ur": r"^عوامی رجسٹر$"}[lang]
    for _ in range(3):          # Urdu pages hold fewer options
        if any(re.search(label, x) for x in options(r.screen)):
            break
        r = d.send("98")
    r = d.choose(label)
    assert r.con, r
    r = d.send(ref)
    assert r.end, r
    return r.screen


def test_ledger_screen_over_ussd(tmp_path, gateway, redis, keys):
    ledger = ledger_conf(tmp_path, keys)
    gw = gateway(ledger=ledger)
    phone = new_phone()
    refs = [submit_request(Dialog(gw, phone, new_session()), lang)
            for lang in ("en", "ur")]
    for ref in refs:
        wait_until(lambda: entry_of(ledger["file"], ref), 10,
                   f"{ref} in the ledger")
    for lang, ref in zip(("en", "ur"), refs):
        e = entry_of(ledger["file"], ref)
        screen = ledger_screen(gw, phone, lang, ref)
        assert f" {e['seq']}" in screen and e["hash"][:12] in screen, \
            (lang, screen)
    assert "entry" in ledger_screen(gw, phone, "en", refs[0])
    assert "اندراج" in ledger_screen(gw, phone, "ur", refs[1])
    # Someone else's reference answers not found, as lookups do.
    e = entry_of(ledger["file"], refs[0])
    screen = ledger_screen(gw, new_phone(), "en", refs[0])
    assert e["hash"][:12] not in screen and "No request" in screen, screen


def test_complaint_in_the_ledger_and_its_screen(tmp_path, gateway,
                                                backoffice, redis, keys):
    """A complaint is an entry of kind complaint with its department and
    never its words; *787#'s Public ledger screen finds it."""
    from test_complaints import CODE, LABELS, WORDS, complaints_gateway, \
        file_complaint
    ledger = ledger_conf(tmp_path, keys)
    gw = complaints_gateway(gateway, backoffice, ledger=ledger)
    phone = new_phone()
    ref = file_complaint(gw, phone, "ur")
    e = wait_until(lambda: entry_of(ledger["file"], ref), 10,
                   "the complaint in the ledger")
    assert e["kind"] == "complaint" and e["service"] == CODE, e
    assert e["fields"] == {"department": "land"}, e
    text = open(ledger["file"], encoding="utf-8").read()
    assert WORDS["ur"] not in text and phone.lstrip("+") not in text
    for lang in ("en", "ur"):
        d = Dialog(gw, phone, new_session(), service=CODE)
        d.dial()
        r = d.choose(LABELS[lang]["language"])
        label = r"^Public ledger$" if lang == "en" else r"^عوامی رجسٹر$"
        for _ in range(3):
            if any(re.search(label, x) for x in options(r.screen)):
                break
            r = d.send("98")
        d.choose(label)
        r = d.send(ref)
        assert r.end and f" {e['seq']}" in r.screen and \
            e["hash"][:12] in r.screen, r


def test_check_names_a_bad_ledger_key(tmp_path, keys):
    """asanigw -t refuses a ledger key that is not file:, unreadable, or
    not an Ed25519 private key, with the file and line."""
    from conftest import Gateway, run_check, to_libconfig
    rsa = os.path.join(str(tmp_path), "rsa.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "rsa", "-pkeyopt",
                    "rsa_keygen_bits:1024", "-out", rsa], check=True,
                   capture_output=True)
    cases = [("env:LEDGER_KEY", "must be \"file:PATH\""),
             ("file:" + os.path.join(str(tmp_path), "none.key"),
              "cannot read"),
             ("file:" + rsa, "no Ed25519 private key"),
             ("file:" + keys[1], "no Ed25519 private key")]
    for key, why in cases:
        conf = Gateway(str(tmp_path), None, {"ledger": ledger_conf(
            tmp_path, keys, key=key)}, [], "check").conf
        path = os.path.join(str(tmp_path), "ledger-check.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_libconfig(conf))
        rc, out = run_check(path)
        assert rc == 1 and why in out, (key, out)
        assert re.search(r"ledger-check\.conf:\d+: ledger\.key", out), out
    conf = Gateway(str(tmp_path), None, {"ledger": ledger_conf(
        tmp_path, keys)}, [], "check").conf
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_libconfig(conf))
    rc, out = run_check(path)
    assert rc == 0 and "configuration OK" in out, out
