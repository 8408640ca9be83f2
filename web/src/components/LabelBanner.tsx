// A message's handling label as a classified document shows it: a banner at the top and the
// bottom of the message, with this station's own marking for it (in this station's language) and
// its caveats. The colour follows the marking's rank in this station's scheme (lowest green,
// higher amber, then red), and the words are always there: colour is never the only sign.
// Unlabelled messages show nothing.
import { fill } from '../lib/i18n';
import { caveat_text, embargo_until_ms, level_of, remaining } from '../lib/labels';
import { use_store } from '../lib/store';
import { local_text, local_zone, utc_text } from '../lib/time';
import type { message_label } from '../lib/types';
import { use_t } from './common';

// "2100-01-01 00:00Z (09:00 KST)": UTC first, then the officer's local time.
export function use_time_text() {
  const s = use_store();
  const zone = local_zone(s.lang);
  return (iso: string | number) => {
    const local = local_text(iso, zone);
    return local ? `${utc_text(iso)} (${local})` : utc_text(iso);
  };
}

export function LabelBanner({ label, position }: { label: message_label | null | undefined; position: 'top' | 'bottom' }) {
  const s = use_store();
  const t = use_t();
  const time = use_time_text();
  if (!label) return null;
  const level = level_of(label, s.labels);
  return (
    <div class={`label-banner label-${level}`} role="note" aria-label={`${t('label_banner')}: ${label.name}`}
         data-testid="label-banner" data-position={position} data-level={level}
         data-marking={label.local_marking ?? label.marking}>
      <span class="label-name" data-testid="label-name">{label.name}</span>
      {label.caveats.map((c) => (
        <span key={c.id}>
          <span class="label-sep" aria-hidden="true"> // </span>
          <span class="label-caveat" data-caveat={c.kind}>{caveat_text(c, s.labels, time)}</span>
        </span>
      ))}
    </div>
  );
}

// The small tag on a row of a message list: the marking's name, coloured by rank.
export function LabelTag({ label }: { label: message_label | null | undefined }) {
  const s = use_store();
  if (!label) return null;
  const level = level_of(label, s.labels);
  return (
    <span class={`label-tag label-${level}`} data-testid="label-tag" data-level={level}
          data-marking={label.local_marking ?? label.marking}>{label.name}</span>
  );
}

// "27 d 3 h 12 min", "3 h 12 min", or "4 min 09 s" in the last hour.
export function use_left_text() {
  const t = use_t();
  return (ms: number) => {
    const r = remaining(ms);
    if (r.d > 0) return fill(t('dur_dhm'), r);
    if (r.h > 0) return fill(t('dur_hm'), r);
    return fill(t('dur_ms'), { m: r.m, s: String(r.s).padStart(2, '0') });
  };
}

// "Embargoed until <time> (<left> left)" while the embargo holds, counting down each second;
// "Embargo lifted at <time>" after. Nothing for a message without an embargo.
export function EmbargoLine({ label }: { label: message_label | null | undefined }) {
  const s = use_store();
  const t = use_t();
  const time = use_time_text();
  const left_text = use_left_text();
  if (!label?.embargoed_until) return null;
  const until = embargo_until_ms(label, s.now_ms);
  if (until === null) {
    return <p class="embargo embargo-lifted" data-testid="embargo" data-state="lifted">
      {fill(t('embargo_lifted'), { time: time(label.embargoed_until) })}</p>;
  }
  return (
    <p class="embargo" data-testid="embargo" data-state="held" role="status" aria-live="off">
      <span aria-hidden="true" class="embargo-glyph">◷</span>{' '}
      {fill(t('embargoed_until'), { time: time(until), left: left_text(until - s.now_ms) })}
    </p>
  );
}
