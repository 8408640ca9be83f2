#!/usr/bin/env python3
"""Runs every benchmark scenario for Hotline, Mosquitto, NATS JetStream and RabbitMQ, one run at a
time.

Each run starts its own servers on free loopback ports with fresh data directories, runs one
client (hotline-bench, mqtt-bench, nats-bench or amqp-bench), records the servers' peak RSS
(VmHWM), and stops everything it started by PID. Every wait has a timeout. A run's result goes to
build/bench/runs/<system>-<scenario>-<n>.json; bench/summarize.py turns them into the table.

Scenarios: latency, throughput, cut (the relay on the inter-site link resets it), kill (the cut
run's setup, but the receiving side's server process gets SIGKILL mid-stream and is started
again KILL_DOWN_MS later on the same config and data directory). hotline-bench kills and
restarts its own station B; for the peers the client signals this process (SIGUSR1) at the
moment, and this process kills server B by its PID and starts it again, recorded like any other.

Environment: RUNS (latency and throughput runs per system, default 3), CUT_RUNS (cut and kill
runs, default 1), SYSTEMS (default "hotline hotline-nojournal hotline-serial mosquitto nats rabbitmq"), SCENARIOS
(default "latency throughput cut kill"), LAT_COUNT, THR_COUNT, CUT_COUNT (message counts; the
kill runs send CUT_COUNT too).
"""
import getpass
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
PEERS = OUT / "peers"
CERTS = OUT / "certs"
CONF = ROOT / "bench" / "peers" / "conf"

RUNS = int(os.environ.get("RUNS", "3"))
CUT_RUNS = int(os.environ.get("CUT_RUNS", "1"))
SYSTEMS = os.environ.get("SYSTEMS", "hotline hotline-nojournal hotline-serial mosquitto nats rabbitmq").split()
LAT_COUNT = int(os.environ.get("LAT_COUNT", "4000"))
THR_COUNT = int(os.environ.get("THR_COUNT", "40000"))
CUT_COUNT = int(os.environ.get("CUT_COUNT", "10000"))
SCENARIOS = os.environ.get("SCENARIOS", "latency throughput cut kill").split()

