// A stand-in for the station's journal routes (docs/api.md: GET /api/v1/journal, POST
// /api/v1/journal/verify, GET /api/v1/messages/{id}/evidence), answered inside the browser
// context, so that the Journal page can be tested before the station serves them. It keeps to
// the contract: newest first, `before_seq` paging, `kind` and `q` filters, `limit`.
const kinds = ['sent', 'received', 'receipt', 'acknowledged', 'login', 'link_down', 'refused', 'config_loaded'];

function make_entries(head, message_id) {
  const start_ms = Date.UTC(2026, 2, 14, 3, 0, 0);
  const entries = [];
  for (let seq = 1; seq <= head; seq++) {
    const kind = seq === 17 ? 'refused' : kinds[seq % kinds.length];
    const about_message = ['sent', 'received', 'receipt', 'acknowledged'].includes(kind);
    entries.push({
      seq,
      at_ms: start_ms + seq * 37_000,
      kind,
      message_id: about_message ? message_id : null,
      channel: about_message || kind === 'link_down' ? 'navy' : null,
      detail: seq === 17 ? { peer: '203.0.113.9', reason: '<img src=x onerror=alert(1)> unknown key' }
        : kind === 'login' ? { user: 'officer-kim', from: '127.0.0.1' }
        : kind === 'link_down' ? { path: 'satcom', after_ms: 2750 }
        : { n: seq },
      hash: (seq * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8),
      signed: kind !== 'login',
    });
  }
  return entries.reverse();
}

const json = (route, body, status = 200) =>
  route.fulfill({ status, contentType: 'application/json', body: typeof body === 'string' ? body : JSON.stringify(body) });

export async function fake_journal(context, { head = 60, message_id = 'msg-1' } = {}) {
  const entries = make_entries(head, message_id);
  const state = { verify_ok: true, evidence: '{"bundle":"evidence","message":' + JSON.stringify(message_id) + ',"sig":"c2ln"}\n' };
  await context.route(/\/api\/v1\/journal(\?.*)?$/, (route) => {
    const url = new URL(route.request().url());
    const kind = url.searchParams.get('kind');
    const q = (url.searchParams.get('q') ?? '').toLowerCase();
    const before = Number(url.searchParams.get('before_seq') ?? Infinity);
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 50), 1000);
    const page = entries.filter((e) => e.seq < before && (!kind || e.kind === kind) &&
                                       (!q || JSON.stringify(e).toLowerCase().includes(q))).slice(0, limit);
    return json(route, { entries: page, head_seq: head });
  });
  await context.route(/\/api\/v1\/journal\/verify$/, (route) => {
    if (route.request().method() !== 'POST') return json(route, { error: { code: 'method_not_allowed', message: 'POST' } }, 405);
    return json(route, state.verify_ok
      ? { ok: true, entries_checked: head, messages_checked: 12, checkpoints_checked: 3, first_bad: null, duration_ms: 41 }
      : { ok: false, entries_checked: 16, messages_checked: 4, checkpoints_checked: 1,
          first_bad: { seq: 17, what: 'hash does not match the previous entry' }, duration_ms: 12 });
  });
  await context.route(/\/api\/v1\/messages\/[^/]+\/evidence$/, (route) => json(route, state.evidence));
  return state;
}
