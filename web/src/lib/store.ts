// The console's state: one plain object, replaced on every change, with subscribers. Pages read
// it with `use_store()` and change it with `update()`. Everything the station tells the console
// (messages, status) lands here, whether it came from a fetch or the event stream.
import { useEffect, useState } from 'preact/hooks';
import { is_redacted, without_content } from './labels';
import type { form_def, labels_policy, language, message, role, station_status, user } from './types';

export interface capabilities {
  // null: not probed yet; false: the station lacks the route; true: it answered.
  forms: boolean | null;
  preview: boolean | null;
  journal: boolean | null;
  audit: boolean | null;
}

// An alarm the station raised about itself (docs/api.md, "WebSocket: alarms"): today only
// `attestation_mismatch`, the peer's signed checkpoint contradicting this station's history. It
// stays on this console, across reloads and sign-ins, until a supervisor or auditor dismisses it.
export interface station_alarm {
  kind: string;
  detail: string;
  at_ms: number;  // when this console heard of it
  seq?: number;  // the journal entry that records it, when it was found in the journal
}

export interface state {
  phase: 'loading' | 'login' | 'ready';
  sessions_supported: boolean;
  user: user | null;
  lang: language;
  status: station_status | null;
  status_error: string | null;
  messages: Map<string, message>;
  oldest_cursor: number | null;
  live: boolean;
  caps: capabilities;
  forms: form_def[] | null;
  // The station's handling labels (GET /api/v1/labels); null until loaded.
  labels: labels_policy | null;
  now_ms: number;
  alarm_muted_until_ms: number;
  // Urgent messages opened on this console; used only when the station cannot record an
  // acknowledgement, so that an alarm can still be stopped by reading the message.
  seen_locally: Set<string>;
  // The station's messages carry acknowledgement fields but it answered 404 to an acknowledgement.
  ack_route_missing: boolean;
  station_alarms: station_alarm[];
}

