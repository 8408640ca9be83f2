#!/usr/bin/env python3
"""Turns the runs in build/bench/runs/ into the comparison table and build/bench/results.json.

Per system: latency p50 and p99 are medians over the latency runs, throughput the median over the
throughput runs, lost and duplicated the sums over the link-cut runs, kill_lost and
kill_duplicated the sums over the runs that SIGKILL the receiving side, peak RSS the largest VmHWM
of either server (or station) process over all runs. Usage: summarize.py [OUT_DIR]
"""
import datetime
import json
import os
import platform
import statistics
import sys
from pathlib import Path

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "build" / "bench"
ORDER = ["hotline", "hotline-nojournal", "hotline-serial", "mosquitto", "nats", "rabbitmq"]
TITLES = {"hotline": "Hotline", "hotline-nojournal": "Hotline, journal off (cost only)", "hotline-serial": "Hotline, not pipelined (cost only)", "mosquitto": "Mosquitto 2.0 (QoS 2 bridge)",
          "nats": "NATS 2.9 JetStream (mirror over leafnode)",
          "rabbitmq": "RabbitMQ 3.10 (quorum queues, shovel)"}
# The project's target against RabbitMQ, the durable broker: a lower p50 and p99 at 200 msg/s and
# at least this multiple of its throughput.
RABBITMQ_THROUGHPUT_TARGET = 3.0


