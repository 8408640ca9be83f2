// Unit tests of the console's pure logic (positions, the KADIZ check, times, typed fields, the
// journal's words, the event stream's alarms), compiled from the TypeScript sources with the
// esbuild that Vite ships.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

async function load(entry) {
  const out = await build({
    entryPoints: [fileURLToPath(new URL(`../src/lib/${entry}`, import.meta.url))],
    bundle: true, format: 'esm', write: false, platform: 'neutral', logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  return import('data:text/javascript;base64,' + Buffer.from(code).toString('base64'));
}

// Several modules in one bundle, so that they share one store.
async function load_together(entries) {
  const out = await build({
    stdin: { contents: entries.map((e) => `export * from './${e}';`).join('\n'), resolveDir: fileURLToPath(new URL('../src/lib/', import.meta.url)), loader: 'ts' },
    bundle: true, format: 'esm', write: false, platform: 'neutral', logLevel: 'silent',
  });
  return import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));
}

const geo = await load('geo.ts');
const time = await load('time.ts');
const fields = await load('fields.ts');
const i18n = await load('i18n.ts');
const journal = await load('journal.ts');

const near = (a, b) => Math.abs(a - b) < 1e-4;

test('positions are read the way aviators and mariners write them', () => {
  const cases = [
    ["37°30'N 129°10'E", 37.5, 129 + 10 / 60],
    ['37°30′N 129°10′E', 37.5, 129 + 10 / 60],
    ["N37°30' E129°10'", 37.5, 129 + 10 / 60],
    ['3730N 12910E', 37.5, 129 + 10 / 60],
    ['3730N12910E', 37.5, 129 + 10 / 60],
    ['373036N 1291000E', 37.51, 129 + 10 / 60],
    ['37.5N 129.5E', 37.5, 129.5],
    ["37°30.6'N 129°10'E", 37.51, 129 + 10 / 60],
    ['3730S 12910W', -37.5, -(129 + 10 / 60)],
  ];
  for (const [text, lat, lon] of cases) {
    const p = geo.parse_position(text);
    assert.ok(p, `parsed ${text}`);
    assert.ok(near(p.lat, lat) && near(p.lon, lon), `${text} → ${JSON.stringify(p)}`);
  }
  for (const bad of ['', 'north', "95°00'N 129°E", '3790N 12910E', '37N', "37°30'N 181°00'E"]) {
    assert.equal(geo.parse_position(bad), null, `refused ${bad}`);
  }
});

test('the KADIZ check tells a route that enters the zone from one that does not', () => {
  const enters = { kind: 'route', label: 'r', points: ["43°00'N 132°30'E", '3900N 13300E', "37°30'N 131°00'E", '3500N 13000E'].map(geo.parse_position) };
  const outside = { kind: 'route', label: 'r', points: ['4300N 13500E', '4000N 13800E'].map(geo.parse_position) };
  // Crosses the zone without a point inside it: only the segment test catches this one.
  const crossing = { kind: 'route', label: 'r', points: ['3600N 12200E', '3600N 13500E'].map(geo.parse_position) };
  assert.equal(geo.enters_kadiz(enters), true);
  assert.equal(geo.enters_kadiz(outside), false);
  assert.equal(geo.enters_kadiz(crossing), true);
  assert.equal(geo.enters_kadiz({ kind: 'position', label: 'p', at: { lat: 37.24, lon: 131.87 } }), true, 'Dokdo');
  assert.equal(geo.enters_kadiz({ kind: 'circle', label: 'c', centre: { lat: 37, lon: 134 }, radius_nm: 90 }), true);
  assert.equal(geo.enters_kadiz({ kind: 'circle', label: 'c', centre: { lat: 37, lon: 134 }, radius_nm: 20 }), false);
});

