#!/usr/bin/env python3
"""Runs every benchmark scenario for Hotline, Mosquitto and NATS JetStream, one run at a time.

Each run starts its own servers on free loopback ports with fresh data directories, runs one
client (hotline-bench, mqtt-bench or nats-bench), records the servers' peak RSS (VmHWM), and
stops everything it started by PID. Every wait has a timeout. A run's result goes to
build/bench/runs/<system>-<scenario>-<n>.json; bench/summarize.py turns them into the table.

Environment: RUNS (latency and throughput runs per system, default 3), CUT_RUNS (default 1),
SYSTEMS (default "hotline hotline-nojournal mosquitto nats"), LAT_COUNT, THR_COUNT, CUT_COUNT (message counts).
"""
import getpass
import json
import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
PEERS = OUT / "peers"
CERTS = OUT / "certs"
CONF = ROOT / "bench" / "peers" / "conf"

RUNS = int(os.environ.get("RUNS", "3"))
CUT_RUNS = int(os.environ.get("CUT_RUNS", "1"))
SYSTEMS = os.environ.get("SYSTEMS", "hotline hotline-nojournal mosquitto nats").split()
LAT_COUNT = int(os.environ.get("LAT_COUNT", "4000"))
THR_COUNT = int(os.environ.get("THR_COUNT", "40000"))
CUT_COUNT = int(os.environ.get("CUT_COUNT", "10000"))

LAT_RATE = 200
CUT_RATE = 1000
CUT_AT_MS = 3000
CUT_MS = 5000
SETTLE_S = 2
HOTLINE_CONNECTIONS = 64       # throughput: concurrent keep-alive HTTP connections
FLOOR_SAMPLES = 2000           # disk floor: 4 KiB appends, each fdatasync-ed
# throughput: messages per POST (an array), as the peers' clients keep a window of asynchronous
# publishes in flight; each message is still committed durably before it is answered.
HOTLINE_BATCH = int(os.environ.get("HOTLINE_BATCH", "50"))
HOTLINE_BATCH_CONNECTIONS = 16  # throughput with batches: 16 x 50 messages in flight
HOTLINE_CUT_CONNECTIONS = 16   # cut: connections sharing the 1,000 msg/s
MQTT_WINDOW = 20               # = broker A's max_inflight_messages
NATS_WINDOW = 1000
START_TIMEOUT_S = 20
STOP_GRACE_S = 8
CLIENT_TIMEOUT_S = {"latency": 180, "throughput": 300, "cut": 240}

DURABILITY = {
    "hotline": "fsync at both ends before acknowledging: A commits (fsync) before it answers the "
               "POST, B commits (fsync) before it acknowledges to A and announces the message. "
               "Every message and receipt is signed (Ed25519) and checked, and journaled in the "
               "same transaction.",
    "hotline-nojournal": "as Hotline, with signing and the journal off: shown only to measure "
                         "what they cost; not a configuration to run.",
    "mosquitto": "periodic snapshot, no per-message fsync: both brokers acknowledge QoS 2 from "
                 "memory and write a snapshot of their store every autosave_interval (1 s); a crash "
                 "loses what arrived since the last snapshot.",
    "nats": "NATS 2.9 JetStream file store: no per-message fsync by default; the PubAck and the "
            "mirror follow a write to the page cache, so a process crash loses nothing acked but "
            "an OS crash or power loss can.",
}


def log(text):
    print(text, flush=True)


class Processes:
    """Every process a run starts, so each can be stopped by its PID and never left behind."""

    def __init__(self):
        self.procs = []

    def start(self, args, log_path, new_group=False):
        f = open(log_path, "ab")
        p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=new_group)
        f.close()
        self.procs.append(p)
        with open(OUT / "pids", "a") as pids:
            pids.write(f"{p.pid} {' '.join(str(a) for a in args)}\n")
        return p

    def stop(self, p):
        """SIGTERM, then SIGKILL after a grace period. A client started in its own process group
        (hotline-bench starts stations and a relay) is signalled as that group."""
        if p.poll() is None:
            self.signal(p, signal.SIGTERM)
            try:
                p.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.signal(p, signal.SIGKILL)
                p.wait(STOP_GRACE_S)
        if p in self.procs:
            self.procs.remove(p)

    @staticmethod
    def signal(p, sig):
        try:
            if os.getpgid(p.pid) == p.pid:
                os.killpg(p.pid, sig)
            else:
                p.send_signal(sig)
        except ProcessLookupError:
            pass

    def stop_all(self):
        for p in reversed(list(self.procs)):
            self.stop(p)


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def wait_port(port, proc, timeout_s=START_TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process {proc.pid} exited with {proc.returncode} before port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} not listening after {timeout_s} s")


def peak_rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def render(template, dest, **fields):
    text = string.Template((CONF / template).read_text()).substitute(**fields)
    dest.write_text(text)
    return dest


