"""A formatted flight notice crosses the air hotline, is read in Russian, and is acknowledged.

rokaf-mcrc (Korean) posts an AIR-FLIGHT-NOTICE; ru-11-aadf-army renders it in Russian, its duty
officer acknowledges it with a short answer, and the sender then shows who acknowledged and when.
Bad fields are refused at the sender with the field named, in the officer's language. Then the
same round trip with the CLI: `hotline forms`, `hotline send --form`, `hotline ack`.
"""
import json
import re

from harness import World, log, main, wait_for

CYRILLIC = re.compile("[\u0400-\u04FF]")
HANGUL = re.compile("[\uAC00-\uD7A3]")


def form(station, form_id, lang):
    code, body = station.request("GET", f"/api/v1/forms?lang={lang}")
    assert code == 200, (code, body)
    for f in body["forms"]:
        if f["id"] == form_id:
            return f
    raise AssertionError(f"{form_id} is not in the catalog")


def test():
    with World("forms", hotline="air") as w:
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up("air") and w.b.link_up("air"))

        notice = form(w.a, "AIR-FLIGHT-NOTICE", "ko")
        assert HANGUL.search(notice["title"]), notice["title"]
        fields = notice["example"]

        # A missing required field is refused, naming it (each type's rules have unit tests).
        required = next(f["name"] for f in notice["fields"] if f["required"])
        partial = {k: v for k, v in fields.items() if k != required}
        code, err = w.a.request("POST", "/api/v1/messages",
                                {"channel": "air", "precedence": "immediate",
                                 "form": "AIR-FLIGHT-NOTICE", "fields": partial})
        assert code == 400 and err["error"]["field"].startswith(f"fields.{required}"), (code, err)

        # The preview shows exactly what the Russian side will read.
        code, preview = w.a.request("POST", "/api/v1/forms/AIR-FLIGHT-NOTICE/preview",
                                    {"fields": fields, "lang": "ru", "precedence": "immediate"})
        assert code == 200 and CYRILLIC.search(preview["rendered"]), (code, preview)

        code, posted = w.a.request("POST", "/api/v1/messages",
                                   {"channel": "air", "precedence": "immediate",
                                    "form": "AIR-FLIGHT-NOTICE", "fields": fields})
        assert code == 201, (code, posted)
        mid = posted["id"]

        def arrived():
            code, m = w.b.request("GET", f"/api/v1/messages/{mid}?lang=ru")
            return m if code == 200 else None
        received = wait_for("the notice at ru-11-aadf-army", arrived)
        assert received["box"] == "in" and received["form"] == "AIR-FLIGHT-NOTICE"
        assert "flag" not in received, received
        assert CYRILLIC.search(received["rendered"]), received["rendered"]
        assert received["rendered"] == preview["rendered"], "the reader did not see what was previewed"
        log("rendered at the receiver:\n" + received["rendered"])

        code, acked = w.b.request("POST", f"/api/v1/messages/{mid}/ack", {"answer": "Принято"})
        assert code == 200, (code, acked)
        assert acked["status"] == "acknowledged" and acked["acknowledged_by"], acked
        code, again = w.b.request("POST", f"/api/v1/messages/{mid}/ack", {})
        assert code == 409, (code, again)

        def acknowledged_at_sender():
            code, m = w.a.request("GET", f"/api/v1/messages/{mid}")
            return m if code == 200 and m["status"] == "acknowledged" else None
        sent = wait_for("the acknowledgement at rokaf-mcrc", acknowledged_at_sender)
        assert sent["acknowledged_by"] == acked["acknowledged_by"], sent
        assert sent["answer"] == "Принято", sent
        assert sent["acknowledged_at"], sent
        log(f"acknowledged by {sent['acknowledged_by']} at {sent['acknowledged_at']}")

        # The acknowledgement itself needs no acknowledgement, and cannot be posted by hand.
        code, err = w.a.request("POST", "/api/v1/messages",
                                {"channel": "air", "precedence": "routine", "form": "ACK",
                                 "fields": {"reference": mid}})
        assert code == 400 and err["error"]["field"] == "form", (code, err)


        check_cli_round_trip(w)


def field_args(fields):
    """--field arguments for the CLI: JSON for objects, arrays and numbers, text for the rest."""
    args = []
    for name, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        args += ["--field", f"{name}={text}"]
    return args


def check_cli_round_trip(w):
    listed = w.a.cli("forms", "--json")
    assert listed.returncode == 0, listed
    catalog = json.loads(listed.stdout)
    notice = next(f for f in catalog["forms"] if f["id"] == "AIR-FLIGHT-NOTICE")
    table = w.a.cli("forms", "--lang", "ru")
    assert table.returncode == 0 and "AIR-FLIGHT-NOTICE" in table.stdout, table
    assert CYRILLIC.search(table.stdout), table.stdout

    # A refused field names itself and the rule, and exits 1.
    bad = w.a.cli("send", "--form", "AIR-FLIGHT-NOTICE", "--precedence", "immediate",
                  *field_args({**notice["example"], "aircraft_count": -3}))
    assert bad.returncode == 1 and "fields.aircraft_count" in bad.stderr, bad

    sent = w.a.cli("send", "--form", "AIR-FLIGHT-NOTICE", "--precedence", "immediate", "--json",
                   *field_args(notice["example"]))
    assert sent.returncode == 0, sent
    mid = json.loads(sent.stdout)["id"]
    wait_for("the CLI's notice at ru-11-aadf-army",
             lambda: w.b.request("GET", f"/api/v1/messages/{mid}")[0] == 200)

    acked = w.b.cli("ack", mid, "--answer", "Принято")
    assert acked.returncode == 0, acked
    assert acked.stdout.startswith(f"{mid} acknowledged by "), acked.stdout
    again = w.b.cli("ack", mid)
    assert again.returncode == 1 and "already acknowledged" in again.stderr, again

    def acknowledged_at_sender():
        code, m = w.a.request("GET", f"/api/v1/messages/{mid}")
        return m if code == 200 and m["status"] == "acknowledged" else None
    sent_msg = wait_for("the CLI's acknowledgement at rokaf-mcrc", acknowledged_at_sender)
    assert sent_msg["answer"] == "Принято", sent_msg
    log(f"CLI round trip: {mid} acknowledged by {sent_msg['acknowledged_by']}")


if __name__ == "__main__":
    main(test)