test('shapes are found in normalized form fields whatever their names', () => {
  const s = geo.shapes_of({
    callsign: 'RFF7701',
    route: [{ lat: 43, lon: 132.5 }, { lat: 39, lon: 133 }],
    area: { points: [{ lat: 35, lon: 129 }, { lat: 35, lon: 130 }, { lat: 34, lon: 130 }] },
    zone: { centre: { lat: 36, lon: 130 }, radius_nm: 5 },
    at: { lat: 37, lon: 131 },
  });
  assert.deepEqual(s.map((x) => x.kind), ['route', 'polygon', 'circle', 'position']);
});

test('deadlines follow allied precedence', () => {
  const t0 = '2026-11-21T03:00:00.000Z';
  assert.equal(time.deadline_of(t0, 'flash') - Date.parse(t0), 10 * 60_000);
  assert.equal(time.deadline_of(t0, 'immediate') - Date.parse(t0), 30 * 60_000);
  assert.equal(time.deadline_of(t0, 'priority') - Date.parse(t0), 3 * 3_600_000);
  assert.equal(time.deadline_of(t0, 'routine') - Date.parse(t0), 6 * 3_600_000);
  assert.equal(time.countdown_text(9 * 60_000 + 41_000), '9:41');
  assert.equal(time.countdown_text(-35_000), '−0:35');
});

test('times show UTC and the officer\'s local zone, with the local date only when it differs', () => {
  assert.equal(time.local_zone('ko'), 'Asia/Seoul');
  assert.equal(time.local_zone('ru'), 'Asia/Vladivostok');
  assert.equal(time.utc_text('2026-11-22T03:00:00.000Z'), '2026-11-22 03:00Z');
  assert.equal(time.local_text('2026-11-22T03:00:00.000Z', 'Asia/Seoul'), '12:00 KST');
  assert.equal(time.local_text('2026-11-22T20:00:00.000Z', 'Asia/Vladivostok'), '2026-11-23 06:00 VLAT');
  assert.equal(time.parse_utc_input('2026-02-30 10:00'), null);
  assert.equal(time.parse_utc_input('2026-11-22 25:00'), null);
  assert.equal(time.iso_utc(time.parse_utc_input('2026-11-22 06:00')), '2026-11-22T06:00:00Z');
});

test('typed fields become the JSON the station expects, and bad input is caught while typing', () => {
  const f = (name, type, extra = {}) => ({ name, type, required: true, label: name, ...extra });
  assert.deepEqual(fields.check_field(f('t', 'datetime'), { t: '2026-11-22 06:00' }), { value: '2026-11-22T06:00:00Z' });
  assert.equal(fields.check_field(f('t', 'datetime'), { t: '22/11/2026' }).error, 'invalid_time');
  assert.deepEqual(fields.check_field(f('r', 'route'), { r: '3900N 13300E\n3500N 13000E' }).value, ['3900N 13300E', '3500N 13000E']);
  assert.equal(fields.check_field(f('r', 'route'), { r: '3900N 13300E' }).error, 'too_few_points');
  assert.deepEqual(fields.check_field(f('a', 'area'), { 'a.kind': 'circle', 'a.centre': '3600N 13000E', 'a.radius': '5' }).value,
                   { centre: '3600N 13000E', radius_nm: 5 });
  assert.equal(fields.check_field(f('c', 'callsign'), { c: 'rff7701' }).value, 'RFF7701');
  assert.equal(fields.check_field(f('n', 'count'), { n: '2' }).value, 2);
  assert.deepEqual(fields.check_field(f('w', 'time_window'), { 'w.start': '2026-11-22 06:00', 'w.end': '2026-11-22 09:00' }).value,
                   { start: '2026-11-22T06:00:00Z', end: '2026-11-22T09:00:00Z' });
});