// What outlives a reload: this station's open alarms, the ones dismissed, and the newest journal
// entry already looked at. Each station's console has its own origin, hence its own storage.
const alarms_key = 'hotline.station_alarms';
const dismissed_key = 'hotline.station_alarms_dismissed';
const journal_seen_key = 'hotline.station_alarms_journal_seq';
const dismissed_kept_max = 100;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function stored<T>(k: string, fallback: T): T {
  try {
    const text = storage()?.getItem(k);
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

function store_value(k: string, v: unknown) {
  try {
    storage()?.setItem(k, JSON.stringify(v));
  } catch {
    // Private mode or a full quota: the alarm still shows until this page is closed.
  }
}

let current: state = {
  phase: 'loading',
  sessions_supported: true,
  user: null,
  lang: initial_language(),
  status: null,
  status_error: null,
  messages: new Map(),
  oldest_cursor: null,
  live: false,
  caps: { forms: null, preview: null, journal: null, audit: null },
  forms: null,
  labels: null,
  now_ms: Date.now(),
  alarm_muted_until_ms: 0,
  seen_locally: new Set(),
  ack_route_missing: false,
  station_alarms: stored<station_alarm[]>(alarms_key, []),
};

function initial_language(): language {
  const l = (typeof navigator === 'undefined' ? 'en' : navigator.language || 'en').slice(0, 2);
  return l === 'ko' || l === 'ru' ? l : 'en';
}

const listeners = new Set<() => void>();

export function get_state(): state {
  return current;
}

export function update(change: Partial<state> | ((s: state) => Partial<state>)) {
  const patch = typeof change === 'function' ? change(current) : change;
  current = { ...current, ...patch };
  for (const l of listeners) l();
}

export function use_store(): state {
  const [, set_tick] = useState(0);
  useEffect(() => {
    const l = () => set_tick((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return current;
}

// Adds or replaces messages, keeping the newest state of each.
export function merge_messages(list: message[]) {
  if (!list.length) return;
  update((s) => {
    const next = new Map(s.messages);
    let oldest = s.oldest_cursor;
    for (const m of list) {
      const prev = next.get(m.id);
      // A redacted copy replaces whatever content an earlier, readable one brought.
      const merged = prev ? { ...prev, ...m } : m;
      next.set(m.id, is_redacted(m) ? without_content(merged) : merged);
      if (oldest === null || m.cursor < oldest) oldest = m.cursor;
    }
    return { messages: next, oldest_cursor: oldest };
  });
}

export function latest_cursor(): number {
  let c = 0;
  for (const m of current.messages.values()) c = Math.max(c, m.cursor);
  return c;
}

export function is_acknowledged(m: message): boolean {
  return m.status === 'acknowledged' || !!m.acknowledged_at;
}

// Forms that are themselves answers (the station's core::form_needs_ack): nobody acknowledges
// an acknowledgement, so they never raise the alarm or wait on the board.
const answer_forms = new Set(['ACK', 'LINK-TEST-REPLY']);

export function awaits_ack(m: message): boolean {
  return !answer_forms.has(m.form) && !is_acknowledged(m);
}

// The station records acknowledgements when its message objects carry the field at all.
export function station_records_acks(s: state): boolean {
  if (s.ack_route_missing) return false;
  for (const m of s.messages.values()) return 'acknowledged_at' in m;
  return true;
}

export function can_send(u: user | null): boolean {
  return !!u && u.role !== 'auditor';
}

// Who may dismiss a station alarm: the people the banner tells the officer to call.
const alarm_dismiss_roles: role[] = ['supervisor', 'auditor'];

export function may_dismiss_alarms(u: user | null): boolean {
  return !!u && alarm_dismiss_roles.includes(u.role);
}

// Roles that may read the journal (docs/api.md), and so can catch up on alarms from it.
export function reads_journal(u: user | null): boolean {
  return !!u && ['supervisor', 'auditor', 'admin'].includes(u.role);
}

function set_alarms(list: station_alarm[]) {
  store_value(alarms_key, list);
  update({ station_alarms: list });
}

// Raises an alarm unless the same one is already on screen. Returns whether it was new.
export function raise_station_alarm(a: { kind: string; detail: string; seq?: number; at_ms?: number }): boolean {
  const list = current.station_alarms;
  if (list.some((x) => x.kind === a.kind && x.detail === a.detail)) return false;
  set_alarms([...list, { kind: a.kind, detail: a.detail, at_ms: a.at_ms ?? Date.now(), ...(a.seq ? { seq: a.seq } : {}) }]);
  return true;
}

// Dismissing is for a supervisor or an auditor; for anyone else it does nothing.
export function dismiss_station_alarm(u: user | null, a: Pick<station_alarm, 'kind' | 'detail'>): boolean {
  if (!may_dismiss_alarms(u)) return false;
  const dismissed = stored<string[]>(dismissed_key, []).filter((d) => d !== a.detail);
  store_value(dismissed_key, [...dismissed, a.detail].slice(-dismissed_kept_max));
  set_alarms(current.station_alarms.filter((x) => !(x.kind === a.kind && x.detail === a.detail)));
  return true;
}

// Alarms the station raised while this console was not listening, from its journal's
// `attestation_mismatch` entries (newest first, as the API returns them): each entry raises its
// alarm once per browser, and never one already dismissed here.
export function raise_from_journal(entries: { seq: number; at_ms: number; kind: string; detail: unknown }[]): number {
  const seen = stored<number>(journal_seen_key, 0);
  const dismissed = new Set(stored<string[]>(dismissed_key, []));
  let newest = seen;
  let raised = 0;
  for (const e of [...entries].sort((x, y) => x.seq - y.seq)) {
    if (e.kind !== 'attestation_mismatch' || e.seq <= seen) continue;
    newest = Math.max(newest, e.seq);
    const d = e.detail as { mismatch?: unknown } | null;
    const detail = d && typeof d === 'object' && typeof d.mismatch === 'string' ? d.mismatch : JSON.stringify(e.detail);
    if (dismissed.has(detail)) continue;
    if (raise_station_alarm({ kind: e.kind, detail, seq: e.seq, at_ms: e.at_ms })) raised += 1;
  }
  if (newest > seen) store_value(journal_seen_key, newest);
  return raised;
}