def start_relay(procs, run_dir, target_port):
    ready = run_dir / "relay.json"
    p = procs.start([sys.executable, str(ROOT / "bench" / "relay.py"), "--to",
                     f"127.0.0.1:{target_port}", "--ready", str(ready), "--cut-ms", str(CUT_MS)],
                    run_dir / "relay.log")
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.exists():
        if time.monotonic() > deadline or p.poll() is not None:
            raise RuntimeError("relay did not start")
        time.sleep(0.02)
    return p, json.loads(ready.read_text())["ports"][0]


def run_client(procs, args, run_dir, scenario):
    """Runs one bench client in its own process group, bounded by the scenario's timeout."""
    result_path = run_dir / "result.json"
    p = procs.start(args + ["--json", str(result_path)], run_dir / "client.log", new_group=True)
    try:
        p.wait(CLIENT_TIMEOUT_S[scenario])
    except subprocess.TimeoutExpired:
        log(f"   client timed out after {CLIENT_TIMEOUT_S[scenario]} s")
    procs.stop(p)
    if not result_path.exists():
        raise RuntimeError(f"no result; see {run_dir / 'client.log'}")
    return json.loads(result_path.read_text())


def scenario_args(scenario):
    if scenario == "latency":
        return ["--mode", "latency", "--count", str(LAT_COUNT), "--rate", str(LAT_RATE)]
    if scenario == "throughput":
        return ["--mode", "throughput", "--count", str(THR_COUNT)]
    return ["--mode", "cut", "--count", str(CUT_COUNT), "--rate", str(CUT_RATE)]


def run_hotline(procs, scenario, run_dir, journal="on"):
    args = [str(ROOT / "build" / "bin" / "hotline-bench"), "--hotline",
            str(ROOT / "build" / "bin" / "hotline"), "--dir", str(run_dir / "stations"),
            "--journal", journal]
    args += scenario_args(scenario)
    if scenario == "throughput":
        conns = HOTLINE_BATCH_CONNECTIONS if HOTLINE_BATCH > 1 else HOTLINE_CONNECTIONS
        args += ["--concurrency", str(conns), "--batch", str(HOTLINE_BATCH)]
    if scenario == "cut":
        args += ["--concurrency", str(HOTLINE_CUT_CONNECTIONS), "--relay",
                 str(ROOT / "bench" / "relay.py"), "--cut-at-ms", str(CUT_AT_MS), "--cut-ms",
                 str(CUT_MS), "--settle-s", str(SETTLE_S)]
    # hotline-bench measures its stations' VmHWM itself, just before it stops them.
    return run_client(procs, args, run_dir, scenario)


def run_mosquitto(procs, scenario, run_dir):
    a_local, b_local, b_link = free_ports(3)
    relay, link = None, b_link
    if scenario == "cut":
        relay, link = start_relay(procs, run_dir, b_link)
    fields = dict(user=getpass.getuser(), certs=CERTS)
    for site in ("a", "b"):
        (run_dir / site).mkdir()
    conf_b = render("mosquitto-b.conf", run_dir / "b.conf", data=run_dir / "b",
                    port_local=b_local, port_link=b_link, **fields)
    conf_a = render("mosquitto-a.conf", run_dir / "a.conf", data=run_dir / "a",
                    port_local=a_local, port_link=link, **fields)
    b = procs.start(["mosquitto", "-c", str(conf_b)], run_dir / "b.log")
    wait_port(b_local, b)
    wait_port(b_link, b)
    a = procs.start(["mosquitto", "-c", str(conf_a)], run_dir / "a.log")
    wait_port(a_local, a)
    args = [str(PEERS / "mqtt-bench"), "--pub-port", str(a_local), "--sub-port", str(b_local),
            "--window", str(MQTT_WINDOW)] + scenario_args(scenario)
    if relay:
        args += ["--cut-pid", str(relay.pid), "--cut-at-ms", str(CUT_AT_MS),
                 "--settle-s", str(SETTLE_S)]
    result = run_client(procs, args, run_dir, scenario)
    return with_rss(result, a, b)


def run_nats(procs, scenario, run_dir):
    a_client, a_leaf, b_client = free_ports(3)
    relay, link = None, a_leaf
    if scenario == "cut":
        relay, link = start_relay(procs, run_dir, a_leaf)
    conf_a = render("nats-a.conf", run_dir / "a.conf", data=run_dir / "a", certs=CERTS,
                    port_client=a_client, port_leaf=a_leaf, port_link=link)
    conf_b = render("nats-b.conf", run_dir / "b.conf", data=run_dir / "b", certs=CERTS,
                    port_client=b_client, port_link=link)
    a = procs.start(["nats-server", "-c", str(conf_a)], run_dir / "a.log")
    wait_port(a_client, a)
    wait_port(a_leaf, a)
    b = procs.start(["nats-server", "-c", str(conf_b)], run_dir / "b.log")
    wait_port(b_client, b)
    # Go's flag package takes --name as well as -name.
    args = [str(PEERS / "nats-bench"), "--a", f"nats://127.0.0.1:{a_client}",
            "--b", f"nats://127.0.0.1:{b_client}", "--window", str(NATS_WINDOW)]
    args += scenario_args(scenario)
    if relay:
        args += ["--cut-pid", str(relay.pid), "--cut-at-ms", str(CUT_AT_MS),
                 "--settle-s", str(SETTLE_S)]
    result = run_client(procs, args, run_dir, scenario)
    return with_rss(result, a, b)


