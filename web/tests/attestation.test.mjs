// The station alarm, for real: station A's history was rewritten on its disk (one sent message's
// text changed, and the chain A resumes from), and A was restarted alone. This test signs in
// A's duty officer, then writes HOTLINE_ALARM_READY; the runner (tests/integration/
// test_console.py) then starts B, whose signed checkpoint contradicts A's history, and A raises
// the alarm. The officer's console shows it and sounds it, and cannot dismiss it; it outlives a
// reload and a sign-out; a supervisor dismisses it. An auditor's fresh console, which missed the
// live event, finds it in the journal, and the journal fails verification at the rewritten
// message.
//
// Environment: HOTLINE_A_URL; HOTLINE_A_USER/_PASSWORD (duty officer), HOTLINE_A_SUPERVISOR/
// _PASSWORD, HOTLINE_A_AUDITOR/_PASSWORD; HOTLINE_ALARM_READY (a file to create once the
// officer's console listens); HOTLINE_REWRITTEN_ID (the message whose text was changed);
// HOTLINE_ARTIFACTS. Run only by test_console.py: without HOTLINE_ALARM_READY it skips.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium_path, open_browser } from './browser.mjs';
import { shot, sign_in, unnamed_controls, wait_ms } from './pages.mjs';

const env = process.env;
const needed = ['HOTLINE_A_URL', 'HOTLINE_A_USER', 'HOTLINE_A_PASSWORD', 'HOTLINE_A_SUPERVISOR', 'HOTLINE_A_SUPERVISOR_PASSWORD',
                'HOTLINE_A_AUDITOR', 'HOTLINE_A_AUDITOR_PASSWORD', 'HOTLINE_ALARM_READY', 'HOTLINE_REWRITTEN_ID'];
const missing = needed.filter((k) => !env[k]);
const skip = missing.length ? `run by tests/integration/test_console.py (${missing.join(', ')} unset)`
  : !existsSync(chromium_path) ? `${chromium_path} is missing` : false;

// From B's start to A's alarm: B starts, dials, says hello and sends its checkpoint.
const alarm_wait_ms = 90_000;
const title_ko = '경보: 상대 기지의 서명된 체크포인트가 이 기지의 기록과 어긋납니다 — 감독관을 호출하십시오';
const title_en = 'ALARM: the other station’s signed checkpoint contradicts this station’s history — call the supervisor';

const beeps = (page) => page.evaluate(() => Number(document.documentElement.dataset.alarmBeeps ?? 0));
const more_beeps = (page, n, from) => page.waitForFunction(
  ([want, base]) => Number(document.documentElement.dataset.alarmBeeps ?? 0) >= base + want, [n, from], { timeout: 15_000 });
// The journal read that catches up on alarms after a sign-in.
const alarm_catch_up = (page) => page.waitForResponse((r) => r.url().includes('kind=attestation_mismatch'), { timeout: wait_ms });

