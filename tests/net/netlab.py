"""Hostile-network lab: two Hotline stations in two network namespaces, joined by shaped paths.

Topology (every name carries this process's PID, so parallel or stale runs never collide):

    namespace hl-<pid>-a            namespace hl-<pid>-w              namespace hl-<pid>-b
    rok-fleet-command               wire.py (shaping)                 ru-pacific-fleet
    hl<pid>af 10.N.1.1/24 <=veth=> hl<pid>wfa | hl<pid>wfb <=veth=> hl<pid>bf 10.N.1.2/24  fibre
    hl<pid>as 10.N.2.1/24 <=veth=> hl<pid>wsa | hl<pid>wsb <=veth=> hl<pid>bs 10.N.2.2/24  satcom

Each path is one IP subnet with a veth at each site; in between, wire.py forwards Ethernet frames
with netem's model of delay, loss, rate and queue limit (the kernel here may lack `sch_netem`, so
the lab never depends on it). A path is cut the way a bulldozer cuts it: `ip link set <veth> down`
at one site. Each station's API listens on 127.0.0.1 inside its own namespace; the lab reaches it
with sockets opened inside that namespace (setns on a short-lived thread), so nothing listens or
routes outside the lab's namespaces.

Every process the lab starts is recorded and stopped by PID (and dies with the lab through
PR_SET_PDEATHSIG if the lab itself is killed). The namespaces, and with them every veth, are
deleted on exit, on failure too. Without root or CAP_NET_ADMIN the lab says loudly that the
hostile-network tests did not run, and exits 77 (ctest's skip code).
"""
import atexit
import base64
import ctypes
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOTLINE = os.environ.get("HOTLINE_BIN", str(ROOT / "build/bin/hotline"))
WIRE = Path(__file__).resolve().parent / "wire.py"
SKIP = 77  # ctest SKIP_RETURN_CODE
CHANNEL = "navy"
PATHS = ("fibre", "satcom")
STATION_IDS = ("rok-fleet-command", "ru-pacific-fleet")
PEER_PORT = 7401
API_PORT = 7402
HEARTBEAT_INTERVAL_MS = 250
HEARTBEAT_MISSES_MAX = 3
PATH_RETURN_S = max(2.0, 8 * HEARTBEAT_INTERVAL_MS / 1000)  # the engine's hysteresis period

# The shapes of a healthy lab. The satcom queue limit is about one bandwidth-delay product
# (2 Mbit/s x 0.6 s = 150 kB = 100 full frames), as a sane satellite modem would hold.
SHAPES = {
    "fibre": {"delay_ms": 2, "loss": 0.0, "rate_bps": 0, "limit": 1000},
    "satcom": {"delay_ms": 300, "loss": 0.01, "rate_bps": 2_000_000, "limit": 150},
}

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


_T0 = time.monotonic()


def log(*args):
    print(f"[{time.monotonic() - _T0:6.1f}s]", *args, flush=True)


class LabUnavailable(Exception):
    """The host cannot build the lab (no root, no CAP_NET_ADMIN, no veth): the tests are skipped."""


def skip_loudly(reason):
    bar = "!" * 78
    log(f"{bar}\n!! HOSTILE-NETWORK TESTS DID NOT RUN: {reason}\n"
        f"!! They need root (CAP_NET_ADMIN) to create network namespaces and veth pairs.\n"
        f"!! Nothing about failover, lossy paths or satellite links was checked.\n{bar}")
    sys.exit(SKIP)


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run(*cmd, check=True, timeout=30):
    out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()}")
    return out


