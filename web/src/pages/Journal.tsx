// The journal, for auditors and supervisors: search the station's signed, hash-chained record
// and verify the chain on demand. Shown only when the station offers it; the sign-in and access
// log (GET /api/v1/audit) is shown beside it when available.
import { useEffect, useState } from 'preact/hooks';
import { get, post, query } from '../lib/api';
import { use_store } from '../lib/store';
import { Note, When, use_t } from '../components/common';

interface journal_entry {
  seq?: number;
  id?: string | number;
  at: string;
  kind?: string;
  action?: string;
  actor?: string;
  detail?: string;
  summary?: string;
}

interface audit_entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  detail: string;
}

export function Journal() {
  const s = use_store();
  const t = use_t();
  const [q, set_q] = useState('');
  const [entries, set_entries] = useState<journal_entry[]>([]);
  const [audit, set_audit] = useState<audit_entry[]>([]);
  const [verdict, set_verdict] = useState<{ ok: boolean; text: string } | null>(null);
  const [error, set_error] = useState('');

  const search = async () => {
    set_error('');
    try {
      if (s.caps.journal) {
        const r = await get<{ entries: journal_entry[] }>('/api/v1/journal' + query({ q, limit: 200 }));
        set_entries(r.entries ?? []);
      }
      if (s.caps.audit) {
        const r = await get<{ entries: audit_entry[] }>('/api/v1/audit' + query({ limit: 200 }));
        const needle = q.trim().toLowerCase();
        set_audit((r.entries ?? []).filter((e) => !needle || `${e.actor} ${e.action} ${e.detail}`.toLowerCase().includes(needle)).reverse());
      }
    } catch (e) {
      set_error(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    void search();
  }, [s.caps.journal, s.caps.audit]);

  const verify = async () => {
    try {
      const r = await post<{ ok: boolean; records?: number; message?: string }>('/api/v1/journal/verify', {});
      set_verdict({ ok: r.ok, text: `${r.ok ? t('verify_ok') : t('verify_bad')}${r.records !== undefined ? ` — ${r.records} ${t('records')}` : ''}${r.message ? ` — ${r.message}` : ''}` });
    } catch (e) {
      set_verdict({ ok: false, text: `${t('verify_bad')}: ${e instanceof Error ? e.message : String(e)}` });
    }
  };

  return (
    <main class="page" aria-labelledby="journal-title">
      <h1 id="journal-title">{t('journal_title')}</h1>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); void search(); }}>
        <label class="grow"><span>{t('search')}</span>
          <input type="search" value={q} onInput={(e) => set_q(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('search')}</button>
        {s.caps.journal && <button type="button" class="primary" onClick={() => void verify()}>{t('verify_now')}</button>}
      </form>
      {!s.caps.journal && <Note kind="warn">{t('journal_unavailable')}</Note>}
      {verdict && <Note kind={verdict.ok ? 'info' : 'error'}>{verdict.text}</Note>}
      {error && <Note kind="error">{error}</Note>}
      {s.caps.journal && (
        <table class="grid">
          <thead><tr><th>#</th><th>{t('at')}</th><th>{t('action')}</th><th>{t('detail')}</th></tr></thead>
          <tbody>{entries.map((e) => (
            <tr><td class="mono">{e.seq ?? e.id ?? ''}</td><td><When at={e.at} seconds /></td>
              <td>{e.kind ?? e.action ?? ''}</td><td>{e.summary ?? e.detail ?? ''}</td></tr>
          ))}</tbody>
        </table>
      )}
      {s.caps.audit && (
        <section class="card">
          <h2>{t('audit_log')}</h2>
          <table class="grid" data-testid="audit-log">
            <thead><tr><th>{t('at')}</th><th>{t('actor')}</th><th>{t('action')}</th><th>{t('detail')}</th></tr></thead>
            <tbody>{audit.map((e) => (
              <tr><td><When at={e.at} seconds /></td><td class="mono">{e.actor}</td><td>{e.action}</td><td>{e.detail}</td></tr>
            ))}</tbody>
          </table>
        </section>
      )}
    </main>
  );
}
