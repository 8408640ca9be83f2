// Handling labels as the console shows them (docs/api.md, "Handling labels"): how high a
// marking stands in this station's scheme (for the banner's colour, which always comes with the
// marking's name), what each caveat says, and how long an embargo still holds.
import type { label_caveat, labels_policy, message_label } from './types';

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
