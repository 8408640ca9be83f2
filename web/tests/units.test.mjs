// Unit tests of the console's pure logic (positions, the KADIZ check, times, typed fields),
// compiled from the TypeScript sources with the esbuild that Vite ships.
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
  assert.equal(journal.detail_summary({ n: 3, path: ['a', 'b'] }), 'n: 3 · path: ["a","b"]');
  assert.equal(journal.detail_summary(null), '');
  assert.equal(journal.detail_summary('<b>x</b>'), '<b>x</b>');
  const long = journal.detail_summary({ text: 'x'.repeat(500) });
  assert.equal(long.length, 160);
  assert.ok(long.endsWith('…'));
});
