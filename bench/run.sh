#!/usr/bin/env bash
# make bench: Hotline side by side with the brokers a team might use instead (Mosquitto with a
# QoS 2 bridge, NATS JetStream with a mirror over a leafnode, RabbitMQ with quorum queues and a
# shovel), doing the same job on loopback:
# a 256-byte message posted at site A is stored at A, carried over mutual TLS, stored at B and
# seen by a consumer at B. Scenarios: latency at 200 msg/s, throughput, a 5 s link cut, and a
# kill (site B's server process SIGKILLed mid-stream and started again 2 s later).
# Figures are medians over RUNS runs (the machine is shared and noisy); see docs/benchmarks.md.
#
# Environment: RUNS (default 3), CUT_RUNS (cut and kill runs, default 1), SYSTEMS (default
# "hotline hotline-nojournal hotline-serial mosquitto nats rabbitmq"), SCENARIOS (default "latency throughput
# cut kill"; the runs of scenarios left out are kept), LAT_COUNT, THR_COUNT, CUT_COUNT, SATCOM
# (1: also measure Hotline over the satellite path in namespaces, as root; 0: skip). Results:
# build/bench/results.json; per run logs and configs in build/bench/work/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=build/bench
mkdir -p "$out"

for tool in mosquitto nats-server go openssl python3 epmd; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing; run scripts/install-deps" >&2; exit 1; }
done
# RabbitMQ's own scripts (the bench runs them directly, not /usr/sbin's wrappers) and its client.
for file in /usr/lib/rabbitmq/bin/rabbitmq-server /usr/lib/rabbitmq/bin/rabbitmqctl \
  /usr/share/gocode/src/github.com/rabbitmq/amqp091-go; do
  [[ -e $file ]] || { echo "bench: $file missing; run scripts/install-deps" >&2; exit 1; }
done
[[ -x build/bin/hotline && -x build/bin/hotline-bench ]] || { echo "bench: run make build" >&2; exit 1; }

bash bench/peers/build.sh
bash bench/peers/certs.sh "$out/certs"
# The orchestrator stops every process it starts; the bound keeps a wedged run from hanging make.
timeout --signal=TERM --kill-after=30 3000 python3 bench/orchestrate.py
# The same job over the satellite path, in network namespaces: root only, and said so when not.
if [[ ${SATCOM:-1} == 1 ]]; then
  rm -f "$out/satcom.json"
  rc=0
  HOTLINE_BIN=build/bin/hotline timeout --signal=TERM --kill-after=30 600 \
    python3 tests/net/sat_throughput.py --out "$out/satcom.json" || rc=$?
  if [[ $rc == 77 ]]; then
    echo "bench: SATCOM NOT MEASURED: network namespaces need root" >&2
  elif [[ $rc != 0 ]]; then
    echo "bench: the satcom measurement failed (exit $rc)" >&2
  fi
fi
python3 bench/summarize.py "$out"
