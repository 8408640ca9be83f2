"""The Debian package: built from the binary under test, checked, installed, run and purged.

scripts/build-deb packages HOTLINE_BIN, with the console and form catalog of the source tree, into
a temporary directory. lintian must report no error and no warning (a warning the package has to
keep would be overridden in packaging/deb/lintian-overrides and explained in docs/operations.md,
"Installing the Debian package"; its tags are printed), and `dpkg-deb` must show every path and
field the package promises.

Then, as root, for real on this machine:
1. `dpkg -i`: the hotline system user, /var/lib/hotline (hotline:hotline, 0750), the unit, the
   manual pages and /usr/bin/hotline are in place. `dpkg --purge` of the package with no station
   removes its files and /var/lib/hotline, and keeps the user.
2. `dpkg -i` again, over the user left behind. A station is set up as docs/operations.md says:
   the package's example config and the agreement from `hotline demo --setup-only` in
   /etc/hotline/<station>/, that station's keys in /var/lib/hotline/<station>/, and an API token
   made with `hotline token add` as the hotline user. /usr/bin/hotline runs it as the hotline
   user (runuser), as hotline@<station>.service would, until /healthz answers 200; / must serve
   the packaged console and /api/v1/forms the packaged catalog. SIGTERM stops it with status 0.
3. `dpkg --purge` keeps the station's data and says so; the package's files are gone.

Whatever fails, the package is purged, the station stopped, and what the test made (station
directories, and the user and group if they were not there before) removed. Without root, dpkg
or lintian the test FAILS, saying why: installing the package is its point. It refuses to run
where a hotline package, /usr/bin/hotline or station data is already present.
"""
import grp
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from harness import HOTLINE, free_port_base, log, main, read_env, wait_for

SOURCE = Path(os.environ.get("HOTLINE_SOURCE", Path(__file__).resolve().parents[2]))
STATION = "rok-fleet-command"  # one of the stations `hotline demo` sets up
ETC = Path("/etc/hotline")
STATE = Path("/var/lib/hotline")
UNIT = Path("/lib/systemd/system/hotline@.service")
INSTALLED_BIN = Path("/usr/bin/hotline")
# What the package promises to hold (as `dpkg-deb -c` lists it), besides a manual page per command.
REQUIRED = [
    "./usr/bin/hotline",
    "./usr/share/hotline/console/index.html",
    "./usr/share/hotline/catalog/catalog.toml",
    "./lib/systemd/system/hotline@.service",
    "./etc/hotline/",
    "./usr/share/man/man1/hotline.1.gz",
    "./usr/share/doc/hotline/copyright",
    "./usr/share/doc/hotline/changelog.gz",
    "./usr/share/doc/hotline/operations.md",
    "./usr/share/doc/hotline/examples/station.toml",
]
# Files the package installs, which purge must remove.
PACKAGE_PATHS = [INSTALLED_BIN, UNIT, Path("/usr/share/hotline"), Path("/usr/share/doc/hotline"),
                 Path("/usr/share/man/man1/hotline.1.gz")]


def run(cmd, timeout=600, check=True, **kw):
    """Runs a command, logging it; returns the CompletedProcess (text)."""
    log("$ " + " ".join(str(c) for c in cmd))
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                         **kw)
    if check:
        assert out.returncode == 0, (f"{cmd[0]} exited {out.returncode}:\n"
                                     f"{out.stdout}{out.stderr}")
    return out


def version():
    text = (SOURCE / "src" / "core" / "version.hpp").read_text()
    m = re.search(r'inline constexpr std::string_view version = "([0-9.]+)";', text)
    assert m, "no version in src/core/version.hpp"
    return m.group(1)


