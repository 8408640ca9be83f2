"""Prints the median of each figure over the bench runs and writes build/bench/results.json."""
import json
import statistics
import sys
from pathlib import Path

out, runs = Path(sys.argv[1]), int(sys.argv[2])
lat = [json.loads((out / f"latency-{i}.json").read_text()) for i in range(1, runs + 1)]
thr = [json.loads((out / f"throughput-{i}.json").read_text()) for i in range(1, runs + 1)]
med = lambda rows, k: statistics.median(r[k] for r in rows)
hotline = {
    "latency_p50_ms": med(lat, "latency_p50_ms"),
    "latency_p99_ms": med(lat, "latency_p99_ms"),
    "throughput_msgs_per_s": med(thr, "throughput_msgs_per_s"),
    "lost": sum(r["lost"] for r in lat + thr),
    "duplicated": sum(r["duplicated"] for r in lat + thr),
    "peak_rss_mb": max(r["peak_rss_mb"] for r in lat + thr),
    "runs": {"latency": lat, "throughput": thr},
}
print(f"{'system':10} {'p50 ms':>8} {'p99 ms':>8} {'msg/s':>10} {'lost':>5} {'dup':>5} {'rss MB':>7}")
print(f"{'hotline':10} {hotline['latency_p50_ms']:8.3f} {hotline['latency_p99_ms']:8.3f} "
      f"{hotline['throughput_msgs_per_s']:10.0f} {hotline['lost']:5d} {hotline['duplicated']:5d} "
      f"{hotline['peak_rss_mb']:7.1f}")
(out / "results.json").write_text(json.dumps({"systems": {"hotline": hotline}}, indent=2) + "\n")
