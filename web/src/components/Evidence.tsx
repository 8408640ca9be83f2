// "Download evidence" for auditors and supervisors: fetches the message's evidence bundle
// (GET /api/v1/messages/{id}/evidence) and saves it as evidence-<id>.json, unchanged. While an
// embargo holds the message (`held` says until when) the button is disabled with that reason; the
// station refuses too (409), and its word is shown if a download is tried all the same.
import { useState } from 'preact/hooks';
import { api_error, get_file } from '../lib/api';
import { fill } from '../lib/i18n';
import type { role } from '../lib/types';
import { Note, use_t } from './common';

// The roles the station hands bundles to (docs/api.md).
export const evidence_roles: role[] = ['auditor', 'supervisor', 'admin'];

export function evidence_file_name(id: string): string {
  return `evidence-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken its copy once the click has been handled.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// `refused`: why this officer may not have the bundle at all (the message is marked above their
// clearance; the station answers 403 too).
export function EvidenceButton({ id, held, refused }: { id: string; held?: string; refused?: string }) {
  const t = use_t();
  const [busy, set_busy] = useState(false);
  const [note, set_note] = useState<{ kind: 'info' | 'warn' | 'error'; text: string } | null>(null);
  const download = async () => {
    set_busy(true);
    set_note(null);
    try {
      const name = evidence_file_name(id);
      save(await get_file(`/api/v1/messages/${encodeURIComponent(id)}/evidence`), name);
      set_note({ kind: 'info', text: fill(t('evidence_saved'), { file: name }) });
    } catch (e) {
      if (e instanceof api_error && e.missing_route) set_note({ kind: 'warn', text: t('evidence_unavailable') });
      else if (e instanceof api_error && e.status === 409) set_note({ kind: 'warn', text: e.message });
      else set_note({ kind: 'error', text: e instanceof Error ? e.message : String(e) });
    } finally {
      set_busy(false);
    }
  };
  return (
    <section class="card evidence" data-testid="evidence" aria-labelledby="evidence-title">
      <h2 id="evidence-title">{t('evidence_title')}</h2>
      <p class="evidence-note">{t('evidence_note')}{' '}
        <code><span>hotline evidence verify</span> <span>{evidence_file_name(id)}</span> <span>--agreement agreement.toml</span></code></p>
      <button type="button" onClick={() => void download()} disabled={busy || !!held || !!refused}
              title={refused}
              aria-describedby={refused ? 'evidence-refused' : held ? 'evidence-held' : undefined}
              data-testid="download-evidence">
        {busy ? t('evidence_preparing') : t('download_evidence')}
      </button>
      {refused && <p class="note note-warn" id="evidence-refused" data-testid="evidence-refused">{refused}</p>}
      {!refused && held && <p class="note note-warn" id="evidence-held" data-testid="evidence-held">{held}</p>}
      {note && <Note kind={note.kind}>{note.text}</Note>}
    </section>
  );
}
