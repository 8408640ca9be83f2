// The station journal as the API hands it out (docs/api.md: GET /api/v1/journal and
// POST /api/v1/journal/verify), and the pure helpers the Journal page shows it with.
export interface journal_entry {
  seq: number;
  at_ms: number;
  kind: string;
  message_id: string | null;
  channel: string | null;
  detail: unknown;
  hash: string;
  signed: boolean;
}

export interface journal_page {
  entries: journal_entry[];
  head_seq: number;
}

export interface verify_result {
  ok: boolean;
  entries_checked: number;
  messages_checked: number;
  checkpoints_checked: number;
  seals_checked?: number;
  signatures_checked?: number;
  head_seq?: number;
  head_hash?: string;
  first_bad: { seq: number; what: string } | null;
  duration_ms: number;
}

// The kinds the station writes (docs/journal.md, "Kinds"), in the order the filter offers them;
// any other kind is shown by its code.
export const journal_kinds = [
  'sent', 'received', 'sealed', 'queued', 'delivered', 'receipt', 'acknowledged', 'attestation_mismatch',
  'escalated', 'test_missed', 'flagged', 'refused', 'link_up', 'link_down',
  'translation_attached', 'translation_certified', 'translation_rejected',
  'login', 'login_failed', 'locked_out', 'login_rate_limited', 'logout', 'language_changed',
  'user_added', 'user_enabled', 'user_disabled', 'password_changed', 'config_loaded',
] as const;

// Kinds an auditor should not scroll past: they are marked, in words as well as colour.
export const alarming_kinds = new Set<string>([
  'attestation_mismatch', 'escalated', 'test_missed', 'flagged', 'refused', 'link_down',
  'login_failed', 'locked_out', 'login_rate_limited',
]);

// How an entry's signature reads. The station signs the last entry of each transaction; the
// others are covered by that signature through the hash chain (each hash includes the one
// before), so an unsigned entry is sound as long as a later entry is signed. Only an unsigned
// newest entry is not covered by anything.
export type seal = 'signed' | 'chained' | 'unsigned';

export function seal_of(e: Pick<journal_entry, 'seq' | 'signed'>, head_seq: number): seal {
  if (e.signed) return 'signed';
  return e.seq < head_seq ? 'chained' : 'unsigned';
}

const detail_chars_max = 160;
// Who and what first; hashes and signatures (long, and whole in the expanded entry) last.
const detail_keys_first = ['from', 'by', 'peer', 'actor', 'detail', 'reason', 'mismatch', 'precedence', 'form',
                           'answer', 'up_to_seq', 'lang', 'translator', 'reviewer', 'note', 'path'];
const digest_chars_shown = 12;
const digest_keys = new Set(['chain', 'digest', 'hash', 'prev_hash', 'signature', 'text_sha256', 'agreement_hash']);

// A time in milliseconds since the epoch (`at_ms`, `deadline_ms`), as a UTC time.
function time_text(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function short_value(k: string, v: unknown): string {
  if (typeof v === 'number' && k.endsWith('_ms') && v > 1e11 && v < 1e14) return time_text(v);
  if (typeof v !== 'string') return JSON.stringify(v);
  // A digest or a signature: its start is enough to tell it apart.
  if (v.length > digest_chars_shown + 4 && (digest_keys.has(k) || /^[0-9a-f]{32,}$/.test(v))) {
    return v.slice(0, digest_chars_shown) + '…';
  }
  return v;
}

// One line for an entry's detail object: "key: value · key: value", as plain text.
export function detail_summary(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  if (typeof detail !== 'object') return String(detail);
  const rank = (k: string) => {
    const i = detail_keys_first.indexOf(k);
    return i < 0 ? detail_keys_first.length : i;
  };
  const parts = Object.entries(detail as Record<string, unknown>)
    .map(([k, v], i) => ({ k, v, i }))
    .sort((x, y) => rank(x.k) - rank(y.k) || x.i - y.i)
    .map(({ k, v }) => `${k}: ${short_value(k, v)}`);
  const text = parts.join(' · ');
  return text.length > detail_chars_max ? text.slice(0, detail_chars_max - 1) + '…' : text;
}
