"""The watch officer's web console, end to end in Debian's Chromium against two real stations.

Creates a demo world, makes sure each station serves the built console (web/dist) and has a duty
officer and an auditor, starts both stations, and runs `npm test` in web/ with the stations'
addresses and accounts: the story, and an auditor who reads and verifies A's real journal and
downloads evidence that `hotline evidence verify` then accepts with nothing but the agreement.

Then handling labels, read by each side in its own terms: A's officer composes a message marked
대외비 that must not be forwarded; B's officer finds it tagged "для служебного пользования" in the
traffic list and under a banner with those words at the top and the bottom of its view, and A's
officer sees 대외비 in the same places. A message A posts under an embargo two days ahead shows
an auditor the countdown to its end, and the evidence button disabled until then.

Then clearances: A's users cleared only to 일반 (a duty officer and a supervisor, made with
`hotline user add --clearance`) see A's 대외비 messages, sent and received, listed with their
markings, but never their words: in place of the content a notice in Korean, the acknowledge and
evidence buttons disabled with that reason, no translations, the header saying 인가 등급: 일반,
and a compose page that offers no marking above it.

Then the alarm, for real: both stations stop; A's history is rewritten on its disk (a sent
message's text, and the hash chain A resumes from); A starts alone and web/tests/
attestation.test.mjs signs in A's officer; once that console listens, B starts, its signed
checkpoint contradicts A's history, and A raises the alarm, which the consoles must show, sound,
keep and let only a supervisor or an auditor dismiss; A's journal must then fail verification.

Fails if the browser tests fail. Exits 77 (skip) when /usr/bin/chromium or npm is missing, saying
so loudly. Screenshots, the evidence bundle and the first-load timings go to $HOTLINE_ARTIFACTS
(ctest sets it to <build dir>/artifacts), else build-test/artifacts/.
"""
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import HOTLINE, SKIP, World, log, main, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("HOTLINE_ARTIFACTS", ROOT / "build-test" / "artifacts"))
NPM_TEST_TIMEOUT_S = 600


def skip(reason):
    bar = "!" * 78
    log(f"{bar}\nSKIP test_console: {reason}\n{bar}")
    sys.exit(SKIP)


def ensure_console_built():
    if not (WEB / "node_modules").is_dir():
        run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB)
    if not (WEB / "dist" / "index.html").is_file():
        run(["npm", "run", "build"], cwd=WEB)


def run(cmd, **kw):
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, timeout=NPM_TEST_TIMEOUT_S, **kw)


def read_users(path):
    """DIR/<station>.users as written by `hotline demo`: "name role language password" lines."""
    users = []
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, role, language, password = line.split(None, 3)
            users.append({"name": name, "role": role, "language": language, "password": password})
    return users


def ensure_users(station, language, officer, auditor):
    """The station's demo users, or, from a demo that does not make them, new ones."""
    users_file = station.world.dir / f"{station.id}.users"
    if users_file.exists():
        return read_users(users_file)
    users = []
    for name, role in ((officer, "duty-officer"), (auditor, "auditor")):
        password = secrets.token_urlsafe(18)
        subprocess.run([HOTLINE, "user", "add", name, "--role", role, "--lang", language,
                        "--config", str(station.config)],
                       input=password + "\n", text=True, check=True, capture_output=True, timeout=60)
        users.append({"name": name, "role": role, "language": language, "password": password})
    return users


def ensure_console_dir(station):
    """Points the station at web/dist when the demo did not (older demos)."""
    text = station.config.read_text()
    if "[console]" not in text:
        dist = (WEB / "dist").resolve()
        station.config.write_text(text.replace("[log]", f'[console]\ndir = "{dist}"\n\n[log]', 1))


def serves_console(station):
    status, body = station.request("GET", "/", auth=False, fresh=True)
    return status == 200 and isinstance(body, str) and "<div id=\"app\">" in body


