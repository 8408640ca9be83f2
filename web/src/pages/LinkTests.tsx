// Link tests: the other side's scheduled tests still waiting for a person here to answer, each
// with a one-click answer. An unanswered test is what tells a cut line from an empty watch room.
import { useState } from 'preact/hooks';
import { api_error, post } from '../lib/api';
import { can_send, is_acknowledged, merge_messages, use_store } from '../lib/store';
import { countdown_text, deadline_of } from '../lib/time';
import type { message } from '../lib/types';
import { is_redacted } from '../lib/labels';
import { Note, Precedence, When, use_t, withheld_text } from '../components/common';

export const link_test_form = 'LINK-TEST';
const reply_form = 'LINK-TEST-REPLY';

export function waiting_link_tests(messages: Iterable<message>): message[] {
  return [...messages].filter((m) => m.box === 'in' && m.form === link_test_form && !is_acknowledged(m))
    .sort((a, b) => a.cursor - b.cursor);
}

export function LinkTests() {
  const s = use_store();
  const t = use_t();
  const [errors, set_errors] = useState<Record<string, string>>({});
  const [answered, set_answered] = useState<Set<string>>(new Set());
  const [unavailable, set_unavailable] = useState(false);
  const list = waiting_link_tests(s.messages.values()).filter((m) => !answered.has(m.id));
  const has_reply_form = !!s.forms?.some((f) => f.id === reply_form);

  const answer = async (m: message) => {
    if (is_redacted(m)) return;
    try {
      try {
        const r = await post<message>(`/api/v1/messages/${encodeURIComponent(m.id)}/ack`, { answer: 'link test answered' });
        if (r && r.id) merge_messages([r]);
      } catch (e) {
        // Stations without acknowledgements yet may still take the reply form.
        if (!(e instanceof api_error && e.missing_route) || !has_reply_form) throw e;
        await post('/api/v1/messages', { channel: m.channel, precedence: m.precedence, form: reply_form,
                                         fields: { reference: m.id, answered_by: s.user?.name ?? '' } });
      }
      set_answered((a) => new Set([...a, m.id]));
    } catch (e) {
      if (e instanceof api_error && e.missing_route) set_unavailable(true);
      else set_errors((x) => ({ ...x, [m.id]: e instanceof Error ? e.message : String(e) }));
    }
  };

  return (
    <main class="page" aria-labelledby="lt-title">
      <h1 id="lt-title">{t('link_tests_title')}</h1>
      {unavailable && <Note kind="warn">{t('link_tests_unavailable')}</Note>}
      {list.length === 0 ? <p class="muted" data-testid="no-link-tests">{t('link_tests_none')}</p> : (
        <table class="grid">
          <thead><tr><th>{t('channel')}</th><th>{t('precedence')}</th><th>{t('time_utc')}</th><th>{t('deadline')}</th><th /></tr></thead>
          <tbody>
            {list.map((m) => (
              <tr data-id={m.id}>
                <td>{m.channel}</td>
                <td><Precedence p={m.precedence} /></td>
                <td><When at={m.created_at} /></td>
                <td class="countdown">{countdown_text(deadline_of(m.created_at, m.precedence) - s.now_ms)}</td>
                <td>
                  {/* A test marked above the officer's clearance: the station refuses its answer. */}
                  {can_send(s.user) && <button type="button" class="primary" onClick={() => void answer(m)}
                                               disabled={is_redacted(m)} title={is_redacted(m) ? withheld_text(m, s) : undefined}
                                               aria-label={`${t('answer_now')} — ${m.channel} ${m.id}`}>{t('answer_now')}</button>}
                  {is_redacted(m) && <p class="note note-warn" data-testid="withheld">{withheld_text(m, s)}</p>}
                  {errors[m.id] && <Note kind="error">{errors[m.id]}</Note>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
