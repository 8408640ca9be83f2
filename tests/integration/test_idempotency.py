"""Exactly once from the client too: a post sent again with the same Idempotency-Key stores
nothing new, even after the station restarted in between.

A feeder posts with a key and posts again with it: both answers name the same message, and the
other station receives it once. Station A is killed and restarted, and the retry still finds
the message the first post stored. The same key for another message is refused (409, naming the
header); the same key from another principal (a second token) is that principal's own, and
posts anew. Malformed keys are refused with 400. `hotline send --idempotency-key` gives the same
guarantee from the command line. A batch (an array of messages) with a key posts each message
under its own derived key: retried after a restart, it answers the same messages, per index, and
stores nothing new; a message of the batch that fails does not stop the others.
"""
import subprocess

from harness import HOTLINE, World, log, main, wait_for

BODY = {"channel": "navy", "precedence": "priority", "text": "feeder track 0001"}


def keyed_post(station, key, body=BODY, token=None):
    headers = {"Idempotency-Key": key}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return station.request("POST", "/api/v1/messages", body, auth=token is None, headers=headers)


def received(station, message_id):
    return [m for m in station.messages("in") if m["id"] == message_id]


def send_cli(station, key, text):
    env_cmd = ["send", "--channel", "navy", "--idempotency-key", key, text]
    out = station.cli(*env_cmd)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()[0]


def test():
    with World("idempotency") as w:
        a, b = w.a, w.b
        a.start()
        b.start()
        wait_for("link up", lambda: a.link_up() and b.link_up())

        code, first = keyed_post(a, "feeder-0001")
        assert code == 201, (code, first)
        code, again = keyed_post(a, "feeder-0001")
        assert code == 201 and again["id"] == first["id"], (code, again)
        wait_for("delivery", lambda: received(b, first["id"]))

        batch = [dict(BODY, text=f"batch track {i:04}") for i in range(50)]
        batch[7] = dict(BODY, precedence="urgent")  # refused on its own, by field
        code, posted = keyed_post(a, "batch-0001", batch)
        assert code == 200 and posted["created"] == 49 and posted["failed"] == 1, (code, posted)
        results = posted["results"]
        assert results[7]["status"] == 400 and results[7]["error"]["field"] == "precedence", results[7]
        batch_ids = [r["message"]["id"] if r["status"] == 201 else None for r in results]
        assert [r["message"]["text"] for r in results if r["status"] == 201] == \
            [m["text"] for i, m in enumerate(batch) if i != 7]

        log("the retry after a restart still finds the first post, and the first batch")
        a.kill()
        a.start()
        code, after_restart = keyed_post(a, "feeder-0001")
        assert code == 201 and after_restart["id"] == first["id"], (code, after_restart)
        code, again = keyed_post(a, "batch-0001", batch)
        assert code == 200 and [r["message"]["id"] if r["status"] == 201 else None
                                for r in again["results"]] == batch_ids, again
        code, changed = keyed_post(a, "batch-0001", [dict(BODY, text="another track")])
        assert code == 200 and changed["results"][0]["status"] == 409, changed
        wait_for("the batch delivered once",
                 lambda: all(received(b, i) for i in batch_ids if i is not None))

        code, other = keyed_post(a, "feeder-0001", dict(BODY, text="feeder track 0002"))
        assert code == 409 and other["error"]["field"] == "Idempotency-Key", (code, other)
        assert first["id"] in other["error"]["message"], other

        log("another principal's key is its own")
        made = a.token_command("add", "feeder", "--role", "duty-officer")
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        code, theirs = keyed_post(a, "feeder-0001", token=token)
        assert code == 201 and theirs["id"] != first["id"], (code, theirs)

        for bad in ["", "x" * 256, "tab\tkey", "caf\xe9"]:
            code, refused = keyed_post(a, bad)
            assert code == 400 and refused["error"]["field"] == "Idempotency-Key", (bad, code, refused)

        log("the command line sends a key, and a retry with it stores nothing new")
        one = send_cli(a, "cli-0001", "from the command line")
        two = send_cli(a, "cli-0001", "from the command line")
        assert one == two, (one, two)
        plain_one = send_cli(a, "", "no key given: a fresh one each time")
        plain_two = send_cli(a, "", "no key given: a fresh one each time")
        assert plain_one != plain_two

        wait_for("everything delivered",
                 lambda: all(received(b, i) for i in (theirs["id"], one, plain_one, plain_two)))
        inbox = [m["id"] for m in b.messages("in")]
        for message_id in (first["id"], theirs["id"], one):
            assert inbox.count(message_id) == 1, (message_id, inbox.count(message_id))
        texts = [m.get("text") for m in b.messages("in")]
        assert texts.count("feeder track 0001") == 2, "one per principal"
        assert texts.count("feeder track 0002") == 0
        assert texts.count("from the command line") == 1
        for i in range(50):
            assert texts.count(f"batch track {i:04}") == (0 if i == 7 else 1), i
        assert texts.count("another track") == 0
        log("keyed posts: each stored once, across a restart")


if __name__ == "__main__":
    main(test)
