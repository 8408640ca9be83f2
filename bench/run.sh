#!/usr/bin/env bash
# make bench: Hotline end to end between two real stations on loopback, durable on both sides.
# Each figure is the median of RUNS runs (the machine is shared and noisy).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-3}
out=build/bench
mkdir -p "$out"
bin=build/bin/hotline-bench

median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

echo "== Hotline: latency at 200 msg/s (4000 messages of 256 bytes), $RUNS runs"
for i in $(seq "$RUNS"); do
  "$bin" --hotline build/bin/hotline --mode latency --rate 200 --count 4000 --json "$out/latency-$i.json"
done
echo "== Hotline: throughput (40000 messages, 64 connections), $RUNS runs"
for i in $(seq "$RUNS"); do
  "$bin" --hotline build/bin/hotline --mode throughput --count 40000 --concurrency 64 --json "$out/throughput-$i.json"
done
python3 bench/summarize.py "$out" "$RUNS"
