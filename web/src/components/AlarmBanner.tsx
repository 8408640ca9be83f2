// The alarms. Every inbound FLASH or IMMEDIATE message not yet acknowledged raises the traffic
// banner and a repeating audible alarm until someone acknowledges it; silencing stops only the
// sound, and only for a while. A station alarm (the peer's signed checkpoint contradicts this
// station's history) raises its own banner, above it and unlike it, and sounds until a
// supervisor or an auditor dismisses it: it cannot be silenced.
import { audio_blocked, beep, unlock_audio } from '../lib/alarm';
import { awaits_ack, dismiss_station_alarm, get_state, may_dismiss_alarms, reads_journal, station_records_acks,
         update, use_store, type state } from '../lib/store';
import { countdown_text, deadline_of } from '../lib/time';
import type { message } from '../lib/types';
import { Precedence, When, summary_text, use_t } from './common';

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
  const station = s.station_alarms.length > 0;
  document.documentElement.dataset.stationAlarm = station ? 'on' : 'off';
  // A station alarm sounds even on the sign-in page: it waits for whoever signs in next.
  if (s.phase !== 'ready') {
    if (station && s.phase === 'login') beep();
    return;
  }
  const waiting = urgent_unacked(s).length > 0;
  document.documentElement.dataset.alarm = waiting ? 'on' : 'off';
  if (station || (waiting && s.now_ms >= s.alarm_muted_until_ms)) beep();
}

export function StationAlarmBanner() {
  const s = use_store();
  const t = use_t();
  if (!s.station_alarms.length) return null;
  const may_dismiss = may_dismiss_alarms(s.user);
  return (
    <section class="station-alarm" role="alert" aria-label={t('station_alarm_label')} data-testid="station-alarm">
      <div class="station-alarm-title"><span aria-hidden="true" class="station-alarm-glyph">⚠</span> {t('station_alarm_title')}</div>
      <ul>
        {s.station_alarms.map((a) => (
          <li data-kind={a.kind} data-seq={a.seq}>
            <span class="station-alarm-when">{t('station_alarm_raised')} <When at={new Date(a.at_ms).toISOString()} seconds /></span>
            <span class="station-alarm-detail mono">{a.detail}</span>
            {may_dismiss && (
              <button type="button" class="station-alarm-dismiss" aria-label={t('station_alarm_dismiss_label')}
                      onClick={() => dismiss_station_alarm(s.user, a)}>{t('station_alarm_dismiss')}</button>
            )}
          </li>
        ))}
      </ul>
      <div class="alarm-actions">
        {!may_dismiss && <span class="station-alarm-who">{t('station_alarm_who')}</span>}
        {reads_journal(s.user) && <a class="button" href="#/journal">{t('station_alarm_journal')}</a>}
        {audio_blocked() && (
          <button type="button" onClick={() => { unlock_audio(); beep(); }}>{t('alarm_enable_sound')}</button>
        )}
      </div>
    </section>
  );
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