def machine():
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {"nproc": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(system, runs, durability):
    ok = [r for r in runs if "error" not in r]
    modes = ("latency", "throughput", "cut", "kill")
    by_mode = {m: [r for r in ok if r["mode"] == m] for m in modes}
    cut, kill, clean = by_mode["cut"], by_mode["kill"], by_mode["latency"] + by_mode["throughput"]
    rss = [r for r in ok if r.get("peak_rss_mb")]
    return {
        "latency_p50_ms": median(by_mode["latency"], "latency_p50_ms"),
        "latency_p99_ms": median(by_mode["latency"], "latency_p99_ms"),
        "throughput_msgs_per_s": median(by_mode["throughput"], "throughput_msgs_per_s"),
        "cpu_us_per_msg": median(by_mode["throughput"], "cpu_us_per_msg"),
        "lost": sum(r["lost"] for r in cut) if cut else None,
        "duplicated": sum(r["duplicated"] for r in cut) if cut else None,
        "kill_lost": sum(r.get("kill_lost", r["lost"]) for r in kill) if kill else None,
        "kill_duplicated": (sum(r.get("kill_duplicated", r["duplicated"]) for r in kill)
                            if kill else None),
        "peak_rss_mb": max((r["peak_rss_mb"] for r in rss), default=None),
        "peak_rss_mb_a": max((r.get("peak_rss_mb_a") or 0 for r in rss), default=None),
        "peak_rss_mb_b": max((r.get("peak_rss_mb_b") or 0 for r in rss), default=None),
        "cut_latency_max_ms": max((r["latency_max_ms"] for r in cut), default=None),
        "kill_runs": len(kill),
        "kill_latency_max_ms": max((r["latency_max_ms"] for r in kill), default=None),
        "lost_without_fault": sum(r["lost"] for r in clean),
        "duplicated_without_fault": sum(r["duplicated"] for r in clean),
        "failed_runs": len(runs) - len(ok),
        "durability": durability.get(system, ""),
        "runs": runs,
    }


def ratios(systems):
    """Hotline against the best peer on each figure (> 1 means Hotline is higher)."""
    peers = {k: v for k, v in systems.items() if not k.startswith("hotline")}
    hot = systems.get("hotline")
    if not hot or not peers:
        return {}
    out = {}
    for key, best in (("latency_p50_ms", min), ("latency_p99_ms", min),
                      ("throughput_msgs_per_s", max), ("peak_rss_mb", min), ("cpu_us_per_msg", min)):
        vals = {k: v[key] for k, v in peers.items() if v.get(key)}
        if hot.get(key) and vals:
            peer = best(vals, key=vals.get)
            out[key] = {"best_peer": peer, "hotline_over_peer": round(hot[key] / vals[peer], 3)}
    return out


def ratios_by_peer(systems):
    """Hotline over each peer on each figure (> 1 means Hotline is higher)."""
    hot = systems.get("hotline")
    out = {}
    for peer, v in systems.items():
        if peer.startswith("hotline") or not hot:
            continue
        out[peer] = {key: round(hot[key] / v[key], 3) if hot.get(key) and v.get(key) else None
                     for key in ("latency_p50_ms", "latency_p99_ms", "throughput_msgs_per_s",
                                 "peak_rss_mb", "cpu_us_per_msg")}
    return out


def rabbitmq_target(systems):
    """Hotline against RabbitMQ on the project's target: lower p50 and p99, and at least
    RABBITMQ_THROUGHPUT_TARGET times its throughput. None where a figure is missing."""
    hot, rmq = systems.get("hotline"), systems.get("rabbitmq")
    if not hot or not rmq:
        return None
    out = {}
    for key, need in (("latency_p50_ms", "lower"), ("latency_p99_ms", "lower"),
                      ("throughput_msgs_per_s", RABBITMQ_THROUGHPUT_TARGET)):
        h, r = hot.get(key), rmq.get(key)
        ratio = round(h / r, 3) if h and r else None
        met = None if ratio is None else (ratio < 1 if need == "lower" else ratio >= need)
        out[key] = {"hotline": h, "rabbitmq": r, "hotline_over_rabbitmq": ratio,
                    "target": "lower" if need == "lower" else f">= {need}x", "met": met}
    return out


def fmt(v, spec):
    """v formatted by spec; a figure not measured is a dash in the same width."""
    return format("-", ">" + spec.split(".")[0].rstrip("dfs")) if v is None else format(v, spec)


def main():
    runs = {}
    for path in sorted((OUT / "runs").glob("*.json")):
        r = json.loads(path.read_text())
        # The file is named <system>-<scenario>-<n>.json; the name, not the client, says which.
        runs.setdefault(path.stem.rsplit("-", 2)[0], []).append(r)
    durability_path = OUT / "durability.json"
    durability = json.loads(durability_path.read_text()) if durability_path.exists() else {}
    systems = {s: summarize(s, runs[s], durability) for s in ORDER if s in runs}
    result = {"machine": machine(), "systems": systems, "ratios": ratios(systems),
              "ratios_by_peer": ratios_by_peer(systems),
              "target_rabbitmq": rabbitmq_target(systems)}
    floor_path = OUT / "floor.json"
    if floor_path.exists():
        floor = json.loads(floor_path.read_text())
        result.update({k: floor[k] for k in ("floor_fsync_p50_ms", "floor_fsync_p99_ms")})
        for v in systems.values():
            for q in ("p50", "p99"):
                lat, base = v.get(f"latency_{q}_ms"), floor[f"floor_fsync_{q}_ms"]
                v[f"latency_{q}_over_floor"] = round(lat / base, 2) if lat and base else None
    satcom_path = OUT / "satcom.json"
    if satcom_path.exists():
        result["satcom"] = json.loads(satcom_path.read_text())
    (OUT / "results.json").write_text(json.dumps(result, indent=2) + "\n")

    m = result["machine"]
    print(f"\n{m['nproc']} CPUs, {m['memory_gib']} GiB, Linux {m['kernel']}, {m['date']}; "
          "medians over the runs; lost/dup from the link-cut runs, k.lost/k.dup from the runs "
          "that SIGKILL site B's server")
    if "floor_fsync_p50_ms" in result:
        print(f"Disk floor (4 KiB append + fdatasync): p50 {result['floor_fsync_p50_ms']:.3f} ms, "
              f"p99 {result['floor_fsync_p99_ms']:.3f} ms; xF = latency over the floor")
    print(f"{'system':44} {'p50 ms':>8} {'xF':>5} {'p99 ms':>8} {'xF':>5} {'msg/s':>8} "
          f"{'CPU us/msg':>10} {'lost':>5} {'dup':>5} {'k.lost':>6} {'k.dup':>6} {'RSS MB':>7}")
    for s, v in systems.items():
        print(f"{TITLES[s]:44} {fmt(v['latency_p50_ms'], '8.3f')} "
              f"{fmt(v.get('latency_p50_over_floor'), '5.1f')} {fmt(v['latency_p99_ms'], '8.3f')} "
              f"{fmt(v.get('latency_p99_over_floor'), '5.1f')} "
              f"{fmt(v['throughput_msgs_per_s'], '8.0f')} {fmt(v.get('cpu_us_per_msg'), '10.1f')} "
              f"{fmt(v['lost'], '5d')} {fmt(v['duplicated'], '5d')} "
              f"{fmt(v['kill_lost'], '6d')} {fmt(v['kill_duplicated'], '6d')} "
              f"{fmt(v['peak_rss_mb'], '7.1f')}"
              + (f"   ({v['failed_runs']} runs failed)" if v["failed_runs"] else ""))
    for key, r in result["ratios"].items():
        print(f"Hotline / {r['best_peer']} on {key}: {r['hotline_over_peer']}")
    for peer, r in result["ratios_by_peer"].items():
        print(f"Hotline / {peer}: " + ", ".join(f"{k} {fmt(v, '.3f')}" for k, v in r.items()))
    target = result["target_rabbitmq"]
    if target:
        print("Target against RabbitMQ (lower p50 and p99, at least "
              f"{RABBITMQ_THROUGHPUT_TARGET:g}x its throughput): " + "; ".join(
                  f"{k} {fmt(v['hotline_over_rabbitmq'], '.3f')}x "
                  f"({'met' if v['met'] else 'not met' if v['met'] is False else 'not measured'})"
                  for k, v in target.items()))
    sat = result.get("satcom")
    if sat and "ceiling_messages_per_s" in sat:
        print(f"Hotline over satcom ({sat['rate_bps'] // 1000} kbit/s, {sat['delay_ms_each_way']} ms "
              f"each way, {sat['loss']:.0%} loss): steady stream {sat['stream_messages_per_s']:.0f} "
              f"msg/s = {sat['stream_fraction_of_ceiling']:.0%} of the link's "
              f"{sat['ceiling_messages_per_s']:.0f} msg/s; a {sat['backlog_messages']}-message "
              f"backlog drained at {sat['backlog_messages_per_s']:.0f} msg/s = "
              f"{sat['backlog_fraction_of_ceiling']:.0%}")
    else:
        print("Hotline over satcom: not measured (it needs root for network namespaces)")
    print("Durability:")
    for s, v in systems.items():
        print(f"  {TITLES[s]}: {v['durability']}")
    print(f"Results: {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
