// Handling labels as the console shows them (docs/api.md, "Handling labels"): how high a
// marking stands in this station's scheme (for the banner's colour, which always comes with the
// marking's name), what each caveat says, and how long an embargo still holds.
import type { label_caveat, label_marking, labels_policy, message_label } from './types';

// low: the scheme's lowest marking; mid and high above it; unknown: no rank to go by (the
// policy is not loaded, or the marking has no equivalent in this station's scheme).
export type label_level = 'low' | 'mid' | 'high' | 'unknown';

export function marking_rank(policy: labels_policy | null, id: string | null | undefined): number | null {
  if (!policy || !id) return null;
  return policy.markings.find((m) => m.id === id)?.rank ?? null;
}

export function level_of(label: message_label, policy: labels_policy | null): label_level {
  const rank = marking_rank(policy, label.local_marking);
  if (rank === null || !policy) return 'unknown';
  if (rank <= 0) return 'low';
  const top = Math.max(...policy.markings.map((m) => m.rank));
  return top > 0 && rank / top <= 0.5 ? 'mid' : 'high';
}

// The instant an embargo lifts, in ms, while it still holds at `now_ms`; null otherwise.
export function embargo_until_ms(label: message_label | null | undefined, now_ms: number): number | null {
  const until = label?.embargoed_until ? Date.parse(label.embargoed_until) : NaN;
  return Number.isNaN(until) || until <= now_ms ? null : until;
}

// What is left of a wait, in whole units: days, hours and minutes, with seconds in the last hour.
export function remaining(ms: number): { d: number; h: number; m: number; s: number } {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3_600);
  s -= h * 3_600;
  const m = Math.floor(s / 60);
  return { d, h, m, s: s - m * 60 };
}

// The organisations a releasable-to caveat names, by name when the policy is loaded, else by id.
export function organisation_names(ids: string[], policy: labels_policy | null): string[] {
  return ids.map((id) => policy?.organisations.find((o) => o.id === id)?.name ?? id);
}

// One caveat as the banner writes it: its name, then its time or its organisations.
export function caveat_text(c: label_caveat, policy: labels_policy | null, time: (iso: string) => string): string {
  if (c.until) return `${c.name} ${time(c.until)}`;
  if (c.to) return `${c.name}: ${organisation_names(c.to, policy).join(', ')}`;
  return c.name;
}

// The marking a post carries when the officer picks none: its form's default, else the station's.
export function default_marking(policy: labels_policy | null, form: string): string {
  const sendable = (id: string | undefined) => policy?.markings.some((m) => m.id === id && m.sendable) ? id : undefined;
  return sendable(policy?.form_defaults?.[form]) ?? sendable(policy?.default) ??
    policy?.markings.find((m) => m.sendable)?.id ?? '';
}

// Clearances (docs/api.md): each reader holds the highest marking of this station's own scheme
// whose messages they may read. Above it the station sends only a message's envelope and label,
// with `redacted: true`, and refuses acknowledgements, translations, evidence and posts.

// Whether the station withheld this message's content from the reader.
export function is_redacted(m: { redacted?: boolean } | null | undefined): boolean {
  return m?.redacted === true;
}

// The parts of a message a redacted copy must not keep from an earlier, readable one.
const content_keys = ['text', 'fields', 'answer', 'flag', 'translations', 'rendered', 'summary', 'title'] as const;

export function without_content<T extends object>(m: T): T {
  const out = { ...m } as Record<string, unknown>;
  for (const k of content_keys) delete out[k];
  return out as T;
}

// The clearance's name in the officer's language when the policy has it, else as the station
// named it at sign-in.
export function clearance_name(policy: labels_policy | null, clearance: { id: string; name: string } | null | undefined,
                               lang: string): string {
  if (!clearance) return '';
  return policy?.markings.find((m) => m.id === clearance.id)?.names?.[lang] ?? clearance.name;
}

// The markings the officer may send under: the sendable ones at or below their clearance's rank
// in this station's scheme. Without a clearance (no labels), or one the policy does not list,
// every sendable marking, as before clearances.
export function allowed_markings(policy: labels_policy, clearance_id: string | null | undefined): label_marking[] {
  const sendable = policy.markings.filter((m) => m.sendable);
  const held = marking_rank(policy, clearance_id);
  return held === null ? sendable : sendable.filter((m) => m.rank <= held);
}

// The marking a post carries when the officer picks none, within their clearance: the form's
// default when allowed, else the highest allowed marking, with `lowered_from` naming the default
// it replaced. '' when nothing is allowed.
export function allowed_default(policy: labels_policy, form: string, clearance_id: string | null | undefined):
    { marking: string; lowered_from?: string } {
  const wanted = default_marking(policy, form);
  const allowed = allowed_markings(policy, clearance_id);
  if (allowed.some((m) => m.id === wanted)) return { marking: wanted };
  const highest = allowed.reduce<label_marking | null>((best, m) => (!best || m.rank > best.rank ? m : best), null);
  return { marking: highest?.id ?? '', lowered_from: wanted || undefined };
}