test('translated texts take their values, and every journal kind has a word in every language', () => {
  assert.equal(i18n.fill('Journal verified: {counts}', { counts: '3 entries' }), 'Journal verified: 3 entries');
  assert.equal(i18n.fill('{a} and {missing}', { a: 0 }), '0 and {missing}');
  for (const lang of ['ko', 'ru', 'en']) {
    for (const kind of journal.journal_kinds) {
      const word = i18n.translate(lang, `jk_${kind}`);
      assert.ok(word && !word.startsWith('jk_'), `${lang}: jk_${kind}`);
    }
    assert.match(i18n.fill(i18n.translate(lang, 'verify_counts'), { entries: 7, messages: 5, checkpoints: 2 }),
                 /7.*5.*2/);
  }
});

test('a journal entry\'s detail is summarised on one line, as text, and bounded', () => {
  assert.equal(journal.detail_summary({ peer: 'ru', reason: 'unknown key' }), 'peer: ru · reason: unknown key');
  assert.equal(journal.detail_summary({ n: 3, list: ['a', 'b'] }), 'n: 3 · list: ["a","b"]');
  // Who and what before hashes, which are cut to their start.
  const chain = '453f7a736756987ee14dfe94723d6152556682b6610af4df828aad6c7a7f5bf0';
  assert.equal(journal.detail_summary({ chain, digest: chain, form: 'ACK', from: 'ru-pacific-fleet', precedence: 'flash' }),
               'from: ru-pacific-fleet · precedence: flash · form: ACK · chain: 453f7a736756… · digest: 453f7a736756…');
  assert.equal(journal.detail_summary({ signature: 'q'.repeat(86) + '==', by: 'ru' }), `by: ru · signature: ${'q'.repeat(12)}…`);
  // Times in milliseconds read as UTC times.
  assert.equal(journal.detail_summary({ by: 'officer-ivanov', answer: 'Принято', at_ms: 1795282292283 }),
               'by: officer-ivanov · answer: Принято · at_ms: 2026-11-21 17:31:32Z');
  assert.equal(journal.detail_summary(null), '');
  assert.equal(journal.detail_summary('<b>x</b>'), '<b>x</b>');
  const long = journal.detail_summary({ text: 'x'.repeat(500) });
  assert.equal(long.length, 160);
  assert.ok(long.endsWith('…'));
});

test('every kind the station journals has a word, and alarming ones are marked', () => {
  for (const kind of ['config_loaded', 'queued', 'sent', 'received', 'sealed', 'delivered', 'receipt', 'attestation_mismatch',
                      'acknowledged', 'escalated', 'test_missed', 'flagged', 'link_up', 'link_down', 'refused', 'login',
                      'login_failed', 'logout', 'user_added', 'translation_attached', 'translation_certified',
                      'translation_rejected']) {
    assert.ok(journal.journal_kinds.includes(kind), kind);
  }
  for (const kind of ['attestation_mismatch', 'refused', 'login_failed', 'escalated', 'test_missed', 'flagged', 'link_down']) {
    assert.ok(journal.alarming_kinds.has(kind), kind);
  }
  for (const kind of ['received', 'receipt', 'translation_certified', 'login']) assert.ok(!journal.alarming_kinds.has(kind), kind);
  assert.equal(i18n.translate('en', 'jk_translation_rejected'), 'translation rejected');
  assert.equal(i18n.translate('ru', 'jk_translation_certified'), 'перевод заверен');
  assert.equal(i18n.translate('ko', 'jk_translation_attached'), '번역 첨부');
  for (const lang of ['ko', 'ru', 'en']) assert.ok(i18n.translate(lang, 'kind_alert'));
});

test('an entry is signed, covered by a later signature, or (only the newest) unsigned', () => {
  assert.equal(journal.seal_of({ seq: 5, signed: true }, 9), 'signed');
  assert.equal(journal.seal_of({ seq: 5, signed: false }, 9), 'chained');
  assert.equal(journal.seal_of({ seq: 9, signed: false }, 9), 'unsigned');
});