def in_netns(ns, fn):
    """Runs fn() on a thread that has entered namespace `ns`; sockets it opens stay in `ns`."""
    result = {}

    def body():
        try:
            fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({ns}): {os.strerror(err)}")
            finally:
                os.close(fd)
            result["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed back to the caller's thread
            result["error"] = e

    t = threading.Thread(target=body, daemon=True)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def _ethtool_off(ifname):
    """Turns off checksum and segmentation offloads, so frames cross the wire complete."""
    import fcntl
    import struct
    siocethtool = 0x8946
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        # ETHTOOL_STXCSUM, ETHTOOL_SSG, ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO
        for cmd in (0x17, 0x19, 0x1F, 0x24, 0x2C):
            value = ctypes.create_string_buffer(struct.pack("II", cmd, 0))
            ifreq = struct.pack("16sP", ifname.encode(), ctypes.addressof(value)).ljust(40, b"\0")
            try:
                fcntl.ioctl(s.fileno(), siocethtool, ifreq)
            except OSError:
                pass  # a feature the driver does not offer is off already


class HttpInNs(http.client.HTTPConnection):
    def __init__(self, ns, port, timeout):
        super().__init__("127.0.0.1", port, timeout=timeout)
        self.ns = ns

    def connect(self):
        self.sock = in_netns(self.ns, lambda: socket.create_connection((self.host, self.port),
                                                                        self.timeout))
        # As http.client's own connect does: it sends a request's head and body in two writes,
        # and with Nagle on the body waits for the server's delayed ACK (40 ms a request).
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NotPosted(Exception):
    """The station could not be reached: the request was never sent, so nothing was posted."""


class Api:
    """One kept-alive HTTP connection to a station's API. Not thread-safe: one per thread."""

    def __init__(self, station):
        self.station = station
        self.conn = None

    def reset(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def request(self, method, path, body=None, timeout=30, retry=True):
        hdrs = {"Authorization": f"Bearer {self.station.lab.token}"}
        data = None
        if body is not None:
            data = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = HttpInNs(self.station.ns, API_PORT, timeout)
                try:
                    self.conn.connect()
                except OSError as e:
                    self.reset()
                    raise NotPosted(str(e)) from e
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                text = resp.read().decode("utf-8", errors="replace")
            except (OSError, http.client.HTTPException):
                self.reset()
                if attempt == 1 or not retry:
                    raise
                continue
            try:
                return resp.status, json.loads(text) if text else None
            except json.JSONDecodeError:
                return resp.status, text
        raise AssertionError("unreachable")

    def status(self):
        code, body = self.request("GET", "/api/v1/status")
        assert code == 200, (code, body)
        for c in body["channels"]:
            if c["channel"] == CHANNEL:
                return c
        raise AssertionError(f"no channel {CHANNEL} in {body}")

    def messages(self, box):
        """Every message in a box, oldest first, following cursors from the beginning."""
        out, after = [], 0
        while True:
            code, body = self.request(
                "GET", f"/api/v1/messages?channel={CHANNEL}&box={box}&after={after}&limit=1000")
            assert code == 200, (code, body)
            out.extend(body["messages"])
            if not body["messages"]:
                return out
            after = body["next_after"]


class Station:
    def __init__(self, lab, side, station_id):
        self.lab = lab
        self.side = side
        self.id = station_id
        self.ns = lab.ns[side]
        self.dir = lab.dir / station_id
        self.config = self.dir / "station.toml"
        self.log_path = lab.dir / f"{station_id}.log"
        self.proc = None
        self.api = Api(self)
        self.starts = 0

    def start(self):
        assert not self.running()
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, HOTLINE, "station", "--config", str(self.config)],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent)
        logf.close()
        self.lab.procs.append(self.proc)
        self.starts += 1
        wait_for(f"{self.id} healthy", self.healthy, timeout_s=60)
        return self

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.id} exited with {self.proc.returncode}; log:\n"
                                 f"{self.log()[-4000:]}")
        try:
            code, _ = Api(self).request("GET", "/healthz", retry=False, timeout=5)
            return code == 200
        except (NotPosted, OSError, http.client.HTTPException):
            return False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL by PID: no chance to flush or say goodbye."""
        self.api.reset()
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def status(self):
        return self.api.status()


def wait_for(what, predicate, timeout_s=60.0, interval_s=0.05):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (NotPosted, OSError, http.client.HTTPException) as e:
            last = e
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what} (last: {last!r})")


def _reap_stale_labs():
    """Deletes namespaces left by a lab whose process is gone and which hold no process."""
    out = run("ip", "netns", "list", check=False)
    for line in out.stdout.splitlines():
        m = re.match(r"^(hl-(\d+)-[abw])\b", line)
        if not m:
            continue
        name, pid = m.group(1), int(m.group(2))
        try:
            os.kill(pid, 0)
            continue  # its lab is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        if run("ip", "netns", "pids", name, check=False).stdout.strip():
            log(f"netlab: stale namespace {name} still holds processes; leaving it alone")
            continue
        log(f"netlab: deleting stale namespace {name} left by lab process {pid}")
        run("ip", "netns", "del", name, check=False)


class Lab:
    """The two sites, the wire, the agreement, keys, configs and both stations."""

    def __init__(self, name, seed=None):
        if os.geteuid() != 0:
            raise LabUnavailable(f"not running as root (euid {os.geteuid()})")
        if not Path(HOTLINE).exists():
            raise AssertionError(f"no hotline binary at {HOTLINE} (set HOTLINE_BIN)")
        self.name = name
        self.seed = seed if seed is not None else random.SystemRandom().randrange(1 << 31)
        self.pid = os.getpid()
        self.ns = {side: f"hl-{self.pid}-{side}" for side in ("a", "b", "w")}
        self.procs = []
        self.namespaces = []
        self.wire = None
        self.closed = False
        self.failed = False
        self.dir = Path(tempfile.mkdtemp(prefix=f"hotline-net-{name}-"))
        octet = 64 + self.pid % 128
        self.subnet = {"fibre": f"10.{octet}.1", "satcom": f"10.{octet}.2"}
        self.veth = {}  # (side, path) -> interface name
        for path in PATHS:
            p = path[0]
            self.veth[("a", path)] = f"hl{self.pid}a{p}"
            self.veth[("b", path)] = f"hl{self.pid}b{p}"
            self.veth[("wa", path)] = f"hl{self.pid}w{p}a"
            self.veth[("wb", path)] = f"hl{self.pid}w{p}b"
        self.shapes = {path: dict(shape) for path, shape in SHAPES.items()}
        self.token = "hl_" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        atexit.register(self.close)
        self._build_network()
        self._write_configs()
        self.a = Station(self, "a", STATION_IDS[0])
        self.b = Station(self, "b", STATION_IDS[1])
        log(f"netlab: lab '{name}' in {self.dir}, namespaces {', '.join(self.ns.values())}, "
            f"seed {self.seed}")

    # ----- network -----

    def _build_network(self):
        _reap_stale_labs()
        for ns in self.ns.values():
            out = run("ip", "netns", "add", ns, check=False)
            if out.returncode != 0:
                raise LabUnavailable(f"`ip netns add {ns}` failed: {out.stderr.strip()}")
            self.namespaces.append(ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                check=False)
        for path in PATHS:
            for side, wside in (("a", "wa"), ("b", "wb")):
                site_if, wire_if = self.veth[(side, path)], self.veth[(wside, path)]
                out = run("ip", "link", "add", site_if, "netns", self.ns[side], "type", "veth",
                          "peer", "name", wire_if, "netns", self.ns["w"], check=False)
                if out.returncode != 0:
                    raise LabUnavailable(f"cannot create a veth pair: {out.stderr.strip()}")
                host = "1" if side == "a" else "2"
                run("ip", "-n", self.ns[side], "addr", "add", f"{self.subnet[path]}.{host}/24",
                    "dev", site_if)
                in_netns(self.ns[side], lambda i=site_if: _ethtool_off(i))
                in_netns(self.ns["w"], lambda i=wire_if: _ethtool_off(i))
                run("ip", "-n", self.ns["w"], "link", "set", wire_if, "up")
                run("ip", "-n", self.ns[side], "link", "set", site_if, "up")
        specs = []
        for path in PATHS:
            specs += ["--link", f"{path}:{self.veth[('wa', path)]}:{self.veth[('wb', path)]}"]
        self.wire = subprocess.Popen(
            ["ip", "netns", "exec", self.ns["w"], sys.executable, str(WIRE), "--seed",
             str(self.seed)] + specs,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
        self.procs.append(self.wire)
        self._wire_lock = threading.Lock()
        ready = json.loads(self.wire.stdout.readline() or "{}")
        if not ready.get("ready"):
            raise AssertionError("the wire did not start")
        for path in PATHS:
            self.shape(path, **self.shapes[path])

    def wire_command(self, cmd):
        with self._wire_lock:
            self.wire.stdin.write(json.dumps(cmd) + "\n")
            self.wire.stdin.flush()
            answer = json.loads(self.wire.stdout.readline())
        assert answer.get("ok"), answer
        return answer

    def shape(self, path, **kw):
        """Changes a path's delay_ms, loss (0..1), rate_bps (0 = unlimited) or limit (frames)."""
        self.shapes[path].update(kw)
        self.wire_command({"cmd": "shape", "link": path, **self.shapes[path]})

    def wire_stats(self):
        return self.wire_command({"cmd": "stats"})["stats"]

    def cut(self, path, side="a"):
        run("ip", "-n", self.ns[side], "link", "set", self.veth[(side, path)], "down")

    def restore(self, path, side="a"):
        run("ip", "-n", self.ns[side], "link", "set", self.veth[(side, path)], "up")

    def heal(self):
        """Every path up and shaped as in a healthy lab."""
        for path in PATHS:
            for side in ("a", "b"):
                self.restore(path, side)
            self.shape(path, **SHAPES[path])

    # ----- stations -----

    def _write_configs(self):
        fps, keys = {}, {}
        for i, sid in enumerate(STATION_IDS):
            d = self.dir / sid
            d.mkdir()
            out = run(HOTLINE, "keygen", "--dir", str(d), "--station", sid, timeout=60)
            m = re.search(r'tls_fingerprint = "(sha256:[0-9a-f]{64})"', out.stdout)
            assert m, f"no fingerprint in keygen output:\n{out.stdout}"
            k = re.search(r'signing_key = "(ed25519:[A-Za-z0-9+/=]+)"', out.stdout)
            assert k, f"no signing key in keygen output:\n{out.stdout}"
            fps[sid] = m.group(1)
            keys[sid] = k.group(1)
        lines = [
            "# Written by tests/net/netlab.py for one lab run.",
            "[agreement]", f'id = "netlab-{self.pid}"',
            'title = "Hotline hostile-network lab"', "version = 1", "",
            "[link]", f"heartbeat_interval_ms = {HEARTBEAT_INTERVAL_MS}",
            f"heartbeat_misses_max = {HEARTBEAT_MISSES_MAX}", ""]
        names = {STATION_IDS[0]: ("ROK Fleet Command", "ko", "Asia/Seoul"),
                 STATION_IDS[1]: ("Russian Pacific Fleet", "ru", "Asia/Vladivostok")}
        for i, sid in enumerate(STATION_IDS):
            name, lang, tz = names[sid]
            lines += ["[[stations]]", f'id = "{sid}"', f'name = "{name}"', f'language = "{lang}"',
                      f'timezone = "{tz}"', f'tls_fingerprint = "{fps[sid]}"',
                      f'signing_key = "{keys[sid]}"',
                      "[stations.addresses]"]
            lines += [f'{path} = "{self.subnet[path]}.{i + 1}:{PEER_PORT}"' for path in PATHS]
            lines.append("")
        lines += ["[[channels]]", f'id = "{CHANNEL}"', 'title = "Navy hotline"',
                  f'stations = ["{STATION_IDS[0]}", "{STATION_IDS[1]}"]',
                  "paths = [" + ", ".join(f'"{p}"' for p in PATHS) + "]", ""]
        (self.dir / "agreement.toml").write_text("\n".join(lines))
        digest = hashlib.sha256(self.token.encode()).hexdigest()
        for sid in STATION_IDS:
            (self.dir / sid / "station.toml").write_text(
                f'station = "{sid}"\nagreement = "../agreement.toml"\n\n'
                f'[listen]\napi = "127.0.0.1:{API_PORT}"\n\n'
                f'[[api.tokens]]\nname = "netlab"\nrole = "supervisor"\nsha256 = "{digest}"\n\n'
                f'[log]\nlevel = "info"\n')

    def start(self):
        self.a.start()
        self.b.start()
        self.wait_all_paths_up()
        return self

    def wait_all_paths_up(self, timeout_s=60):
        def ready():
            for s in (self.a, self.b):
                st = s.status()
                if st["active_path"] != PATHS[0] or not all(p["up"] for p in st["paths"]):
                    return False
            return True
        wait_for("both paths up on both stations, fibre active", ready, timeout_s=timeout_s,
                 interval_s=0.1)

    # ----- shutdown -----

    def close(self):
        if self.closed:
            return
        self.closed = True
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    log(f"netlab: process {p.pid} did not exit after SIGKILL")
        for ns in self.namespaces:
            out = run("ip", "netns", "del", ns, check=False)
            if out.returncode != 0:
                log(f"netlab: could not delete namespace {ns}: {out.stderr.strip()}")
        if self.failed or os.environ.get("HOTLINE_NET_KEEP") == "1":
            log(f"netlab: kept {self.dir} for inspection")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dump_logs(self, tail_chars=8000):
        for s in (self.a, self.b):
            log(f"----- log of {s.id} (last {tail_chars} characters) -----\n"
                f"{s.log()[-tail_chars:]}")