describe('the station alarm when the other station contradicts this one\'s history', { skip }, () => {
  let o;  // the console of A's duty officer, later its supervisor's
  let x;  // an auditor's fresh console

  before(async () => {
    o = await open_browser();
  });

  after(async () => {
    for (const b of [o, x]) {
      if (b) {
        assert.deepEqual(b.problems, [], 'no page errors, CSP violations or dialogs');
        await b.close();
      }
    }
  });

  it('the officer\'s console shows and sounds the alarm, and cannot dismiss it', async () => {
    await sign_in(o.page, env.HOTLINE_A_URL, env.HOTLINE_A_USER, env.HOTLINE_A_PASSWORD);
    await o.page.locator('[data-testid="live"].live-on').waitFor({ timeout: wait_ms });
    assert.equal(await o.page.getByTestId('station-alarm').count(), 0, 'no alarm before B is back');
    writeFileSync(env.HOTLINE_ALARM_READY, 'listening\n');

    const banner = o.page.getByTestId('station-alarm');
    await banner.waitFor({ timeout: alarm_wait_ms });
    const heard_beeps = await beeps(o.page);
    assert.equal(await o.page.getByRole('alert', { name: '경보: 체크포인트가 이 기지의 기록과 불일치' }).count(), 1);
    assert.match(await banner.textContent(), new RegExp(title_ko));
    assert.match(await banner.locator('.station-alarm-detail').first().textContent(),
                 /holds a different history of navy up to seq \d+: its chain [0-9a-f]+, ours [0-9a-f]+/);
    // Not the traffic alarm: its own banner, and no FLASH banner.
    assert.equal(await o.page.getByTestId('alarm').count(), 0);
    // A duty officer calls the supervisor: no dismiss control here, and the banner says who may.
    assert.equal(await banner.getByRole('button', { name: /경보 해제/ }).count(), 0);
    await banner.getByText('이 경보는 감독관 또는 감사관만 해제할 수 있습니다.').waitFor();
    // It sounds, and keeps sounding.
    await more_beeps(o.page, 2, heard_beeps);
    assert.equal(await o.page.evaluate(() => document.documentElement.dataset.stationAlarm), 'on');
    assert.deepEqual(await unnamed_controls(o.page), []);
    await shot(o.page, '15-station-alarm-ko');
  });

  it('the alarm outlives a reload and a sign-out, and a supervisor dismisses it', async () => {
    await o.page.reload();
    await o.page.locator('nav.nav').waitFor({ timeout: wait_ms });
    await o.page.getByTestId('station-alarm').waitFor();
    await o.page.getByRole('button', { name: '로그아웃' }).click();
    await o.page.getByRole('button', { name: /^(Sign in|로그인|Войти)$/ }).waitFor({ timeout: wait_ms });
    const banner = o.page.getByTestId('station-alarm');
    await banner.waitFor();
    assert.equal(await banner.getByRole('button').filter({ hasText: /Dismiss|해제|Снять/ }).count(), 0);
    // It goes on sounding for whoever comes to the console next.
    await more_beeps(o.page, 1, await beeps(o.page));

    const caught_up = alarm_catch_up(o.page);
    await sign_in(o.page, env.HOTLINE_A_URL, env.HOTLINE_A_SUPERVISOR, env.HOTLINE_A_SUPERVISOR_PASSWORD);
    await caught_up;
    const dismiss = banner.getByRole('button', { name: '경보 해제: 상대 기지의 체크포인트가 이 기지의 기록과 불일치' });
    await dismiss.waitFor({ timeout: wait_ms });
    // The alarm heard live and the same one found in the journal are one alarm.
    assert.equal(await banner.locator('li').count(), 1);
    assert.deepEqual(await unnamed_controls(o.page), []);
    await shot(o.page, '16-station-alarm-supervisor-ko');
    await dismiss.click();
    await banner.waitFor({ state: 'detached', timeout: wait_ms });
    await o.page.waitForFunction(() => document.documentElement.dataset.stationAlarm === 'off', null, { timeout: 10_000 });
    // Dismissed stays dismissed, though the journal still holds the entry.
    const again = alarm_catch_up(o.page);
    await o.page.reload();
    await again;
    await o.page.locator('nav.nav').waitFor({ timeout: wait_ms });
    await o.page.waitForTimeout(500);
    assert.equal(await o.page.getByTestId('station-alarm').count(), 0);
  });

  it('an auditor\'s fresh console finds the alarm in the journal, which fails verification', async () => {
    x = await open_browser();
    const caught_up = alarm_catch_up(x.page);
    await sign_in(x.page, env.HOTLINE_A_URL, env.HOTLINE_A_AUDITOR, env.HOTLINE_A_AUDITOR_PASSWORD);
    await caught_up;
    await x.page.locator('header select').selectOption('en');
    const banner = x.page.getByTestId('station-alarm');
    await banner.getByText(title_en).waitFor({ timeout: wait_ms });
    const alarm_seq = await banner.locator('li[data-seq]').getAttribute('data-seq');
    assert.ok(Number(alarm_seq) > 0, 'raised from its journal entry');

    await banner.getByRole('link', { name: 'Open the journal' }).click();
    const table = x.page.getByTestId('journal');
    await table.locator('tbody tr').first().waitFor({ timeout: wait_ms });
    await x.page.getByLabel('Kind').selectOption('attestation_mismatch');
    const row = table.locator(`tr[data-seq="${alarm_seq}"]`);
    await row.waitFor({ timeout: wait_ms });
    // The filtered page replaces the unfiltered one when its answer arrives.
    const deadline = Date.now() + wait_ms;
    while ((await table.locator('tbody tr').count()) !== 1 && Date.now() < deadline) {
      await x.page.waitForTimeout(100);
    }
    assert.equal(await table.locator('tbody tr').count(), 1);
    assert.match(await row.getAttribute('class'), /\balarm-row\b/);
    assert.equal((await row.locator('.kind-flag').textContent()).trim(), 'ALERT');
    assert.match(await row.locator('.kind').textContent(), /checkpoint contradicts our history/);
    assert.match(await row.locator('summary').textContent(), /mismatch: /);
    await x.page.getByLabel('Kind').selectOption('');

    await x.page.getByRole('button', { name: 'Verify now' }).click();
    const verdict = x.page.locator('[data-testid="verdict"][data-ok="false"]');
    await verdict.waitFor({ timeout: wait_ms });
    const said = await verdict.textContent();
    assert.match(said, /JOURNAL VERIFICATION FAILED/);
    const bad = said.match(/First bad entry: no\. (\d+): (.*?)\d+ entries/);
    assert.ok(bad, said);
    assert.match(bad[2], new RegExp(`message ${env.HOTLINE_REWRITTEN_ID}.*the stored bytes differ from the digest journaled`));
    console.log(`journal at A fails verification, as it must: entry ${bad[1]}: ${bad[2]}`);
    await x.page.getByRole('button', { name: `Show entry no. ${bad[1]}` }).click();
    const bad_row = table.locator(`tr[data-seq="${bad[1]}"][data-bad="true"]`);
    await bad_row.waitFor({ timeout: wait_ms });
    assert.equal(await bad_row.getAttribute('data-kind'), 'sent');
    await bad_row.locator(`a[href="#/message/${env.HOTLINE_REWRITTEN_ID}"]`).waitFor();
    assert.deepEqual(await unnamed_controls(x.page), []);
    await shot(x.page, '17-journal-bad');

    await banner.getByRole('button', { name: /^Dismiss alarm/ }).click();
    await banner.waitFor({ state: 'detached', timeout: wait_ms });
  });
});
