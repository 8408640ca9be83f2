// Traffic: every message in and out, newest first, filterable by hotline, direction, precedence
// and text. Precedence is a word and a colour; status is a word (and OVERDUE when late); the
// handling marking is a small tag with its name.
import { useState } from 'preact/hooks';
import { get, query } from '../lib/api';
import { merge_messages, use_store } from '../lib/store';
import { precedences, type message } from '../lib/types';
import { Precedence, Status, When, Withheld, go, is_overdue, summary_text, use_t } from '../components/common';
import { is_redacted } from '../lib/labels';
import type { key } from '../lib/i18n';
import { LabelTag } from '../components/LabelBanner';

const page_rows_max = 500;

export function Traffic() {
  const s = use_store();
  const t = use_t();
  const [channel, set_channel] = useState('');
  const [box, set_box] = useState('');
  const [prec, set_prec] = useState('');
  const [text, set_text] = useState('');
  const [only_overdue, set_only_overdue] = useState(false);
  const needle = text.trim().toLowerCase();
  const channels = s.status?.channels.map((c) => c.channel) ?? [];
  const rows = [...s.messages.values()]
    .filter((m) => (!channel || m.channel === channel) && (!box || m.box === box) && (!prec || m.precedence === prec))
    .filter((m) => !only_overdue || is_overdue(m, s.now_ms))
    .filter((m) => !needle || [m.text, m.summary, m.rendered, m.form, m.from, m.id, m.label?.name]
      .some((v) => typeof v === 'string' && v.toLowerCase().includes(needle)))
    .sort((a, b) => b.cursor - a.cursor);

  const load_older = async () => {
    if (s.oldest_cursor === null || s.oldest_cursor <= 1) return;
    const after = Math.max(0, s.oldest_cursor - 1001);
    const r = await get<{ messages: message[] }>('/api/v1/messages' + query({ after, limit: 1000 }));
    merge_messages(r.messages);
  };

  return (
    <main class="page traffic" aria-labelledby="traffic-title">
      <h1 id="traffic-title">{t('nav_traffic')}</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label><span>{t('channel')}</span>
          <select value={channel} onChange={(e) => set_channel(e.currentTarget.value)}>
            <option value="">{t('all')}</option>
            {channels.map((c) => <option value={c}>{c}</option>)}
          </select>
        </label>
        <label><span>{t('box')}</span>
          <select name="box" value={box} onChange={(e) => set_box(e.currentTarget.value)}>
            <option value="">{t('all')}</option>
            <option value="in">{t('box_in')}</option>
            <option value="out">{t('box_out')}</option>
          </select>
        </label>
        <label><span>{t('precedence')}</span>
          <select name="precedence" value={prec} onChange={(e) => set_prec(e.currentTarget.value)}>
            <option value="">{t('all')}</option>
            {precedences.map((p) => <option value={p}>{t(`p_${p}` as key)}</option>)}
          </select>
        </label>
        <label class="grow"><span>{t('search')}</span>
          <input type="search" name="q" value={text} onInput={(e) => set_text(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={only_overdue} onChange={(e) => set_only_overdue(e.currentTarget.checked)} />
          <span>{t('s_overdue')}</span>
        </label>
      </form>
      {rows.length === 0 ? <p class="muted">{t('no_messages')}</p> : (
        <table class="grid traffic-table">
          <thead>
            <tr><th>{t('time_utc')}</th><th>{t('box')}</th><th>{t('channel')}</th><th>{t('precedence')}</th>
              <th>{t('marking')}</th><th>{t('from')}</th><th>{t('content')}</th><th>{t('status')}</th></tr>
          </thead>
          <tbody>
            {rows.slice(0, page_rows_max).map((m) => (
              <tr class={`row prec-row-${m.precedence}`} data-id={m.id} data-box={m.box}
                  onClick={() => go(`#/message/${m.id}`)}>
                <td><When at={m.created_at} /></td>
                <td><span class={`box box-${m.box}`}>{m.box === 'in' ? '↘ ' : '↗ '}{t(m.box === 'in' ? 'box_in' : 'box_out')}</span></td>
                <td>{m.channel}</td>
                <td><Precedence p={m.precedence} /></td>
                <td class="marking"><LabelTag label={m.label} /></td>
                <td class="mono">{m.from}</td>
                <td class="summary"><a href={`#/message/${m.id}`}>
                  {m.form !== 'FREE-TEXT' && <span class="form-id">{m.form}</span>}{is_redacted(m) ? <Withheld m={m} /> : summary_text(m)}
                </a></td>
                <td><Status m={m} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {s.oldest_cursor !== null && s.oldest_cursor > 1 &&
        <button type="button" onClick={() => void load_older()}>{t('load_more')}</button>}
    </main>
  );
}
