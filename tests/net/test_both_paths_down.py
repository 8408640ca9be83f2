"""Both paths are cut for 30 seconds while both sides keep posting.

Rok-fleet-command posts 400 messages at 10 per second and ru-pacific-fleet 200 at 5 per second,
with mixed precedences. Three seconds in, both veths at rok-fleet-command's site go down for 30 s.
Meanwhile every post must still be accepted (201), the status must show the link down and the
messages waiting (queued and unacknowledged), and the waiting queue must grow. Then satcom alone
returns: everything must arrive exactly once, contiguous and in order, and the messages that
waited unnumbered must go out flash first.
"""
import time

import netlab
from netlab import PRECEDENCES, Poster, join_posters, log, verify_exactly_once, wait_for

OUTAGE_S = 30
TOTAL_A, RATE_A = 400, 10
TOTAL_B, RATE_B = 200, 5


def check_flash_first(sender, receiver, poster, t_from, t_to):
    """Messages that waited unnumbered through the outage are numbered in precedence order."""
    waited = {}
    for mid, (index, _, prec, status) in poster.confirmed.items():
        answered = next(t for t, i, _ in poster.answers if i == index)
        if status == "queued" and t_from <= answered <= t_to:
            waited[mid] = prec
    inbox = {m["id"]: m["seq"] for m in receiver.api.messages("in")}
    ranks = [PRECEDENCES.index(waited[mid]) for mid in sorted(waited, key=lambda m: inbox[m])]
    assert ranks == sorted(ranks), \
        f"{sender.id}: messages queued through the outage were not sent flash first: {ranks}"
    assert len(set(ranks)) > 1, "the outage held too few precedences to check flash-first"
    log(f"{sender.id}: {len(waited)} messages that waited through the outage went out in "
        f"precedence order")


def test(lab):
    lab.start()
    pa = Poster(lab.a, TOTAL_A, RATE_A, seed=lab.seed)
    pb = Poster(lab.b, TOTAL_B, RATE_B, seed=lab.seed + 1)
    pa.start()
    pb.start()
    wait_for("ru-pacific-fleet to hold 20 messages",
             lambda: lab.b.status()["in_next_expected"] > 20, timeout_s=30)

    lab.cut("fibre", side="a")
    lab.cut("satcom", side="a")
    t_cut = time.monotonic()
    # Satcom is declared dead after 750 ms plus four of its 600 ms round trips.
    wait_for("both stations to see the link down",
             lambda: not lab.a.status()["link_up"] and not lab.b.status()["link_up"],
             timeout_s=10, interval_s=0.05)
    log(f"link down on both sides {time.monotonic() - t_cut:.2f}s after the cut")
    waiting = []
    while time.monotonic() - t_cut < OUTAGE_S:
        for s in (lab.a, lab.b):
            st = s.status()
            assert not st["link_up"] and st["active_path"] is None, st
            assert not any(p["up"] for p in st["paths"]), st
        sa, sb = lab.a.status(), lab.b.status()
        waiting.append((sa["queued"] + sa["unacked"], sb["queued"] + sb["unacked"]))
        time.sleep(1)
    t_restore = time.monotonic()
    log(f"waiting during the outage (rok-fleet-command, ru-pacific-fleet): first {waiting[0]}, "
        f"last {waiting[-1]}; queued now {sa['queued']} / {sb['queued']}, "
        f"unacked {sa['unacked']} / {sb['unacked']}")
    assert waiting[-1][0] > waiting[0][0] + 100 and waiting[-1][1] > waiting[0][1] + 50, \
        "posts made during the outage are not waiting"
    assert sa["queued"] > 0 and sb["queued"] > 0

    lab.restore("satcom", side="a")
    wait_for("satcom link up", lambda: lab.a.status()["link_up"], timeout_s=30, interval_s=0.05)
    log(f"satcom up {time.monotonic() - t_restore:.2f}s after it returned")
    assert lab.a.status()["active_path"] == "satcom"
    backlog = waiting[-1]
    wait_for("the backlog to drain",
             lambda: lab.a.status()["queued"] == 0 and lab.b.status()["queued"] == 0,
             timeout_s=120, interval_s=0.1)
    log(f"backlog of {backlog[0]} + {backlog[1]} messages sent {time.monotonic() - t_restore:.1f}s "
        f"after satcom returned")

    join_posters(pa, pb)
    n_ab, n_ba = verify_exactly_once(lab, pa, pb, timeout_s=180)
    assert n_ab == TOTAL_A and n_ba == TOTAL_B, (n_ab, n_ba)
    check_flash_first(lab.a, lab.b, pa, t_cut + 2, t_restore)
    check_flash_first(lab.b, lab.a, pb, t_cut + 2, t_restore)


if __name__ == "__main__":
    netlab.main("both-down", test)
