"""A station on PostgreSQL talks to a station on SQLite, through a SIGKILL.

Station A keeps its store in a private PostgreSQL 15 cluster ([storage] backend = "postgresql",
a URL with a password); station B keeps its SQLite file. Messages go both ways and must arrive
exactly once, in order. A is killed with SIGKILL and restarted on the same database; more
messages go both ways, and nothing may be lost or repeated. Then A's journal must pass
`hotline journal verify --db <url>` (and through the API), evidence exported from it (offline with
--db <url> and through the API) must pass `hotline evidence verify`, what PostgreSQL cannot do yet
must be refused clearly, and the URL's password must appear in no log and no output.
"""
import json
import secrets
import signal
import subprocess

from harness import HOTLINE, World, log, main, wait_for
from pg_cluster import PgCluster, skip_if_disabled

PER_ROUND = 25


def post_both_ways(w, round_no, posted):
    for i in range(PER_ROUND):
        for sender, key in ((w.a, "a"), (w.b, "b")):
            code, body = sender.post(f"round {round_no} from {key} #{i:02d}",
                                     precedence=["routine", "flash"][i % 2])
            assert code == 201, (code, body)
            posted[key].append(body["id"])


def all_delivered(w):
    for s in (w.a, w.b):
        c = s.channel_status()
        if c["queued"] != 0 or c["unacked"] != 0:
            return False
    return True


def check_exactly_once(w, posted):
    for receiver, sender_key in ((w.b, "a"), (w.a, "b")):
        inbox = receiver.messages("in")
        ids = [m["id"] for m in inbox]
        assert len(ids) == len(set(ids)), f"{receiver.id} shows a message twice"
        assert set(ids) == set(posted[sender_key]), (
            f"{receiver.id}: missing {len(set(posted[sender_key]) - set(ids))}, "
            f"extra {len(set(ids) - set(posted[sender_key]))}")
        assert [m["seq"] for m in inbox] == list(range(1, len(ids) + 1)), "seqs are not 1..N"


def hotline(*args):
    return subprocess.run([HOTLINE, *args], capture_output=True, text=True, timeout=120)


def test():
    skip_if_disabled()
    password = "pw-" + secrets.token_hex(12)
    with PgCluster() as pg, World("postgresql") as w:
        url = pg.create_database("hotline_a", "hotline_a", password)
        with open(w.a.config, "a") as f:
            f.write(f'\n[storage]\nbackend = "postgresql"\nurl = "{url}"\n')
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())
        posted = {"a": [], "b": []}
        post_both_ways(w, 1, posted)
        wait_for("round 1 delivered", lambda: all_delivered(w), timeout_s=120)
        check_exactly_once(w, posted)
        log(f"round 1: {PER_ROUND} messages each way delivered exactly once")

        post_both_ways(w, 2, posted)
        log("SIGKILL station A (PostgreSQL) with round 2 in flight")
        w.a.kill(signal.SIGKILL)
        w.a.start()
        wait_for("link up again", lambda: w.a.link_up() and w.b.link_up())
        post_both_ways(w, 3, posted)
        wait_for("rounds 2 and 3 delivered", lambda: all_delivered(w), timeout_s=120)
        check_exactly_once(w, posted)
        log(f"after the kill: {3 * PER_ROUND} messages each way, each exactly once, in order")

        out = hotline("journal", "verify", "--db", url, "--agreement", str(w.dir / "agreement.toml"))
        assert out.returncode == 0, out.stdout + out.stderr
        assert "All sound" in out.stdout, out.stdout
        assert password not in out.stdout + out.stderr
        log(out.stdout.strip().splitlines()[0])
        # An API token made offline lands in PostgreSQL, with its audit row and journal entry;
        # the running station accepts it at once.
        made = w.a.token_command("add", "auditor-pg", "--role", "auditor")
        assert made.returncode == 0, made.stdout + made.stderr
        secret = made.stdout.strip().splitlines()[-1]
        assert password not in made.stdout + made.stderr
        code, report = w.a.request("POST", "/api/v1/journal/verify", {}, auth=False,
                                   headers={"Authorization": f"Bearer {secret}"})
        assert code == 200 and report["ok"], (code, report)
        log(f"the station verified its own journal on PostgreSQL: {report['entries_checked']} "
            "entries, the token's audit entry included")

        refused = hotline("backup", "--config", str(w.a.config), "--out", str(w.dir / "a.zst"))
        assert refused.returncode != 0 and "pg_basebackup" in refused.stderr, refused.stderr
        assert password not in refused.stdout + refused.stderr
        wrong = url.replace(password, "not-the-" + password[3:])
        bad = hotline("journal", "verify", "--db", wrong)
        assert bad.returncode != 0 and "password authentication failed" in bad.stderr, bad.stderr
        assert "not-the-" not in bad.stdout + bad.stderr and password[3:] not in bad.stderr
        # Evidence from PostgreSQL, offline through a read-only connection and through the API,
        # is a bundle the agreement alone verifies.
        evidence = hotline("evidence", "export", posted["a"][0], "--out", str(w.dir / "e.json"),
                           "--db", url)
        assert evidence.returncode == 0, evidence.stdout + evidence.stderr
        assert password not in evidence.stdout + evidence.stderr
        checked = hotline("evidence", "verify", str(w.dir / "e.json"),
                          "--agreement", str(w.dir / "agreement.toml"))
        assert checked.returncode == 0 and "VERIFIED" in checked.stdout, \
            checked.stdout + checked.stderr
        assert password not in checked.stdout + checked.stderr
        code, bundle = w.a.request("GET", f"/api/v1/messages/{posted['b'][0]}/evidence",
                                   auth=False, headers={"Authorization": f"Bearer {secret}"})
        assert code == 200 and bundle["message"]["id"] == posted["b"][0], (code, bundle)
        (w.dir / "api.json").write_text(json.dumps(bundle))
        checked = hotline("evidence", "verify", str(w.dir / "api.json"),
                          "--agreement", str(w.dir / "agreement.toml"))
        assert checked.returncode == 0 and "VERIFIED" in checked.stdout, \
            checked.stdout + checked.stderr
        log("evidence exported from PostgreSQL, offline and through the API, verified: "
            + checked.stdout.strip().splitlines()[0])

        w.a.kill(signal.SIGTERM)
        assert password not in w.a.log(), "the database password is in station A's log"
        log("the URL's password appears in no log and no output")


if __name__ == "__main__":
    main(test)
