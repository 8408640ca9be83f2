"""docs/openapi.yaml against the route table in src/api/router.cpp, and Redocly's linter.

No station runs. The checks:
1. `redocly lint` (web/node_modules, pinned in web/package.json) accepts the document with the
   recommended ruleset as docs/redocly.yaml adjusts it: no error and no warning.
2. The operations under /api/ are exactly the router table's rows (method, path pattern); the
   paths outside /api/ are exactly GET /healthz and GET /metrics.
3. Every operation has an operationId (unique) and a 2xx or 101 response; each operation's
   "Roles:" line names exactly the roles its row allows (GET /metrics those of
   GET /api/v1/metrics); /healthz and signing in need no credentials.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from harness import log, main

SOURCE = Path(os.environ.get("HOTLINE_SOURCE", Path(__file__).resolve().parents[2]))
DOCUMENT = SOURCE / "docs/openapi.yaml"
LINT_CONFIG = SOURCE / "docs/redocly.yaml"
ROUTER = SOURCE / "src/api/router.cpp"
ROUTER_HPP = SOURCE / "src/api/router.hpp"
WEB = SOURCE / "web"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ROLES = ("duty-officer", "translator", "supervisor", "auditor", "admin")

# A string literal (kept) or a // comment (dropped), so that a comment can hold anything.
STRING_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|//[^\n]*')
ROUTE_ROW = re.compile(
    r'\{\s*route_id::(\w+)\s*,\s*http::verb::(\w+)\s*,\s*"([^"]*)"\s*,\s*([^{}]*?)\s*\}\s*,?')
ROLE_SET = re.compile(r"constexpr\s+role_set\s+(\w+)\s*=\s*([^;]*);")
ROLE_BIT = re.compile(r"^role_bit\(\s*role::(\w+)\s*\)$")


def without_comments(text):
    return STRING_OR_COMMENT.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def role_names(expr, named):
    """The roles of a role_set expression such as `senders` or `role_bit(role::a) | named`."""
    roles = set()
    for term in expr.split("|"):
        term = " ".join(term.split())
        bit = ROLE_BIT.match(term)
        if bit:
            roles.add(bit.group(1).replace("_", "-"))
        elif term in named:
            roles |= named[term]
        else:
            raise AssertionError(f"cannot read the role set {term!r} in {ROUTER}")
    unknown = roles - set(ROLES)
    assert not unknown, f"router names roles {sorted(unknown)} this test does not know"
    return roles


def router_routes():
    """{(METHOD, pattern): (route id, roles)} from the route table in src/api/router.cpp."""
    text = without_comments(ROUTER.read_text())
    named = {}
    for m in ROLE_SET.finditer(text):
        named[m.group(1)] = role_names(m.group(2), named)
    table = re.search(r"\btable\s*\{\{(.*?)\}\};", text, re.S)
    assert table, f"no `table{{{{ ... }}}};` in {ROUTER}"
    body = table.group(1)
    rows = ROUTE_ROW.findall(body)
    # A row this pattern failed to read would otherwise vanish from both sides of the comparison.
    assert len(rows) == body.count("route_id::"), (
        f"read {len(rows)} rows of the route table but it names route_id {body.count('route_id::')} "
        f"times; the row syntax changed and this test's pattern needs updating")
    count = re.search(r"route_count\s*=\s*(\d+)", ROUTER_HPP.read_text())
    assert count and int(count.group(1)) == len(rows), (
        f"read {len(rows)} rows but router.hpp says route_count = {count and count.group(1)}")
    routes = {}
    for route_id, verb, pattern, roles in rows:
        key = (verb.rstrip("_").upper(), pattern)
        assert key not in routes, f"the route table has {key} twice"
        routes[key] = (route_id, role_names(roles, named))
    return routes


def load_document():
    try:
        import yaml
    except ImportError:
        raise AssertionError("PyYAML is missing: run scripts/install-deps (Debian's python3-yaml)")
    doc = yaml.safe_load(DOCUMENT.read_text())
    assert isinstance(doc, dict) and str(doc.get("openapi", "")).startswith("3.1"), (
        f"{DOCUMENT} is not an OpenAPI 3.1 document")
    return doc


def operations(doc):
    """{(METHOD, path): operation} of every operation in the document."""
    ops = {}
    for path, item in (doc.get("paths") or {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                ops[(method.upper(), path)] = op
    return ops


def lint():
    """Runs `redocly lint`, printing its problems; returns the failed checks as lines."""
    if not (WEB / "node_modules").is_dir():
        raise AssertionError(f"{WEB}/node_modules is missing: run scripts/install-deps "
                             f"(it runs npm ci in web/, which installs @redocly/cli)")
    redocly = WEB / "node_modules/.bin/redocly"
    if not redocly.exists():
        raise AssertionError(f"{redocly} is missing: web/node_modules predates @redocly/cli; "
                             f"run `npm ci` in web/")
    assert shutil.which("node"), "node is missing: run scripts/install-deps"
    env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_NOTIFICATIONS="true",
               NO_COLOR="1")
    cmd = [str(redocly), "lint", "--config", str(LINT_CONFIG), "--format", "json", str(DOCUMENT)]
    log("running:", " ".join(cmd))
    done = subprocess.run(cmd, cwd=WEB, env=env, capture_output=True, text=True, timeout=300)
    try:
        report = json.loads(done.stdout)
        totals = report["totals"]
    except (ValueError, KeyError):
        raise AssertionError(f"redocly lint exited {done.returncode} without its JSON report:\n"
                             f"{done.stdout}\n{done.stderr}")
    for p in report.get("problems", []):
        where = ", ".join(f"line {loc.get('start', {}).get('line', '?')} {loc.get('pointer', '')}"
                          for loc in p.get("location", []))
        log(f"  {p.get('severity')}: {p.get('ruleId')}: {p.get('message')} ({where})")
    log(f"redocly lint {report.get('version', '?')}: {totals['errors']} errors, "
        f"{totals['warnings']} warnings, exit {done.returncode}")
    failures = []
    if done.returncode != 0 or totals["errors"]:
        failures.append(f"redocly lint found {totals['errors']} errors (exit {done.returncode})")
    if totals["warnings"]:
        failures.append(f"redocly lint found {totals['warnings']} warnings: fix them, or turn the "
                        f"rule off in docs/redocly.yaml with a comment saying why")
    return failures


def documented_roles(op):
    """The roles named on the "Roles:" line of an operation's description."""
    for line in (op.get("description") or "").splitlines():
        if line.strip().startswith("Roles:"):
            return {r for r in ROLES if re.search(rf"(?<![\w-]){r}(?![\w-])", line)}
    return None