# ----- traffic and the exactly-once check -----

PRECEDENCES = ("flash", "immediate", "priority", "routine")
TEXT_RE = re.compile(r"^(?P<side>[ab])-(?P<index>\d{6})-(?P<prec>[a-z]+) ")


class Poster(threading.Thread):
    """Posts numbered messages to one station at a steady rate and records what was confirmed.

    A post answered 201 is confirmed and must be delivered exactly once. A post whose answer was
    lost (the station was killed with the request in flight) is ambiguous: it may or may not be
    stored, so it must arrive at most once. A post that could not even connect, or was refused
    with 503, was not stored and is tried again with the same text.
    """

    def __init__(self, station, count, rate_per_s, precedence=None, seed=0, body_bytes=0,
                 deadline_s=None, tag=None):
        super().__init__(daemon=True)
        self.station = station
        self.tag = tag or station.side  # starts every text; verify_direction needs "a" or "b"
        self.count = count
        self.rate_per_s = rate_per_s
        self.precedence = precedence
        self.rng = random.Random(seed)
        self.body_bytes = body_bytes
        self.deadline_s = deadline_s
        self.api = Api(station)
        self.confirmed = {}  # id -> (index, text, precedence, answered status)
        self.ambiguous = {}  # text -> index
        self.answers = []  # (monotonic time, index, status) for confirmed posts
        self.errors = []
        self.stop_flag = threading.Event()
        self.attempts_refused = 0

    def text_for(self, i, prec):
        head = f"{self.tag}-{i:06d}-{prec} "
        return head + "x" * max(0, self.body_bytes - len(head)) if self.body_bytes else head + "msg"

    def run(self):
        start = time.monotonic()
        try:
            for i in range(self.count):
                if self.stop_flag.is_set():
                    return
                if self.deadline_s is not None and time.monotonic() - start > self.deadline_s:
                    return
                if self.rate_per_s:
                    time.sleep(max(0.0, start + i / self.rate_per_s - time.monotonic()))
                prec = self.precedence or self.rng.choice(PRECEDENCES)
                self.post_one(i, prec)
        except Exception as e:  # noqa: BLE001 - reported to the main thread
            self.errors.append(f"{type(e).__name__}: {e}\n{traceback.format_exc()}")

    def post_one(self, i, prec):
        text = self.text_for(i, prec)
        while not self.stop_flag.is_set():
            try:
                code, body = self.api.request(
                    "POST", "/api/v1/messages",
                    {"channel": CHANNEL, "precedence": prec, "text": text}, retry=False)
            except NotPosted:
                self.attempts_refused += 1
                time.sleep(0.05)
                continue
            except (OSError, http.client.HTTPException):
                self.ambiguous[text] = i
                return
            if code == 503:
                self.attempts_refused += 1
                time.sleep(0.05)
                continue
            if code != 201 or body.get("status") not in ("queued", "sent"):
                raise AssertionError(f"post {i} answered {code}: {body}")
            self.confirmed[body["id"]] = (i, text, prec, body["status"])
            self.answers.append((time.monotonic(), i, body["status"]))
            return

    def stop(self):
        self.stop_flag.set()


