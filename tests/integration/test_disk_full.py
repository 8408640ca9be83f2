"""A full disk makes posting fail with a clear error; the station keeps running and loses nothing.

The sending station's data directory is a small tmpfs that the test fills. Posts made while it
is full get a 5xx naming the cause; every post acknowledged before or after is delivered exactly
once. Needs permission to mount a tmpfs (CI runs as root); otherwise the test says so and skips.
"""
import os
import subprocess
import sys

from harness import SKIP, World, log, main, wait_for


def test():
    with World("diskfull") as w:
        mnt = w.dir / "a-data"
        mnt.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            log(f"SKIPPED: cannot mount a tmpfs here ({r.stderr.strip()}); the full-disk test needs root")
            sys.exit(SKIP)
        try:
            run(w, mnt)
        finally:
            w.a.kill()
            w.b.kill()
            subprocess.run(["umount", "-l", str(mnt)], check=False)


def run(w, mnt):
    cfg = w.a.config.read_text().replace('data_dir = "."', f'data_dir = "{mnt}"')
    w.a.config.write_text(cfg)
    w.a.start()
    w.b.start()
    wait_for("link up", lambda: w.a.link_up() and w.b.link_up())
    acknowledged = []
    for i in range(20):
        code, body = w.a.post(f"before the disk filled {i}")
        assert code == 201, (code, body)
        acknowledged.append(body["id"])

    filler = mnt / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    refused = 0
    for i in range(10):
        code, body = w.a.post(f"while the disk is full {i}")
        if code == 201:
            acknowledged.append(body["id"])  # SQLite had room in a page: still must arrive
            continue
        assert 500 <= code < 600, (code, body)
        assert "full" in body["error"]["message"], body
        refused += 1
    assert refused > 0, "no post was refused on a full disk"
    log(f"{refused} posts refused while the disk was full, with a clear reason")
    assert w.a.healthy(), "the station stopped serving on a full disk"

    os.unlink(filler)
    wait_for("posting to work again", lambda: w.a.post("probe after freeing space")[0] == 201)
    code, body = w.a.post("after the disk was freed")
    assert code == 201, (code, body)
    acknowledged.append(body["id"])

    wait_for("everything delivered",
             lambda: (lambda c: c["queued"] == 0 and c["unacked"] == 0)(w.a.channel_status()),
             timeout_s=60)
    inbox = [m["id"] for m in w.b.messages("in")]
    assert len(inbox) == len(set(inbox)), "a message arrived twice"
    missing = set(acknowledged) - set(inbox)
    assert not missing, f"{len(missing)} acknowledged messages were lost"
    # A refused post may have reached B all the same (A sends while its commit runs): A then
    # takes it back from B once it can write again, so each side holds what the other does.
    outbox = {m["id"] for m in w.a.messages("out")}
    unknown = set(inbox) - outbox
    assert not unknown, f"B holds {len(unknown)} messages A does not: {sorted(unknown)[:3]}"


if __name__ == "__main__":
    main(test)