def compare(routes, doc):
    """Every failed check, as a list of lines; empty when the document matches the router."""
    failures = []
    ops = operations(doc)
    in_router = set(routes)
    in_doc = {key for key in ops if key[1].startswith("/api/")}
    for key in sorted(in_router - in_doc):
        failures.append(f"in the router, missing from the document: {key[0]} {key[1]} "
                        f"({routes[key][0]})")
    for key in sorted(in_doc - in_router):
        failures.append(f"in the document, not in the router: {key[0]} {key[1]}")
    outside = {key for key in ops if not key[1].startswith("/api/")}
    for key in sorted({("GET", "/healthz"), ("GET", "/metrics")} - outside):
        failures.append(f"not documented: {key[0]} {key[1]}")
    for key in sorted(outside - {("GET", "/healthz"), ("GET", "/metrics")}):
        failures.append(f"in the document outside /api/, served by no route: {key[0]} {key[1]}")

    seen_ids = {}
    for key, op in sorted(ops.items()):
        name = f"{key[0]} {key[1]}"
        op_id = op.get("operationId")
        if not op_id:
            failures.append(f"{name} has no operationId")
        elif op_id in seen_ids:
            failures.append(f"{name} and {seen_ids[op_id]} share the operationId {op_id}")
        else:
            seen_ids[op_id] = name
        codes = [str(code) for code in (op.get("responses") or {})]
        if not any(re.fullmatch(r"2\d\d|2XX|101", code) for code in codes):
            failures.append(f"{name} has no 2xx or 101 response (has {codes})")
        roles = routes.get(key, (None, None))[1]
        if key == ("GET", "/metrics"):
            roles = routes.get(("GET", "/api/v1/metrics"), (None, None))[1]
        if roles is not None:
            said = documented_roles(op)
            if said is None:
                failures.append(f"{name}: the description has no 'Roles:' line")
            elif said != roles:
                failures.append(f"{name}: the description says roles {sorted(said)}, "
                                f"the router allows {sorted(roles)}")

    for key in (("GET", "/healthz"), ("POST", "/api/v1/session")):
        if key in ops and ops[key].get("security") != []:
            failures.append(f"{key[0]} {key[1]} needs no credentials: give it `security: []`")
    metrics, api_metrics = ops.get(("GET", "/metrics")), ops.get(("GET", "/api/v1/metrics"))
    if metrics and api_metrics and metrics.get("security") != api_metrics.get("security"):
        failures.append("GET /metrics and GET /api/v1/metrics must have the same security")
    return failures


def test():
    failures = lint()
    routes = router_routes()
    doc = load_document()
    failures += compare(routes, doc)
    for line in failures:
        log("  " + line)
    assert not failures, f"{len(failures)} problems with docs/openapi.yaml (listed above)"
    log(f"{len(routes)} routes of the router table documented, plus GET /healthz and GET /metrics; "
        f"{len(operations(doc))} operations checked")


if __name__ == "__main__":
    main(test)
