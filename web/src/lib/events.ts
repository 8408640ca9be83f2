// The station's event stream: a WebSocket to /api/v1/events that reconnects with backoff, and on
// every (re)connect catches up on messages missed while it was down, so a FLASH reaches the page
// within a second of reaching the station and nothing is skipped across a reconnect.
import { get, query } from './api';
import { get_state, latest_cursor, merge_messages, raise_from_journal, raise_station_alarm, reads_journal,
         update } from './store';
import type { message, station_status } from './types';

const backoff_ms = [250, 500, 1000, 2000, 5000];
// Status also changes without an event (last heard grows), so it is re-read this often.
const status_poll_ms = 5000;

let socket: WebSocket | null = null;
let attempts = 0;
let stopped = true;
let reconnect_timer: number | undefined;
let poll_timer: number | undefined;

export async function refresh_status() {
  try {
    const s = await get<station_status>('/api/v1/status');
    update({ status: s, status_error: null });
  } catch (e) {
    update({ status_error: e instanceof Error ? e.message : String(e) });
  }
}

export async function catch_up() {
  // Follow cursors until the page is empty; bounded so a huge backlog cannot stall the page.
  for (let page = 0; page < 50; page++) {
    const after = latest_cursor();
    const r = await get<{ messages: message[]; next_after: number }>(
      '/api/v1/messages' + query({ after, limit: 500 }));
    merge_messages(r.messages);
    if (r.messages.length < 500) return;
  }
}

export async function load_initial() {
  const r = await get<{ messages: message[] }>('/api/v1/messages' + query({ limit: 1000 }));
  merge_messages(r.messages);
}

// Alarms raised while this console was away (a station raises them on reconnect, often before
// the console is back): read from the journal, for the roles that may read it.
export async function catch_up_alarms() {
  if (!reads_journal(get_state().user)) return;
  const r = await get<{ entries?: { seq: number; at_ms: number; kind: string; detail: unknown }[] }>(
    '/api/v1/journal' + query({ kind: 'attestation_mismatch', limit: 20 }));
  raise_from_journal(r.entries ?? []);
}

// One event from the stream, already parsed.
export function handle_event(event: unknown) {
  if (!event || typeof event !== 'object') return;
  const e = event as { type?: unknown; kind?: unknown; detail?: unknown; message?: message; status?: station_status };
  if (e.type === 'message' && e.message) merge_messages([e.message]);
  else if (e.type === 'status' && e.status) update({ status: e.status });
  else if (e.type === 'escalation') void catch_up().catch(() => undefined);
  else if (e.type === 'alarm') {
    raise_station_alarm({
      kind: typeof e.kind === 'string' && e.kind ? e.kind : 'attestation_mismatch',
      detail: typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail ?? null),
    });
  }
}

function connect() {
  if (stopped) return;
  const url = new URL('/api/v1/events', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    attempts = 0;
    update({ live: true });
    void catch_up().catch(() => undefined);
    void catch_up_alarms().catch(() => undefined);
    void refresh_status();
  };
  ws.onmessage = (ev) => {
    let event: unknown;
    try {
      event = JSON.parse(String(ev.data));
    } catch {
      return;
    }
    handle_event(event);
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    update({ live: false });
    if (stopped) return;
    const delay = backoff_ms[Math.min(attempts, backoff_ms.length - 1)];
    attempts += 1;
    reconnect_timer = window.setTimeout(connect, delay);
  };
}

export function start_events() {
  if (!stopped) return;
  stopped = false;
  attempts = 0;
  connect();
  poll_timer = window.setInterval(() => {
    if (get_state().phase === 'ready') void refresh_status();
  }, status_poll_ms);
}

export function stop_events() {
  stopped = true;
  window.clearTimeout(reconnect_timer);
  window.clearInterval(poll_timer);
  socket?.close();
  socket = null;
  update({ live: false });
}