test('an alarm event raises the station alarm once; only a supervisor or an auditor dismisses it', async () => {
  globalThis.navigator ??= { language: 'en-US' };
  // The browser's storage, which keeps alarms across reloads.
  const kept = new Map();
  globalThis.localStorage = { getItem: (k) => kept.get(k) ?? null, setItem: (k, v) => kept.set(k, String(v)) };
  const m = await load_together(['events.ts', 'store.ts']);
  const detail = 'ru-pacific-fleet holds a different history of navy up to seq 4: its chain 5c1e, ours 9a07';
  assert.deepEqual(m.get_state().station_alarms, []);
  m.handle_event({ type: 'alarm', kind: 'attestation_mismatch', detail });
  m.handle_event({ type: 'alarm', kind: 'attestation_mismatch', detail });  // the same one again
  m.handle_event({ type: 'status' });  // malformed: ignored
  m.handle_event(null);
  let alarms = m.get_state().station_alarms;
  assert.equal(alarms.length, 1);
  assert.equal(alarms[0].kind, 'attestation_mismatch');
  assert.equal(alarms[0].detail, detail);
  assert.equal(JSON.parse(kept.get('hotline.station_alarms'))[0].detail, detail, 'kept for the next load');
  // Other events do not touch it.
  m.handle_event({ type: 'message', message: { id: 'x', cursor: 1, box: 'in', precedence: 'routine', form: 'FREE-TEXT' } });
  assert.equal(m.get_state().station_alarms.length, 1);
  assert.equal(m.get_state().messages.size, 1);

  const officer = { name: 'officer-kim', role: 'duty-officer', language: 'ko' };
  const translator = { name: 'translator-lee', role: 'translator', language: 'ko' };
  const supervisor = { name: 'supervisor-choi', role: 'supervisor', language: 'ko' };
  const auditor = { name: 'auditor-rok', role: 'auditor', language: 'ko' };
  assert.equal(m.may_dismiss_alarms(officer), false);
  assert.equal(m.may_dismiss_alarms(translator), false);
  assert.equal(m.may_dismiss_alarms(null), false);
  assert.equal(m.dismiss_station_alarm(officer, alarms[0]), false);
  assert.equal(m.get_state().station_alarms.length, 1, 'an officer cannot dismiss it');
  assert.equal(m.dismiss_station_alarm(supervisor, alarms[0]), true);
  assert.deepEqual(m.get_state().station_alarms, []);

  // A detail that is not a string is shown as JSON, never dropped.
  m.handle_event({ type: 'alarm', kind: 'attestation_mismatch', detail: { up_to_seq: 4 } });
  alarms = m.get_state().station_alarms;
  assert.equal(alarms.length, 1);
  assert.equal(alarms[0].detail, '{"up_to_seq":4}');
  assert.equal(m.dismiss_station_alarm(auditor, alarms[0]), true);

  // Catching up from the journal: each entry once, never one already dismissed here.
  const entry = (seq, mismatch) => ({ seq, at_ms: 1795286750123, kind: 'attestation_mismatch',
                                      detail: { from: 'rok-fleet-command', by: 'ru-pacific-fleet', up_to_seq: 4, mismatch } });
  assert.equal(m.raise_from_journal([entry(31, 'a newer contradiction'), entry(17, detail),
                                     { seq: 40, at_ms: 0, kind: 'receipt', detail: {} }]), 1);
  alarms = m.get_state().station_alarms;
  assert.deepEqual(alarms.map((a) => [a.seq, a.detail]), [[31, 'a newer contradiction']]);
  // The live event of the same contradiction does not raise it twice.
  m.handle_event({ type: 'alarm', kind: 'attestation_mismatch', detail: 'a newer contradiction' });
  assert.equal(m.get_state().station_alarms.length, 1);
  // Nor does the same journal entry, read again after a reconnect.
  assert.equal(m.raise_from_journal([entry(31, 'a newer contradiction')]), 0);
  delete globalThis.localStorage;
});