LAT_RATE = 200
CUT_RATE = 1000
CUT_AT_MS = 3000
CUT_MS = 5000
SETTLE_S = 2
# kill: site B's server gets SIGKILL 3 s after the first send (halfway through a shorter stream)
# and is started again 2 s later; the peers' clients stop waiting for the last messages after
# QUIET_S without a new one (a broker that lost messages would otherwise hold the run 120 s).
KILL_AT_MS = min(CUT_AT_MS, CUT_COUNT * 1000 // CUT_RATE // 2)
KILL_DOWN_MS = 2000
QUIET_S = 30
HOTLINE_CONNECTIONS = 64       # throughput: concurrent keep-alive HTTP connections
FLOOR_SAMPLES = 2000           # disk floor: 4 KiB appends, each fdatasync-ed
# throughput: messages per POST (an array), as the peers' clients keep a window of asynchronous
# publishes in flight; each message is still committed durably before it is answered.
HOTLINE_BATCH = int(os.environ.get("HOTLINE_BATCH", "50"))
HOTLINE_BATCH_CONNECTIONS = 16  # throughput with batches: 16 x 50 messages in flight
HOTLINE_CUT_CONNECTIONS = 16   # cut: connections sharing the 1,000 msg/s
MQTT_WINDOW = 20               # = broker A's max_inflight_messages
NATS_WINDOW = 1000
# RabbitMQ: the publisher keeps as many publishes awaiting their confirm as NATS's; the consumer's
# prefetch is AMQP's largest (a 16-bit field), as near as it gets to NATS's max_ack_pending 65536;
# the shovel moves at most 1,000 unconfirmed messages at a time (its default prefetch_count).
RABBIT_WINDOW = 1000
RABBIT_PREFETCH = 65535
RABBIT_SHOVEL_PREFETCH = 1000
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")  # not /usr/sbin's wrapper: as root it su's to rabbitmq
RABBIT_START_TIMEOUT_S = 60    # a RabbitMQ node boots in seconds, more on a busy machine
RABBIT_USER = "hlbench"
START_TIMEOUT_S = 20
STOP_GRACE_S = 8
CLIENT_TIMEOUT_S = {"latency": 180, "throughput": 300, "cut": 240, "kill": 240}

DURABILITY = {
    "hotline": "fsync at both ends before acknowledging: A commits (fsync) before it answers the "
               "POST, B commits (fsync) before it acknowledges to A and announces the message. "
               "Every batch put on the link is sealed (one Ed25519 signature over its hash chain) "
               "and every receipt signed, each checked, and journaled in the same transaction.",
    "hotline-nojournal": "as Hotline, with signing and the journal off: shown only to measure "
                         "what they cost; not a configuration to run.",
    "hotline-serial": "as Hotline, with pipelined durability off: A puts a message on the link "
                      "only after its own commit; shown to measure what pipelining buys.",
    "mosquitto": "periodic snapshot, no per-message fsync: both brokers acknowledge QoS 2 from "
                 "memory and write a snapshot of their store every autosave_interval (1 s); a crash "
                 "loses what arrived since the last snapshot, and a restart from that snapshot "
                 "hands out again what was delivered since (the kill runs measure both).",
    "nats": "NATS 2.9 JetStream file store: no per-message fsync by default; the PubAck and the "
            "mirror follow a write to the page cache, so a process crash loses nothing acked but "
            "an OS crash or power loss can. A restarted server resumes the mirror and the durable "
            "consumer from their stored state; acks not yet written there are redelivered.",
    "rabbitmq": "RabbitMQ 3.10 quorum queues, fsync before every confirm: A's queue confirms a "
                "persistent publish only once it is in A's Raft log on disk (fsync); the shovel "
                "(ack mode on-confirm) acknowledges it at A, which removes it there, only after "
                "B's quorum queue has confirmed it, again after an fsync of B's log; the consumer "
                "acknowledges each delivery at B. Nothing confirmed is lost by a crash, of the "
                "process or of the machine. A message whose confirm from B was lost (link cut, B "
                "killed) is sent again by the shovel, and deliveries B had not recorded as acked "
                "are redelivered: both come out as duplicates.",
}


def log(text):
    print(text, flush=True)


class Processes:
    """Every process a run starts, so each can be stopped by its PID and never left behind."""

    def __init__(self):
        self.procs = []

    def start(self, args, log_path, new_group=False, env=None):
        f = open(log_path, "ab")
        p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=new_group, env=env)
        f.close()
        self.procs.append(p)
        with open(OUT / "pids", "a") as pids:
            pids.write(f"{p.pid} {' '.join(str(a) for a in args)}\n")
        return p

    def forget(self, p):
        """A process that has been reaped (killed and waited for) is no longer to be stopped."""
        if p in self.procs:
            self.procs.remove(p)

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


# Set by SIGUSR1: a kill run's client asks for server B to be killed now.
KILL_REQUESTED = threading.Event()


class KillSiteB:
    """The kill scenario's fault for a peer. The client sends this process SIGUSR1 at
    --cut-at-ms after its first send; poll() then SIGKILLs server B by its PID, reaps it, waits
    KILL_DOWN_MS, and starts it again with the same command (same config, ports and data
    directory), tracked like every other process, and waits for its ports (within
    start_timeout_s; ready(proc), when given, then checks the new process further)."""

    def __init__(self, procs, proc, args, log_path, ports, env=None,
                 start_timeout_s=START_TIMEOUT_S, ready=None):
        self.procs, self.proc, self.args = procs, proc, args
        self.log_path, self.ports = log_path, ports
        self.env, self.start_timeout_s, self.ready = env, start_timeout_s, ready
        self.done = False
        self.peak_rss_mb_before = None
        self.cpu_us_before = None
        self.report = {}
        KILL_REQUESTED.clear()

    def poll(self):
        if self.done or not KILL_REQUESTED.is_set():
            return
        self.done = True
        asked = time.monotonic()
        self.peak_rss_mb_before = peak_rss_mb(self.proc.pid)
        self.cpu_us_before = cpu_us(self.proc.pid)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(STOP_GRACE_S)
        self.procs.forget(self.proc)
        killed = time.monotonic()
        time.sleep(KILL_DOWN_MS / 1000)
        self.proc = self.procs.start(self.args, self.log_path, env=self.env)
        restarted = time.monotonic()
        for port in self.ports:
            wait_port(port, self.proc, self.start_timeout_s)
        if self.ready:
            self.ready(self.proc)
        listening = time.monotonic()
        self.report = {"killed_after_signal_ms": round((killed - asked) * 1000, 1),
                       "down_ms": round((restarted - killed) * 1000, 1),
                       "listening_after_restart_ms": round((listening - restarted) * 1000, 1)}
        log(f"   site B SIGKILLed and started again (pid {self.proc.pid}): {self.report}")


