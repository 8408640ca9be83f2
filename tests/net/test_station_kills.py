"""Either station is SIGKILLed and restarted while the paths are cut, restored and made lossy.

Both sides stream with mixed precedences (rok-fleet-command at up to 50 messages per second,
ru-pacific-fleet at up to 20). While they do, in turn: ru-pacific-fleet is killed on a
healthy link; fibre is cut and rok-fleet-command is killed while traffic runs on satcom; fibre is
restored and ru-pacific-fleet is killed while the stations are deciding to return to it; satcom
is cut, fibre loses 20% of its frames and rok-fleet-command is killed again. Then the lab heals.
Every post the API confirmed must arrive exactly once, contiguous and in order; a post whose
answer was lost with a killed station may have been stored or not, but arrives at most once.
"""
import time

import netlab
from netlab import Poster, join_posters, log, verify_exactly_once, wait_for

RATE_A, RATE_B = 50, 20


def kill_and_restart(lab, station, pause_s=0.3):
    peer = lab.b if station is lab.a else lab.a
    held = peer.status()["in_next_expected"] - 1
    station.kill()
    log(f"SIGKILL {station.id} (start #{station.starts}); {peer.id} held {held} from it")
    time.sleep(pause_s)
    t0 = time.monotonic()
    station.start()
    wait_for(f"{station.id} linked again", lambda: station.status()["link_up"], timeout_s=60)
    log(f"{station.id} restarted and linked in {time.monotonic() - t0:.2f}s")


def progress(lab, n, what, timeout_s=60):
    """Waits until each inbox has grown by n, so every fault lands on live traffic."""
    a0, b0 = lab.a.status()["in_next_expected"], lab.b.status()["in_next_expected"]
    wait_for(f"{n} more messages each way ({what})",
             lambda: lab.b.status()["in_next_expected"] >= b0 + n
             and lab.a.status()["in_next_expected"] >= a0 + n // 3,
             timeout_s=timeout_s, interval_s=0.05)


def test(lab):
    lab.start()
    pa = Poster(lab.a, 10**9, RATE_A, seed=lab.seed)
    pb = Poster(lab.b, 10**9, RATE_B, seed=lab.seed + 1)
    pa.start()
    pb.start()

    progress(lab, 100, "healthy")
    kill_and_restart(lab, lab.b)

    progress(lab, 60, "after the first restart")
    lab.cut("fibre", side="a")
    wait_for("traffic on satcom", lambda: lab.a.status()["active_path"] == "satcom", timeout_s=15)
    progress(lab, 30, "on satcom")
    kill_and_restart(lab, lab.a)

    progress(lab, 30, "on satcom after the restart")
    lab.restore("fibre", side="a")
    wait_for("fibre back up",
             lambda: any(p["up"] for p in lab.b.status()["paths"] if p["path"] == "fibre"),
             timeout_s=20, interval_s=0.05)
    kill_and_restart(lab, lab.b, pause_s=0.1)

    progress(lab, 60, "after the return")
    lab.cut("satcom", side="a")
    lab.shape("fibre", loss=0.20)
    progress(lab, 30, "on lossy fibre")
    kill_and_restart(lab, lab.a)
    progress(lab, 30, "on lossy fibre after the restart", timeout_s=90)

    lab.heal()
    log("healed: both paths up, shapes reset")
    progress(lab, 30, "healed")
    pa.stop()
    pb.stop()
    join_posters(pa, pb)
    n_ab, n_ba = verify_exactly_once(lab, pa, pb, timeout_s=180)
    assert lab.a.starts == 3 and lab.b.starts == 3
    assert n_ab >= len(pa.confirmed) and n_ba >= len(pb.confirmed)
    log(f"{n_ab} + {n_ba} messages exactly once through 4 SIGKILLs; lost answers: "
        f"{len(pa.ambiguous)} + {len(pb.ambiguous)}, refused while down: "
        f"{pa.attempts_refused} + {pb.attempts_refused}")


if __name__ == "__main__":
    netlab.main("kills", test)