def cpu_us(pid):
    """User plus system CPU time of a live process so far, in microseconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return ticks * 1_000_000 // os.sysconf("SC_CLK_TCK")


def with_rss(result, a, b):
    """Adds the servers' peak RSS and, over the messages delivered, their CPU time per message
    (read before they stop; hotline-bench reports both for its own stations)."""
    result["peak_rss_mb_a"] = peak_rss_mb(a.pid)
    result["peak_rss_mb_b"] = peak_rss_mb(b.pid)
    result["peak_rss_mb"] = max(x for x in (result["peak_rss_mb_a"], result["peak_rss_mb_b"], 0) if x)
    cpu = [cpu_us(p.pid) for p in (a, b)]
    delivered = result.get("messages", 0) - result.get("lost", 0)
    if None not in cpu and delivered > 0:
        result["cpu_us_per_msg"] = round(sum(cpu) / delivered, 1)
    return result


def disk_floor(samples=FLOOR_SAMPLES):
    """The physical floor of a durable message here: p50 and p99 of appending 4 KiB to a file
    in the bench's directory and fdatasync-ing it, in ms."""
    path = OUT / "floor.dat"
    block = b"\0" * 4096
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    try:
        for _ in range(samples):
            t = time.perf_counter_ns()
            os.write(fd, block)
            os.fdatasync(fd)
            times.append((time.perf_counter_ns() - t) / 1e6)
    finally:
        os.close(fd)
        path.unlink()
    times.sort()
    return {"floor_fsync_p50_ms": round(times[len(times) // 2], 3),
            "floor_fsync_p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
            "samples": samples}


def run_hotline_no_journal(procs, scenario, run_dir):
    """Hotline with signing and the journal off: only to show what they cost."""
    return run_hotline(procs, scenario, run_dir, journal="off")


RUNNERS = {"hotline": run_hotline, "hotline-nojournal": run_hotline_no_journal,
           "mosquitto": run_mosquitto, "nats": run_nats}


def one_run(system, scenario, n):
    run_dir = OUT / "work" / f"{system}-{scenario}-{n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    procs = Processes()
    started = time.monotonic()
    try:
        result = RUNNERS[system](procs, scenario, run_dir)
    except Exception as e:  # One failed run is reported and the suite goes on.
        log(f"   {system} {scenario} #{n} FAILED: {e}")
        result = {"system": system, "mode": scenario, "error": str(e)}
    finally:
        procs.stop_all()
    result["system"] = system  # hotline-bench calls both of its variants "hotline"
    result["wall_s"] = round(time.monotonic() - started, 1)
    (OUT / "runs" / f"{system}-{scenario}-{n}.json").write_text(json.dumps(result, indent=2) + "\n")
    if "error" not in result:
        log(f"   {system:9} {scenario:10} #{n}: p50 {result['latency_p50_ms']:9.3f} ms  "
            f"p99 {result['latency_p99_ms']:9.3f} ms  {result['throughput_msgs_per_s']:8.0f} msg/s  "
            f"lost {result['lost']}  dup {result['duplicated']}  rss {result['peak_rss_mb']:.1f} MB  "
            f"({result['wall_s']} s)")
        # Keep the logs and configs of the run, not the stores.
        for sub in ("a", "b"):
            shutil.rmtree(run_dir / sub, ignore_errors=True)
        for store in (run_dir / "stations").glob("*/*.db*"):
            store.unlink()


def main():
    # Earlier runs of the systems not chosen in SYSTEMS stay, so one system can be re-run alone.
    (OUT / "runs").mkdir(parents=True, exist_ok=True)
    for system in SYSTEMS:
        for scenario in ("latency", "throughput", "cut"):
            for old in (OUT / "runs").glob(f"{system}-{scenario}-*.json"):
                old.unlink()
    (OUT / "pids").write_text("")
    (OUT / "durability.json").write_text(json.dumps(DURABILITY, indent=2))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    floor = disk_floor()
    (OUT / "floor.json").write_text(json.dumps(floor, indent=2) + "\n")
    log(f"== disk floor (4 KiB append + fdatasync, {floor['samples']} times): "
        f"p50 {floor['floor_fsync_p50_ms']} ms, p99 {floor['floor_fsync_p99_ms']} ms")
    plan = [("latency", RUNS), ("throughput", RUNS), ("cut", CUT_RUNS)]
    for scenario, runs in plan:
        log(f"== {scenario}: {runs} run(s) per system")
        # Systems take turns within each repetition, so a noisy minute hurts all of them alike.
        for n in range(1, runs + 1):
            for system in SYSTEMS:
                one_run(system, scenario, n)


if __name__ == "__main__":
    main()