def run_client(procs, args, run_dir, scenario, fault=None):
    """Runs one bench client in its own process group, bounded by the scenario's timeout; while
    it runs, a kill run's fault is carried out when the client asks for it."""
    result_path = run_dir / "result.json"
    p = procs.start(args + ["--json", str(result_path)], run_dir / "client.log", new_group=True)
    deadline = time.monotonic() + CLIENT_TIMEOUT_S[scenario]
    while True:
        try:
            p.wait(0.05)
            break
        except subprocess.TimeoutExpired:
            pass
        if fault:
            fault.poll()
        if time.monotonic() >= deadline:
            log(f"   client timed out after {CLIENT_TIMEOUT_S[scenario]} s")
            break
    procs.stop(p)
    if not result_path.exists():
        raise RuntimeError(f"no result; see {run_dir / 'client.log'}")
    if fault and not fault.done:
        raise RuntimeError("the client never asked for site B to be killed")
    result = json.loads(result_path.read_text())
    if fault:
        result["kill"] = fault.report
    return result


def scenario_args(scenario):
    if scenario == "latency":
        return ["--mode", "latency", "--count", str(LAT_COUNT), "--rate", str(LAT_RATE)]
    if scenario == "throughput":
        return ["--mode", "throughput", "--count", str(THR_COUNT)]
    return ["--mode", scenario, "--count", str(CUT_COUNT), "--rate", str(CUT_RATE)]


def peer_fault_args(scenario, relay):
    """A cut run's client signals the relay; a kill run's client signals this process."""
    if scenario == "cut":
        return ["--cut-pid", str(relay.pid), "--cut-at-ms", str(CUT_AT_MS),
                "--settle-s", str(SETTLE_S)]
    if scenario == "kill":
        return ["--cut-pid", str(os.getpid()), "--cut-at-ms", str(KILL_AT_MS),
                "--settle-s", str(SETTLE_S), "--quiet-s", str(QUIET_S)]
    return []


def run_hotline(procs, scenario, run_dir, journal="on", pipelined="on"):
    args = [str(ROOT / "build" / "bin" / "hotline-bench"), "--hotline",
            str(ROOT / "build" / "bin" / "hotline"), "--dir", str(run_dir / "stations"),
            "--journal", journal, "--pipelined", pipelined]
    args += scenario_args(scenario)
    if scenario == "throughput":
        conns = HOTLINE_BATCH_CONNECTIONS if HOTLINE_BATCH > 1 else HOTLINE_CONNECTIONS
        args += ["--concurrency", str(conns), "--batch", str(HOTLINE_BATCH)]
    if scenario in ("cut", "kill"):
        args += ["--concurrency", str(HOTLINE_CUT_CONNECTIONS), "--relay",
                 str(ROOT / "bench" / "relay.py"), "--cut-at-ms", str(CUT_AT_MS), "--cut-ms",
                 str(CUT_MS), "--settle-s", str(SETTLE_S)]
    if scenario == "kill":
        # hotline-bench kills and restarts its own station B (it started it).
        args += ["--kill-at-ms", str(KILL_AT_MS), "--down-ms", str(KILL_DOWN_MS)]
    # hotline-bench measures its stations' VmHWM itself, just before it stops them.
    return run_client(procs, args, run_dir, scenario)


def run_mosquitto(procs, scenario, run_dir):
    a_local, b_local, b_link = free_ports(3)
    relay, link = None, b_link
    if scenario in ("cut", "kill"):  # the kill run keeps the relay on the link, not signalled
        relay, link = start_relay(procs, run_dir, b_link)
    fields = dict(user=getpass.getuser(), certs=CERTS)
    for site in ("a", "b"):
        (run_dir / site).mkdir()
    conf_b = render("mosquitto-b.conf", run_dir / "b.conf", data=run_dir / "b",
                    port_local=b_local, port_link=b_link, **fields)
    conf_a = render("mosquitto-a.conf", run_dir / "a.conf", data=run_dir / "a",
                    port_local=a_local, port_link=link, **fields)
    b_args = ["mosquitto", "-c", str(conf_b)]
    b = procs.start(b_args, run_dir / "b.log")
    wait_port(b_local, b)
    wait_port(b_link, b)
    a = procs.start(["mosquitto", "-c", str(conf_a)], run_dir / "a.log")
    wait_port(a_local, a)
    args = [str(PEERS / "mqtt-bench"), "--pub-port", str(a_local), "--sub-port", str(b_local),
            "--window", str(MQTT_WINDOW)] + scenario_args(scenario)
    args += peer_fault_args(scenario, relay)
    # kill: broker B restarts on the same config, so the same ports and persistence directory.
    fault = None
    if scenario == "kill":
        fault = KillSiteB(procs, b, b_args, run_dir / "b.log", (b_local, b_link))
    result = run_client(procs, args, run_dir, scenario, fault)
    return with_rss(result, a, fault.proc if fault else b, fault)


