// The watch board: for each hotline, three separate lights (is the path up, is the other
// station alive, has a person there answered), then every message still waiting for an
// acknowledgement with the time left to its deadline (and its handling marking, as a tag).
import { awaits_ack, station_records_acks, use_store } from '../lib/store';
import { ago_text, countdown_text, deadline_of } from '../lib/time';
import type { channel_status, message } from '../lib/types';
import { LabelTag } from '../components/LabelBanner';
import { Light, type light_state, Note, Precedence, Status, When, Withheld, go, summary_text, use_t } from '../components/common';
import { is_redacted } from '../lib/labels';

// The heartbeat is 250 ms; a few seconds of silence is already worth a look.
const peer_warn_ms = 5_000;
const peer_bad_ms = 30_000;
// A person should have answered a link test within this long (tests run at least twice a day).
const person_warn_ms = 13 * 3_600_000;
// Unacknowledged messages older than this are left to the Traffic page.
const board_window_ms = 24 * 3_600_000;

function ChannelCard({ c }: { c: channel_status }) {
  const s = use_store();
  const t = use_t();
  const path: light_state = c.link_up ? (c.paths.some((p) => !p.up) ? 'warn' : 'ok') : 'bad';
  const heard = c.last_heard_ms_ago;
  const peer: light_state = c.peer_alive === false ? 'bad' : heard === null ? 'bad'
    : heard < peer_warn_ms ? 'ok' : heard < peer_bad_ms ? 'warn' : 'bad';
  const lt = c.last_link_test;
  let person: light_state = 'none';
  let person_word = t('unknown');
  if (lt !== undefined) {
    if (lt && lt.answered_at) {
      const age = s.now_ms - Date.parse(lt.answered_at);
      person = age < person_warn_ms ? 'ok' : 'warn';
      person_word = age < person_warn_ms ? t('answered') : t('late');
    } else {
      person = 'warn';
      person_word = t('never');
    }
  }
  return (
    <section class="card channel" aria-label={`${t('hotline')} ${c.channel}`} data-channel={c.channel}>
      <header class="card-head">
        <h2><span class="channel-name">{c.channel}</span> <span class="muted">↔ {c.peer}</span></h2>
        <span class="counts">
          <span>{t('queued_n')}: <b>{c.queued}</b></span>
          <span>{t('unacked_n')}: <b>{c.unacked}</b></span>
        </span>
      </header>
      <div class="lights">
        <Light state={path} title={t('light_path')} word={c.link_up ? t('up') : t('down')} test_id="light-path">
          {c.link_up ? <>{t('via_path')} <b>{c.active_path}</b> · {t('rtt')} {c.rtt_ms ?? '—'} ms</> : <>—</>}
          <div class="paths">
            {c.paths.map((p) => (
              <span class={`path ${p.up ? 'path-up' : 'path-down'}`} title={p.path}>
                {p.active ? '▶ ' : ''}{p.path} {p.up ? t('up') : t('down')}{p.rtt_ms !== null && p.up ? ` ${p.rtt_ms} ms` : ''}
              </span>
            ))}
          </div>
        </Light>
        <Light state={peer} title={t('light_peer')} test_id="light-peer"
               word={peer === 'ok' ? t('alive') : peer === 'warn' ? t('late') : t('silent')}>
          {t('last_heard')}: <b>{heard === null ? t('never') : `${ago_text(heard)} ${t('ago')}`}</b>
        </Light>
        <Light state={person} title={t('light_person')} word={person_word} test_id="light-person">
          {lt === undefined ? <span class="muted">{t('not_reported')}</span>
            : lt && lt.answered_at ? <><When at={lt.answered_at} /> {t('answered_by')} <b>{lt.answered_by ?? '—'}</b></>
            : <span>{t('no_test_answered')}</span>}
        </Light>
      </div>
      <div class="next-test">
        {t('next_link_test')}: {c.next_link_test_at === undefined
          ? <span class="muted">{t('not_reported')}</span> : <When at={c.next_link_test_at} />}
      </div>
    </section>
  );
}

function Waiting({ title, list, testid }: { title: string; list: message[]; testid: string }) {
  const s = use_store();
  const t = use_t();
  return (
    <section class="card" aria-label={title} data-testid={testid}>
      <h2>{title} <span class="count">{list.length}</span></h2>
      {list.length === 0 ? <p class="muted">{t('nothing_waiting')}</p> : (
        <table class="grid">
          <thead><tr><th>{t('precedence')}</th><th>{t('marking')}</th><th>{t('deadline')}</th><th>{t('time_utc')}</th>
            <th>{t('content')}</th><th>{t('status')}</th></tr></thead>
          <tbody>
            {list.map((m) => {
              const left = deadline_of(m.created_at, m.precedence) - s.now_ms;
              return (
                <tr class={`row prec-row-${m.precedence}`} onClick={() => go(`#/message/${m.id}`)} data-id={m.id}>
                  <td><Precedence p={m.precedence} /></td>
                  <td class="marking"><LabelTag label={m.label} /></td>
                  <td class={`countdown ${left < 0 ? 'over' : left < 120_000 ? 'soon' : ''}`} data-testid="countdown">
                    {countdown_text(left)}
                  </td>
                  <td><When at={m.created_at} /></td>
                  <td class="summary"><a href={`#/message/${m.id}`}>{is_redacted(m) ? <Withheld m={m} /> : summary_text(m)}</a></td>
                  <td><Status m={m} /></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Watch() {
  const s = use_store();
  const t = use_t();
  const since = s.now_ms - board_window_ms;
  const unacked = [...s.messages.values()].filter(awaits_ack);
  const recent = unacked.filter((m) => Date.parse(m.created_at) >= since);
  const by_deadline = (a: message, b: message) =>
    deadline_of(a.created_at, a.precedence) - deadline_of(b.created_at, b.precedence);
  const inbound = recent.filter((m) => m.box === 'in').sort(by_deadline);
  const outbound = recent.filter((m) => m.box === 'out').sort(by_deadline);
  const older = unacked.length - recent.length;
  return (
    <main class="page watch" aria-labelledby="watch-title">
      <h1 id="watch-title" class="visually-hidden">{t('nav_watch')}</h1>
      {s.status_error && <Note kind="error">{t('error')}: {s.status_error}</Note>}
      <div class="channels">
        {s.status ? s.status.channels.map((c) => <ChannelCard c={c} />) : <p class="muted">{t('loading')}</p>}
      </div>
      {!station_records_acks(s) && <Note kind="warn">{t('ack_unavailable')}</Note>}
      <div class="waiting">
        <Waiting title={t('awaiting_our_ack')} list={inbound} testid="awaiting-ours" />
        <Waiting title={t('awaiting_their_ack')} list={outbound} testid="awaiting-theirs" />
      </div>
      {older > 0 && <p class="muted"><a href="#/traffic">{older} {t('older_unacked')}</a></p>}
    </main>
  );
}
