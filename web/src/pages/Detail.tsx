// One message: what it says in the officer's language, the original, any translations, its
// timeline, and the Acknowledge control for inbound traffic; its handling label as a banner at
// the top and the bottom, and, while an embargo holds, how long it still has to run.
import { useEffect, useState } from 'preact/hooks';
import { api_error, get, post } from '../lib/api';
import { can_send, is_acknowledged, merge_messages, station_records_acks, update, use_store } from '../lib/store';
import { deadline_of } from '../lib/time';
import type { message } from '../lib/types';
import { shapes_of } from '../lib/geo';
import { MapView } from '../components/MapView';
import { Translations } from '../components/Translations';
import { EvidenceButton, evidence_roles } from '../components/Evidence';
import { EmbargoLine, LabelBanner, use_time_text } from '../components/LabelBanner';
import { fill } from '../lib/i18n';
import { embargo_until_ms, is_redacted, without_content } from '../lib/labels';
import { Note, Precedence, Status, When, use_t, value_text, withheld_text } from '../components/common';

const answer_chars_max = 200;

function FieldValue({ v }: { v: unknown }) {
  if (v === null || v === undefined) return <span class="muted">—</span>;
  return <span>{value_text(v)}</span>;
}

export function Detail({ id }: { id: string }) {
  const s = use_store();
  const t = use_t();
  const [loaded, set_loaded] = useState<message | null>(null);
  const [error, set_error] = useState('');
  const [answer, set_answer] = useState('');
  const [busy, set_busy] = useState(false);
  const [ack_error, set_ack_error] = useState('');
  const time_text = use_time_text();

  useEffect(() => {
    let live = true;
    set_error('');
    get<message>(`/api/v1/messages/${encodeURIComponent(id)}?lang=${s.lang}`)
      .then((m) => {
        if (!live) return;
        set_loaded(m);
        // The store keeps state, not a rendering in one language.
        const { rendered: _rendered, ...state } = m;
        merge_messages([state as message]);
      })
      .catch((e) => live && set_error(e instanceof api_error && e.status === 404 ? t('not_found') : String(e.message ?? e)));
    return () => {
      live = false;
    };
  }, [id, s.lang]);

  // Reading an urgent message on a station that cannot record acknowledgements stops its alarm.
  const records_acks = station_records_acks(s);
  useEffect(() => {
    if (!records_acks && !s.seen_locally.has(id)) {
      update((st) => ({ seen_locally: new Set([...st.seen_locally, id]) }));
    }
  }, [id, records_acks]);

  const base = s.messages.get(id) ?? loaded;
  if (error) return <main class="page"><Note kind="error">{error}</Note><a href="#/traffic">{t('back')}</a></main>;
  if (!base) return <main class="page"><p class="muted">{t('loading')}</p></main>;
  const merged: message = { ...loaded, ...base, rendered: loaded?.rendered ?? base.rendered };
  // Above the officer's clearance the station sends only the envelope and the label; nothing an
  // earlier, readable copy brought is shown either.
  const redacted = is_redacted(merged);
  const m: message = redacted ? without_content(merged) : merged;
  const withheld = redacted ? withheld_text(m, s) : '';
  const acked = is_acknowledged(m);
  const records = 'acknowledged_at' in m && records_acks;
  const may_ack = m.box === 'in' && can_send(s.user) && s.user?.role !== 'translator';
  const shapes = redacted ? [] : shapes_of(m.fields);
  const form = s.forms?.find((f) => f.id === m.form);
  const label_of = (name: string) => form?.fields.find((f) => f.name === name)?.label ?? name;
  const embargo_until = embargo_until_ms(m.label, s.now_ms);
  const held = embargo_until === null ? undefined : fill(t('evidence_embargoed'), { time: time_text(embargo_until) });

  const acknowledge = async (e: Event) => {
    e.preventDefault();
    if (redacted) return;
    set_busy(true);
    set_ack_error('');
    try {
      const body = answer.trim() ? { answer: answer.trim() } : {};
      const r = await post<message | { message: message }>(`/api/v1/messages/${encodeURIComponent(id)}/ack`, body);
      const updated = r && 'message' in r ? r.message : (r as message | null);
      if (updated && updated.id) merge_messages([updated]);
      else merge_messages([{ ...m, status: 'acknowledged', acknowledged_at: new Date().toISOString(),
                             acknowledged_by: s.user?.name ?? null }]);
    } catch (err) {
      if (err instanceof api_error && err.missing_route) update({ ack_route_missing: true });
      else set_ack_error(err instanceof Error ? err.message : String(err));
    } finally {
      set_busy(false);
    }
  };

  return (
    <main class="page detail" aria-labelledby="detail-title" data-redacted={redacted ? 'true' : undefined}>
      <p><a href="#/traffic">← {t('back')}</a></p>
      <LabelBanner label={m.label} position="top" />
      <EmbargoLine label={m.label} />
      <header class={`detail-head prec-row-${m.precedence}`}>
        <h1 id="detail-title">
          <Precedence p={m.precedence} /> <span class={`box box-${m.box}`}>{t(m.box === 'in' ? 'box_in' : 'box_out')}</span>{' '}
          <span class="form-id">{m.form}</span> {!redacted && m.title && <span>{m.title}</span>}
        </h1>
        <div class="meta">
          <span>{t('channel')}: <b>{m.channel}</b></span>
          <span>{t('from')}: <b class="mono">{m.from}</b></span>
          <span>{t('msg_seq')}: <b>{m.seq ?? '—'}</b></span>
          <span class="mono muted">{m.id}</span>
          <Status m={m} />
        </div>
      </header>
      <div class="detail-grid">
        <div>
          {redacted && (
            <section class="card withheld-card" aria-labelledby="withheld-title">
              <h2 id="withheld-title">{t('content_withheld_title')}</h2>
              <p class="withheld" id="withheld-reason" data-testid="withheld">
                <span class="withheld-glyph" aria-hidden="true">⊘ </span>{withheld}
              </p>
              <p class="muted">{t('content_withheld_note')}</p>
            </section>
          )}
          {!redacted && m.rendered && (
            <section class="card">
              <h2>{t('rendered')}</h2>
              <pre class="message-text" data-testid="rendered">{m.rendered}</pre>
            </section>
          )}
          {!redacted && m.text && (
            <section class="card">
              <h2>{t('original')}</h2>
              <pre class="message-text" data-testid="original">{m.text}</pre>
            </section>
          )}
          {!redacted && m.fields && (
            <section class="card">
              <h2>{t('fields')}</h2>
              <table class="grid fields">
                <tbody>
                  {Object.entries(m.fields).map(([k, v]) => (
                    <tr><th scope="row">{label_of(k)}</th><td><FieldValue v={v} /></td></tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          {!redacted && <Translations m={m} />}
          {shapes.length > 0 && (
            <section class="card">
              <MapView shapes={shapes.map((sh) => ({ ...sh, label: label_of(sh.label) }))} title={`${t('map_of')} ${m.form}`} compact />
            </section>
          )}
        </div>
        <div>
          <section class="card">
            <h2>{t('timeline')}</h2>
            <ol class="timeline" data-testid="timeline">
              <li><span>{t('t_posted')}</span><When at={m.created_at} seconds /></li>
              {m.box === 'out' && <li class={m.delivered_at ? '' : 'pending'}><span>{t('t_reached_peer')}</span><When at={m.delivered_at} seconds /></li>}
              {m.box === 'in' && <li><span>{t('t_received')}</span><When at={m.received_at} seconds /></li>}
              {(m.escalations ?? (m.escalated_at ? [{ at: m.escalated_at }] : [])).map((e) => (
                <li class="escalated"><span>{t('t_escalated')}{'to' in e && e.to ? ` → ${e.to}` : ''}</span><When at={e.at} seconds /></li>
              ))}
              <li class={acked ? 'done' : 'pending'} data-testid="timeline-ack">
                <span>{t('t_acknowledged')}{m.acknowledged_by ? ` — ${m.acknowledged_by}` : ''}</span>
                {acked ? <When at={m.acknowledged_at} seconds /> : <span class="muted">{t('t_deadline')}: <When at={new Date(deadline_of(m.created_at, m.precedence)).toISOString()} /></span>}
              </li>
              {!redacted && m.answer && <li><span>{t('t_answer')}</span><span class="answer">“{m.answer}”</span></li>}
            </ol>
          </section>
          {may_ack && !acked && (records ? (
            <form class="card ack" onSubmit={acknowledge} aria-label={t('acknowledge')}>
              <label>
                <span>{t('answer_optional')}</span>
                <input name="answer" maxLength={answer_chars_max} value={answer} disabled={redacted}
                       title={redacted ? withheld : undefined}
                       onInput={(e) => set_answer(e.currentTarget.value)} />
              </label>
              {ack_error && <Note kind="error">{ack_error}</Note>}
              {/* The station refuses an acknowledgement above the officer's clearance (403). */}
              <button type="submit" class="primary big" disabled={busy || redacted} data-testid="acknowledge"
                      title={redacted ? withheld : undefined}
                      aria-describedby={redacted ? 'withheld-reason' : undefined}>{t('acknowledge')}</button>
              {redacted && <p class="note note-warn" data-testid="ack-withheld">{withheld}</p>}
            </form>
          ) : <Note kind="warn">{t('ack_unavailable')}</Note>)}
          {acked && m.acknowledged_by && (
            <p class="acked-line" data-testid="acked-by">{t('acknowledged_by')}: <b>{m.acknowledged_by}</b> · <When at={m.acknowledged_at} /></p>
          )}
          {s.user && evidence_roles.includes(s.user.role) && <EvidenceButton id={m.id} held={held} refused={redacted ? withheld : undefined} />}
        </div>
      </div>
      <LabelBanner label={m.label} position="bottom" />
    </main>
  );
}