def run_nats(procs, scenario, run_dir):
    a_client, a_leaf, b_client = free_ports(3)
    relay, link = None, a_leaf
    if scenario in ("cut", "kill"):  # the kill run keeps the relay on the link, not signalled
        relay, link = start_relay(procs, run_dir, a_leaf)
    conf_a = render("nats-a.conf", run_dir / "a.conf", data=run_dir / "a", certs=CERTS,
                    port_client=a_client, port_leaf=a_leaf, port_link=link)
    conf_b = render("nats-b.conf", run_dir / "b.conf", data=run_dir / "b", certs=CERTS,
                    port_client=b_client, port_link=link)
    a = procs.start(["nats-server", "-c", str(conf_a)], run_dir / "a.log")
    wait_port(a_client, a)
    wait_port(a_leaf, a)
    b_args = ["nats-server", "-c", str(conf_b)]
    b = procs.start(b_args, run_dir / "b.log")
    wait_port(b_client, b)
    # Go's flag package takes --name as well as -name.
    args = [str(PEERS / "nats-bench"), "--a", f"nats://127.0.0.1:{a_client}",
            "--b", f"nats://127.0.0.1:{b_client}", "--window", str(NATS_WINDOW)]
    args += scenario_args(scenario) + peer_fault_args(scenario, relay)
    # kill: server B restarts on the same config, so the same port and store directory.
    fault = None
    if scenario == "kill":
        fault = KillSiteB(procs, b, b_args, run_dir / "b.log", (b_client,))
    result = run_client(procs, args, run_dir, scenario, fault)
    return with_rss(result, a, fault.proc if fault else b, fault)


def rabbit_site(run_dir, site, port_amqp, port_dist, port_epmd, port_ctl, conf_fields,
                advanced=None):
    """One RabbitMQ node's files and environment: its own node name, data and log directories,
    config, enabled plugins (the shovel where the shovel runs, none at B), HOME with its own
    .erlang.cookie, and the run's own epmd port, so it never meets a system node or epmd."""
    home, logs = run_dir / f"home-{site}", run_dir / f"log-{site}"
    for d in (home, logs, run_dir / site):
        d.mkdir()
    cookie = home / ".erlang.cookie"
    cookie.write_text(secrets.token_hex(16))
    cookie.chmod(0o400)
    conf = render(f"rabbitmq-{site}.conf", run_dir / f"{site}.conf",
                  log_file=logs / "node.log", **conf_fields)
    advanced_path = run_dir / f"{site}-advanced.config"
    if advanced:
        render(advanced, advanced_path, **conf_fields)
    else:
        advanced_path.write_text("[].\n")
    plugins = run_dir / f"{site}-enabled-plugins"
    plugins.write_text("[rabbitmq_shovel].\n" if advanced else "[].\n")
    # Erlang distribution (node to node and to rabbitmqctl) only on loopback, on ports chosen
    # here; -noinput with RABBITMQ_ALLOW_INPUT makes rabbitmq-server exec the VM instead of
    # keeping a shell in front of it, so the process started is beam.smp itself; -start_epmd
    # false: the run's own epmd is already up, and no node starts a daemon of its own.
    dist = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RABBITMQ_", "ERL_", "NOTIFY_SOCKET"))}
    env.update({
        "HOME": str(home),
        "RABBITMQ_NODENAME": f"hlbench-{site}-{port_amqp}@localhost",
        "RABBITMQ_USE_LONGNAME": "false",
        "RABBITMQ_DIST_PORT": str(port_dist),
        "RABBITMQ_MNESIA_BASE": str(run_dir / site),
        "RABBITMQ_LOG_BASE": str(logs),
        "RABBITMQ_CONFIG_FILE": str(conf),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(advanced_path),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins),
        "RABBITMQ_CONF_ENV_FILE": str(run_dir / f"{site}-rabbitmq-env.conf"),  # none: no defaults
        "RABBITMQ_ALLOW_INPUT": "true",
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-noinput " + dist,
        "RABBITMQ_CTL_ERL_ARGS": dist,
        "RABBITMQ_CTL_DIST_PORT_MIN": str(port_ctl),
        "RABBITMQ_CTL_DIST_PORT_MAX": str(port_ctl),
        "ERL_EPMD_PORT": str(port_epmd),
    })
    return env