def test():
    if not Path(CHROMIUM).exists():
        skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/install-deps) to test the console")
    if shutil.which("npm") is None:
        skip("npm is missing: install Debian's nodejs and npm (scripts/install-deps)")
    ensure_console_built()
    with World("console") as w:
        a_users = ensure_users(w.a, "ko", "officer-kim", "auditor-rok")
        b_users = ensure_users(w.b, "ru", "officer-ivanov", "auditor-ru")
        for s in (w.a, w.b):
            ensure_console_dir(s)
            s.start()
        for s in (w.a, w.b):
            assert serves_console(s), f"{s.id} does not serve the console at / (console.dir)"
        wait_for("navy link up", lambda: w.a.link_up() and w.b.link_up(), timeout_s=60)

        officer_a = next(u for u in a_users if u["role"] == "duty-officer")
        officer_b = next(u for u in b_users if u["role"] == "duty-officer")
        auditor_a = next((u for u in a_users if u["role"] == "auditor"), None)
        env = dict(os.environ)
        env.update({
            "HOTLINE_A_URL": w.a.addr, "HOTLINE_B_URL": w.b.addr,
            "HOTLINE_A_USER": officer_a["name"], "HOTLINE_A_PASSWORD": officer_a["password"],
            "HOTLINE_B_USER": officer_b["name"], "HOTLINE_B_PASSWORD": officer_b["password"],
            "HOTLINE_ARTIFACTS": str(ARTIFACTS), "CHROMIUM": CHROMIUM,
        })
        translator_b = next((u for u in b_users if u["role"] == "translator"), None)
        supervisor_b = next((u for u in b_users if u["role"] == "supervisor"), None)
        if translator_b and supervisor_b:
            env.update({"HOTLINE_B_TRANSLATOR": translator_b["name"],
                        "HOTLINE_B_TRANSLATOR_PASSWORD": translator_b["password"],
                        "HOTLINE_B_SUPERVISOR": supervisor_b["name"],
                        "HOTLINE_B_SUPERVISOR_PASSWORD": supervisor_b["password"]})
        if auditor_a:
            env.update({"HOTLINE_A_AUDITOR": auditor_a["name"],
                        "HOTLINE_A_AUDITOR_PASSWORD": auditor_a["password"]})
        # The downloaded evidence is verified offline, as an auditor elsewhere would.
        env.update({"HOTLINE_BIN": str(Path(HOTLINE).resolve()),
                    "HOTLINE_AGREEMENT": str(w.dir / "agreement.toml"),
                    "HOTLINE_B_STATION": w.b.id})
        started = time.monotonic()
        out = subprocess.run(["npm", "test", "--silent"], cwd=WEB, env=env, timeout=NPM_TEST_TIMEOUT_S)
        log(f"npm test took {time.monotonic() - started:.1f} s; screenshots in {ARTIFACTS}")
        assert out.returncode == 0, f"npm test in web/ failed with exit code {out.returncode}"
        # The story posted a FLASH from A; B must hold it, so the browser really drove the API.
        flashes = [m for m in w.b.messages("in") if m["precedence"] == "flash"]
        assert flashes, "station B received no FLASH from the console at A"

        handling_labels(w, env)
        clearances(w, env)

        supervisor_a = next((u for u in a_users if u["role"] == "supervisor"), None)
        if auditor_a and supervisor_a:
            station_alarm(w, env, supervisor_a)
        else:
            log("note: the demo made no supervisor at A; the station alarm is not tested")


