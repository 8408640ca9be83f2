#!/usr/bin/env python3
"""A TCP relay that stands in for the inter-site link in the link-cut scenario.

For each --to HOST:PORT it listens on a free 127.0.0.1 port and forwards every accepted
connection to that target, byte for byte (TLS stays end to end). Once it listens on every
port it writes {"ports": [...]} (same order as --to) to the --ready file.

On SIGUSR1 the link is cut: every relayed connection is reset (SO_LINGER 0, so both sides
see a TCP RST) and the listening sockets are closed, so reconnects are refused. After
--cut-ms it listens again on the same ports. SIGTERM stops the relay.
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import struct
import sys
import time

CHUNK_BYTES = 65536
CONNECT_TIMEOUT_S = 5.0


def log(text):
    print(f"{time.monotonic():.3f} relay: {text}", file=sys.stderr, flush=True)


def reset(writer):
    """Closes a connection with an RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


class Relay:
    def __init__(self, targets, cut_ms):
        self.targets = targets
        self.cut_s = cut_ms / 1000.0
        self.ports = [0] * len(targets)
        self.servers = [None] * len(targets)
        self.writers = set()
        self.cutting = False

    async def pump(self, reader, writer):
        try:
            while True:
                data = await reader.read(CHUNK_BYTES)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()

    async def handle(self, index, client_reader, client_writer):
        host, port = self.targets[index]
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), CONNECT_TIMEOUT_S)
        except (OSError, asyncio.TimeoutError) as e:
            log(f"connect to {host}:{port} failed: {e}")
            reset(client_writer)
            return
        for w in (client_writer, up_writer):
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = (client_writer, up_writer)
        self.writers.update(pair)
        try:
            await asyncio.gather(self.pump(client_reader, up_writer),
                                 self.pump(up_reader, client_writer))
        finally:
            self.writers.difference_update(pair)

    async def listen(self, index):
        self.servers[index] = await asyncio.start_server(
            lambda r, w, i=index: self.handle(i, r, w), "127.0.0.1", self.ports[index],
            reuse_address=True)
        self.ports[index] = self.servers[index].sockets[0].getsockname()[1]

    async def cut(self):
        if self.cutting:
            return
        self.cutting = True
        for server in self.servers:
            server.close()
        resets = len(self.writers)
        for w in list(self.writers):
            reset(w)
        self.writers.clear()
        log(f"cut: reset {resets} sockets, refusing connections for {self.cut_s:.1f} s")
        await asyncio.sleep(self.cut_s)
        for i in range(len(self.servers)):
            await self.listen(i)
        self.cutting = False
        log("restored: listening again")


async def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--to", action="append", required=True, help="HOST:PORT to forward to")
    p.add_argument("--ready", required=True, help="file to write the listening ports to")
    p.add_argument("--cut-ms", type=int, default=5000)
    args = p.parse_args()
    targets = [(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])) for t in args.to]
    relay = Relay(targets, args.cut_ms)
    for i in range(len(targets)):
        await relay.listen(i)
    tmp = args.ready + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"ports": relay.ports, "pid": os.getpid()}, f)
    os.replace(tmp, args.ready)
    log(f"listening on {relay.ports} -> {args.to}")
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGUSR1, lambda: asyncio.ensure_future(relay.cut()))
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    loop.add_signal_handler(signal.SIGINT, lambda: stop.done() or stop.set_result(None))
    await stop


if __name__ == "__main__":
    asyncio.run(main())
