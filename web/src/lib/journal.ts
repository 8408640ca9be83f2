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
  first_bad: { seq: number; what: string } | null;
  duration_ms: number;
}

// The kinds the station writes today; others are shown by their code.
export const journal_kinds = [
  'sent', 'received', 'receipt', 'acknowledged', 'escalated', 'test_missed', 'link_up', 'link_down',
  'login', 'login_failed', 'logout', 'config_loaded', 'refused', 'attestation_mismatch',
] as const;

// Kinds an auditor should not scroll past: they are marked, in words as well as colour.
export const alarming_kinds = new Set<string>([
  'escalated', 'test_missed', 'link_down', 'login_failed', 'refused', 'attestation_mismatch',
]);

const detail_chars_max = 160;

// One line for an entry's detail object: "key: value · key: value", as plain text.
export function detail_summary(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  if (typeof detail !== 'object') return String(detail);
  const parts = Object.entries(detail as Record<string, unknown>).map(([k, v]) =>
    `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const text = parts.join(' · ');
  return text.length > detail_chars_max ? text.slice(0, detail_chars_max - 1) + '…' : text;
}
