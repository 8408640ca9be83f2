"""Two real stations; 1,000 messages; the receiver is SIGKILLed twice mid-stream and restarted.

A poster streams messages to the sender at about 250 per second while the receiver is killed
as its inbox passes 300 and 700 messages, with frames in flight and commits under way. Every
message the sender acknowledged must reach the receiver exactly once and in order, and the
sender must record each one as delivered.
"""
import signal
import threading
import time

from harness import World, log, main, wait_for

TOTAL = 1000
KILL_WHEN_HOLDING = (300, 700)
RATE_PER_S = 250


def poster(w, posted, errors):
    precedences = ["routine", "priority", "immediate", "flash"]
    start = time.monotonic()
    try:
        for i in range(TOTAL):
            time.sleep(max(0.0, start + i / RATE_PER_S - time.monotonic()))
            code, body = w.a.post(f"message {i:04d}", precedence=precedences[i % 4])
            if code != 201 or body["status"] not in ("queued", "sent"):
                errors.append((i, code, body))
                return
            posted.append(body["id"])
    except Exception as e:  # noqa: BLE001 - reported to the main thread
        errors.append(e)


def inbox_count(w):
    return w.b.channel_status()["in_next_expected"] - 1


def test():
    with World("crash") as w:
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())
        posted, errors = [], []
        t = threading.Thread(target=poster, args=(w, posted, errors))
        t.start()
        try:
            for threshold in KILL_WHEN_HOLDING:
                wait_for(f"receiver to hold {threshold}", lambda: inbox_count(w) >= threshold,
                         interval_s=0.005)
                assert len(posted) < TOTAL, "the stream ended before the kill"
                log(f"SIGKILL receiver holding {inbox_count(w)}, sender has posted {len(posted)}")
                w.b.kill(signal.SIGKILL)
                time.sleep(0.2)  # the sender keeps posting into its queue while the peer is down
                w.b.start()
        finally:
            t.join()
        assert not errors, errors
        assert len(posted) == TOTAL

        def all_delivered():
            c = w.a.channel_status()
            return c["queued"] == 0 and c["unacked"] == 0
        wait_for("every message delivered", all_delivered, timeout_s=120)

        inbox = w.b.messages("in")
        ids = [m["id"] for m in inbox]
        assert len(ids) == len(set(ids)), "a message was shown twice"
        assert set(ids) == set(posted), f"missing {len(set(posted) - set(ids))}, extra {len(set(ids) - set(posted))}"
        seqs = [m["seq"] for m in inbox]
        assert seqs == list(range(1, TOTAL + 1)), "inbox sequence numbers are not 1..N in order"
        outbox = {m["id"]: m for m in w.a.messages("out")}
        for m in inbox:
            sent = outbox[m["id"]]
            assert sent["seq"] == m["seq"], "sender and receiver disagree on the order"
            assert sent["status"] == "delivered" and sent["delivered_at"], sent
            assert m["text"] == sent["text"]
        log(f"{TOTAL} messages delivered exactly once, in order, through 2 receiver crashes")


if __name__ == "__main__":
    main(test)
