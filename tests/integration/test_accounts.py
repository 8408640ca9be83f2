"""People, not a shared token: accounts, sessions, CSRF, roles and lockout on a real station.

Covers: `hotline user add` with the password on standard input (refusing a short one), the
demo's users file, signing in with the right and the wrong password, the session cookie's
flags, every /api/v1 route refusing a request without credentials, a cookie request without
its CSRF token, an auditor trying to send, lockout after repeated wrong passwords, `hotline
user passwd` clearing it, and the audit rows, read through the API and straight from the
database with sqlite3 when it is installed.
"""
import os
import shutil
import sqlite3
import stat
import subprocess

from harness import World, log, main

ROUTES = [
    ("GET", "/api/v1/messages"), ("POST", "/api/v1/messages"),
    ("GET", "/api/v1/messages/any-id"), ("GET", "/api/v1/status"),
    ("GET", "/api/v1/events"), ("GET", "/api/v1/session"),
    ("DELETE", "/api/v1/session"), ("PATCH", "/api/v1/me"),
    ("GET", "/api/v1/audit"), ("GET", "/api/v1/no-such-route"),
]
MESSAGE = {"channel": "navy", "precedence": "flash", "text": "Aircraft entering KADIZ at 0312Z"}


def cookie_pair(set_cookie):
    return set_cookie.split(";", 1)[0]


def check_user_add(s):
    out = s.user_command("add", "watch-lead", "--role", "supervisor", "--lang", "en",
                         password="short")
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "at least 12" in out.stderr, out.stderr
    out = s.user_command("add", "watch-lead", "--role", "supervisor", "--lang", "en",
                         password="a-long-enough-passphrase")
    assert out.returncode == 0, out.stderr
    out = s.user_command("list")
    assert out.returncode == 0 and "watch-lead" in out.stdout and "supervisor" in out.stdout, out
    log("user add: password from stdin, short one refused")


def check_sign_in(s):
    status, cookie, body = s.login("watch-lead", "a-long-enough-passphrase")
    assert status == 200, (status, body)
    csrf = body["csrf_token"]
    # Added without --clearance: cleared to the lowest marking of the station's scheme.
    assert body["user"] == {"name": "watch-lead", "role": "supervisor", "language": "en",
                            "clearance": {"id": "rok-unclassified", "name": "Unclassified"}}, body
    flags = [f.strip() for f in cookie.split(";")]
    assert cookie.startswith("hotline_session="), cookie
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/" in flags, cookie
    status, cookie2, body = s.login("watch-lead", "the-wrong-passphrase")
    assert status == 401 and cookie2 is None, (status, body)
    log("sign-in: right password 200 with HttpOnly SameSite=Strict cookie, wrong one 401")
    return cookie_pair(cookie), csrf


def check_no_credentials(s):
    for method, path in ROUTES:
        status, _, body = s.exchange(method, path, {} if method != "GET" else None)
        assert status == 401, (method, path, status, body)
    log(f"all {len(ROUTES)} /api/v1 routes answer 401 without credentials")


def check_csrf(s, cookie, csrf):
    status, _, body = s.exchange("POST", "/api/v1/messages", MESSAGE, {"Cookie": cookie})
    assert status == 403 and body["error"]["code"] == "csrf", (status, body)
    status, _, body = s.exchange("POST", "/api/v1/messages", MESSAGE,
                                 {"Cookie": cookie, "X-CSRF-Token": csrf})
    assert status == 201, (status, body)
    log("cookie POST without X-CSRF-Token 403, with it 201")


def check_auditor(s):
    role, _, password = s.users()["auditor-rok"]
    assert role == "auditor"
    status, cookie, body = s.login("auditor-rok", password)
    assert status == 200, (status, body)
    headers = {"Cookie": cookie_pair(cookie), "X-CSRF-Token": body["csrf_token"]}
    status, _, body = s.exchange("POST", "/api/v1/messages", MESSAGE, headers)
    assert status == 403 and body["error"]["code"] == "forbidden", (status, body)
    status, _, body = s.exchange("GET", "/api/v1/audit", None, {"Cookie": cookie_pair(cookie)})
    assert status == 200, (status, body)
    log("auditor: cannot send (403), reads the audit log")
    return headers


def check_lockout(s):
    # A lock is answered exactly as a wrong password is (401), so that neither tells an attacker
    # that the name exists or that it is locked; the audit log tells the operators.
    for attempt in range(1, 6):
        status, _, body = s.login("officer-kim", f"not-the-password-{attempt}")
        assert status == 401 and body["error"]["code"] == "unauthorized", (attempt, status, body)
    _, _, password = s.users()["officer-kim"]
    status, _, body = s.login("officer-kim", password)
    assert status == 401 and body["error"]["code"] == "unauthorized", (status, body)
    out = s.user_command("passwd", "officer-kim", password=password)
    assert out.returncode == 0, out.stderr
    status, _, body = s.login("officer-kim", password)
    assert status == 200, (status, body)
    log("lockout: 5 wrong passwords lock the user from this address, answered as a wrong "
        "password; user passwd clears it")


def check_audit(s, auditor_headers):
    status, _, body = s.exchange("GET", "/api/v1/audit?limit=1000", None, auditor_headers)
    assert status == 200, (status, body)
    actions = [e["action"] for e in body["entries"]]
    for action in ("user_added", "login", "login_failed", "locked_out", "password_changed"):
        assert action in actions, (action, actions)
    assert not any("passphrase" in e["detail"] for e in body["entries"]), body
    db = s.dir / "hotline.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'locked_out'").fetchone()
        secrets = conn.execute("SELECT COUNT(*) FROM sessions WHERE length(id_sha256) != 64")
        assert rows[0] == 1 and secrets.fetchone()[0] == 0, rows
    if shutil.which("sqlite3"):
        out = subprocess.run(["sqlite3", str(db), "SELECT action FROM audit"], capture_output=True,
                             text=True, timeout=30)
        assert "login_failed" in out.stdout, out
    log(f"audit: {len(actions)} rows, with every expected action and no password")


def test():
    with World("accounts") as w:
        s = w.a
        users_file = w.dir / f"{s.id}.users"
        assert stat.S_IMODE(os.stat(users_file).st_mode) == 0o600
        assert set(s.users()) == {"officer-kim", "auditor-rok", "translator-lee",
                                  "supervisor-choi"}, s.users()
        assert set(w.b.users()) == {"officer-ivanov", "auditor-ru", "translator-petrova",
                                    "supervisor-volkov"}, w.b.users()
        assert s.users()["translator-lee"][0] == "translator", s.users()
        assert w.b.users()["supervisor-volkov"][0] == "supervisor", w.b.users()
        check_user_add(s)  # before the station starts: the CLI creates the database
        s.start()
        cookie, csrf = check_sign_in(s)
        check_no_credentials(s)
        check_csrf(s, cookie, csrf)
        auditor_headers = check_auditor(s)
        check_lockout(s)
        check_audit(s, auditor_headers)


if __name__ == "__main__":
    main(test)
