// Times as a watch officer reads them: UTC first, always, then the officer's local time.
// Dates are written YYYY-MM-DD in every language, as the station's renders do, so 2 November is
// never misread as 11 February.
import type { language, precedence } from './types';

// Allied precedence (ACP/STANAG 4406): how long the receiver has to acknowledge.
export const deadline_ms: Record<precedence, number> = {
  flash: 10 * 60_000,
  immediate: 30 * 60_000,
  priority: 3 * 3_600_000,
  routine: 6 * 3_600_000,
};

export function deadline_of(created_at: string, p: precedence): number {
  return Date.parse(created_at) + deadline_ms[p];
}

// Korean officers read Seoul time and Russian officers Vladivostok time; others their browser's.
export function local_zone(lang: language): string {
  if (lang === 'ko') return 'Asia/Seoul';
  if (lang === 'ru') return 'Asia/Vladivostok';
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const zone_abbrev: Record<string, string> = { 'Asia/Seoul': 'KST', 'Asia/Vladivostok': 'VLAT', UTC: 'UTC' };

export function zone_label(zone: string): string {
  return zone_abbrev[zone] ?? zone.split('/').pop()!.replace(/_/g, ' ');
}

function parts(ms: number, zone: string) {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const o: Record<string, string> = {};
  for (const p of f.formatToParts(ms)) o[p.type] = p.value;
  return { date: `${o.year}-${o.month}-${o.day}`, time: `${o.hour}:${o.minute}`, sec: o.second };
}

export function utc_text(iso: string | number | null | undefined, seconds = false): string {
  if (iso === null || iso === undefined) return '—';
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(ms)) return String(iso);
  const p = parts(ms, 'UTC');
  return `${p.date} ${p.time}${seconds ? ':' + p.sec : ''}Z`;
}

// "12:00 KST", with the local date only when it differs from the UTC one.
export function local_text(iso: string | number | null | undefined, zone: string): string {
  if (iso === null || iso === undefined || zone === 'UTC') return '';
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const l = parts(ms, zone);
  const u = parts(ms, 'UTC');
  return `${l.date === u.date ? '' : l.date + ' '}${l.time} ${zone_label(zone)}`;
}

// A countdown or overrun as "9:41", "2:03:10", or "-0:35" when past.
export function countdown_text(ms: number): string {
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const body = h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
                     : `${m}:${String(s).padStart(2, '0')}`;
  return (neg ? '−' : '') + body;
}

// "12 s", "4 min", "3 h" for how long ago something was heard.
export function ago_text(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

// Parses "2026-11-22 06:00", "2026-11-22T06:00", "...:00Z" as UTC; null if not a valid time.
export function parse_utc_input(text: string): number | null {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*(?:Z|UTC)?\s*$/i.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return ms;
}

export function iso_utc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function input_utc(ms: number): string {
  const p = parts(ms, 'UTC');
  return `${p.date} ${p.time}`;
}