def rabbit_start(procs, run_dir, site, env, ports):
    """Starts a node, checks that the process started is the VM (so a SIGKILL reaches the
    broker itself), and waits until it is up: its ports listen (RabbitMQ opens its listeners
    only after its plugins have started) and `rabbitmqctl await_startup` agrees."""
    args = [str(RABBIT_BIN / "rabbitmq-server")]
    p = procs.start(args, run_dir / f"{site}.log", env=env)
    rabbit_ready(p, env, ports)
    return p, args


def rabbit_ready(p, env, ports):
    for port in ports:
        wait_port(port, p, RABBIT_START_TIMEOUT_S)
    comm = Path(f"/proc/{p.pid}/comm").read_text().strip()
    if comm != "beam.smp":
        raise RuntimeError(f"rabbitmq-server left {comm} (pid {p.pid}) in front of the VM")
    try:
        subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", env["RABBITMQ_NODENAME"], "-q",
                        "await_startup", "--timeout", str(RABBIT_START_TIMEOUT_S)],
                       env=env, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=RABBIT_START_TIMEOUT_S + 10)
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"rabbitmqctl await_startup: {e.stderr.decode(errors='replace')[-400:]}")


def rabbit_link_tls(env, timeout_s=20):
    """How the shovel's connection reached B, as B reports it: user, TLS, protocol version and
    the client certificate's subject (waits for the shovel to connect; recorded with each run)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", env["RABBITMQ_NODENAME"], "-q",
                            "list_connections", "--no-table-headers", "user", "ssl",
                            "ssl_protocol", "peer_cert_subject"],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=RABBIT_START_TIMEOUT_S)
        links = [" ".join(line.split()) for line in r.stdout.decode(errors="replace").splitlines()
                 if "\ttrue\t" in line]
        if links:
            return "; ".join(links)
        time.sleep(0.5)
    return "no TLS connection seen at B"


def run_rabbitmq(procs, scenario, run_dir):
    (port_epmd, a_amqp, a_dist, a_ctl, b_amqp, b_link, b_dist, b_ctl) = free_ports(8)
    relay, link = None, b_link
    if scenario in ("cut", "kill"):  # the kill run keeps the relay on the link, not signalled
        relay, link = start_relay(procs, run_dir, b_link)
    # The run's own epmd, in the foreground so that it is stopped by its PID like the nodes.
    epmd = procs.start(["epmd", "-port", str(port_epmd), "-address", "127.0.0.1"],
                       run_dir / "epmd.log")
    wait_port(port_epmd, epmd)
    password = secrets.token_hex(8)
    fields = dict(certs=CERTS, user=RABBIT_USER, password=password, port_link=link,
                  prefetch=RABBIT_SHOVEL_PREFETCH, server_name="site-b")
    b_env = rabbit_site(run_dir, "b", b_amqp, b_dist, port_epmd, b_ctl,
                        dict(fields, port_amqp=b_amqp, port_link=b_link))
    a_env = rabbit_site(run_dir, "a", a_amqp, a_dist, port_epmd, a_ctl,
                        dict(fields, port_amqp=a_amqp), advanced="rabbitmq-a-advanced.config")
    # B first: A's shovel dials B's link listener as soon as A is up.
    b, b_args = rabbit_start(procs, run_dir, "b", b_env, (b_amqp, b_link))
    a, _ = rabbit_start(procs, run_dir, "a", a_env, (a_amqp,))
    link_tls = rabbit_link_tls(b_env)
    log(f"   shovel's link at B (user, TLS, version, client certificate): {link_tls}")
    # Both VMs' CPU time by the time they are up (booting takes seconds of CPU each) is part of
    # cpu_us_per_msg, as for every system; recorded so that it can be told apart.
    startup_cpu_us = [cpu_us(a.pid), cpu_us(b.pid)]
    url = f"amqp://{RABBIT_USER}:{password}@127.0.0.1:{{}}/"
    args = [str(PEERS / "amqp-bench"), "--a", url.format(a_amqp), "--b", url.format(b_amqp),
            "--window", str(RABBIT_WINDOW), "--prefetch", str(RABBIT_PREFETCH)]
    args += scenario_args(scenario) + peer_fault_args(scenario, relay)
    # kill: node B restarts on the same environment, so the same ports and data directory.
    fault = None
    if scenario == "kill":
        fault = KillSiteB(procs, b, b_args, run_dir / "b.log", (b_amqp, b_link), env=b_env,
                          start_timeout_s=RABBIT_START_TIMEOUT_S,
                          ready=lambda p: rabbit_ready(p, b_env, ()))
    result = run_client(procs, args, run_dir, scenario, fault)
    result["link_tls"] = link_tls
    # Peak RSS and CPU time: both nodes' VM (beam.smp); the run's epmd (about 3 MB) is left out.
    result = with_rss(result, a, fault.proc if fault else b, fault)
    if None not in startup_cpu_us:
        result["startup_cpu_us"] = sum(startup_cpu_us)
        delivered = result.get("messages", 0) - result.get("lost", 0)
        if "cpu_us_per_msg" in result and delivered > 0:
            result["cpu_us_per_msg_after_start"] = round(
                result["cpu_us_per_msg"] - result["startup_cpu_us"] / delivered, 1)
    return result


def cpu_us(pid):
    """User plus system CPU time of a live process so far, in microseconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return ticks * 1_000_000 // os.sysconf("SC_CLK_TCK")


