// Small pieces every page uses: translated words, precedence and status badges (always a word
// as well as a colour), times in UTC and local, and the three-state light.
import type { ComponentChildren } from 'preact';
import { fill, type key, translate } from '../lib/i18n';
import { clearance_name, is_redacted } from '../lib/labels';
import { awaits_ack, get_state, is_acknowledged, type state, use_store } from '../lib/store';
import { deadline_of, local_text, local_zone, utc_text } from '../lib/time';
import type { message, precedence } from '../lib/types';

export function use_t() {
  const s = use_store();
  return (k: key) => translate(s.lang, k);
}

export function t_now(k: key): string {
  return translate(get_state().lang, k);
}

export function Precedence({ p }: { p: precedence }) {
  const t = use_t();
  return <span class={`prec prec-${p}`} data-precedence={p}>{t(`p_${p}` as key)}</span>;
}

export function is_overdue(m: message, now_ms: number): boolean {
  return awaits_ack(m) && now_ms > deadline_of(m.created_at, m.precedence);
}

export function Status({ m }: { m: message }) {
  const s = use_store();
  const t = use_t();
  const ack = is_acknowledged(m);
  const word = ack ? 'acknowledged' : m.status;
  const overdue = is_overdue(m, s.now_ms);
  return (
    <span class="status-cell">
      <span class={`status status-${word}`} data-status={word}>{t(`s_${word}` as key)}</span>
      {overdue && <span class="status status-overdue" data-status="overdue">{t('s_overdue')}</span>}
    </span>
  );
}

export function When({ at, seconds = false }: { at: string | null | undefined; seconds?: boolean }) {
  const s = use_store();
  if (!at) return <span class="muted">—</span>;
  const local = local_text(at, local_zone(s.lang));
  return (
    <span class="when">
      <time dateTime={at} class="utc">{utc_text(at, seconds)}</time>
      {local && <span class="local">{local}</span>}
    </span>
  );
}

export type light_state = 'ok' | 'warn' | 'bad' | 'none';

const light_glyph: Record<light_state, string> = { ok: '●', warn: '▲', bad: '■', none: '○' };

export function Light({ state, title, word, children, test_id }: {
  state: light_state; title: string; word: string; children?: ComponentChildren; test_id?: string;
}) {
  return (
    <div class={`light light-${state}`} role="group" aria-label={`${title}: ${word}`} data-testid={test_id}
         data-state={state}>
      <div class="light-head">
        <span class="light-glyph" aria-hidden="true">{light_glyph[state]}</span>
        <span class="light-title">{title}</span>
      </div>
      <div class="light-word">{word}</div>
      <div class="light-detail">{children}</div>
    </div>
  );
}

export function Note({ children, kind = 'info' }: { children: ComponentChildren; kind?: 'info' | 'warn' | 'error' }) {
  return <p class={`note note-${kind}`} role={kind === 'error' ? 'alert' : 'note'}>{children}</p>;
}

// A field's value as an officer reads it, never as JSON: positions as "lat, lon", a route as
// its points joined by arrows, other objects as "name value" pairs.
export function value_text(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    const positions = v.length > 0 && v.every((x) => x && typeof x === 'object' && 'lat' in x && 'lon' in x);
    return v.map(value_text).join(positions ? ' → ' : ', ');
  }
  const o = v as Record<string, unknown>;
  if ('lat' in o && 'lon' in o && Object.keys(o).length === 2) return `${o.lat}, ${o.lon}`;
  return Object.entries(o).map(([k, x]) => `${k.replace(/_/g, ' ')} ${value_text(x)}`).join(' ');
}

// One line that says what a message is about, as plain text (never HTML). A formatted message
// the station has not summarised is named by its form's title and its fields.
export function summary_text(m: message): string {
  if (is_redacted(m)) return withheld_text(m);
  if (m.summary) return m.summary;
  if (m.text) return m.text;
  if (m.rendered) return m.rendered.split('\n').slice(0, 2).join(' — ');
  // The catalog's titles and labels are in the officer's language (forms are fetched in it).
  const form = get_state().forms?.find((f) => f.id === m.form);
  const title = m.title ?? form?.title ?? m.form;
  if (!m.fields) return title;
  const label = (name: string) => form?.fields.find((f) => f.name === name)?.label ?? name.replace(/_/g, ' ');
  return `${title} — ${Object.entries(m.fields).map(([k, v]) => `${label(k)}: ${value_text(v)}`).join(' · ')}`;
}

// Why a message's content is not shown: its marking (as this station reads it) is above the
// officer's clearance. Also the reason on every control a redacted message disables.
export function withheld_text(m: message, s: state = get_state()): string {
  const marking = m.label?.name ?? m.label?.marking ?? '—';
  const clearance = clearance_name(s.labels, s.user?.clearance, s.lang) || '—';
  return fill(translate(s.lang, 'content_withheld'), { marking, clearance });
}

// The notice that stands in a list where a redacted message's content would be.
export function Withheld({ m }: { m: message }) {
  const s = use_store();
  return (
    <span class="withheld" data-testid="withheld">
      <span class="withheld-glyph" aria-hidden="true">⊘ </span>{withheld_text(m, s)}
    </span>
  );
}

export function go(hash: string) {
  if (location.hash !== hash) location.hash = hash;
}
