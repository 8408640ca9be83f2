"""A backup of a running station, 500 more messages each way, the database destroyed, a restore
from the old backup: the restored station gets its lost tail back from the peer.

`hotline backup` runs while both stations carry traffic and writes a verified, compressed copy.
After 500 more messages each way, station A is killed and its database files are deleted;
`hotline restore` puts the backup back (and refuses to overwrite a database). When A starts, it
has forgotten the last 500 messages of each direction. The peer still holds them, signed: A
fetches its own back and B sends its own again. Then every message is on both disks exactly
once, with the same seq on both sides (no seq used twice), new messages continue the sequence,
both journals verify, and A's journal records the restore and the recovery.
"""
import os
import sqlite3
import threading

from harness import HOTLINE, World, log, main, wait_for

BEFORE = 20
AFTER = 500


def run(*args):
    import subprocess
    return subprocess.run([HOTLINE, *args], capture_output=True, text=True, timeout=300)


def post_many(station, prefix, n, errors):
    try:
        for i in range(n):
            code, body = station.post(f"{prefix} {i:04d}")
            if code != 201:
                errors.append((prefix, i, code, body))
                return
    except Exception as e:  # noqa: BLE001 - reported to the main thread
        errors.append(e)


def all_delivered(station, n):
    out = station.messages("out")
    return len(out) == n and all(m["status"] in ("delivered", "acknowledged") for m in out)


def by_seq(messages):
    """{seq: id}, failing on a seq used twice."""
    seen = {}
    for m in messages:
        assert m["seq"] not in seen, f"seq {m['seq']} names {seen[m['seq']]} and {m['id']}"
        seen[m["seq"]] = m["id"]
    return seen


def journal_kinds(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [row[0] for row in con.execute("SELECT kind FROM journal ORDER BY seq")]
    finally:
        con.close()


def verify_offline(db):
    out = run("journal", "verify", "--db", str(db))
    assert out.returncode == 0 and "All sound" in out.stdout, out.stdout + out.stderr
    return out.stdout


def post_both_ways(w, prefix, n):
    errors = []
    threads = [threading.Thread(target=post_many, args=(w.a, f"{prefix} A", n, errors)),
               threading.Thread(target=post_many, args=(w.b, f"{prefix} B", n, errors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test():
    with World("restore") as w:
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())
        post_both_ways(w, "before", BEFORE)
        wait_for("the first messages delivered",
                 lambda: all_delivered(w.a, BEFORE) and all_delivered(w.b, BEFORE), timeout_s=60)

        backup = w.dir / "a-backup.zst"
        made = run("backup", "--config", str(w.a.config), "--out", str(backup))
        assert made.returncode == 0, made.stdout + made.stderr
        assert "journal verified" in made.stdout, made.stdout
        assert backup.exists() and backup.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
        log(made.stdout.strip())

        total = BEFORE + AFTER
        post_both_ways(w, "after", AFTER)
        wait_for("every message delivered",
                 lambda: all_delivered(w.a, total) and all_delivered(w.b, total), timeout_s=300)
        # An officer at A answers one of B's messages after the backup: the answer is one of A's
        # messages, and the acknowledgement must come back with it.
        answered = w.a.messages("in")[-1]["id"]
        code, body = w.a.request("POST", f"/api/v1/messages/{answered}/ack", {"answer": "Received"})
        assert code == 200, (code, body)
        wait_for("B sees the answer", lambda: any(
            m["id"] == answered and m["acknowledged_at"] for m in w.b.messages("out")))
        total += 1  # the answer is one more message from A
        a_out, a_in = by_seq(w.a.messages("out")), by_seq(w.a.messages("in"))
        b_out, b_in = by_seq(w.b.messages("out")), by_seq(w.b.messages("in"))
        assert a_out == b_in and b_out == a_in and len(a_out) == total and len(b_out) == total - 1

        # The machine's disk is lost: A dies, its database files go.
        w.a.kill()
        db = w.a.dir / "hotline.db"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{db}{suffix}"):
                os.remove(f"{db}{suffix}")
        restored = run("restore", "--config", str(w.a.config), "--from", str(backup))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        log(restored.stdout.strip())
        again = run("restore", "--config", str(w.a.config), "--from", str(backup))
        assert again.returncode != 0 and "never replaces" in again.stderr, again

        w.a.start()
        wait_for("A holds its whole history again",
                 lambda: len(w.a.messages("out")) == total and len(w.a.messages("in")) == total - 1
                 and all_delivered(w.a, total), timeout_s=120)
        assert by_seq(w.a.messages("out")) == a_out, "A's sent messages came back changed"
        assert by_seq(w.a.messages("in")) == a_in, "A's received messages came back changed"
        assert by_seq(w.b.messages("in")) == b_in, "B's inbox changed: something was sent twice"
        again_answered = next(m for m in w.a.messages("in") if m["id"] == answered)
        assert again_answered["acknowledged_at"], "the officer's acknowledgement did not come back"

        # New traffic continues the sequence: no seq is used twice.
        for i in range(5):
            assert w.a.post(f"after the restore {i}")[0] == 201
        wait_for("new messages delivered", lambda: all_delivered(w.a, total + 5), timeout_s=60)
        b_in_now = by_seq(w.b.messages("in"))
        assert sorted(b_in_now) == list(range(1, total + 6))

        kinds = journal_kinds(db)
        for kind in ("backup_taken", "restored_from_backup", "peer_ahead", "reclaimed"):
            assert kind in kinds, f"A's journal has no {kind}"
        assert "peer_behind" in journal_kinds(w.b.dir / "hotline.db")
        verify_offline(db)
        verify_offline(w.b.dir / "hotline.db")
        assert w.a.healthy() and w.b.healthy()


if __name__ == "__main__":
    main(test)
