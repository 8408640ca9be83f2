"""Key rotation under traffic: station A's TLS key and signing key change at an agreed instant,
and nothing is lost or refused.

Both sides take version 2 of the agreement, which supersedes version 1, takes effect a few
seconds ahead and pins A's new keys. Each station names it in a [rotation] table of its config
(A with its new key files) and is restarted to take it in, well before the instant. Both then
post without pause through the switch and past the end of the overlap, when B stops accepting
A's old TLS key and closes the links A made with it. Then:

- every message posted is on the other side exactly once, with no seq used twice;
- neither side refused anything (no `refused` entry in either journal);
- both journals record the switch (`agreement_staged`, `agreement_switched`) and verify offline
  with the versions the stores kept;
- a bundle exported before the rotation still verifies with version 1 alone; a bundle of an old
  message exported after it verifies with versions 1 and 2 (proven by A's old key), and is
  refused, with the reason, with version 2 alone; a bundle of a message posted after the switch
  is proven by A's new key.
"""
import datetime
import hashlib
import json
import re
import subprocess
import threading
import time

from harness import HOTLINE, World, log, main, wait_for

LEAD_S = 20        # how far ahead of the restart the switch is set
OVERLAP_MIN = 1    # the shortest overlap the agreement allows
PAUSE_S = 0.05     # between posts, on each side


def run(*args):
    return subprocess.run([HOTLINE, *args], capture_output=True, text=True, timeout=120)


def keygen(directory, station):
    out = run("keygen", "--dir", str(directory), "--station", station)
    assert out.returncode == 0, out.stderr
    fp = re.search(r'tls_fingerprint = "([^"]+)"', out.stdout).group(1)
    key = re.search(r'signing_key = "([^"]+)"', out.stdout).group(1)
    return fp, key


def station_block(text, station):
    start = text.index(f'id = "{station}"')
    end = text.find("[[stations]]", start)
    return start, (len(text) if end < 0 else end)


def successor(v1_text, station, fp, key, effective_at):
    """Version 2: version 1 with A's keys replaced and the succession header added."""
    v1_hash = hashlib.sha256(v1_text.encode()).hexdigest()
    text = re.sub(r"^version = 1$",
                  f'version = 2\nsupersedes = "sha256:{v1_hash}"\n'
                  f"effective_at = {effective_at}\noverlap_minutes = {OVERLAP_MIN}",
                  v1_text, count=1, flags=re.M)
    start, end = station_block(text, station)
    block = re.sub(r'tls_fingerprint = "[^"]+"', f'tls_fingerprint = "{fp}"', text[start:end])
    block = re.sub(r'signing_key = "[^"]+"', f'signing_key = "{key}"', block)
    return text[:start] + block + text[end:]


def old_keys(v1_text, station):
    start, end = station_block(v1_text, station)
    return re.search(r'signing_key = "([^"]+)"', v1_text[start:end]).group(1)


def post_until(station, prefix, stop_at, posted, errors):
    i = 0
    try:
        while time.time() < stop_at:
            code, body = station.post(f"{prefix} {i:05d}")
            if code != 201:
                errors.append((prefix, i, code, body))
                return
            posted.append(body["id"])
            i += 1
            time.sleep(PAUSE_S)
    except Exception as e:  # noqa: BLE001 - reported to the main thread
        errors.append(e)


def journal(db, kind=None):
    import sqlite3
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT kind, detail FROM journal ORDER BY seq").fetchall()
    finally:
        con.close()
    return [(k, d) for k, d in rows if kind is None or k == kind]


def verify_evidence(bundle, *agreements):
    args = ["evidence", "verify", str(bundle)]
    for a in agreements:
        args += ["--agreement", str(a)]
    return run(*args)


def export(station, message_id, out):
    res = run("evidence", "export", message_id, "--out", str(out), "--db",
              str(station.dir / "hotline.db"))
    assert res.returncode == 0, res.stderr + res.stdout


def refused_at_start(station, rotation, expected):
    """A [rotation] the station must refuse: it exits at once and says why."""
    original = station.config.read_text()
    station.config.write_text(original + rotation)
    try:
        out = subprocess.run([HOTLINE, "station", "--config", str(station.config)],
                             capture_output=True, text=True, timeout=60)
    finally:
        station.config.write_text(original)
    said = out.stdout + out.stderr
    assert out.returncode != 0 and expected in said, f"expected '{expected}', got: {said}"


def all_in(station, ids):
    have = [m["id"] for m in station.messages("in")]
    return set(ids) <= set(have)