def wait_drained(lab, timeout_s=120):
    """Waits until neither station has anything queued or unacknowledged, and both agree."""
    def drained():
        sa, sb = lab.a.status(), lab.b.status()
        return (sa["queued"] == 0 and sa["unacked"] == 0 and sb["queued"] == 0
                and sb["unacked"] == 0 and sa["out_next_seq"] == sb["in_next_expected"]
                and sb["out_next_seq"] == sa["in_next_expected"])
    wait_for("every message delivered (queued = unacked = 0 on both sides)", drained,
             timeout_s=timeout_s, interval_s=0.2)


def verify_direction(sender, receiver, poster):
    """Exactly once, contiguous, in order; the sender holds every message as delivered."""
    inbox = receiver.api.messages("in")
    outbox = sender.api.messages("out")
    where = f"{sender.id} -> {receiver.id}"
    ids = [m["id"] for m in inbox]
    texts = [m["text"] for m in inbox]
    assert len(ids) == len(set(ids)), f"{where}: a message id arrived twice"
    assert len(texts) == len(set(texts)), f"{where}: a message text arrived twice"
    seqs = [m["seq"] for m in inbox]
    assert seqs == list(range(1, len(inbox) + 1)), \
        f"{where}: inbox seqs are not 1..{len(inbox)} in order (first bad at " \
        f"{next(i for i, s in enumerate(seqs) if s != i + 1)})"
    missing = set(poster.confirmed) - set(ids)
    assert not missing, \
        f"{where}: {len(missing)} confirmed messages lost, e.g. {sorted(missing)[:3]}"
    known_texts = {v[1] for v in poster.confirmed.values()} | set(poster.ambiguous)
    unknown = [t for t in texts if t not in known_texts]
    assert not unknown, f"{where}: {len(unknown)} messages nobody posted, e.g. {unknown[:3]}"
    for m in inbox:
        if m["id"] in poster.confirmed:
            i, text, prec, _ = poster.confirmed[m["id"]]
            assert m["text"] == text and m["precedence"] == prec, (m, text, prec)
    # Within a precedence, messages are numbered in the order they were posted.
    last = {}
    for m in inbox:
        idx = int(TEXT_RE.match(m["text"]).group("index"))
        prev = last.get(m["precedence"])
        assert prev is None or idx > prev, \
            f"{where}: {m['precedence']} message {idx} overtook {prev} (seq {m['seq']})"
        last[m["precedence"]] = idx
    out_by_id = {m["id"]: m for m in outbox}
    assert len(outbox) == len(inbox), f"{where}: outbox holds {len(outbox)}, inbox {len(inbox)}"
    for m in inbox:
        o = out_by_id.get(m["id"])
        assert o is not None, f"{where}: {m['id']} received but not in the sender's outbox"
        assert o["seq"] == m["seq"], f"{where}: sender seq {o['seq']} != receiver seq {m['seq']}"
        assert o["status"] == "delivered" and o["delivered_at"], f"{where}: {o}"
    arrived_ambiguous = sum(1 for t in texts if t in poster.ambiguous)
    log(f"{where}: {len(inbox)} messages exactly once, seqs 1..{len(inbox)} in order, all "
        f"delivered ({len(poster.confirmed)} confirmed, {len(poster.ambiguous)} ambiguous posts "
        f"of which {arrived_ambiguous} stored)")
    return len(inbox)


