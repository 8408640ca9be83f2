"""The station under systemd: Type=notify, the watchdog, and the shipped unit's hardening.

A real station is started as systemd would start it, with NOTIFY_SOCKET pointing at a datagram
socket this test reads and WATCHDOG_USEC set. It must say READY=1 only once it serves (its
/healthz answers by then), ping WATCHDOG=1 from its event loop at half the interval, and say
STOPPING=1 on SIGTERM before it exits cleanly. Then the unit in packaging/systemd passes
`systemd-analyze verify`, and `systemd-analyze security` rates its exposure 2.0 or lower.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from harness import HOTLINE, World, log, main

SOURCE = Path(os.environ.get("HOTLINE_SOURCE", Path(__file__).resolve().parents[2]))
UNIT = SOURCE / "packaging" / "systemd" / "hotline@.service"
WATCHDOG_USEC = 400_000


def read_notifications(sock, until, want):
    """Datagrams received until `want` is among them or `until` (monotonic) passes."""
    got = []
    while time.monotonic() < until:
        sock.settimeout(max(0.01, until - time.monotonic()))
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            break
        if any(want in g for g in got):
            break
    return got


def test_notify():
    with World("systemd") as w:
        tmp = Path(tempfile.mkdtemp(prefix="hotline-notify-"))
        path = str(tmp / "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(WATCHDOG_USEC))
        logf = open(w.a.log_path, "ab")
        proc = subprocess.Popen([HOTLINE, "station", "--config", str(w.a.config)], env=env,
                                stdout=logf, stderr=subprocess.STDOUT)
        w.procs.append(proc)
        try:
            got = read_notifications(sock, time.monotonic() + 30, "READY=1")
            assert any("READY=1" in g for g in got), f"no READY=1: {got}\n{w.a.log()}"
            # Ready means serving: the API answers at once, without waiting.
            status, _ = w.a.request("GET", "/healthz", auth=False, fresh=True)
            assert status == 200, status
            started = time.monotonic()
            pings = [g for g in read_notifications(sock, started + 2.0, "never")
                     if "WATCHDOG=1" in g]
            # Every 200 ms for 2 s: about ten; a loop that stopped would give none.
            assert len(pings) >= 5, f"{len(pings)} watchdog pings in 2 s"
            proc.send_signal(signal.SIGTERM)
            got = read_notifications(sock, time.monotonic() + 30, "STOPPING=1")
            assert any("STOPPING=1" in g for g in got), f"no STOPPING=1: {got}"
            assert proc.wait(timeout=30) == 0, proc.returncode
            log(f"READY=1 once serving, {len(pings)} watchdog pings in 2 s, STOPPING=1 on SIGTERM")
        finally:
            sock.close()
            shutil.rmtree(tmp, ignore_errors=True)


def test_unit():
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (Debian's systemd package)"
    tmp = Path(tempfile.mkdtemp(prefix="hotline-unit-"))
    try:
        # verify checks that ExecStart's program exists: point it at the binary under test.
        unit = tmp / "hotline@rok.service"
        unit.write_text(UNIT.read_text().replace("/usr/bin/hotline", str(Path(HOTLINE).resolve())))
        out = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                             timeout=120, cwd=tmp)
        assert out.returncode == 0 and not out.stderr.strip(), out.stdout + out.stderr
        out = subprocess.run([analyze, "security", "--offline=true", str(unit)],
                             capture_output=True, text=True, timeout=120, cwd=tmp)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout)
        assert m, out.stdout + out.stderr
        score = float(m.group(1))
        assert score <= 2.0, f"exposure {score}:\n{out.stdout}"
        log(f"unit verifies; systemd-analyze security exposure {score}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test():
    test_notify()
    test_unit()


if __name__ == "__main__":
    main(test)
