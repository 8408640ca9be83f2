#!/usr/bin/env bash
# make bench: Hotline side by side with the brokers a team might use instead (Mosquitto with a
# QoS 2 bridge, NATS JetStream with a mirror over a leafnode), doing the same job on loopback:
# a 256-byte message posted at site A is stored at A, carried over mutual TLS, stored at B and
# seen by a consumer at B. Scenarios: latency at 200 msg/s, throughput, and a 5 s link cut.
# Figures are medians over RUNS runs (the machine is shared and noisy); see docs/benchmarks.md.
#
# Environment: RUNS (default 3), CUT_RUNS (default 1), SYSTEMS (default "hotline mosquitto nats"),
# LAT_COUNT, THR_COUNT, CUT_COUNT. Results: build/bench/results.json; per run logs and configs
# in build/bench/work/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=build/bench
mkdir -p "$out"

for tool in mosquitto nats-server go openssl python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing; run scripts/install-deps" >&2; exit 1; }
done
[[ -x build/bin/hotline && -x build/bin/hotline-bench ]] || { echo "bench: run make build" >&2; exit 1; }

bash bench/peers/build.sh
bash bench/peers/certs.sh "$out/certs"
# The orchestrator stops every process it starts; the bound keeps a wedged run from hanging make.
timeout --signal=TERM --kill-after=30 3000 python3 bench/orchestrate.py
python3 bench/summarize.py "$out"
