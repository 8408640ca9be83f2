// The station's event stream: a WebSocket to /api/v1/events that reconnects with backoff, and on
// every (re)connect catches up on messages missed while it was down, so a FLASH reaches the page
// within a second of reaching the station and nothing is skipped across a reconnect.
import { get, query } from './api';
import { get_state, latest_cursor, merge_messages, update } from './store';
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
    void refresh_status();
  };
  ws.onmessage = (ev) => {
    let event: { type?: string; message?: message; status?: station_status };
    try {
      event = JSON.parse(String(ev.data));
    } catch {
      return;
    }
    if (event.type === 'message' && event.message) merge_messages([event.message]);
    else if (event.type === 'status' && event.status) update({ status: event.status });
    else if (event.type === 'escalation') void catch_up().catch(() => undefined);
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
