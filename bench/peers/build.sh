#!/usr/bin/env bash
# Builds the peer benchmark clients into build/bench/peers/, offline, from Debian packages only:
#   mqtt-bench  C, libmosquitto (libmosquitto-dev)
#   nats-bench  Go, nats.go (golang-go, golang-github-nats-io-go-nats-dev), in GOPATH mode
#               against the sources Debian installs under /usr/share/gocode: no module downloads.
#   amqp-bench  Go, amqp091-go (golang-github-rabbitmq-amqp091-go-dev), the same way.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$root/bench/peers"
out="$root/build/bench/peers"
mkdir -p "$out"

cc="${CC:-cc}"
"$cc" -std=c11 -O2 -Wall -Wextra -Werror -o "$out/mqtt-bench" "$src/mqtt_bench.c" -lmosquitto -lpthread

gobuild() {
  GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off \
    GOCACHE="${GOCACHE:-$root/build/bench/go-cache}" \
    go build -o "$out/$1" "$src/$2"
}
gobuild nats-bench nats_bench.go
gobuild amqp-bench amqp_bench.go
echo "peers built in $out"
