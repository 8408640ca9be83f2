// The journal, for auditors, supervisors and administrators: search the station's signed,
// hash-chained record (GET /api/v1/journal, newest first, paged by sequence number) and verify
// the whole chain on demand (POST /api/v1/journal/verify). Shown only when the station offers
// it; the sign-in and access log (GET /api/v1/audit) is shown beside it when available.
import { useEffect, useState } from 'preact/hooks';
import { get, post, query } from '../lib/api';
import { fill, type key } from '../lib/i18n';
import { alarming_kinds, detail_summary, journal_kinds, seal_of, type journal_entry, type journal_page,
         type verify_result } from '../lib/journal';
import { use_store } from '../lib/store';
import { Note, When, use_t } from '../components/common';

interface audit_entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  detail: string;
}

const page_entries_max = 50;

// The kind in words; an alarming kind also carries the word ALERT and the alarm colour.
function KindWord({ kind }: { kind: string }) {
  const t = use_t();
  const known = (journal_kinds as readonly string[]).includes(kind);
  const alarming = alarming_kinds.has(kind);
  return (
    <span class={`kind ${alarming ? 'kind-alarm' : ''}`} data-kind={kind} data-alarming={alarming ? 'yes' : undefined} title={kind}>
      {alarming && <span class="kind-flag">{t('kind_alert')}</span>}
      {known ? t(`jk_${kind}` as key) : kind}
    </span>
  );
}

function Seal({ e, head_seq }: { e: journal_entry; head_seq: number }) {
  const t = use_t();
  switch (seal_of(e, head_seq)) {
    case 'signed':
      return <span class="signed signed-yes" data-signed="yes"><span aria-hidden="true">✔ </span>{t('signed_yes')}</span>;
    case 'chained':
      return <span class="signed signed-chained" data-signed="chained" title={t('signed_chained_title')}><span aria-hidden="true">↑ </span>{t('signed_chained')}</span>;
    default:
      return <span class="signed signed-no" data-signed="no" title={t('signed_no_title')}><span aria-hidden="true">✖ </span>{t('signed_no')}</span>;
  }
}

function EntryRow({ e, head_seq, bad }: { e: journal_entry; head_seq: number; bad: boolean }) {
  const t = use_t();
  const summary = detail_summary(e.detail);
  const classes = [alarming_kinds.has(e.kind) ? 'alarm-row' : '', bad ? 'bad-row' : ''].filter(Boolean).join(' ');
  return (
    <tr data-seq={e.seq} data-kind={e.kind} data-bad={bad ? 'true' : undefined} class={classes}>
      <td class="mono">{e.seq}</td>
      <td><When at={new Date(e.at_ms).toISOString()} seconds /></td>
      <td><KindWord kind={e.kind} /></td>
      <td class="mono">{e.message_id
        ? <a href={`#/message/${encodeURIComponent(e.message_id)}`} title={e.message_id}>{e.message_id}</a>
        : <span class="muted">—</span>}</td>
      <td class="mono">{e.channel ?? <span class="muted">—</span>}</td>
      <td class="journal-detail">
        <details>
          <summary>{summary || <span class="muted">—</span>}</summary>
          <pre>{JSON.stringify(e.detail, null, 2)}</pre>
          <div class="mono muted">{t('entry_hash')}: {e.hash}</div>
        </details>
      </td>
      <td><Seal e={e} head_seq={head_seq} /></td>
    </tr>
  );
}

function Verdict({ r, show }: { r: verify_result; show: (seq: number) => void }) {
  const t = use_t();
  const counts = fill(t('verify_counts'),
    { entries: r.entries_checked, messages: r.messages_checked, checkpoints: r.checkpoints_checked }) +
    (r.seals_checked !== undefined ? fill(t('verify_seals'), { n: r.seals_checked }) : '') +
    (r.signatures_checked !== undefined ? fill(t('verify_signatures'), { n: r.signatures_checked }) : '');
  const head = r.head_seq !== undefined && r.head_hash
    ? fill(t('verify_head'), { seq: r.head_seq, hash: r.head_hash.slice(0, 16) }) : '';
  if (r.ok) {
    return (
      <div class="verdict verdict-ok" role="status" data-testid="verdict" data-ok="true">
        <div><span aria-hidden="true">✔ </span>{fill(t('verify_ok'), { counts })}</div>
        <div class="muted">{head && <span class="mono" data-testid="verdict-head">{head} </span>}{fill(t('verify_took'), { ms: r.duration_ms })}</div>
      </div>
    );
  }
  return (
    <div class="verdict verdict-bad" role="alert" data-testid="verdict" data-ok="false">
      <div class="verdict-title"><span aria-hidden="true">✖ </span>{t('verify_bad')}</div>
      {r.first_bad && <div>{fill(t('verify_first_bad'), { seq: r.first_bad.seq, what: r.first_bad.what })}</div>}
      <div class="muted">{counts} · {fill(t('verify_took'), { ms: r.duration_ms })}</div>
      {r.first_bad && (
        <button type="button" class="small" onClick={() => r.first_bad && show(r.first_bad.seq)}>
          {fill(t('verify_show_entry'), { seq: r.first_bad.seq })}
        </button>
      )}
    </div>
  );
}

