// A received message's translations: each with its state (pending, certified by whom, rejected
// with the note), the form a translator or supervisor uses to attach one, and Approve / Reject
// for a supervisor who did not write it. The original stays above, untouched; docs/translations.md
// has the workflow. The station refuses what a role may not do; the controls only hide it.
import { useState } from 'preact/hooks';
import { get, post } from '../lib/api';
import { merge_messages, use_store } from '../lib/store';
import { languages, type language, type message, type translation } from '../lib/types';
import { language_names } from '../lib/i18n';
import { is_redacted } from '../lib/labels';
import { Note, When, use_t } from './common';

const text_bytes_max = 16 * 1024;
const note_chars_max = 500;

function error_text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// Reloads the message's translations into the store, so this console shows the new state even
// before (or without) the event the station sends to every console.
async function refresh(m: message) {
  const r = await get<{ translations: translation[] }>(`/api/v1/messages/${encodeURIComponent(m.id)}/translations`);
  merge_messages([{ ...m, translations: r.translations }]);
}

function State({ tr }: { tr: translation }) {
  const t = use_t();
  const state = tr.state ?? (tr.reviewed_by ? 'certified' : 'pending');
  if (state === 'certified') {
    return <span class="status status-acknowledged" data-state="certified">{t('tr_certified_by')} {tr.reviewed_by}</span>;
  }
  if (state === 'rejected') {
    return <span class="status status-overdue" data-state="rejected">{t('tr_rejected_by')} {tr.reviewed_by}</span>;
  }
  return <span class="status status-queued" data-state="pending">{t('tr_pending')}</span>;
}

function Review({ m, tr }: { m: message; tr: translation }) {
  const t = use_t();
  const [note, set_note] = useState('');
  const [busy, set_busy] = useState(false);
  const [error, set_error] = useState('');
  const decide = async (approve: boolean) => {
    set_busy(true);
    set_error('');
    try {
      await post(`/api/v1/messages/${encodeURIComponent(m.id)}/translations/${tr.id}/review`,
                 approve ? { approve } : { approve, note: note.trim() });
      await refresh(m);
    } catch (e) {
      set_error(error_text(e));
    } finally {
      set_busy(false);
    }
  };
  const label = `${t('tr_review')} ${tr.lang.toUpperCase()} #${tr.id}`;
  return (
    <div class="translation-review" role="group" aria-label={label}>
      <button type="button" class="primary" disabled={busy} onClick={() => void decide(true)}
              aria-label={`${t('tr_approve')}: ${label}`}>{t('tr_approve')}</button>
      <label>
        <span>{t('tr_note')}</span>
        <input name={`note-${tr.id}`} maxLength={note_chars_max} value={note}
               onInput={(e) => set_note(e.currentTarget.value)} />
      </label>
      <button type="button" disabled={busy || !note.trim()} onClick={() => void decide(false)}
              aria-label={`${t('tr_reject')}: ${label}`}>{t('tr_reject')}</button>
      {error && <Note kind="error">{error}</Note>}
    </div>
  );
}

function Attach({ m }: { m: message }) {
  const s = use_store();
  const t = use_t();
  const [lang, set_lang] = useState<language>(s.lang);
  const [text, set_text] = useState('');
  const [busy, set_busy] = useState(false);
  const [error, set_error] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    set_busy(true);
    set_error('');
    try {
      await post(`/api/v1/messages/${encodeURIComponent(m.id)}/translations`, { lang, text: text.trim() });
      set_text('');
      await refresh(m);
    } catch (err) {
      set_error(error_text(err));
    } finally {
      set_busy(false);
    }
  };
  const too_long = new TextEncoder().encode(text).length > text_bytes_max;
  return (
    <form class="translation-attach" onSubmit={submit} aria-label={t('tr_attach')}>
      <label>
        <span>{t('tr_language')}</span>
        <select name="lang" value={lang} onChange={(e) => set_lang(e.currentTarget.value as language)}>
          {languages.map((l) => <option value={l}>{language_names[l]}</option>)}
        </select>
      </label>
      <label>
        <span>{t('tr_text')}</span>
        <textarea name="translation" rows={4} value={text} onInput={(e) => set_text(e.currentTarget.value)} />
      </label>
      {too_long && <Note kind="warn">{t('tr_too_long')}</Note>}
      {error && <Note kind="error">{error}</Note>}
      <button type="submit" class="primary" disabled={busy || !text.trim() || too_long}>{t('tr_attach')}</button>
    </form>
  );
}

export function Translations({ m }: { m: message }) {
  const s = use_store();
  const t = use_t();
  const role = s.user?.role;
  const may_attach = m.box === 'in' && (role === 'translator' || role === 'supervisor');
  const list = m.translations ?? [];
  // Above the officer's clearance there is nothing to translate or review: the station refuses
  // both (403), and the message's view says why in place of its content.
  if (is_redacted(m)) return null;
  if (!may_attach && list.length === 0) return null;
  return (
    <section class="card" aria-labelledby="translations-title" data-testid="translations">
      <h2 id="translations-title">{t('translations')}</h2>
      {list.length === 0 && <p class="muted">{t('tr_none')}</p>}
      {list.map((tr) => {
        const pending = (tr.state ?? 'pending') === 'pending';
        const own = tr.by === s.user?.name;
        return (
          <div class="translation" data-translation={tr.id}>
            <div class="muted">
              <b>{tr.lang.toUpperCase()}</b> · {t('tr_by')} {tr.by ?? ''}
              {tr.created_at && <> · <When at={tr.created_at} /></>} · <State tr={tr} />
            </div>
            <pre class="message-text" lang={tr.lang}>{tr.text}</pre>
            {tr.state === 'rejected' && tr.review_note && <p class="muted">“{tr.review_note}”</p>}
            {pending && role === 'supervisor' && (own ? <p class="muted">{t('tr_own')}</p> : <Review m={m} tr={tr} />)}
          </div>
        );
      })}
      {may_attach && <Attach m={m} />}
    </section>
  );
}
