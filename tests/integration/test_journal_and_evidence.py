"""The signed journal and evidence bundles, on two real stations.

Messages cross the navy hotline; one station is killed with SIGKILL in the middle of a burst and
restarted; the other acknowledges a FLASH message. Then: an auditor verifies the journal through
the API (a duty officer may not); an auditor's evidence bundle, copied to a directory that holds
nothing but the agreement, verifies offline and says who sent what, when it reached the other
side's disk and who acknowledged it; a changed bundle fails and says why; both stations'
databases verify offline with `hotline journal verify --db`, and a changed byte in one fails,
naming the entry.
"""
import json
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from harness import HOTLINE, World, log, main, wait_for


def hotline(*args):
    return subprocess.run([HOTLINE, *args], capture_output=True, text=True, timeout=120)


def sign_in(station, role):
    name, (_, _, password) = next((n, u) for n, u in station.users().items() if u[0] == role)
    status, cookie, body = station.login(name, password)
    assert status == 200, (status, body)
    return {"Cookie": cookie.split(";", 1)[0], "X-CSRF-Token": body["csrf_token"]}


def delivered(station, n):
    out = [m for m in station.messages("out") if m["status"] in ("delivered", "acknowledged")]
    return len(out) >= n


def test():
    with World("journal") as w:
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())

        code, flash = w.a.post("Unscheduled firing exercise", precedence="flash")
        assert code == 201, (code, flash)
        for i in range(30):
            assert w.a.post(f"routine report {i}")[0] == 201
        w.a.kill()  # SIGKILL in the middle of sending
        w.a.start()
        for i in range(5):
            assert w.a.post(f"after restart {i}")[0] == 201
        wait_for("all 36 delivered", lambda: delivered(w.a, 36), timeout_s=60)
        code, acked = w.b.request("POST", f"/api/v1/messages/{flash['id']}/ack", {"answer": "Noted, stand by"})
        assert code == 200, (code, acked)
        wait_for("ack at the sender",
                 lambda: w.a.request("GET", f"/api/v1/messages/{flash['id']}")[1]["status"] == "acknowledged")
        log("36 messages delivered across a SIGKILL; the flash acknowledged")

        # The journal through the API: auditors verify; duty officers may not.
        code, body = w.a.request("POST", "/api/v1/journal/verify", {})
        assert code == 403, (code, body)
        auditor = sign_in(w.a, "auditor")
        status, _, report = w.a.exchange("POST", "/api/v1/journal/verify", {}, auditor)
        assert status == 200 and report["ok"], (status, report)
        assert report["messages_checked"] >= 37 and report["checkpoints_checked"] > 0, report
        status, _, page = w.a.exchange("GET", "/api/v1/journal?kind=receipt&limit=5", None, auditor)
        assert status == 200 and page["entries"] and page["entries"][0]["kind"] == "receipt", page
        status, _, page = w.a.exchange("GET", "/api/v1/journal?q=login", None, auditor)
        assert any(e["kind"] == "login" for e in page["entries"]), page
        log(f"journal verified by an auditor: {report['entries_checked']} entries, "
            f"{report['checkpoints_checked']} checkpoints; a duty officer is refused")

        # Evidence, checked on a machine that holds only the agreement.
        status, headers, bundle = w.a.exchange("GET", f"/api/v1/messages/{flash['id']}/evidence", None, auditor)
        assert status == 200, (status, bundle)
        assert any(k.lower() == "content-disposition" and "evidence-" in v for k, v in headers), headers
        elsewhere = Path(tempfile.mkdtemp(prefix="hotline-auditor-"))
        try:
            shutil.copy(w.dir / "agreement.toml", elsewhere / "agreement.toml")
            (elsewhere / "bundle.json").write_text(json.dumps(bundle))
            out = hotline("evidence", "verify", str(elsewhere / "bundle.json"),
                          "--agreement", str(elsewhere / "agreement.toml"))
            assert out.returncode == 0, out.stdout + out.stderr
            for words in ("VERIFIED", "rok-fleet-command (ROK Navy Fleet Command) sent message",
                          "reached ru-pacific-fleet", "acknowledged by", "Noted, stand by"):
                assert words in out.stdout, (words, out.stdout)
            log("evidence verified offline:\n" + out.stdout)

            bundle["message"]["body"] = "Scheduled firing exercise"
            (elsewhere / "changed.json").write_text(json.dumps(bundle))
            out = hotline("evidence", "verify", str(elsewhere / "changed.json"),
                          "--agreement", str(elsewhere / "agreement.toml"))
            assert out.returncode == 1 and "NOT VERIFIED" in out.stdout, out.stdout + out.stderr
            assert "hash chain does not include this message" in out.stdout, out.stdout
            log("a changed bundle: " + out.stdout.strip().splitlines()[0])
        finally:
            shutil.rmtree(elsewhere, ignore_errors=True)

        # Both databases, offline.
        w.a.kill(sig=15)
        w.b.kill(sig=15)
        for s in (w.a, w.b):
            out = hotline("journal", "verify", "--db", str(s.dir / "hotline.db"),
                          "--agreement", str(w.dir / "agreement.toml"))
            assert out.returncode == 0 and "All sound" in out.stdout, out.stdout + out.stderr
        db = w.a.dir / "hotline.db"
        with sqlite3.connect(db) as c:
            c.execute("UPDATE messages SET body = CAST('Routine report 3' AS BLOB)"
                      " WHERE CAST(body AS TEXT) = 'routine report 3'")
            assert c.total_changes == 1
        out = hotline("journal", "verify", "--db", str(db), "--agreement", str(w.dir / "agreement.toml"))
        assert out.returncode == 1, out.stdout + out.stderr
        assert ("FAILS VERIFICATION at entry #" in out.stdout
                and "stored bytes differ from the digest journaled" in out.stdout), out.stdout
        log("offline: both journals sound; one changed byte found: " + out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main(test)