def package_status():
    """dpkg's status of the package "hotline", e.g. "install ok installed"; "" if dpkg has none."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "hotline"], capture_output=True,
                         text=True)
    return out.stdout.strip() if out.returncode == 0 else ""


def package_present():
    """Whether dpkg has the package in any state but purged (installed, half-installed, ...)."""
    status = package_status()
    return bool(status) and not status.endswith("not-installed")


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def check_preconditions():
    assert os.geteuid() == 0, ("test_deb installs the package with dpkg and needs root; "
                               "run it as root (ctest as root, or sudo -E)")
    for tool in ("dpkg", "dpkg-deb", "dpkg-query", "lintian", "help2man", "runuser"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/install-deps"
    assert not package_present(), \
        (f"a hotline package is already on this machine (dpkg: {package_status()!r}); this "
         "test installs and purges its own, so it will not touch that one. Remove it first.")
    assert not INSTALLED_BIN.exists(), \
        f"{INSTALLED_BIN} exists but not from a package; the test will not overwrite it"
    assert not (ETC / STATION).exists(), f"{ETC / STATION} exists; the test will not touch it"
    assert not STATE.exists() or not any(STATE.iterdir()), \
        f"{STATE} holds station data; the test will not touch it"


def build_package(outdir):
    # The sanitizer build is large: compress it fast (the release default is xz -6).
    out = run(["bash", SOURCE / "scripts" / "build-deb", HOTLINE, outdir],
              env=dict(os.environ, DEB_XZ_LEVEL="1"))
    debs = sorted(Path(outdir).glob("*.deb"))
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    want = Path(outdir) / f"hotline_{version()}_{arch}.deb"
    assert debs == [want], f"expected only {want.name} in {outdir}, found {debs}"
    assert out.stdout.strip().splitlines()[-1] == str(want), out.stdout
    return want


def check_lintian(deb):
    out = run(["lintian", "--fail-on", "error,warning", "--display-info", deb], check=False)
    tags = [line for line in out.stdout.splitlines() if re.match(r"^[EWIPXO]: ", line)]
    for line in tags:
        log(f"  lintian {line}")
    bad = [line for line in tags if line.startswith(("E: ", "W: "))]
    assert out.returncode == 0 and not bad, \
        f"lintian found errors or warnings (exit {out.returncode}):\n{out.stdout}{out.stderr}"
    log(f"lintian: no errors, no warnings ({len(tags)} informational tags)")


def check_contents(deb):
    listing = run(["dpkg-deb", "-c", deb]).stdout.splitlines()
    entries = {}
    for line in listing:
        fields = line.split(None, 5)
        entries[fields[5].split(" -> ")[0]] = (fields[0], fields[1])
    for path in REQUIRED:
        assert path in entries, f"{path} is not in the package"
    for page in ("hotline-station", "hotline-user", "hotline-user-add", "hotline-keygen"):
        assert f"./usr/share/man/man1/{page}.1.gz" in entries, f"no manual page {page}(1)"
    assert not any(p.startswith("./var/") for p in entries), "the package ships files in /var"
    for path, (mode, owner) in entries.items():
        assert owner == "root/root", f"{path} is owned by {owner}"
        if mode.startswith("d"):
            assert mode == "drwxr-xr-x", f"{path} has mode {mode}"
        elif path == "./usr/bin/hotline":
            assert mode == "-rwxr-xr-x", f"{path} has mode {mode}"
        else:
            assert mode == "-rw-r--r--", f"{path} has mode {mode}"

    fields = {}
    for name in ("Package", "Version", "Architecture", "Depends", "Maintainer", "Section",
                 "Priority", "Description"):
        fields[name] = run(["dpkg-deb", "-f", deb, name]).stdout.strip()
        assert fields[name], f"no {name} in DEBIAN/control"
    assert fields["Package"] == "hotline" and fields["Version"] == version(), fields
    assert "libc6" in fields["Depends"] and "adduser" in fields["Depends"], fields["Depends"]
    info = run(["dpkg-deb", "-I", deb]).stdout
    for member in ("control", "md5sums", "postinst", "prerm", "postrm"):
        assert re.search(rf"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s+{member}\b", info, re.M), \
            f"no {member} in the control area:\n{info}"
    log(f"package holds {len(entries)} entries; Depends: {fields['Depends']}")


def check_installed():
    user = pwd.getpwnam("hotline")
    assert user.pw_uid < 1000, f"hotline is not a system user (uid {user.pw_uid})"
    assert user.pw_shell.endswith("nologin") or user.pw_shell == "/bin/false", user.pw_shell
    assert user.pw_gid == grp.getgrnam("hotline").gr_gid, "hotline's group is not hotline"
    st = STATE.stat()
    assert (st.st_uid, st.st_gid) == (user.pw_uid, user.pw_gid), \
        f"{STATE} is owned by {st.st_uid}:{st.st_gid}"
    assert st.st_mode & 0o7777 == 0o750, f"{STATE} has mode {oct(st.st_mode & 0o7777)}"
    assert UNIT.read_bytes() == (SOURCE / "packaging/systemd/hotline@.service").read_bytes()
    assert ETC.is_dir(), f"no {ETC}"
    if shutil.which("man"):
        where = run(["man", "-w", "hotline-user-add"]).stdout.strip()
        assert where == "/usr/share/man/man1/hotline-user-add.1.gz", where
    else:
        assert Path("/usr/share/man/man1/hotline-user-add.1.gz").is_file()
    out = run([INSTALLED_BIN, "--version"]).stdout.strip()
    assert out == f"hotline {version()}", out
    log(f"installed: user hotline (uid {user.pw_uid}), {STATE} hotline:hotline 0750, unit, "
        "manual pages")


def purge(expect_state_kept):
    out = run(["dpkg", "--purge", "hotline"])
    assert not package_present(), f"dpkg still has the package: {package_status()!r}"
    for path in PACKAGE_PATHS:
        assert not path.exists(), f"{path} is still there after purge"
    assert user_exists("hotline"), "purge removed the hotline user"
    if expect_state_kept:
        assert (STATE / STATION / "hotline.db").is_file(), "purge removed a station's data"
        assert "station data kept in /var/lib/hotline" in out.stderr, out.stderr
    else:
        assert not STATE.exists(), f"purge left the empty {STATE}"
        assert not ETC.exists(), f"purge left the empty {ETC}"
    log("purged: package files gone, " +
        ("station data kept" if expect_state_kept else f"{STATE} and {ETC} gone") +
        ", user kept")


def set_up_station(world):
    """/etc/hotline/<station>/ and /var/lib/hotline/<station>/, as docs/operations.md says."""
    user = pwd.getpwnam("hotline")
    api = read_env(world / f"{STATION}.env")["HOTLINE_ADDR"].split("//", 1)[1]
    example = Path("/usr/share/doc/hotline/examples/station.toml").read_text()
    assert 'api = "127.0.0.1:7402"' in example and 'station = "STATION"' in example, example
    config = example.replace("STATION", STATION).replace("127.0.0.1:7402", api)

    etc = ETC / STATION
    etc.mkdir(mode=0o750)
    os.chown(etc, 0, user.pw_gid)
    for name, text in (("station.toml", config),
                       ("agreement.toml", (world / "agreement.toml").read_text())):
        (etc / name).write_text(text)
        os.chown(etc / name, 0, user.pw_gid)
        os.chmod(etc / name, 0o640)

    # What systemd's StateDirectory= makes, holding what `hotline keygen --dir` would write.
    state = STATE / STATION
    state.mkdir(mode=0o700)
    os.chown(state, user.pw_uid, user.pw_gid)
    for name in ("tls.key", "tls.crt", "signing.key"):
        shutil.copyfile(world / STATION / name, state / name)
        os.chown(state / name, user.pw_uid, user.pw_gid)
        os.chmod(state / name, 0o600)

    # An API token, made as the station's user so that the database it creates is the station's.
    made = run(["runuser", "-u", "hotline", "--", INSTALLED_BIN, "token", "add", "deb-check",
                "--role", "auditor", "--config", etc / "station.toml"], cwd="/")
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("hl_"), made.stdout
    return etc / "station.toml", int(api.rsplit(":", 1)[1]), token


def station_pid(runner):
    """The station's PID: runuser's own if it execs the command, else its child's."""
    def is_station(pid):
        try:
            return os.readlink(f"/proc/{pid}/exe") == str(INSTALLED_BIN)
        except OSError:
            return False
    if is_station(runner.pid):
        return runner.pid
    children = Path(f"/proc/{runner.pid}/task/{runner.pid}/children").read_text().split()
    found = [int(c) for c in children if is_station(c)]
    return found[0] if found else None


