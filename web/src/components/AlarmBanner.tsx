// The alarm: every inbound FLASH or IMMEDIATE message not yet acknowledged raises this banner
// and a repeating audible alarm until someone acknowledges it. Silencing stops only the sound,
// and only for a while; the banner stays until the acknowledgement.
import { audio_blocked, beep, unlock_audio } from '../lib/alarm';
import { awaits_ack, get_state, station_records_acks, update, use_store, type state } from '../lib/store';
import { countdown_text, deadline_of } from '../lib/time';
import type { message } from '../lib/types';
import { Precedence, summary_text, use_t } from './common';

const silence_ms = 2 * 60_000;
export const alarm_repeat_ms = 3_000;

export function urgent_unacked(s: state): message[] {
  const records = station_records_acks(s);
  return [...s.messages.values()]
    .filter((m) => m.box === 'in' && (m.precedence === 'flash' || m.precedence === 'immediate'))
    .filter((m) => awaits_ack(m) && (records || !s.seen_locally.has(m.id)))
    .sort((a, b) => deadline_of(a.created_at, a.precedence) - deadline_of(b.created_at, b.precedence));
}

// Called on a timer by the app: one burst per period while anything is waiting.
export function alarm_tick() {
  const s = get_state();
  if (s.phase !== 'ready') return;
  const waiting = urgent_unacked(s).length > 0;
  document.documentElement.dataset.alarm = waiting ? 'on' : 'off';
  if (waiting && s.now_ms >= s.alarm_muted_until_ms) beep();
}

export function AlarmBanner() {
  const s = use_store();
  const t = use_t();
  const list = urgent_unacked(s);
  if (!list.length) return null;
  const muted = s.now_ms < s.alarm_muted_until_ms;
  return (
    <section class="alarm" role="alert" aria-label={t('alarm_title')} data-testid="alarm">
      <div class="alarm-title"><span aria-hidden="true">⚠</span> {t('alarm_title')}</div>
      <ul>
        {list.slice(0, 5).map((m) => (
          <li data-id={m.id}>
            <Precedence p={m.precedence} />
            <span class="countdown">{countdown_text(deadline_of(m.created_at, m.precedence) - s.now_ms)}</span>
            <span class="mono">{m.channel} · {m.from}</span>
            <a href={`#/message/${m.id}`} class="alarm-open" title={summary_text(m)}>{summary_text(m)}</a>
          </li>
        ))}
      </ul>
      <div class="alarm-actions">
        {audio_blocked() && (
          <button type="button" onClick={() => { unlock_audio(); beep(); }}>{t('alarm_enable_sound')}</button>
        )}
        <button type="button" disabled={muted} onClick={() => update({ alarm_muted_until_ms: Date.now() + silence_ms })}>
          {t('alarm_silence')}
        </button>
      </div>
    </section>
  );
}
