"""Two real stations; 1,000 messages; the receiver is SIGKILLed twice mid-stream and restarted.

Every message the sender acknowledged must reach the receiver exactly once and in order, and the
sender must record each one as delivered.
"""
import signal
import threading
import time

from harness import World, log, main, wait_for

TOTAL = 1000
KILL_AT = (300, 700)


def test():
    with World("crash") as w:
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())
        posted = []
        precedences = ["routine", "priority", "immediate", "flash"]
        restarts = []
        for i in range(TOTAL):
            if i in KILL_AT:
                log(f"SIGKILL receiver at message {i}")
                w.b.kill(signal.SIGKILL)
                # Restart in the background while posting goes on: the sender queues meanwhile.
                t = threading.Thread(target=lambda: (time.sleep(0.3), w.b.start()))
                t.start()
                restarts.append(t)
            code, body = w.a.post(f"message {i:04d}", precedence=precedences[i % 4])
            assert code == 201, (code, body)
            assert body["status"] in ("queued", "sent"), body
            posted.append(body["id"])
        for t in restarts:
            t.join()

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
