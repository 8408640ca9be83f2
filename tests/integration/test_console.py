"""The watch officer's web console, end to end in Debian's Chromium against two real stations.

Creates a demo world, makes sure each station serves the built console (web/dist) and has a duty
officer and an auditor, starts both stations, and runs `npm test` in web/ with the stations'
addresses and accounts: the story, and an auditor who reads and verifies A's real journal and
downloads evidence that `hotline evidence verify` then accepts with nothing but the agreement.

Then the alarm, for real: both stations stop; A's history is rewritten on its disk (a sent
message's text, and the hash chain A resumes from); A starts alone and web/tests/
attestation.test.mjs signs in A's officer; once that console listens, B starts, its signed
checkpoint contradicts A's history, and A raises the alarm, which the consoles must show, sound,
keep and let only a supervisor or an auditor dismiss; A's journal must then fail verification.

Fails if the browser tests fail. Exits 77 (skip) when /usr/bin/chromium or npm is missing, saying
so loudly. Screenshots, the evidence bundle and the first-load timings go to $HOTLINE_ARTIFACTS
(ctest sets it to <build dir>/artifacts), else build-test/artifacts/.
"""
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import HOTLINE, SKIP, World, log, main, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("HOTLINE_ARTIFACTS", ROOT / "build-test" / "artifacts"))
NPM_TEST_TIMEOUT_S = 600


def skip(reason):
    bar = "!" * 78
    log(f"{bar}\nSKIP test_console: {reason}\n{bar}")
    sys.exit(SKIP)


def ensure_console_built():
    if not (WEB / "node_modules").is_dir():
        run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB)
    if not (WEB / "dist" / "index.html").is_file():
        run(["npm", "run", "build"], cwd=WEB)


def run(cmd, **kw):
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, timeout=NPM_TEST_TIMEOUT_S, **kw)


def read_users(path):
    """DIR/<station>.users as written by `hotline demo`: "name role language password" lines."""
    users = []
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, role, language, password = line.split(None, 3)
            users.append({"name": name, "role": role, "language": language, "password": password})
    return users


def ensure_users(station, language, officer, auditor):
    """The station's demo users, or, from a demo that does not make them, new ones."""
    users_file = station.world.dir / f"{station.id}.users"
    if users_file.exists():
        return read_users(users_file)
    users = []
    for name, role in ((officer, "duty-officer"), (auditor, "auditor")):
        password = secrets.token_urlsafe(18)
        subprocess.run([HOTLINE, "user", "add", name, "--role", role, "--lang", language,
                        "--config", str(station.config)],
                       input=password + "\n", text=True, check=True, capture_output=True, timeout=60)
        users.append({"name": name, "role": role, "language": language, "password": password})
    return users


def ensure_console_dir(station):
    """Points the station at web/dist when the demo did not (older demos)."""
    text = station.config.read_text()
    if "[console]" not in text:
        dist = (WEB / "dist").resolve()
        station.config.write_text(text.replace("[log]", f'[console]\ndir = "{dist}"\n\n[log]', 1))


def serves_console(station):
    status, body = station.request("GET", "/", auth=False, fresh=True)
    return status == 200 and isinstance(body, str) and "<div id=\"app\">" in body


