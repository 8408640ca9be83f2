"""GET /metrics on two real stations, checked by Prometheus's own promtool; and the API
description the station serves.

Messages cross the navy hotline. Then: a duty officer's token is refused the metrics (403); an
auditor reads them, at /metrics and at /api/v1/metrics alike; promtool accepts the exposition;
the figures match what happened (the link is up, the sent and received counters match the
messages carried, commits were timed, a refused sign-in was counted); and the example alerting
rules pass `promtool check rules`.
"""
import os
import re
import shutil
import subprocess

from harness import World, log, main, wait_for

SOURCE = os.environ.get("HOTLINE_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = re.compile(r'^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$')


def promtool():
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: scripts/install-deps installs Debian's prometheus package"
    return tool


def samples(text):
    """{(name, labels text): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def value(s, name, labels=""):
    key = (name, labels)
    assert key in s, f"no sample {name}{labels}; have {sorted(k for k in s if k[0] == name)}"
    return s[key]


def auditor(station):
    name = next(n for n, u in station.users().items() if u[0] == "auditor")
    return station.session(name)


def scrape(station, headers, path="/metrics"):
    status, hdrs, body = station.exchange("GET", path, None, headers)
    assert status == 200, (status, body)
    ctype = next(v for k, v in hdrs if k.lower() == "content-type")
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    return body


def test():
    with World("metrics") as w:
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())
        for i in range(12):
            assert w.a.post(f"report {i}")[0] == 201
        wait_for("12 delivered", lambda: sum(m["status"] in ("delivered", "acknowledged")
                                             for m in w.a.messages("out")) >= 12, timeout_s=60)

        # The demo's API token is a duty officer's: metrics are for auditors and admins.
        status, body = w.a.request("GET", "/metrics")
        assert status == 403, (status, body)
        status, _, body = w.a.exchange("GET", "/metrics")
        assert status == 401, (status, body)

        # A refused sign-in is counted.
        assert w.b.login("no-such-user", "wrong password")[0] == 401

        headers_a, headers_b = auditor(w.a), auditor(w.b)
        text_a = scrape(w.a, headers_a)
        text_b = scrape(w.b, headers_b, "/api/v1/metrics")
        for text in (text_a, text_b):
            check = subprocess.run([promtool(), "check", "metrics"], input=text,
                                   capture_output=True, text=True, timeout=60)
            assert check.returncode == 0, check.stdout + check.stderr
        a, b = samples(text_a), samples(text_b)
        assert value(a, "hotline_link_up", '{channel="navy"}') == 1
        assert value(b, "hotline_link_up", '{channel="navy"}') == 1
        sent = value(a, "hotline_sent_messages_total", '{channel="navy"}')
        received = value(b, "hotline_received_messages_total", '{channel="navy"}')
        assert sent >= 12 and received >= 12, (sent, received)
        assert value(a, "hotline_commit_seconds_count") > 0
        assert value(a, "hotline_commit_seconds_count") == value(a, "hotline_commit_seconds_bucket", '{le="+Inf"}')
        assert value(a, "hotline_commit_sync_seconds_count") > 0
        # Every commit counts the WAL pages it wrote and fsynced: at least one each.
        for x in (a, b):
            commits = value(x, "hotline_commit_pages_count")
            assert commits == value(x, "hotline_commit_seconds_count") and commits > 0, commits
            assert value(x, "hotline_commit_pages_sum") >= commits
            assert value(x, "hotline_commit_pages_bucket", '{le="+Inf"}') == commits
        assert value(a, "hotline_journal_entries") > 12
        assert value(a, "hotline_database_bytes") > 0
        assert value(a, "hotline_handler_failures_total") == 0
        assert value(b, "hotline_login_failures_total") >= 1
        assert value(a, "hotline_escalations_total", '{channel="navy"}') == 0
        assert any(k[0] == "hotline_build_info" for k in a), "no build info"
        assert value(a, "hotline_path_up", '{channel="navy",path="primary"}') in (0, 1)
        log(f"metrics: {len(a)} samples at A, promtool passes; A sent {sent:.0f}, B received "
            f"{received:.0f}; {value(a, 'hotline_commit_seconds_count'):.0f} commits timed; WAL pages "
            f"per commit: A {value(a, 'hotline_commit_pages_sum') / value(a, 'hotline_commit_pages_count'):.1f}, "
            f"B {value(b, 'hotline_commit_pages_sum') / value(b, 'hotline_commit_pages_count'):.1f}")

        # The API description the station serves is the document in the source.
        import yaml
        with open(os.path.join(SOURCE, "docs", "openapi.yaml"), encoding="utf-8") as f:
            documented = yaml.safe_load(f)
        status, served = w.a.request("GET", "/api/v1/openapi.json")
        assert status == 200 and served == documented, (status, str(served)[:200])
        log(f"/api/v1/openapi.json serves docs/openapi.yaml ({len(served['paths'])} paths)")

        rules = os.path.join(SOURCE, "examples", "prometheus", "hotline-rules.yml")
        check = subprocess.run([promtool(), "check", "rules", rules], capture_output=True,
                               text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        log("example alerting rules pass promtool check rules")


if __name__ == "__main__":
    main(test)