# The browser's part of the handling-label check, run by node in web/ so that it shares the
# browser tests' helpers (Debian's Chromium, a fresh profile, sign-in, screenshots).
LABELS_SCRIPT = r"""
import assert from 'node:assert/strict';
import { open_browser } from './tests/browser.mjs';
import { shot, sign_in, unnamed_controls, wait_ms } from './tests/pages.mjs';

const env = process.env;
const A = env.HOTLINE_A_URL;
const B = env.HOTLINE_B_URL;
const rok = '대외비';
const ru = 'для служебного пользования';

// A message's view with its label's banners: one above its heading, one below its timeline,
// each with the marking's name as this station reads it.
async function banners(page, url, id, name) {
  await page.goto(`${url}/#/message/${id}`);
  const top = page.locator('[data-testid="label-banner"][data-position="top"]');
  const bottom = page.locator('[data-testid="label-banner"][data-position="bottom"]');
  await top.filter({ hasText: name }).waitFor({ timeout: wait_ms });
  await bottom.filter({ hasText: name }).waitFor({ timeout: wait_ms });
  assert.equal(await top.getByTestId('label-name').textContent(), name);
  assert.equal(await bottom.getByTestId('label-name').textContent(), name);
  await page.getByTestId('timeline').waitFor({ timeout: wait_ms });
  const order = await page.evaluate(() => {
    const all = [...document.querySelectorAll('[data-testid="label-banner"]')];
    const heading = document.getElementById('detail-title');
    const timeline = document.querySelector('[data-testid="timeline"]');
    const before = (x, y) => !!(x.compareDocumentPosition(y) & Node.DOCUMENT_POSITION_FOLLOWING);
    return { count: all.length, top: before(all[0], heading) && before(all[0], timeline),
             bottom: before(heading, all[1]) && before(timeline, all[1]) };
  });
  assert.deepEqual(order, { count: 2, top: true, bottom: true });
  // Colour follows rank, above the lowest marking here; the words are there whatever the colour.
  for (const banner of [top, bottom]) assert.ok(['mid', 'high'].includes(await banner.getAttribute('data-level')));
  return top;
}

const a = await open_browser();
const b = await open_browser();
const browsers = [a, b];
try {
  await sign_in(a.page, A, env.HOTLINE_A_USER, env.HOTLINE_A_PASSWORD);
  await sign_in(b.page, B, env.HOTLINE_B_USER, env.HOTLINE_B_PASSWORD);

  // A's officer composes free text marked 대외비, not to be forwarded to third parties.
  await a.page.goto(`${A}/#/compose`);
  const marking = a.page.locator('select[name="marking"]');
  await marking.waitFor({ timeout: wait_ms });
  const form = a.page.locator('select[name="form"]');
  if (env.HOTLINE_LABEL_FORM) {
    // A form with a default of its own brings it to the selector.
    await form.locator(`option[value="${env.HOTLINE_LABEL_FORM}"]`).waitFor({ state: 'attached', timeout: wait_ms });
    await form.selectOption(env.HOTLINE_LABEL_FORM);
    assert.equal(await marking.inputValue(), env.HOTLINE_LABEL_FORM_MARKING, `${env.HOTLINE_LABEL_FORM}'s default marking`);
  }
  await form.selectOption('FREE-TEXT');
  await a.page.locator('select[name="precedence"]').selectOption('routine');
  assert.equal(await marking.inputValue(), 'rok-unclassified', "free text carries the station's default marking");
  await a.page.locator('#free-text').fill('Submarine transit, eastern approach, 0400-0600Z');
  await marking.selectOption('rok-restricted');
  await a.page.locator('input[name="caveat-no-forward"]').check();
  assert.deepEqual(await unnamed_controls(a.page), []);
  await shot(a.page, '20-compose-label-ko');
  await a.page.getByRole('button', { name: /^(발신|Send|Отправить)/ }).click();
  const open = a.page.locator('.note a[href^="#/message/"]');
  await open.waitFor({ timeout: wait_ms });
  const id = (await open.getAttribute('href')).split('/').pop();
  const posted = await a.page.evaluate(async (mid) => (await fetch(`/api/v1/messages/${mid}`)).json(), id);
  assert.equal(posted.label.marking, 'rok-restricted', JSON.stringify(posted.label));
  assert.deepEqual(posted.label.caveats.map((c) => c.id), ['no-forward'], JSON.stringify(posted.label));

  // B reads it in Russian terms: the tag on its row, the banner at the top and the bottom.
  await b.page.goto(`${B}/#/traffic`);
  await b.page.locator(`tr[data-id="${id}"] [data-testid="label-tag"]`).filter({ hasText: ru }).waitFor({ timeout: wait_ms });
  const top = await banners(b.page, B, id, ru);
  assert.equal(await top.getAttribute('data-marking'), 'ru-dsp');
  assert.equal((await top.locator('[data-caveat="no-forward"]').textContent()).trim(), env.HOTLINE_B_NO_FORWARD);
  assert.equal(await b.page.getByTestId('embargo').count(), 0, 'no embargo line without an embargo');
  assert.deepEqual(await unnamed_controls(b.page), []);
  await shot(b.page, '21-label-ru');

  // A, the sender, reads the same message as 대외비.
  await a.page.goto(`${A}/#/traffic`);
  await a.page.locator(`tr[data-id="${id}"] [data-testid="label-tag"]`).filter({ hasText: rok }).waitFor({ timeout: wait_ms });
  await banners(a.page, A, id, rok);
  await shot(a.page, '22-label-ko');

  // The embargoed message: the auditor sees how long it still holds, and cannot download its
  // evidence until then.
  if (!env.HOTLINE_A_AUDITOR) {
    console.log('note: no auditor given; the embargo countdown is not tested');
  } else {
    const x = await open_browser();
    browsers.push(x);
    await sign_in(x.page, A, env.HOTLINE_A_AUDITOR, env.HOTLINE_A_AUDITOR_PASSWORD);
    await x.page.locator('header select').selectOption('en');
    await x.page.getByRole('link', { name: 'Watch' }).waitFor({ timeout: wait_ms });
    await banners(x.page, A, env.HOTLINE_EMBARGOED_ID, rok);
    const line = x.page.locator('[data-testid="embargo"][data-state="held"]');
    await line.waitFor({ timeout: wait_ms });
    const said = (await line.textContent()).trim();
    const left = said.match(/Embargoed until (\d{4}-\d\d-\d\d \d\d:\d\dZ)\b.*\((\d+) d (\d+) h (\d+) min left\)/);
    assert.ok(left, said);
    assert.equal(left[1], env.HOTLINE_EMBARGO_UNTIL, said);
    assert.ok(Number(left[2]) >= 1 && Number(left[2]) <= 2, said);
    const button = x.page.getByTestId('download-evidence');
    assert.equal(await button.isDisabled(), true, 'the evidence button is disabled while the embargo holds');
    await x.page.getByTestId('evidence-held').filter({ hasText: env.HOTLINE_EMBARGO_UNTIL }).waitFor({ timeout: wait_ms });
    assert.deepEqual(await unnamed_controls(x.page), []);
    await shot(x.page, '23-embargo-en');
  }
  for (const x of browsers) assert.deepEqual(x.problems, [], 'no page errors, CSP violations or dialogs');
} finally {
  for (const x of browsers) await x.close();
}
console.log('handling labels: banners, tags and the embargo shown as each side reads them');
"""


