"""Satcom is cut and fibre drops 30% of frames: slow, but nothing lost, duplicated or reordered.

With satcom down and fibre losing 30% of its frames in each direction, TCP stalls on
retransmissions, heartbeats go missing and the link is declared dead and redialed again and
again. Rok-fleet-command posts 150 messages at 10 per second and ru-pacific-fleet 50 at
3 per second; every one must arrive exactly once, in order. The time it took and the wire's
loss figures are printed.
"""
import time

import netlab
from netlab import Poster, join_posters, log, verify_exactly_once, wait_for

LOSS = 0.30
TOTAL_A, RATE_A = 150, 10
TOTAL_B, RATE_B = 50, 3


def fibre_drops(lab):
    return sum(1 for line in lab.a.log().splitlines() if "path fibre down" in line)


def test(lab):
    lab.start()
    lab.cut("satcom", side="a")
    wait_for("satcom seen down",
             lambda: not any(p["up"] for p in lab.a.status()["paths"] if p["path"] == "satcom"),
             timeout_s=10)
    lab.shape("fibre", loss=LOSS)
    drops0 = fibre_drops(lab)
    s0 = lab.wire_stats()
    t0 = time.monotonic()
    pa = Poster(lab.a, TOTAL_A, RATE_A, seed=lab.seed)
    pb = Poster(lab.b, TOTAL_B, RATE_B, seed=lab.seed + 1)
    pa.start()
    pb.start()
    join_posters(pa, pb)
    n_ab, n_ba = verify_exactly_once(lab, pa, pb, timeout_s=150)
    elapsed = time.monotonic() - t0
    s1 = lab.wire_stats()
    sent = sum(s1[d]["sent"] - s0[d]["sent"] for d in ("fibre a->b", "fibre b->a"))
    lost = sum(s1[d]["dropped_loss"] - s0[d]["dropped_loss"] for d in ("fibre a->b", "fibre b->a"))
    log(f"LOSSY FIBRE: {n_ab} + {n_ba} messages delivered in {elapsed:.1f}s (posting took "
        f"{TOTAL_A / RATE_A:.0f}s); wire dropped {lost} of {sent + lost} frames "
        f"({lost / max(1, sent + lost):.0%}); fibre link declared dead "
        f"{fibre_drops(lab) - drops0} times")
    assert lost > 0.2 * (sent + lost), "the wire did not drop frames as configured"
    assert n_ab == TOTAL_A and n_ba == TOTAL_B, (n_ab, n_ba)
    assert not pa.ambiguous and not pb.ambiguous


if __name__ == "__main__":
    netlab.main("lossy", test)
