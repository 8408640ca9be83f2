"""Satellite throughput: messages per second over satcom alone, against what the link allows.

Not part of `make test`; `make bench` runs it when it can build namespaces (as root), and it can
be run by hand as root:

    HOTLINE_BIN=build/bin/hotline python3 tests/net/sat_throughput.py \
        [--out build/bench/satcom.json]

Fibre is cut, so satcom (300 ms each way, 1% loss, 2 Mbit/s, queue of about one bandwidth-delay
product) is the only path. Two measurements, each bounded in time:

1. backlog: with satcom also cut, four clients post SAT_BACKLOG messages of 256 bytes
   (default 3,000); satcom returns and the time to deliver the whole backlog is measured. This is
   the link's own throughput, with no API in the way.
2. stream: with satcom up, four clients post to rok-fleet-command as fast as its API allows, for
   SAT_STREAM_SECONDS (default 15 s) and the delivery rate is measured.

The output explains the ceiling: at rate R bit/s and B bytes on the wire per message (at least
the data frame plus its share of full segments' TCP/IP and Ethernet headers), the link carries at
most R / (8 x B) messages per second; with a window of 4,096 unacknowledged messages and a round trip
of RTT seconds, the window allows at most 4096 / RTT. The lower of the two is the ceiling.
Exit codes: 0 measured, 1 failed, 77 the lab could not be built (not root).
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import netlab
from netlab import Poster, join_posters, log, wait_for

BODY_BYTES = 256
POSTERS = 4  # concurrent API clients, so posting is not the bottleneck
WINDOW_MESSAGES_MAX = 4096  # docs/protocol.md, window_messages_max
# Fields of one data frame around a 256-byte FREE-TEXT body (docs/protocol.md), for the estimate.
FRAME_BYTES_EST = (4 + 1 + (2 + 36) + (2 + 4) + (2 + 17) + 8 + 1 + 8 + (2 + 9) + (4 + BODY_BYTES)
                   + (4 + 64))
TLS_RECORD_OVERHEAD_BYTES = 5 + 1 + 16  # header, inner content type, AEAD tag
SEGMENT_OVERHEAD_BYTES = 14 + 20 + 32  # Ethernet, IPv4, TCP with timestamps
MSS_BYTES = 1500 - 20 - 32  # payload of a full segment on a 1,500-byte MTU


def satcom_silences(lab):
    return sum(1 for line in lab.a.log().splitlines()
               if "path satcom down" in line and "silent" in line)


def satcom_rtt_ms(lab, st=None):
    st = st or lab.a.status()
    return next(p["rtt_ms"] for p in st["paths"] if p["path"] == "satcom")


def delivered(lab):
    return lab.b.status()["in_next_expected"] - 1


def measure(lab, args, result):
    lab.start()
    lab.cut("fibre", side="a")
    wait_for("traffic on satcom", lambda: lab.a.status()["active_path"] == "satcom", timeout_s=15)
    idle_rtt_ms = wait_for("a satcom round-trip sample", lambda: satcom_rtt_ms(lab), timeout_s=10)
    log(f"satcom round trip on an idle link: {idle_rtt_ms} ms")

    # 1. backlog
    lab.cut("satcom", side="a")
    wait_for("link down", lambda: not lab.a.status()["link_up"], timeout_s=10)
    t0 = time.monotonic()
    backlogs = [Poster(lab.a, args.backlog // POSTERS, 0, precedence="routine",
                       body_bytes=BODY_BYTES, deadline_s=args.seconds / 2, tag=f"backlog{k}")
                for k in range(POSTERS)]
    for p in backlogs:
        p.start()
    join_posters(*backlogs, timeout_s=args.seconds)
    posted = sum(len(p.confirmed) for p in backlogs)
    log(f"backlog: {posted} messages posted in {time.monotonic() - t0:.1f}s "
        f"({posted / (time.monotonic() - t0):.0f}/s through the API)")
    s0 = lab.wire_stats()["satcom a->b"]
    lab.restore("satcom", side="a")
    wait_for("satcom up", lambda: lab.a.status()["link_up"], timeout_s=30, interval_s=0.02)
    silences0 = satcom_silences(lab)  # from here on, a silence is not the cut made on purpose
    start_count = delivered(lab)
    t_up = time.monotonic()
    t_first = None
    rtts = []
    while time.monotonic() - t_up < args.seconds:
        st = lab.a.status()
        n = delivered(lab)
        rtt = satcom_rtt_ms(lab, st)
        if rtt:
            rtts.append(rtt)
        if t_first is None and n > start_count:
            t_first = time.monotonic()
        if n >= posted:
            break
        time.sleep(0.02)
    t_end = time.monotonic()
    n = delivered(lab)
    s1 = lab.wire_stats()["satcom a->b"]
    # The smoothed RTT the station measured on satcom while the backlog drained includes the
    # modem queue's delay; the window ceiling uses the larger of it and the idle RTT.
    loaded_rtt_ms = sorted(rtts)[len(rtts) // 2] if rtts else None
    rtt_ms = max(idle_rtt_ms, loaded_rtt_ms or 0)
    drained = n - start_count
    drain_s = t_end - (t_first or t_up)
    backlog_rate = drained / drain_s if drain_s > 0 else 0.0
    wire_bytes = s1["sent_bytes"] - s0["sent_bytes"]
    bytes_per_msg = wire_bytes / max(1, drained)
    lost_frames = s1["dropped_loss"] - s0["dropped_loss"]
    queue_drops = s1["dropped_queue"] - s0["dropped_queue"]
    log(f"backlog: {drained} messages delivered in {drain_s:.2f}s after the first arrived "
        f"({t_first - t_up if t_first else float('nan'):.2f}s after satcom came up): "
        f"{backlog_rate:.0f} messages/s; {bytes_per_msg:.0f} bytes a->b on the wire per message; "
        f"the wire dropped {lost_frames} frames at random and {queue_drops} at the full queue")

    # 2. stream
    silences1 = satcom_silences(lab)
    streams = [Poster(lab.a, 10**9, 0, precedence="priority", body_bytes=BODY_BYTES,
                      deadline_s=args.stream_seconds, tag=f"stream{k}") for k in range(POSTERS)]
    for p in streams:
        p.start()
    time.sleep(min(2.0, args.stream_seconds / 4))  # let the window fill
    n0, w0 = delivered(lab), time.monotonic()
    join_posters(*streams, timeout_s=args.stream_seconds + 60)
    n1, w1 = delivered(lab), time.monotonic()
    stream_rate = (n1 - n0) / (w1 - w0)
    post_rate = sum(len(p.confirmed) for p in streams) / args.stream_seconds
    log(f"stream: {stream_rate:.0f} messages/s delivered while the API took {post_rate:.0f}/s")

    # Every message once, in order: the figures mean nothing otherwise.
    confirmed = set()
    for p in backlogs + streams:
        confirmed |= set(p.confirmed)
    lab.heal()
    wait_for("drained", lambda: lab.a.status()["queued"] == 0 and lab.a.status()["unacked"] == 0,
             timeout_s=120, interval_s=0.2)
    inbox = lab.b.api.messages("in")
    assert [m["seq"] for m in inbox] == list(range(1, len(inbox) + 1)), "inbox not contiguous"
    ids = {m["id"] for m in inbox}
    assert len(ids) == len(inbox) and ids == confirmed, (len(inbox), len(confirmed))

    shape = netlab.SHAPES["satcom"]
    rate = shape["rate_bps"]
    rtt_s = rtt_ms / 1000
    rtt_source = (f"measured by the station: idle {idle_rtt_ms} ms, median while draining "
                  f"{loaded_rtt_ms if loaded_rtt_ms else 'no sample'}")
    est_bytes = FRAME_BYTES_EST + TLS_RECORD_OVERHEAD_BYTES + SEGMENT_OVERHEAD_BYTES
    # The floor: the data frame alone, with the headers of full segments shared among the frames
    # they carry (a TLS record carries many frames). Retransmissions and heartbeats are the
    # system's own cost, so the measured bytes must not lower the bar.
    floor_bytes = FRAME_BYTES_EST * (1 + SEGMENT_OVERHEAD_BYTES / MSS_BYTES)
    link_ceiling = rate / (8 * floor_bytes)
    window_ceiling = WINDOW_MESSAGES_MAX / rtt_s
    ceiling = min(link_ceiling, window_ceiling)
    log("CEILING: satcom rate R = %d bit/s, %d ms each way, %.0f%% loss" %
        (rate, shape["delay_ms"], shape["loss"] * 100))
    log(f"  bytes on the wire per message B: at least {floor_bytes:.0f} (data frame "
        f"{FRAME_BYTES_EST}, segment headers {SEGMENT_OVERHEAD_BYTES} per {MSS_BYTES} bytes); "
        f"measured {bytes_per_msg:.0f} while the backlog drained (frames a->b / messages, with "
        f"TLS, heartbeats and retransmissions); at most {est_bytes} with one frame per segment")
    log(f"  link ceiling R / (8 x B) = {rate} / (8 x {floor_bytes:.0f}) = {link_ceiling:.0f} "
        f"messages/s")
    log(f"  window ceiling {WINDOW_MESSAGES_MAX} / RTT = {WINDOW_MESSAGES_MAX} / {rtt_s:.3f} s = "
        f"{window_ceiling:.0f} messages/s (RTT {rtt_source})")
    log(f"  ceiling = {ceiling:.0f} messages/s; backlog reached {backlog_rate:.0f} "
        f"({backlog_rate / ceiling:.0%}), stream {stream_rate:.0f} ({stream_rate / ceiling:.0%}, "
        f"bounded by the API's {post_rate:.0f} posts/s)")
    log(f"  satcom declared dead for silence {satcom_silences(lab) - silences0} times after it "
        f"came back ({silences1 - silences0} while the backlog drained); the silence limit is "
        f"{netlab.HEARTBEAT_INTERVAL_MS * netlab.HEARTBEAT_MISSES_MAX} ms plus four of the path's "
        f"round trips, and each close would cost a TCP and TLS handshake and a resend of the window")
    result.update({
        "path": "satcom", "rate_bps": rate, "delay_ms_each_way": shape["delay_ms"],
        "loss": shape["loss"], "queue_limit_frames": shape["limit"], "rtt_ms_idle": idle_rtt_ms,
        "rtt_ms_loaded": loaded_rtt_ms,
        "body_bytes": BODY_BYTES, "wire_bytes_per_message": round(bytes_per_msg, 1),
        "wire_bytes_per_message_floor": round(floor_bytes, 1),
        "backlog_messages": drained, "backlog_seconds": round(drain_s, 3),
        "backlog_messages_per_s": round(backlog_rate, 1),
        "stream_messages_per_s": round(stream_rate, 1), "stream_posts_per_s": round(post_rate, 1),
        "link_ceiling_messages_per_s": round(link_ceiling, 1),
        "window_ceiling_messages_per_s": round(window_ceiling, 1),
        "ceiling_messages_per_s": round(ceiling, 1),
        "backlog_fraction_of_ceiling": round(backlog_rate / ceiling, 3),
        "stream_fraction_of_ceiling": round(stream_rate / ceiling, 3),
        "satcom_silence_closures": satcom_silences(lab) - silences0,
        "backlog_frames_lost": lost_frames, "backlog_frames_queue_dropped": queue_drops,
        "seed": lab.seed,
    })


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(netlab.ROOT / "build/bench/satcom.json"))
    ap.add_argument("--backlog", type=int, default=int(os.environ.get("SAT_BACKLOG", "3000")))
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("SAT_SECONDS", "60")),
                    help="bound on posting the backlog (half of it) and on draining it")
    ap.add_argument("--stream-seconds", type=float,
                    default=float(os.environ.get("SAT_STREAM_SECONDS", "15")))
    args = ap.parse_args()
    result = {}
    netlab.main("satcom-throughput", lambda lab: measure(lab, args, result))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    log(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