def handling_labels(w, env):
    """Labels in both consoles (LABELS_SCRIPT): a restricted message composed at A, and one A
    posts under an embargo two days ahead."""
    code, policy = w.a.request("GET", "/api/v1/labels")
    assert code == 200, (code, policy)
    if not policy["defined"]:
        log("note: the agreement defines no handling labels; the console's banners are not tested")
        return
    code, b_policy = w.b.request("GET", "/api/v1/labels")
    assert code == 200 and b_policy["defined"], (code, b_policy)
    no_forward = next(c["name"] for c in b_policy["caveats"] if c["kind"] == "no-forward")
    # A form of A's catalog with a default marking of its own, for the compose page's selector.
    code, forms = w.a.request("GET", "/api/v1/forms")
    catalog = [f["id"] for f in (forms if isinstance(forms, list) else forms["forms"])] if code == 200 else []
    own_default = next((f for f in policy.get("form_defaults", {}) if f in catalog), None)
    if own_default is None:
        log("note: no form at A has a default marking of its own; the compose page checks free text only")
    until = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(days=2)
    until_rfc = until.strftime("%Y-%m-%dT%H:%M:%SZ")
    code, held = w.a.request("POST", "/api/v1/messages",
                             {"channel": "navy", "precedence": "routine",
                              "text": "Exercise schedule, not for release yet",
                              "label": {"marking": "rok-restricted",
                                        "caveats": [{"id": "embargo", "until": until_rfc}]}})
    assert code == 201 and held["label"]["embargoed_until"] == until_rfc, (code, held)
    env = dict(env, HOTLINE_EMBARGOED_ID=held["id"], HOTLINE_EMBARGO_UNTIL=until.strftime("%Y-%m-%d %H:%MZ"),
               HOTLINE_B_NO_FORWARD=no_forward)
    if own_default:
        env.update({"HOTLINE_LABEL_FORM": own_default,
                    "HOTLINE_LABEL_FORM_MARKING": policy["form_defaults"][own_default]})
    out = subprocess.run(["node", "--input-type=module", "-e", LABELS_SCRIPT], cwd=WEB, env=env,
                         timeout=NPM_TEST_TIMEOUT_S)
    assert out.returncode == 0, f"the handling-label check in the browser failed with exit code {out.returncode}"