def get(port, path, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read()
    finally:
        conn.close()


def run_station(config, port, token, log_path):
    """Runs the installed station as the hotline user until it serves; stops it with SIGTERM."""
    logf = open(log_path, "ab")
    runner = subprocess.Popen(["runuser", "-u", "hotline", "--", INSTALLED_BIN, "station",
                               "--config", config], stdout=logf, stderr=subprocess.STDOUT,
                              cwd="/")
    logf.close()
    try:
        def serving():
            if runner.poll() is not None:
                raise AssertionError(f"the station exited with {runner.returncode}:\n"
                                     f"{Path(log_path).read_text(errors='replace')}")
            try:
                return get(port, "/healthz")[0] == 200
            except OSError:
                return False
        wait_for("the packaged station to answer /healthz", serving, timeout_s=60)

        pid = wait_for("the station's process", lambda: station_pid(runner), timeout_s=10)
        owner = os.stat(f"/proc/{pid}").st_uid
        assert owner == pwd.getpwnam("hotline").pw_uid, f"the station runs as uid {owner}"
        status, ctype, body = get(port, "/")
        assert status == 200 and ctype.startswith("text/html"), (status, ctype, body[:200])
        assert body == Path("/usr/share/hotline/console/index.html").read_bytes(), body[:200]
        status, _, body = get(port, "/api/v1/forms", token)
        assert status == 200, (status, body[:200])
        forms = json.loads(body)
        assert forms["catalog"] == "hotline-forms" and forms["forms"], body[:200]
        db = STATE / STATION / "hotline.db"
        assert db.is_file() and db.stat().st_uid == owner, f"no database of the hotline user: {db}"
        log(f"station {STATION} ran from the package as hotline (pid {pid}): /healthz 200, "
            f"the console at /, {len(forms['forms'])} forms from the packaged catalog, its "
            f"database in {db.parent}")

        os.kill(pid, signal.SIGTERM)
        code = runner.wait(timeout=30)
        assert code == 0, (f"the station exited {code} on SIGTERM:\n"
                           f"{Path(log_path).read_text(errors='replace')}")
        log("SIGTERM: the station stopped with status 0")
    except BaseException:
        log(f"----- log of the station -----\n{Path(log_path).read_text(errors='replace')[-6000:]}")
        raise
    finally:
        if runner.poll() is None:
            # The station first (runuser would leave its child running), then runuser.
            try:
                pid = station_pid(runner)
                if pid:
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            runner.kill()
            runner.wait(timeout=30)


def test():
    check_preconditions()
    had_user, had_group = user_exists("hotline"), group_exists("hotline")
    had_etc, had_state = ETC.exists(), STATE.exists()
    tmp = Path(tempfile.mkdtemp(prefix="hotline-deb-"))
    made_station = False
    try:
        deb = build_package(tmp / "deb")
        check_lintian(deb)
        check_contents(deb)

        run(["dpkg", "-i", deb])
        check_installed()
        purge(expect_state_kept=False)

        run(["dpkg", "-i", deb])  # again, over the user the first install left
        check_installed()
        world = tmp / "demo"
        run([INSTALLED_BIN, "demo", "--dir", world, "--port-base", free_port_base(),
             "--setup-only"])
        made_station = True
        config, port, token = set_up_station(world)
        run_station(config, port, token, tmp / "station.log")
        purge(expect_state_kept=True)
    finally:
        if package_present():
            subprocess.run(["dpkg", "--purge", "hotline"], timeout=600)
        if made_station:
            shutil.rmtree(ETC / STATION, ignore_errors=True)
            shutil.rmtree(STATE / STATION, ignore_errors=True)
        for path, had in ((STATE, had_state), (ETC, had_etc)):
            if not had and path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if not had_user and user_exists("hotline"):
            subprocess.run(["userdel", "hotline"], timeout=60)
        if not had_group and group_exists("hotline"):
            subprocess.run(["groupdel", "hotline"], timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(test)
