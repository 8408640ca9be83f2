"""Handling labels between two real stations, read by each side in its own terms.

The demo agreement gives ROK the markings 일반 / 대외비 (비밀 above the ceiling) and Russia
несекретно / для служебного пользования (секретно above the ceiling), paired. rok-fleet-command
posts under each of its sendable markings, with caveats, from the CLI and the API; at
ru-pacific-fleet every message shows the Russian equivalent, in Russian, through the API, the
CLI's inbox and `hotline labels`; ru-pacific-fleet's restricted message reads as 대외비, with its
caveats in Korean, at rok-fleet-command. A marking above the ceiling and a caveat outside the agreement
are refused with the field named. An embargoed message's evidence is refused until the embargo
lifts, through the API (409) and offline from the database. An auditor's bundle of a labelled
message verifies offline and says how each side reads the label; the same bundle with its marking
changed fails. A user and a token cleared only to несекретно see that the restricted message
exists but read nothing of it through any route, cannot act on it or post above their clearance,
and read it once `hotline user clearance` raises them.
"""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import HOTLINE, World, log, main, wait_for


def at_b(w, mid):
    code, m = w.b.request("GET", f"/api/v1/messages/{mid}")
    return m if code == 200 else None


def refuses_to_start(w, name, config_text, words):
    """`hotline station` on B's directory with `config_text` stops before touching its store."""
    config = w.b.dir / name
    config.write_text(config_text)
    out = subprocess.run([HOTLINE, "station", "--config", str(config)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and words in out.stdout + out.stderr, out
    log(f"{name}: " + (out.stdout + out.stderr).strip().splitlines()[-1])


def startup_checks(w):
    """A token cleared to the other side's marking, and a form default naming no form of the
    catalog, stop the station at startup with the reason."""
    base = w.b.config.read_text()
    refuses_to_start(w, "foreign-clearance.toml",
                     base + '\n[[api.tokens]]\nname = "feeder"\nrole = "duty-officer"\n'
                     'clearance = "rok-restricted"\nsha256 = "' + "e" * 64 + '"\n',
                     "clearance 'rok-restricted' is not a marking of ru-pacific-fleet's scheme")
    agreement = (w.dir / "agreement.toml").read_text()
    assert 'MISSILE-LAUNCH-NOTICE = "ru-dsp"' in agreement
    (w.b.dir / "misspelt.toml").write_text(
        agreement.replace('MISSILE-LAUNCH-NOTICE = "ru-dsp"', 'MISSILE-LAUNCH-NOTISE = "ru-dsp"'))
    assert 'agreement = "../agreement.toml"' in base
    refuses_to_start(w, "misspelt-default.toml",
                     base.replace('agreement = "../agreement.toml"', 'agreement = "misspelt.toml"'),
                     "gives a default marking to form MISSILE-LAUNCH-NOTISE")


def test():
    with World("labels") as w:
        startup_checks(w)
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())

        # Each station lists its own markings, in its own language, with the other side's id.
        code, policy = w.b.request("GET", "/api/v1/labels")
        assert code == 200 and policy["scheme"] == "ru" and policy["language"] == "ru", policy
        dsp = next(m for m in policy["markings"] if m["id"] == "ru-dsp")
        assert dsp["name"] == "для служебного пользования" and dsp["equivalent"] == "rok-restricted", dsp
        secret = next(m for m in policy["markings"] if m["id"] == "ru-secret")
        assert secret["sendable"] is False and secret["equivalent"] is None, secret
        listed = w.a.cli("labels")
        assert listed.returncode == 0 and "대외비" in listed.stdout and "ru-dsp" in listed.stdout, listed
        log("hotline labels at rok-fleet-command:\n" + listed.stdout)

        # A post without a label carries its form's default; the reader sees its own equivalent.
        code, plain = w.a.post("Routine notice")
        assert code == 201 and plain["label"]["marking"] == "rok-unclassified", plain
        wait_for("the plain message at B", lambda: at_b(w, plain["id"]))
        label = at_b(w, plain["id"])["label"]
        assert label["local_marking"] == "ru-unclassified" and label["name"] == "несекретно", label

        # From the CLI, restricted, with caveats.
        sent = w.a.cli("send", "-c", "navy", "--marking", "rok-restricted",
                       "--caveat", "no-forward", "--caveat", "releasable-to=ru-mod,rok-mnd",
                       "--json", "Submarine transit, eastern approach, 0400-0600")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        restricted = json.loads(sent.stdout)
        assert restricted["label"]["marking"] == "rok-restricted", restricted
        assert restricted["label"]["name"] == "대외비", restricted
        wait_for("the restricted message at B", lambda: at_b(w, restricted["id"]))
        label = at_b(w, restricted["id"])["label"]
        assert label["marking"] == "rok-restricted" and label["local_marking"] == "ru-dsp", label
        assert label["name"] == "для служебного пользования", label
        kinds = {c["kind"]: c for c in label["caveats"]}
        assert kinds["no-forward"]["name"] == "третьим сторонам не передавать", kinds
        assert kinds["releasable-to"]["to"] == ["rok-mnd", "ru-mod"], kinds
        inbox = w.b.cli("inbox", "-c", "navy")
        assert inbox.returncode == 0 and "для служебного пользования" in inbox.stdout, inbox
        log("inbox at ru-pacific-fleet:\n" + inbox.stdout)

        # The other way: B marks in its own terms, A reads the Korean equivalent.
        sent = w.b.cli("send", "-c", "navy", "--marking", "ru-dsp", "--caveat", "no-forward",
                       "--caveat", "embargo=2026-01-01T00:00:00Z", "--json",
                       "Плановые стрельбы в районе 7, 0900-1100")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        from_b = json.loads(sent.stdout)
        assert from_b["label"]["name"] == "для служебного пользования", from_b["label"]
        wait_for("B's restricted message at A",
                 lambda: w.a.request("GET", f"/api/v1/messages/{from_b['id']}")[0] == 200)
        code, at_a = w.a.request("GET", f"/api/v1/messages/{from_b['id']}")
        label = at_a["label"]
        assert label["marking"] == "ru-dsp" and label["local_marking"] == "rok-restricted", label
        assert label["name"] == "대외비", label
        names = {c["kind"]: c["name"] for c in label["caveats"]}
        assert names == {"no-forward": "제3자 전달 금지", "embargo": "공개 금지 시한"}, names
        inbox = w.a.cli("inbox", "-c", "navy")
        assert inbox.returncode == 0 and "대외비 · 제3자 전달 금지" in inbox.stdout, inbox.stdout
        log("inbox at rok-fleet-command:\n" + inbox.stdout)

        # Refusals name the field.
        for label, field, words in (
                ({"marking": "rok-secret"}, "label.marking", "above the ceiling"),
                ({"marking": "ru-dsp"}, "label.marking", "not one of rok's markings"),
                ({"marking": "rok-restricted", "caveats": [{"id": "forward-to-allies"}]},
                 "label.caveats[0]", "not one the agreement defines"),
                ({"marking": "rok-restricted", "caveats": [{"id": "embargo", "until": "soon"}]},
                 "label.caveats[0].until", "RFC 3339")):
            code, err = w.a.request("POST", "/api/v1/messages",
                                    {"channel": "navy", "precedence": "routine",
                                     "text": "must not go", "label": label})
            assert code == 400 and err["error"]["field"] == field, (label, code, err)
            assert words in err["error"]["message"], (words, err)
        out = w.a.cli("send", "-c", "navy", "--marking", "rok-secret", "no")
        assert out.returncode != 0 and "ceiling" in out.stderr, out.stdout + out.stderr

        # An embargo holds the evidence back at both ends until it lifts.
        code, held = w.a.request("POST", "/api/v1/messages",
                                 {"channel": "navy", "precedence": "priority", "text": "Not yet",
                                  "label": {"marking": "rok-restricted", "caveats": [
                                      {"id": "embargo", "until": "2100-01-01T00:00:00Z"}]}})
        assert code == 201, (code, held)
        wait_for("the embargoed message at B", lambda: at_b(w, held["id"]))
        assert at_b(w, held["id"])["label"]["embargoed_until"] == "2100-01-01T00:00:00Z"
        auditor = w.b.session("auditor-ru")
        code, _, err = w.b.exchange("GET", f"/api/v1/messages/{held['id']}/evidence", None, auditor)
        assert code == 409 and "embargo" in err["error"]["message"], (code, err)
        offline = subprocess.run([HOTLINE, "evidence", "export", held["id"], "--db",
                                  str(w.b.dir / "hotline.db"), "--out", str(w.dir / "held.json")],
                                 capture_output=True, text=True, timeout=60)
        assert offline.returncode != 0 and "under embargo until 2100-01-01" in offline.stderr, offline
        assert not (w.dir / "held.json").exists()


        # The restricted message's evidence, checked with only the agreement.
        wait_for("the restricted message delivered",
                 lambda: w.a.request("GET", f"/api/v1/messages/{restricted['id']}")[1]["status"]
                 in ("delivered", "acknowledged"))
        code, _, bundle = w.b.exchange("GET", f"/api/v1/messages/{restricted['id']}/evidence",
                                       None, auditor)
        assert code == 200, (code, bundle)
        assert bundle["message"]["label"]["marking"] == "rok-restricted", bundle["message"]
        elsewhere = Path(tempfile.mkdtemp(prefix="hotline-labels-"))
        try:
            shutil.copy(w.dir / "agreement.toml", elsewhere / "agreement.toml")
            (elsewhere / "bundle.json").write_text(json.dumps(bundle))
            verify = [HOTLINE, "evidence", "verify", str(elsewhere / "bundle.json"),
                      "--agreement", str(elsewhere / "agreement.toml")]
            out = subprocess.run(verify, capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stdout + out.stderr
            for words in ("The sender marked it 대외비 [rok-restricted]",
                          "ru-pacific-fleet reads it as для служебного пользования [ru-dsp]",
                          "третьим сторонам не передавать"):
                assert words in out.stdout, (words, out.stdout)
            log("evidence verified offline:\n" + out.stdout)
            bundle["message"]["label"]["marking"] = "rok-unclassified"
            (elsewhere / "bundle.json").write_text(json.dumps(bundle))
            out = subprocess.run(verify, capture_output=True, text=True, timeout=60)
            assert out.returncode == 1 and "seal's hash chain does not include" in out.stdout, out.stdout
            log("with the marking changed: " + out.stdout.strip().splitlines()[0])
        finally:
            shutil.rmtree(elsewhere, ignore_errors=True)

        clearances(w, restricted["id"], plain["id"])


def clearances(w, restricted_id, plain_id):
    """At B, a reader cleared to the lowest marking only, by session and by token."""
    password = "a-long-reader-passphrase"
    added = w.b.user_command("add", "reader-low", "--role", "duty-officer", "--lang", "ru",
                             password=password)
    assert added.returncode == 0 and "ru-unclassified (lowest)" in added.stdout, added
    refused = w.b.user_command("clearance", "reader-low", "rok-restricted")
    assert refused.returncode != 0 and "ru-unclassified, ru-dsp" in refused.stderr, refused
    code, cookie, body = w.b.login("reader-low", password)
    assert code == 200 and body["user"]["clearance"] == {"id": "ru-unclassified",
                                                         "name": "несекретно"}, body
    low = {"Cookie": cookie.split(";", 1)[0], "X-CSRF-Token": body["csrf_token"]}
    made = w.b.token_command("add", "low-feeder", "--role", "duty-officer")
    assert made.returncode == 0, made.stderr
    token = {"Authorization": "Bearer " + made.stdout.strip().splitlines()[-1]}
    secret_words = "Submarine transit"

    for who, headers in (("session", low), ("token", token)):
        code, _, m = w.b.exchange("GET", f"/api/v1/messages/{restricted_id}?lang=ru", None, headers)
        assert code == 200 and m["redacted"] is True and "text" not in m, (who, m)
        assert "rendered" not in m and m["label"]["local_marking"] == "ru-dsp", (who, m)
        code, _, listed = w.b.exchange("GET", "/api/v1/messages?box=in&limit=500", None, headers)
        assert code == 200 and secret_words not in json.dumps(listed, ensure_ascii=False), who
        by_id = {m["id"]: m for m in listed["messages"]}
        assert by_id[restricted_id]["redacted"] and not by_id[plain_id]["redacted"], who
        assert by_id[plain_id]["text"] == "Routine notice", by_id[plain_id]
        for method, path, payload in (
                ("POST", f"/api/v1/messages/{restricted_id}/ack", {"answer": "seen"}),
                ("GET", f"/api/v1/messages/{restricted_id}/translations", None),
                ("POST", "/api/v1/messages",
                 {"channel": "navy", "precedence": "routine", "text": "up",
                  "label": {"marking": "ru-dsp"}})):
            code, _, err = w.b.exchange(method, path, payload, headers)
            assert code == 403 and err["error"]["code"] == "refused", (who, method, path, code, err)
            assert "несекретно" in err["error"]["message"], err
        env_inbox = subprocess.run([HOTLINE, "inbox", "-c", "navy"], capture_output=True, text=True,
                                   timeout=60, env={**os.environ,
                                                    "HOTLINE_ADDR": w.b.addr,
                                                    "HOTLINE_TOKEN": token["Authorization"][7:]})
        assert env_inbox.returncode == 0 and secret_words not in env_inbox.stdout, env_inbox
        assert "(withheld: above your clearance)" in env_inbox.stdout, env_inbox.stdout
    code, _, m = w.b.exchange("GET", f"/api/v1/messages/{restricted_id}", None, low)
    assert m["acknowledged_at"] is None or m.get("acknowledged_by") != "reader-low", m

    # An auditor at the lowest gets no evidence either.
    assert w.b.user_command("add", "auditor-low", "--role", "auditor",
                            password=password).returncode == 0
    _, cookie, body = w.b.login("auditor-low", password)
    auditor_low = {"Cookie": cookie.split(";", 1)[0], "X-CSRF-Token": body["csrf_token"]}
    code, _, err = w.b.exchange("GET", f"/api/v1/messages/{restricted_id}/evidence", None,
                                auditor_low)
    assert code == 403 and err["error"]["field"] == "label", (code, err)

    # Raised, the same session reads it at its next request.
    raised = w.b.user_command("clearance", "reader-low", "ru-dsp")
    assert raised.returncode == 0, raised.stderr
    code, _, m = w.b.exchange("GET", f"/api/v1/messages/{restricted_id}", None, low)
    assert code == 200 and m["redacted"] is False and m["text"].startswith(secret_words), m
    log("cleared to ru-dsp, reader-low reads: " + m["text"])


if __name__ == "__main__":
    main(test)