def test():
    if not Path(CHROMIUM).exists():
        skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/install-deps) to test the console")
    if shutil.which("npm") is None:
        skip("npm is missing: install Debian's nodejs and npm (scripts/install-deps)")
    ensure_console_built()
    with World("console") as w:
        a_users = ensure_users(w.a, "ko", "officer-kim", "auditor-rok")
        b_users = ensure_users(w.b, "ru", "officer-ivanov", "auditor-ru")
        for s in (w.a, w.b):
            ensure_console_dir(s)
            s.start()
        for s in (w.a, w.b):
            assert serves_console(s), f"{s.id} does not serve the console at / (console.dir)"
        wait_for("navy link up", lambda: w.a.link_up() and w.b.link_up(), timeout_s=60)

        officer_a = next(u for u in a_users if u["role"] == "duty-officer")
        officer_b = next(u for u in b_users if u["role"] == "duty-officer")
        auditor_a = next((u for u in a_users if u["role"] == "auditor"), None)
        env = dict(os.environ)
        env.update({
            "HOTLINE_A_URL": w.a.addr, "HOTLINE_B_URL": w.b.addr,
            "HOTLINE_A_USER": officer_a["name"], "HOTLINE_A_PASSWORD": officer_a["password"],
            "HOTLINE_B_USER": officer_b["name"], "HOTLINE_B_PASSWORD": officer_b["password"],
            "HOTLINE_ARTIFACTS": str(ARTIFACTS), "CHROMIUM": CHROMIUM,
        })
        translator_b = next((u for u in b_users if u["role"] == "translator"), None)
        supervisor_b = next((u for u in b_users if u["role"] == "supervisor"), None)
        if translator_b and supervisor_b:
            env.update({"HOTLINE_B_TRANSLATOR": translator_b["name"],
                        "HOTLINE_B_TRANSLATOR_PASSWORD": translator_b["password"],
                        "HOTLINE_B_SUPERVISOR": supervisor_b["name"],
                        "HOTLINE_B_SUPERVISOR_PASSWORD": supervisor_b["password"]})
        if auditor_a:
            env.update({"HOTLINE_A_AUDITOR": auditor_a["name"],
                        "HOTLINE_A_AUDITOR_PASSWORD": auditor_a["password"]})
        # The downloaded evidence is verified offline, as an auditor elsewhere would.
        env.update({"HOTLINE_BIN": str(Path(HOTLINE).resolve()),
                    "HOTLINE_AGREEMENT": str(w.dir / "agreement.toml"),
                    "HOTLINE_B_STATION": w.b.id})
        started = time.monotonic()
        out = subprocess.run(["npm", "test", "--silent"], cwd=WEB, env=env, timeout=NPM_TEST_TIMEOUT_S)
        log(f"npm test took {time.monotonic() - started:.1f} s; screenshots in {ARTIFACTS}")
        assert out.returncode == 0, f"npm test in web/ failed with exit code {out.returncode}"
        # The story posted a FLASH from A; B must hold it, so the browser really drove the API.
        flashes = [m for m in w.b.messages("in") if m["precedence"] == "flash"]
        assert flashes, "station B received no FLASH from the console at A"

        supervisor_a = next((u for u in a_users if u["role"] == "supervisor"), None)
        if auditor_a and supervisor_a:
            station_alarm(w, env, supervisor_a)
        else:
            log("note: the demo made no supervisor at A; the station alarm is not tested")


def all_delivered(station):
    return all(m["status"] in ("delivered", "acknowledged") for m in station.messages("out"))


def rewrite_history(db):
    """Changes A's history as someone with its disk might: the text of a routine message it sent,
    and the hash chain it resumes from (the newest delivered message's `chain`). Returns the id
    of the changed message."""
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT id FROM messages WHERE channel = 'navy' AND box = 'out'"
                        " AND CAST(body AS TEXT) = 'Routine position report 7'").fetchone()
        assert row, "no 'Routine position report 7' at A: did the journal test post its traffic?"
        c.execute("UPDATE messages SET body = CAST('Routine position report 7: all quiet' AS BLOB)"
                  " WHERE id = ?", row)
        (newest,) = c.execute("SELECT MAX(seq) FROM messages WHERE channel = 'navy' AND box = 'out'"
                              " AND delivered_at_ms IS NOT NULL").fetchone()
        c.execute("UPDATE messages SET chain = randomblob(32)"
                  " WHERE channel = 'navy' AND box = 'out' AND seq = ?", (newest,))
        assert c.total_changes == 2
    return row[0]


def station_alarm(w, env, supervisor):
    wait_for("A's traffic delivered", lambda: all_delivered(w.a), timeout_s=60)
    w.a.kill(signal.SIGTERM)
    w.b.kill(signal.SIGTERM)
    rewritten = rewrite_history(w.a.dir / "hotline.db")
    log(f"rewrote message {rewritten} and the chain A resumes from; starting A alone")
    w.a.start()
    ready = Path(tempfile.mkdtemp(prefix="hotline-alarm-")) / "listening"
    try:
        env = dict(env, HOTLINE_ALARM_READY=str(ready), HOTLINE_REWRITTEN_ID=rewritten,
                   HOTLINE_A_SUPERVISOR=supervisor["name"],
                   HOTLINE_A_SUPERVISOR_PASSWORD=supervisor["password"])
        node = subprocess.Popen(["node", "--test", "--test-concurrency=1", "tests/attestation.test.mjs"],
                                cwd=WEB, env=env)
        try:
            wait_for("the officer's console at A listening", lambda: ready.exists() or node.poll() is not None,
                     timeout_s=120)
            if node.poll() is None:
                log("the console listens; starting B, whose checkpoint contradicts A's history")
                w.b.start()
            rc = node.wait(timeout=NPM_TEST_TIMEOUT_S)
        finally:
            if node.poll() is None:
                node.kill()
                node.wait(timeout=30)
        assert rc == 0, f"tests/attestation.test.mjs failed with exit code {rc}"
        assert "ALARM: attestation mismatch" in w.a.log(), "A's log does not record the alarm"
    finally:
        shutil.rmtree(ready.parent, ignore_errors=True)


if __name__ == "__main__":
    main(test)
