"""The watch officer's web console, end to end in Debian's Chromium against two real stations.

Creates a demo world, makes sure each station serves the built console (web/dist) and has a duty
officer and an auditor, starts both stations, and runs `npm test` in web/ with the stations'
addresses and accounts. Fails if the browser tests fail. Exits 77 (skip) when /usr/bin/chromium
or npm is missing, saying so loudly. Screenshots and the first-load timings go to
$HOTLINE_ARTIFACTS (ctest sets it to <build dir>/artifacts), else build-test/artifacts/.
"""
import os
import secrets
import shutil
import subprocess
import sys
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
        started = time.monotonic()
        out = subprocess.run(["npm", "test", "--silent"], cwd=WEB, env=env, timeout=NPM_TEST_TIMEOUT_S)
        log(f"npm test took {time.monotonic() - started:.1f} s; screenshots in {ARTIFACTS}")
        assert out.returncode == 0, f"npm test in web/ failed with exit code {out.returncode}"
        # The story posted a FLASH from A; B must hold it, so the browser really drove the API.
        flashes = [m for m in w.b.messages("in") if m["precedence"] == "flash"]
        assert flashes, "station B received no FLASH from the console at A"


if __name__ == "__main__":
    main(test)
