// The console's state: one plain object, replaced on every change, with subscribers. Pages read
// it with `use_store()` and change it with `update()`. Everything the station tells the console
// (messages, status) lands here, whether it came from a fetch or the event stream.
import { useEffect, useState } from 'preact/hooks';
import type { form_def, language, message, station_status, user } from './types';

export interface capabilities {
  // null: not probed yet; false: the station lacks the route; true: it answered.
  forms: boolean | null;
  preview: boolean | null;
  journal: boolean | null;
  audit: boolean | null;
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
  now_ms: number;
  alarm_muted_until_ms: number;
  // Urgent messages opened on this console; used only when the station cannot record an
  // acknowledgement, so that an alarm can still be stopped by reading the message.
  seen_locally: Set<string>;
  // The station's messages carry acknowledgement fields but it answered 404 to an acknowledgement.
  ack_route_missing: boolean;
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
  now_ms: Date.now(),
  alarm_muted_until_ms: 0,
  seen_locally: new Set(),
  ack_route_missing: false,
};

function initial_language(): language {
  const l = (navigator.language || 'en').slice(0, 2);
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
      next.set(m.id, prev ? { ...prev, ...m } : m);
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
