"""Soak: random faults on real, shaped paths for a bounded time, then exactly-once delivery.

Run as root with `make soak`, or by hand:

    HOTLINE_BIN=build/bin/hotline SOAK_SECONDS=600 SOAK_SEED=1234 python3 tests/net/soak.py

Both stations post messages of mixed precedence the whole time (rok-fleet-command about 20 per
second, ru-pacific-fleet about 10). Meanwhile a fault schedule drawn from the seed runs: either
path cut or restored at either site, both paths down for 3 to 30 s, loss and delay changed on
either path, either station SIGKILLed and restarted, now and then a full heal. After
SOAK_SECONDS (default 600) the posting stops, the lab heals, and every message must have arrived
exactly once, contiguous and in order (per precedence, in post order), with each sender holding
it as delivered.

The seed is printed first. SOAK_SEED replays the same fault schedule and the same loss draws on
the wire; the stations' own timing still varies from run to run, as on a real network.
"""
import os
import random
import time

import netlab
from netlab import PATHS, Poster, log, verify_exactly_once

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
DRAIN_BOUND_S = 300  # after healing, everything must be delivered within this
RATE_A, RATE_B = 20, 10

# Fault kinds and their weights.
FAULTS = [("cut", 5), ("restore", 7), ("both_down", 2), ("loss", 4), ("delay", 3), ("kill", 4),
          ("heal", 1)]
LOSSES = (0.0, 0.0, 0.01, 0.05, 0.10, 0.30)
DELAY_MS = {"fibre": (1, 50), "satcom": (250, 700)}


def schedule(seed, duration_s):
    """The whole fault schedule, drawn up front from the seed: [(at_s, kind, params)]."""
    rng = random.Random(seed)
    kinds = [k for k, w in FAULTS for _ in range(w)]
    out, t = [], rng.uniform(2, 5)
    while t < duration_s:
        kind = rng.choice(kinds)
        side = rng.choice("ab")
        path = rng.choice(PATHS)
        if kind == "cut":
            params = {"path": path, "side": side}
        elif kind == "restore":
            params = {"path": path}
        elif kind == "both_down":
            params = {"side": side, "hold_s": round(rng.uniform(3, 30), 1)}
        elif kind == "loss":
            params = {"path": path, "loss": rng.choice(LOSSES)}
        elif kind == "delay":
            params = {"path": path, "delay_ms": rng.randint(*DELAY_MS[path])}
        elif kind == "kill":
            params = {"side": side, "down_s": round(rng.uniform(0.1, 3.0), 2)}
        else:
            params = {}
        out.append((round(t, 2), kind, params))
        t += rng.expovariate(1 / 6.0) + 0.5
    return out


def apply(lab, kind, p):
    if kind == "cut":
        lab.cut(p["path"], p["side"])
    elif kind == "restore":
        for side in ("a", "b"):
            lab.restore(p["path"], side)
    elif kind == "both_down":
        for path in PATHS:
            lab.cut(path, p["side"])
        time.sleep(p["hold_s"])
        for path in PATHS:
            lab.restore(path, p["side"])
    elif kind == "loss":
        lab.shape(p["path"], loss=p["loss"])
    elif kind == "delay":
        lab.shape(p["path"], delay_ms=p["delay_ms"])
    elif kind == "kill":
        station = lab.a if p["side"] == "a" else lab.b
        station.kill()
        time.sleep(p["down_s"])
        station.start()
    elif kind == "heal":
        lab.heal()


def check_alive(lab):
    for s in (lab.a, lab.b):
        assert s.running(), f"{s.id} died on its own (exit {s.proc.returncode}):\n{s.log()[-4000:]}"


def soak(lab):
    plan = schedule(lab.seed, SOAK_SECONDS)
    log(f"SOAK: seed {lab.seed} (replay with SOAK_SEED={lab.seed}), {SOAK_SECONDS:.0f}s, "
        f"{len(plan)} faults scheduled")
    lab.start()
    pa = Poster(lab.a, 10**9, RATE_A, seed=lab.seed, deadline_s=SOAK_SECONDS)
    pb = Poster(lab.b, 10**9, RATE_B, seed=lab.seed + 1, deadline_s=SOAK_SECONDS)
    t0 = time.monotonic()
    pa.start()
    pb.start()
    counts = {}
    for at_s, kind, params in plan:
        while time.monotonic() - t0 < at_s:
            time.sleep(min(1.0, at_s - (time.monotonic() - t0)))
            check_alive(lab)
        st = lab.a.status() if lab.a.running() else None
        log(f"t={time.monotonic() - t0:7.1f}s {kind:9s} {params}  "
            f"(rok-fleet-command: active {st['active_path'] if st else '-'}, "
            f"queued {st['queued'] if st else '-'}, unacked {st['unacked'] if st else '-'})")
        apply(lab, kind, params)
        counts[kind] = counts.get(kind, 0) + 1
        check_alive(lab)
        if time.monotonic() - t0 > SOAK_SECONDS:
            break
    for p in (pa, pb):
        p.join(timeout=max(1.0, SOAK_SECONDS - (time.monotonic() - t0)) + 60)
        p.stop()
        p.join(timeout=60)
        assert not p.is_alive() and not p.errors, p.errors
    lab.heal()
    log(f"healed after {time.monotonic() - t0:.0f}s; faults applied: {counts}")
    n_ab, n_ba = verify_exactly_once(lab, pa, pb, timeout_s=DRAIN_BOUND_S)
    assert n_ab > 0 and n_ba > 0
    log(f"SOAK PASSED: seed {lab.seed}, {n_ab} + {n_ba} messages exactly once and in order, "
        f"{lab.a.starts - 1} + {lab.b.starts - 1} SIGKILLs")


if __name__ == "__main__":
    seed = os.environ.get("SOAK_SEED")
    netlab.main("soak", soak, seed=int(seed) if seed else None)