# The browser's part of the clearance check: users of A cleared only to its lowest marking.
CLEARANCES_SCRIPT = r"""
import assert from 'node:assert/strict';
import { open_browser } from './tests/browser.mjs';
import { shot, sign_in, unnamed_controls, wait_ms } from './tests/pages.mjs';

const env = process.env;
const A = env.HOTLINE_A_URL;
const high = env.HOTLINE_HIGH_NAME;        // 대외비: the messages' marking as A reads it
const low = env.HOTLINE_LOW_NAME;          // 일반: the readers' clearance
const secrets = JSON.parse(env.HOTLINE_SECRET_TEXTS);
const notice = `내용 비공개: ${high} 등급으로, 귀하의 인가 등급(${low})보다 높습니다`;

// Nothing a restricted message says is anywhere in the page: not in text, titles or attributes.
async function nothing_leaks(page, where) {
  const html = await page.content();
  for (const text of secrets) assert.ok(!html.includes(text), `${where}: the page holds "${text}"`);
}

// A message's view: its label's banners above and below, the notice where its content would be.
async function withheld_view(page, id) {
  await page.goto(`${A}/#/message/${id}`);
  await page.locator('main[data-redacted="true"]').waitFor({ timeout: wait_ms });
  for (const position of ['top', 'bottom']) {
    await page.locator(`[data-testid="label-banner"][data-position="${position}"]`).filter({ hasText: high })
      .waitFor({ timeout: wait_ms });
  }
  const said = page.locator('main [data-testid="withheld"]').first();
  await said.waitFor({ timeout: wait_ms });
  assert.equal((await said.textContent()).replace(/^\u2298\s*/, '').trim(), notice);
  for (const part of ['original', 'rendered', 'translations']) {
    assert.equal(await page.getByTestId(part).count(), 0, `a withheld message shows no ${part}`);
  }
  await page.getByTestId('timeline').waitFor({ timeout: wait_ms });
}

const x = await open_browser();
const y = await open_browser();
const browsers = [x, y];
try {
  // The duty officer cleared to 일반: the header says so.
  const page = x.page;
  await sign_in(page, A, env.HOTLINE_LOW_USER, env.HOTLINE_LOW_PASSWORD);
  const cleared = page.getByTestId('clearance');
  await cleared.filter({ hasText: low }).waitFor({ timeout: wait_ms });
  assert.equal((await cleared.textContent()).trim(), `인가 등급: ${low}`);

  // Traffic: both restricted messages listed, tagged 대외비, with the notice for content.
  await page.goto(`${A}/#/traffic`);
  for (const id of [env.HOTLINE_RESTRICTED_OUT_ID, env.HOTLINE_RESTRICTED_IN_ID]) {
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.locator('[data-testid="label-tag"]').filter({ hasText: high }).waitFor({ timeout: wait_ms });
    await row.getByTestId('withheld').filter({ hasText: notice }).waitFor({ timeout: wait_ms });
  }
  await nothing_leaks(page, 'traffic');
  assert.deepEqual(await unnamed_controls(page), []);
  await shot(page, '24-clearance-list-ko');

  // The watch board: the received one awaits an acknowledgement, its content withheld there too.
  await page.goto(`${A}/#/watch`);
  await page.locator(`[data-testid="awaiting-ours"] tr[data-id="${env.HOTLINE_RESTRICTED_IN_ID}"] [data-testid="withheld"]`)
    .filter({ hasText: notice }).waitFor({ timeout: wait_ms });
  await nothing_leaks(page, 'watch');

  // The received message's view: no acknowledging what one may not read.
  await withheld_view(page, env.HOTLINE_RESTRICTED_IN_ID);
  const ack = page.getByTestId('acknowledge');
  await ack.waitFor({ timeout: wait_ms });
  assert.equal(await ack.isDisabled(), true, 'Acknowledge is disabled above the clearance');
  assert.equal(await ack.getAttribute('title'), notice);
  assert.equal(await page.locator('input[name="answer"]').isDisabled(), true);
  assert.equal(await page.getByTestId('download-evidence').count(), 0, 'a duty officer has no evidence button');
  await nothing_leaks(page, 'received message');
  assert.deepEqual(await unnamed_controls(page), []);
  await shot(page, '25-clearance-detail-ko');

  // The embargoed message A sent: withheld as well.
  await withheld_view(page, env.HOTLINE_RESTRICTED_OUT_ID);
  await nothing_leaks(page, 'sent message');

  // The map plots nothing withheld, and does not fail on messages without fields.
  await page.goto(`${A}/#/map`);
  await page.locator('#map-title').waitFor({ timeout: wait_ms });
  await nothing_leaks(page, 'map');

  // Compose offers no marking above the clearance; a form whose default is above it gets the
  // highest allowed one, and says so.
  await page.goto(`${A}/#/compose`);
  const marking = page.locator('select[name="marking"]');
  await marking.waitFor({ timeout: wait_ms });
  const offered = await marking.locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(!offered.includes(env.HOTLINE_HIGH_MARKING), `offered ${offered}`);
  assert.deepEqual(offered, [env.HOTLINE_LOW_MARKING]);
  if (env.HOTLINE_LABEL_FORM) {
    const form = page.locator('select[name="form"]');
    await form.locator(`option[value="${env.HOTLINE_LABEL_FORM}"]`).waitFor({ state: 'attached', timeout: wait_ms });
    await form.selectOption(env.HOTLINE_LABEL_FORM);
    assert.equal(await marking.inputValue(), env.HOTLINE_LOW_MARKING);
    await page.getByTestId('marking-lowered').filter({ hasText: high }).waitFor({ timeout: wait_ms });
  }
  assert.deepEqual(await unnamed_controls(page), []);

  // A supervisor cleared to 일반: the evidence button disabled with the reason, and nothing to
  // translate or review.
  if (!env.HOTLINE_LOW_SUPERVISOR) {
    console.log('note: no low-cleared supervisor; the evidence button is not tested');
  } else {
    await sign_in(y.page, A, env.HOTLINE_LOW_SUPERVISOR, env.HOTLINE_LOW_SUPERVISOR_PASSWORD);
    await withheld_view(y.page, env.HOTLINE_RESTRICTED_IN_ID);
    const evidence = y.page.getByTestId('download-evidence');
    await evidence.waitFor({ timeout: wait_ms });
    assert.equal(await evidence.isDisabled(), true, 'the evidence button is disabled above the clearance');
    assert.equal(await evidence.getAttribute('title'), notice);
    await y.page.getByTestId('evidence-refused').filter({ hasText: notice }).waitFor({ timeout: wait_ms });
    assert.equal(await y.page.getByTestId('acknowledge').isDisabled(), true);
    assert.equal(await y.page.locator('form.translation-attach').count(), 0, 'no translating a withheld message');
    await nothing_leaks(y.page, "supervisor's view");
    assert.deepEqual(await unnamed_controls(y.page), []);
  }
  for (const b of browsers) assert.deepEqual(b.problems, [], 'no page errors, CSP violations or dialogs');
} finally {
  for (const b of browsers) await b.close();
}
console.log('clearances: restricted messages listed and labelled, their content withheld from readers below them');
"""