def verify_exactly_once(lab, poster_a, poster_b, timeout_s=120):
    wait_drained(lab, timeout_s)
    n_ab = verify_direction(lab.a, lab.b, poster_a)
    n_ba = verify_direction(lab.b, lab.a, poster_b) if poster_b is not None else 0
    return n_ab, n_ba


def join_posters(*posters, timeout_s=300):
    for p in posters:
        p.join(timeout=timeout_s)
        assert not p.is_alive(), f"poster for {p.station.id} did not finish in {timeout_s}s"
        assert not p.errors, p.errors


def main(name, test, seed=None):
    """Builds a lab and runs test(lab); exits 0 (pass), 1 (fail) or 77 (no lab possible)."""
    lab = None
    try:
        lab = Lab(name, seed)
        test(lab)
    except LabUnavailable as e:
        if lab is not None:
            lab.close()
        skip_loudly(str(e))
    except BaseException as e:  # noqa: BLE001 - a test reports everything
        traceback.print_exc()
        if lab is not None:
            lab.failed = True
            log(f"netlab: seed {lab.seed}")
            lab.dump_logs()
            lab.close()
        log(f"FAIL: {e}")
        sys.exit(1)
    lab.close()
    log("PASS")


def _on_sigterm(signum, frame):
    raise SystemExit(f"terminated by signal {signum}")


signal.signal(signal.SIGTERM, _on_sigterm)
