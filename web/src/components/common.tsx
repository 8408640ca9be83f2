// Small pieces every page uses: translated words, precedence and status badges (always a word
// as well as a colour), times in UTC and local, and the three-state light.
import type { ComponentChildren } from 'preact';
import { type key, translate } from '../lib/i18n';
import { get_state, is_acknowledged, use_store } from '../lib/store';
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
  return !is_acknowledged(m) && now_ms > deadline_of(m.created_at, m.precedence);
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

// One line that says what a message is about, as plain text (never HTML).
export function summary_text(m: message): string {
  if (m.summary) return m.summary;
  if (m.text) return m.text;
  if (m.rendered) return m.rendered.split('\n').slice(0, 2).join(' — ');
  if (m.fields) return `${m.form}: ${JSON.stringify(m.fields)}`;
  return m.form;
}

export function go(hash: string) {
  if (location.hash !== hash) location.hash = hash;
}