def loud(text):
    bar = "!" * 78
    log(f"{bar}\n{text}\n{bar}")


def add_user(station, name, role, language, clearance):
    """A console user of `station` with a clearance, made with the CLI; returns the password."""
    password = secrets.token_urlsafe(18)
    out = station.user_command("add", name, "--role", role, "--lang", language,
                               "--clearance", clearance, password=password)
    assert out.returncode == 0, f"hotline user add {name} --clearance {clearance}: {out.stderr}{out.stdout}"
    assert f"cleared to {clearance}" in out.stdout, out.stdout
    return password


def as_user(station, name, password):
    """Headers that act as `name`, and the sign-in answer."""
    status, cookie, body = station.login(name, password)
    assert status == 200 and cookie, (status, body)
    return {"Cookie": cookie.split(";", 1)[0], "X-CSRF-Token": body["csrf_token"]}, body


def clearances(w, env):
    """Readers at A cleared below its restricted messages (CLEARANCES_SCRIPT): one A sent (the
    embargoed one handling_labels posted) and one B sends now, marked B's equivalent."""
    code, policy = w.a.request("GET", "/api/v1/labels")
    assert code == 200, (code, policy)
    if not policy["defined"]:
        loud("note: the agreement defines no handling labels; clearances in the console are not tested")
        return
    ranked = sorted(policy["markings"], key=lambda m: m["rank"])
    low = ranked[0]
    high = next((m for m in ranked if m["rank"] > low["rank"] and m["sendable"] and m["equivalent"]), None)
    if high is None:
        loud("note: A's scheme has no sendable marking above its lowest; clearances are not tested")
        return
    # The restricted messages: the embargoed one A sent, and one B sends under its equivalent.
    sent = [m for m in w.a.messages("out") if m.get("text") == "Exercise schedule, not for release yet"]
    assert sent and sent[-1]["label"]["local_marking"] == high["id"], sent
    secret_in = "Sonar contact bearing 045, restricted"
    code, posted = w.b.request("POST", "/api/v1/messages",
                               {"channel": "navy", "precedence": "routine", "text": secret_in,
                                "label": {"marking": high["equivalent"]}})
    assert code == 201, (code, posted)
    received = wait_for("B's restricted message at A",
                        lambda: next((m for m in w.a.messages("in") if m["id"] == posted["id"]), None))
    assert received["label"]["local_marking"] == high["id"], received["label"]

    reader = "reader-low"
    reader_password = add_user(w.a, reader, "duty-officer", "ko", low["id"])
    supervisor = "supervisor-low"
    supervisor_password = add_user(w.a, supervisor, "supervisor", "ko", low["id"])

    # The API first, as the contract says; the console is tested against it.
    headers, signed_in = as_user(w.a, reader, reader_password)
    assert signed_in["user"].get("clearance") == {"id": low["id"], "name": low["names"].get("ko", low["name"])}, \
        signed_in["user"]
    code, _, seen = w.a.exchange("GET", f"/api/v1/messages/{received['id']}", headers=headers)
    assert code == 200 and seen.get("redacted") is True and "text" not in seen and seen.get("label"), (code, seen)
    code, _, refused = w.a.exchange("POST", f"/api/v1/messages/{received['id']}/ack", {}, headers=headers)
    assert code == 403 and refused["error"]["code"] == "refused", (code, refused)
    code, _, refused = w.a.exchange("POST", "/api/v1/messages",
                                    {"channel": "navy", "precedence": "routine", "text": "above my clearance",
                                     "label": {"marking": high["id"]}}, headers=headers)
    assert code == 403 and refused["error"]["code"] == "refused" and refused["error"].get("field") == "label.marking", \
        (code, refused)

    code, forms = w.a.request("GET", "/api/v1/forms")
    catalog = [f["id"] for f in (forms if isinstance(forms, list) else forms["forms"])] if code == 200 else []
    above = next((f for f, m in policy.get("form_defaults", {}).items()
                  if f in catalog and next((x["rank"] for x in ranked if x["id"] == m), 0) > low["rank"]), None)
    env = dict(env, HOTLINE_LOW_USER=reader, HOTLINE_LOW_PASSWORD=reader_password,
               HOTLINE_LOW_SUPERVISOR=supervisor, HOTLINE_LOW_SUPERVISOR_PASSWORD=supervisor_password,
               HOTLINE_RESTRICTED_OUT_ID=sent[-1]["id"], HOTLINE_RESTRICTED_IN_ID=received["id"],
               HOTLINE_SECRET_TEXTS=json.dumps(["Exercise schedule", "Submarine transit", secret_in]),
               HOTLINE_HIGH_MARKING=high["id"], HOTLINE_HIGH_NAME=high["name"],
               HOTLINE_LOW_MARKING=low["id"], HOTLINE_LOW_NAME=low["names"].get("ko", low["name"]),
               HOTLINE_LABEL_FORM=above or "")
    if above is None:
        log("note: no form at A has a default above its lowest marking; compose checks free text only")
    out = subprocess.run(["node", "--input-type=module", "-e", CLEARANCES_SCRIPT], cwd=WEB, env=env,
                         timeout=NPM_TEST_TIMEOUT_S)
    assert out.returncode == 0, f"the clearance check in the browser failed with exit code {out.returncode}"


