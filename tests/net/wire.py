"""A shaped wire between two sites: forwards Ethernet frames with delay, loss, rate and queue limit.

This is what `tc netem` does, done in user space so that it also works on kernels built without
`sch_netem` (netlab.py uses it on every kernel, so that every run shapes paths the same way). It
runs inside the lab's wire namespace and bridges, for each path, the two veth ends that face the
sites:

    site A  [veth a-side] <==> [veth wire-a]  wire.py  [veth wire-b] <==> [veth b-side]  site B

Usage: python3 wire.py --seed N --link NAME:IF_A:IF_B [--link ...]

Commands arrive on stdin, one JSON object a line, and each is answered with one line on stdout:

    {"cmd": "shape", "link": "satcom", "delay_ms": 300, "loss": 0.01, "rate_bps": 2000000,
     "limit": 150}
    {"cmd": "stats"}

Shaping applies to both directions of a link, like netem on both ends. Each direction is modelled
as netem models it: a frame is first dropped with probability `loss`; otherwise it waits for the
rate-limited transmitter (tail-dropped if `limit` frames already wait), and then for `delay_ms`.
Frames of one direction never overtake each other. Loss is drawn from a generator seeded by
--seed, so a run can be replayed.
"""
import argparse
import heapq
import json
import os
import random
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
FRAME_BYTES_MAX = 65536
BATCH_FRAMES_MAX = 256  # frames drained from one socket before the timers get a turn


class Direction:
    def __init__(self, name, out_sock):
        self.name = name
        self.out = out_sock
        self.busy_until = 0.0  # when the rate-limited transmitter is next free
        self.last_due = 0.0  # keeps frames of this direction in order when the delay shrinks
        self.waiting = 0  # frames accepted but not yet sent
        self.sent = 0
        self.sent_bytes = 0
        self.dropped_loss = 0
        self.dropped_queue = 0


class Link:
    def __init__(self, name, sock_a, sock_b):
        self.name = name
        self.delay_s = 0.0
        self.loss = 0.0
        self.rate_bps = 0  # 0: unlimited
        self.limit = 1000  # frames waiting per direction, as netem's default
        self.a_to_b = Direction(f"{name} a->b", sock_b)
        self.b_to_a = Direction(f"{name} b->a", sock_a)


def open_port(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


class Wire:
    def __init__(self, seed, specs):
        self.rng = random.Random(seed)
        self.links = {}
        self.by_fd = {}  # fd -> (socket, link, direction of frames read from it)
        self.heap = []  # (due, order, direction, frame)
        self.order = 0
        for spec in specs:
            name, if_a, if_b = spec.split(":")
            sa, sb = open_port(if_a), open_port(if_b)
            link = Link(name, sa, sb)
            self.links[name] = link
            self.by_fd[sa.fileno()] = (sa, link, link.a_to_b)
            self.by_fd[sb.fileno()] = (sb, link, link.b_to_a)

    def accept(self, link, d, frame, now):
        if link.loss > 0 and self.rng.random() < link.loss:
            d.dropped_loss += 1
            return
        if link.rate_bps > 0:
            if d.waiting >= link.limit:
                d.dropped_queue += 1
                return
            start = max(now, d.busy_until)
            d.busy_until = start + len(frame) * 8 / link.rate_bps
            due = d.busy_until + link.delay_s
        else:
            due = now + link.delay_s
        due = max(due, d.last_due)
        d.last_due = due
        d.waiting += 1
        self.order += 1
        heapq.heappush(self.heap, (due, self.order, d, frame))

    def drain(self, fd):
        sock, link, d = self.by_fd[fd]
        for _ in range(BATCH_FRAMES_MAX):
            try:
                frame, addr = sock.recvfrom(FRAME_BYTES_MAX)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # the interface went down; frames resume when it comes back
            if addr[2] == PACKET_OUTGOING:
                continue  # our own transmission on this port, seen by the capture
            self.accept(link, d, frame, time.monotonic())

    def release(self, now):
        while self.heap and self.heap[0][0] <= now:
            _, _, d, frame = heapq.heappop(self.heap)
            d.waiting -= 1
            try:
                d.out.send(frame)
                d.sent += 1
                d.sent_bytes += len(frame)
            except OSError:
                pass  # a cut cable: the frame is lost, as on a real one

    def command(self, line):
        try:
            c = json.loads(line)
            if c["cmd"] == "shape":
                link = self.links[c["link"]]
                link.delay_s = float(c.get("delay_ms", link.delay_s * 1000)) / 1000
                link.loss = float(c.get("loss", link.loss))
                link.rate_bps = int(c.get("rate_bps", link.rate_bps))
                link.limit = int(c.get("limit", link.limit))
                return {"ok": True}
            if c["cmd"] == "stats":
                out = {}
                for link in self.links.values():
                    for d in (link.a_to_b, link.b_to_a):
                        out[d.name] = {"sent": d.sent, "sent_bytes": d.sent_bytes,
                                       "dropped_loss": d.dropped_loss,
                                       "dropped_queue": d.dropped_queue, "waiting": d.waiting}
                return {"ok": True, "stats": out}
            return {"ok": False, "error": f"unknown command {c['cmd']!r}"}
        except (KeyError, ValueError, TypeError) as e:
            return {"ok": False, "error": repr(e)}

    def run(self):
        stdin_fd = sys.stdin.fileno()
        os.set_blocking(stdin_fd, False)
        pending = b""
        fds = list(self.by_fd) + [stdin_fd]
        print(json.dumps({"ok": True, "ready": True}), flush=True)
        while True:
            now = time.monotonic()
            timeout = 0.5 if not self.heap else max(0.0, min(0.5, self.heap[0][0] - now))
            readable, _, _ = select.select(fds, [], [], timeout)
            for fd in readable:
                if fd != stdin_fd:
                    self.drain(fd)
                    continue
                chunk = os.read(stdin_fd, 65536)
                if not chunk:
                    return  # the lab closed our stdin: it is shutting down
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        print(json.dumps(self.command(line)), flush=True)
            self.release(time.monotonic())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--link", action="append", required=True)
    args = ap.parse_args()
    Wire(args.seed, args.link).run()


if __name__ == "__main__":
    main()