def test():
    with World("rotation") as w:
        a, b = w.a, w.b
        agreement_v1 = w.dir / "agreement.toml"
        v1_text = agreement_v1.read_text()
        a.start()
        b.start()
        wait_for("link up", lambda: a.link_up() and b.link_up())
        code, early = a.post("before the rotation")
        assert code == 201, early
        wait_for("first message delivered", lambda: all_in(b, [early["id"]]))
        export(a, early["id"], w.dir / "before.json")

        # Version 2 pins A's new keys from an instant both sides agreed on.
        fp, key = keygen(a.dir / "keys-2027", a.id)
        switch_at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
            datetime.timedelta(seconds=LEAD_S)
        v2_text = successor(v1_text, a.id, fp, key, switch_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        agreement_v2 = w.dir / "agreement-v2.toml"
        agreement_v2.write_text(v2_text)

        # What a station refuses to take in, with the reason: a next version that changes more
        # than keys, and one whose new keys the station does not hold.
        for s in (a, b):
            s.kill()
        (w.dir / "agreement-bad.toml").write_text(v2_text.replace('title = "', 'title = "Renamed ', 2))
        refused_at_start(b, '\n[rotation]\nagreement = "../agreement-bad.toml"\n', "cannot follow")
        refused_at_start(a, '\n[rotation]\nagreement = "../agreement-v2.toml"\n',
                         "pins a signing key for " + a.id)
        with open(a.config, "a") as f:
            f.write('\n[rotation]\nagreement = "../agreement-v2.toml"\n'
                    'tls_certificate = "keys-2027/tls.crt"\ntls_private_key = "keys-2027/tls.key"\n'
                    'signing_key = "keys-2027/signing.key"\n')
        with open(b.config, "a") as f:
            f.write('\n[rotation]\nagreement = "../agreement-v2.toml"\n')
        a.start()
        b.start()
        wait_for("link up after staging", lambda: a.link_up() and b.link_up())
        assert time.time() < switch_at.timestamp() - 2, "staging took too long for this test"

        stop_at = switch_at.timestamp() + OVERLAP_MIN * 60 + 8
        posted = {"a": [], "b": []}
        errors = []
        threads = [threading.Thread(target=post_until, args=(a, "A", stop_at, posted["a"], errors)),
                   threading.Thread(target=post_until, args=(b, "B", stop_at, posted["b"], errors))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        log(f"posted {len(posted['a'])} from A and {len(posted['b'])} from B through the switch")
        assert len(posted["a"]) > 100 and len(posted["b"]) > 100, posted

        wait_for("every message delivered", lambda: all_in(b, posted["a"]) and all_in(a, posted["b"]),
                 timeout_s=120)
        for receiver, sender_ids in ((b, posted["a"] + [early["id"]]), (a, posted["b"])):
            inbox = receiver.messages("in")
            ids = [m["id"] for m in inbox]
            assert len(ids) == len(set(ids)), "a message was received twice"
            seqs = sorted(m["seq"] for m in inbox)
            assert seqs == list(range(1, len(seqs) + 1)), "a seq was skipped or used twice"
            assert set(sender_ids) <= set(ids)

        for s in (a, b):
            db = s.dir / "hotline.db"
            kinds = [k for k, _ in journal(db)]
            assert "refused" not in kinds, f"{s.id} refused something: " + \
                str([d for k, d in journal(db, "refused")])
            assert "agreement_staged" in kinds, kinds
            switched = journal(db, "agreement_switched")
            assert len(switched) == 1, switched
            assert json.loads(switched[0][1])["version"] == 2
            out = run("journal", "verify", "--db", str(db))
            assert out.returncode == 0 and "All sound" in out.stdout, out.stdout + out.stderr
            assert s.status()["agreement"] == "sha256:" + hashlib.sha256(v2_text.encode()).hexdigest()
        assert "closing a link made with a key no longer pinned" in b.log(), \
            "B did not retire the links A made with its old key"
        assert a.link_up() and b.link_up()

        # Evidence: made before the rotation, and made after it of a message from before it.
        before = verify_evidence(w.dir / "before.json", agreement_v1)
        assert before.returncode == 0 and "VERIFIED" in before.stdout, before.stdout + before.stderr
        export(a, early["id"], w.dir / "after.json")
        both = verify_evidence(w.dir / "after.json", agreement_v1, agreement_v2)
        assert both.returncode == 0 and "VERIFIED" in both.stdout, both.stdout + both.stderr
        assert old_keys(v1_text, a.id) in both.stdout, "the old message is proven by the old key"
        alone = verify_evidence(w.dir / "after.json", agreement_v2)
        assert alone.returncode != 0 and "give the version before it too" in alone.stdout, alone.stdout
        late = posted["a"][-1]
        export(a, late, w.dir / "late.json")
        new = verify_evidence(w.dir / "late.json", agreement_v1, agreement_v2)
        assert new.returncode == 0 and key in new.stdout, new.stdout + new.stderr
        log("rotation: 0 lost, 0 refused, old and new evidence verify")


if __name__ == "__main__":
    main(test)