export function Journal() {
  const s = use_store();
  const t = use_t();
  const [q, set_q] = useState('');
  const [kind, set_kind] = useState('');
  // Sequence numbers the pages before this one started below; empty: the newest page.
  const [cursors, set_cursors] = useState<number[]>([]);
  const [page, set_page] = useState<journal_page | null>(null);
  const [audit, set_audit] = useState<audit_entry[]>([]);
  const [verdict, set_verdict] = useState<verify_result | null>(null);
  const [verifying, set_verifying] = useState(false);
  const [verify_error, set_verify_error] = useState('');
  const [error, set_error] = useState('');

  const load = async (before: number | undefined) => {
    set_error('');
    try {
      if (s.caps.journal) {
        const r = await get<journal_page>('/api/v1/journal' +
          query({ kind, q: q.trim(), before_seq: before, limit: page_entries_max }));
        set_page({ entries: r.entries ?? [], head_seq: r.head_seq ?? 0 });
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
  const current = cursors.length ? cursors[cursors.length - 1] : undefined;
  useEffect(() => {
    void load(current);
  }, [s.caps.journal, s.caps.audit, kind, cursors]);

  const search = () => {
    if (cursors.length) set_cursors([]);
    else void load(undefined);
  };
  const entries = page?.entries ?? [];
  const oldest = entries.length ? entries[entries.length - 1].seq : null;
  const has_older = oldest !== null && oldest > 1 && entries.length >= page_entries_max;

  // Opens the page that starts at entry `seq`, whatever the filters were.
  const show_entry = (seq: number) => {
    set_q('');
    set_kind('');
    set_cursors([seq + 1]);
  };
  const bad_seq = verdict && !verdict.ok ? verdict.first_bad?.seq ?? null : null;

  const verify = async () => {
    set_verifying(true);
    set_verdict(null);
    set_verify_error('');
    try {
      set_verdict(await post<verify_result>('/api/v1/journal/verify', {}));
    } catch (e) {
      // Not a verdict: the journal may be fine, the check did not happen.
      set_verify_error(`${t('verify_not_run')}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      set_verifying(false);
    }
  };

  return (
    <main class="page" aria-labelledby="journal-title">
      <h1 id="journal-title">{t('journal_title')}</h1>
      {s.caps.journal && (
        <section class="card verify-card">
          <button type="button" class="primary" onClick={() => void verify()} disabled={verifying}>
            {verifying ? t('verifying') : t('verify_now')}
          </button>
          {verdict && <Verdict r={verdict} show={show_entry} />}
          {verify_error && <Note kind="error">{verify_error}</Note>}
        </section>
      )}
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); search(); }}>
        <label class="grow"><span>{t('journal_search')}</span>
          <input type="search" name="q" value={q} onInput={(e) => set_q(e.currentTarget.value)} />
        </label>
        {s.caps.journal && (
          <label><span>{t('journal_kind')}</span>
            <select name="kind" value={kind} onChange={(e) => { set_kind(e.currentTarget.value); set_cursors([]); }}>
              <option value="">{t('kind_all')}</option>
              {journal_kinds.map((k) => <option value={k}>{t(`jk_${k}` as key)}</option>)}
            </select>
          </label>
        )}
        <button type="submit">{t('search_button')}</button>
      </form>
      {!s.caps.journal && <Note kind="warn">{t('journal_unavailable')}</Note>}
      {error && <Note kind="error">{error}</Note>}
      {s.caps.journal && page && (
        <section class="card">
          <div class="journal-pager">
            <span class="muted">{fill(t('journal_head'), { n: page.head_seq })}
              {entries.length > 0 && <> · {fill(t('journal_showing'), { from: entries[0].seq, to: oldest ?? '' })}</>}</span>
            <span class="pager-buttons">
              <button type="button" class="small" disabled={!cursors.length} onClick={() => set_cursors([])}>{t('journal_newest')}</button>
              <button type="button" class="small" disabled={!cursors.length} onClick={() => set_cursors(cursors.slice(0, -1))}>← {t('journal_newer')}</button>
              <button type="button" class="small" disabled={!has_older} onClick={() => oldest !== null && set_cursors([...cursors, oldest])}>{t('journal_older')} →</button>
            </span>
          </div>
          {entries.length === 0 ? <p class="muted">{t('journal_empty')}</p> : (
            <table class="grid journal-table" data-testid="journal">
              <thead><tr><th>{t('journal_seq')}</th><th>{t('time_both')}</th><th>{t('journal_kind')}</th>
                <th>{t('message')}</th><th>{t('channel')}</th><th>{t('detail')}</th><th>{t('signed')}</th></tr></thead>
              <tbody>{entries.map((e) => <EntryRow e={e} head_seq={page.head_seq} bad={e.seq === bad_seq} />)}</tbody>
            </table>
          )}
        </section>
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