def all_delivered(station):
    return all(m["status"] in ("delivered", "acknowledged") for m in station.messages("out"))


def rewrite_history(db):
    """Changes A's history as someone with its disk might: the text of a routine message it sent,
    and the hash chain it resumes from (the newest delivered message's `chain`). Returns the id
    of the changed message."""
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT id FROM messages WHERE channel = 'navy' AND box = 'out'"
                        " AND CAST(body AS TEXT) = 'Routine position report 7'").fetchone()
        assert row, "no 'Routine position report 7' at A: did the journal test post its traffic?"
        c.execute("UPDATE messages SET body = CAST('Routine position report 7: all quiet' AS BLOB)"
                  " WHERE id = ?", row)
        (newest,) = c.execute("SELECT MAX(seq) FROM messages WHERE channel = 'navy' AND box = 'out'"
                              " AND delivered_at_ms IS NOT NULL").fetchone()
        c.execute("UPDATE messages SET chain = randomblob(32)"
                  " WHERE channel = 'navy' AND box = 'out' AND seq = ?", (newest,))
        assert c.total_changes == 2
    return row[0]


def station_alarm(w, env, supervisor):
    wait_for("A's traffic delivered", lambda: all_delivered(w.a), timeout_s=60)
    w.a.kill(signal.SIGTERM)
    w.b.kill(signal.SIGTERM)
    rewritten = rewrite_history(w.a.dir / "hotline.db")
    log(f"rewrote message {rewritten} and the chain A resumes from; starting A alone")
    w.a.start()
    ready = Path(tempfile.mkdtemp(prefix="hotline-alarm-")) / "listening"
    try:
        env = dict(env, HOTLINE_ALARM_READY=str(ready), HOTLINE_REWRITTEN_ID=rewritten,
                   HOTLINE_A_SUPERVISOR=supervisor["name"],
                   HOTLINE_A_SUPERVISOR_PASSWORD=supervisor["password"])
        node = subprocess.Popen(["node", "--test", "--test-concurrency=1", "tests/attestation.test.mjs"],
                                cwd=WEB, env=env)
        try:
            wait_for("the officer's console at A listening", lambda: ready.exists() or node.poll() is not None,
                     timeout_s=120)
            if node.poll() is None:
                log("the console listens; starting B, whose checkpoint contradicts A's history")
                w.b.start()
            rc = node.wait(timeout=NPM_TEST_TIMEOUT_S)
        finally:
            if node.poll() is None:
                node.kill()
                node.wait(timeout=30)
        assert rc == 0, f"tests/attestation.test.mjs failed with exit code {rc}"
        assert "ALARM: attestation mismatch" in w.a.log(), "A's log does not record the alarm"
    finally:
        shutil.rmtree(ready.parent, ignore_errors=True)


if __name__ == "__main__":
    main(test)