def with_rss(result, a, b, fault=None):
    """Adds the servers' peak RSS and, over the messages delivered, their CPU time per message
    (read before they stop; hotline-bench reports both for its own stations). After a kill, B's
    figures cover both of its processes: the killed one (read just before the kill) and the new."""
    result["peak_rss_mb_a"] = peak_rss_mb(a.pid)
    result["peak_rss_mb_b"] = peak_rss_mb(b.pid)
    if fault and fault.peak_rss_mb_before:
        result["peak_rss_mb_b"] = max(result["peak_rss_mb_b"] or 0, fault.peak_rss_mb_before)
    result["peak_rss_mb"] = max(x for x in (result["peak_rss_mb_a"], result["peak_rss_mb_b"], 0) if x)
    cpu = [cpu_us(p.pid) for p in (a, b)] + ([fault.cpu_us_before] if fault else [])
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


def run_hotline_serial(procs, scenario, run_dir):
    """Hotline with pipelined durability off: only to show what pipelining buys."""
    return run_hotline(procs, scenario, run_dir, pipelined="off")


RUNNERS = {"hotline": run_hotline, "hotline-nojournal": run_hotline_no_journal,
           "hotline-serial": run_hotline_serial,
           "mosquitto": run_mosquitto, "nats": run_nats, "rabbitmq": run_rabbitmq}


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
    if scenario == "kill" and "error" not in result:
        # Every client reports these in a kill run; the same figures as its lost and duplicated.
        result.setdefault("kill_lost", result["lost"])
        result.setdefault("kill_duplicated", result["duplicated"])
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
    # So are its runs of the scenarios not chosen in SCENARIOS.
    for scenario in SCENARIOS:
        if scenario not in CLIENT_TIMEOUT_S:
            sys.exit(f"orchestrate: unknown scenario {scenario}")
    for system in SYSTEMS:
        for scenario in SCENARIOS:
            for old in (OUT / "runs").glob(f"{system}-{scenario}-*.json"):
                old.unlink()
    (OUT / "pids").write_text("")
    (OUT / "durability.json").write_text(json.dumps(DURABILITY, indent=2))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # A kill run's client asks for the kill with SIGUSR1 (KillSiteB); at any other time it is
    # ignored rather than ending this process.
    signal.signal(signal.SIGUSR1, lambda *_: KILL_REQUESTED.set())
    # The floor is what the latency runs are set against: measured with them, else kept.
    if "latency" in SCENARIOS or not (OUT / "floor.json").exists():
        floor = disk_floor()
        (OUT / "floor.json").write_text(json.dumps(floor, indent=2) + "\n")
        log(f"== disk floor (4 KiB append + fdatasync, {floor['samples']} times): "
            f"p50 {floor['floor_fsync_p50_ms']} ms, p99 {floor['floor_fsync_p99_ms']} ms")
    plan = [(s, RUNS if s in ("latency", "throughput") else CUT_RUNS)
            for s in ("latency", "throughput", "cut", "kill") if s in SCENARIOS]
    for scenario, runs in plan:
        log(f"== {scenario}: {runs} run(s) per system")
        # Systems take turns within each repetition, so a noisy minute hurts all of them alike.
        for n in range(1, runs + 1):
            for system in SYSTEMS:
                one_run(system, scenario, n)


if __name__ == "__main__":
    main()
