"""Real-process test harness: runs `hotline` stations as separate processes on loopback.

Every process a test starts is recorded and stopped by PID when the test ends. Ports are
chosen free at start. Nothing here sleeps for correctness: waits poll a condition with a
deadline and fail loudly when it passes.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOTLINE = os.environ.get("HOTLINE_BIN", str(Path(__file__).resolve().parents[2] / "build-test/bin/hotline"))
SKIP = 77  # ctest SKIP_RETURN_CODE


def log(*args):
    print(*args, flush=True)


def free_port_base(span=20):
    """A base port such that base..base+span are free right now on 127.0.0.1."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + span > 65000:
            continue
        ok = True
        for p in range(base, base + span):
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free port range")


def wait_for(what, predicate, timeout_s=60.0, interval_s=0.05):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, http.client.HTTPException) as e:
            last = e
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what} (last: {last!r})")


def read_env(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    return env


class Station:
    def __init__(self, world, station_id):
        self.world = world
        self.id = station_id
        self.dir = world.dir / station_id
        self.config = self.dir / "station.toml"
        env = read_env(world.dir / f"{station_id}.env")
        self.addr = env["HOTLINE_ADDR"]
        self.token = env["HOTLINE_TOKEN"]
        host_port = self.addr.split("//", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.proc = None
        self.log_path = world.dir / f"{station_id}.log"
        self._conn = None

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([HOTLINE, "station", "--config", str(self.config)],
                                     stdout=logf, stderr=subprocess.STDOUT)
        self.world.procs.append(self.proc)
        wait_for(f"{self.id} healthy", self.healthy, timeout_s=30)
        return self

    def healthy(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"{self.id} exited with {self.proc.returncode}; log:\n{self.log()}")
        try:
            status, _ = self.request("GET", "/healthz", auth=False, fresh=True)
            return status == 200
        except OSError:
            return False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        self._conn = None
        if self.running():
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def request(self, method, path, body=None, auth=True, fresh=False, headers=None):
        """One HTTP request on a kept-alive connection; returns (status, parsed JSON or text)."""
        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=30) if fresh else self._connection()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                raw = resp.read()
                if fresh:
                    conn.close()
                text = raw.decode("utf-8", errors="replace")
                try:
                    return resp.status, json.loads(text) if text else None
                except json.JSONDecodeError:
                    return resp.status, text
            except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest):
                self._conn = None
                if attempt == 1 or fresh:
                    raise
        raise AssertionError("unreachable")

    def _connection(self):
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return self._conn

    def exchange(self, method, path, body=None, headers=None):
        """One request on a fresh connection, with no token unless `headers` carries one.

        Returns (status, headers as a list of (name, value), parsed JSON or text)."""
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", errors="replace")
            try:
                parsed = json.loads(text) if text else None
            except json.JSONDecodeError:
                parsed = text
            return resp.status, resp.getheaders(), parsed
        finally:
            conn.close()

    def users(self):
        """The demo's console users of this station: {name: (role, language, password)}."""
        out = {}
        for line in (self.world.dir / f"{self.id}.users").read_text().splitlines():
            if line and not line.startswith("#"):
                name, role, language, password = line.split()
                out[name] = (role, language, password)
        return out

    def login(self, username, password):
        """Signs in; returns (status, Set-Cookie header or None, parsed body)."""
        status, headers, body = self.exchange("POST", "/api/v1/session",
                                              {"username": username, "password": password})
        cookie = next((v for k, v in headers if k.lower() == "set-cookie"), None)
        return status, cookie, body

    def user_command(self, *args, password=None):
        """Runs `hotline user ARGS --config <this station>`, feeding `password` on stdin."""
        return subprocess.run([HOTLINE, "user", *args, "--config", str(self.config)],
                              input=(password + "\n") if password is not None else "",
                              capture_output=True, text=True, timeout=60)

    def token_command(self, *args):
        """Runs `hotline token ARGS --config <this station>`."""
        return subprocess.run([HOTLINE, "token", *args, "--config", str(self.config)],
                              capture_output=True, text=True, timeout=60)

    def cli(self, *args):
        """Runs a client command (`hotline send ...`) against this station, as its env file says."""
        env = dict(os.environ, HOTLINE_ADDR=self.addr, HOTLINE_TOKEN=self.token)
        return subprocess.run([HOTLINE, *args], env=env, capture_output=True, text=True,
                              timeout=60)

    def session(self, username):
        """Signs in as one of the demo's users; returns headers that act as that person."""
        _, _, password = self.users()[username]
        status, cookie, body = self.login(username, password)
        assert status == 200 and cookie, (status, body)
        return {"Cookie": cookie.split(";", 1)[0], "X-CSRF-Token": body["csrf_token"]}

    def post(self, text, channel="navy", precedence="routine"):
        return self.request("POST", "/api/v1/messages",
                            {"channel": channel, "precedence": precedence, "text": text})

    def status(self):
        code, body = self.request("GET", "/api/v1/status")
        assert code == 200, (code, body)
        return body

    def channel_status(self, channel="navy"):
        for c in self.status()["channels"]:
            if c["channel"] == channel:
                return c
        raise AssertionError(f"no channel {channel}")

    def link_up(self, channel="navy"):
        return self.channel_status(channel)["link_up"]

    def messages(self, box, channel="navy"):
        """Every message in a box, oldest first, following cursors."""
        out, after = [], None
        while True:
            q = f"/api/v1/messages?channel={channel}&box={box}&limit=1000"
            if after is not None:
                q += f"&after={after}"
            code, body = self.request("GET", q)
            assert code == 200, (code, body)
            batch = body["messages"]
            if after is None and len(batch) == 1000:
                # Without a cursor the newest page comes back; restart from the beginning.
                after = 0
                continue
            out.extend(batch)
            if len(batch) < 1000:
                return out
            after = batch[-1]["cursor"]


class World:
    """A demo directory with two stations, cleaned up on exit."""

    STATIONS = {"navy": ("rok-fleet-command", "ru-pacific-fleet"),
                "air": ("rokaf-mcrc", "ru-11-aadf-army")}

    def __init__(self, name, keep=False, hotline="navy"):
        self.dir = Path(tempfile.mkdtemp(prefix=f"hotline-{name}-"))
        self.procs = []
        self.keep = keep
        self.hotline = hotline
        self.port_base = free_port_base()
        out = subprocess.run([HOTLINE, "demo", "--dir", str(self.dir), "--port-base",
                              str(self.port_base), "--setup-only", "--hotline", hotline],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr + out.stdout
        a, b = self.STATIONS[hotline]
        self.a = Station(self, a)
        self.b = Station(self, b)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)
        if exc_type is not None:
            for s in (self.a, self.b):
                log(f"----- log of {s.id} -----\n{s.log()[-6000:]}")
        if not self.keep and exc_type is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


def main(test):
    """Runs `test()`, printing a clear verdict; exits non-zero on failure."""
    try:
        test()
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - a test harness reports everything
        import traceback
        traceback.print_exc()
        log(f"FAIL: {e}")
        sys.exit(1)
    log("PASS")
