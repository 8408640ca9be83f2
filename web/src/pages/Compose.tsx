// Compose: a formatted notification from the catalog (typed inputs, checked as the officer
// types, with a preview of exactly what the other side will read), or free text; and, when the
// agreement defines handling labels, the marking and caveats the message carries.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api_error, new_idempotency_key, post } from '../lib/api';
import { check_field, raw_from_values, type raw_values } from '../lib/fields';
import { shapes_of } from '../lib/geo';
import { fill, language_names, type key } from '../lib/i18n';
import { can_send, merge_messages, update, use_store } from '../lib/store';
import { languages, precedences, type channel_status, type form_def, type form_field, type label_caveat_def,
         type labels_policy, type language, type message, type post_caveat, type post_label,
         type precedence } from '../lib/types';
import { iso_utc, local_text, local_zone, parse_utc_input } from '../lib/time';
import { allowed_default, allowed_markings, clearance_name, level_of } from '../lib/labels';
import { MapView } from '../components/MapView';
import { Note, go, use_t } from '../components/common';

const free_text = 'FREE-TEXT';
const urgent_words_max = 200;
const preview_debounce_ms = 350;

function peer_language(c: channel_status | undefined, own: language): language {
  if (c?.peer_language) return c.peer_language;
  if (c?.peer.startsWith('ru')) return 'ru';
  if (c?.peer.startsWith('rok') || c?.peer.startsWith('kr')) return 'ko';
  return own === 'ru' ? 'ko' : 'ru';
}

function FieldInput({ f, raw, set, error }: {
  f: form_field; raw: raw_values; set: (k: string, v: string) => void; error?: string;
}) {
  const t = use_t();
  const s = use_store();
  const id = `f-${f.name}`;
  const v = (k = f.name) => raw[k] ?? '';
  const hint_id = `${id}-hint`;
  const common = { id, name: f.name, 'aria-invalid': error ? true : undefined, 'aria-describedby': hint_id };
  let input;
  let hint = '';
  switch (f.type) {
    case 'datetime': {
      const ms = parse_utc_input(v());
      hint = ms !== null ? `${t('utc_hint')} → ${local_text(ms, local_zone(s.lang))}` : t('utc_hint');
      input = <input {...common} class="mono" placeholder="2026-11-22 06:00" value={v()} onInput={(e) => set(f.name, e.currentTarget.value)} />;
      break;
    }
    case 'time_window':
      hint = t('utc_hint');
      input = (
        <div class="pair">
          <input id={id} aria-label={`${f.label} — ${t('window_start')}`} class="mono" placeholder="2026-11-22 06:00"
                 value={v(`${f.name}.start`)} onInput={(e) => set(`${f.name}.start`, e.currentTarget.value)} />
          <span aria-hidden="true">→</span>
          <input aria-label={`${f.label} — ${t('window_end')}`} class="mono" placeholder="2026-11-22 09:00"
                 value={v(`${f.name}.end`)} onInput={(e) => set(`${f.name}.end`, e.currentTarget.value)} />
        </div>
      );
      break;
    case 'position':
      hint = t('position_hint');
      input = <input {...common} class="mono" value={v()} onInput={(e) => set(f.name, e.currentTarget.value)} />;
      break;
    case 'route':
      hint = `${t('route_hint')} — ${t('position_hint')}`;
      input = <textarea {...common} class="mono" rows={4} value={v()} onInput={(e) => set(f.name, e.currentTarget.value)} />;
      break;
    case 'area': {
      const kind = v(`${f.name}.kind`) || 'polygon';
      hint = kind === 'polygon' ? `${t('route_hint')} — ${t('position_hint')}` : t('position_hint');
      input = (
        <div class="area-input">
          <select aria-label={`${f.label} — ${t('area_kind')}`} value={kind} onChange={(e) => set(`${f.name}.kind`, e.currentTarget.value)}>
            <option value="polygon">{t('polygon')}</option>
            <option value="circle">{t('circle')}</option>
          </select>
          {kind === 'polygon'
            ? <textarea id={id} aria-label={f.label} class="mono" rows={4} value={v(`${f.name}.points`)}
                        onInput={(e) => set(`${f.name}.points`, e.currentTarget.value)} />
            : <div class="pair">
                <input id={id} aria-label={`${f.label} — ${t('centre')}`} class="mono" value={v(`${f.name}.centre`)}
                       onInput={(e) => set(`${f.name}.centre`, e.currentTarget.value)} />
                <input aria-label={t('radius_nm')} type="number" min="0" max="1000" step="0.1" class="short"
                       value={v(`${f.name}.radius`)} onInput={(e) => set(`${f.name}.radius`, e.currentTarget.value)} />
              </div>}
        </div>
      );
      break;
    }
    case 'enum':
      input = (
        <select {...common} value={v()} onChange={(e) => set(f.name, e.currentTarget.value)}>
          <option value="">—</option>
          {(f.options ?? []).map((o) => <option value={o.value}>{o.label}</option>)}
        </select>
      );
      break;
    case 'count':
    case 'speed':
    case 'heading':
      input = <input {...common} type="number" min={f.min ?? 0} max={f.max ?? (f.type === 'heading' ? 359 : undefined)}
                     class="short" value={v()} onInput={(e) => set(f.name, e.currentTarget.value)} />;
      break;
    case 'text':
      hint = f.max_length ? `${v().length} / ${f.max_length} ${t('chars')}` : '';
      input = (f.max_length ?? 0) > 80
        ? <textarea {...common} rows={3} maxLength={f.max_length} value={v()} onInput={(e) => set(f.name, e.currentTarget.value)} />
        : <input {...common} maxLength={f.max_length} value={v()} onInput={(e) => set(f.name, e.currentTarget.value)} />;
      break;
    default:
      input = <input {...common} class="mono" value={v()} onInput={(e) => set(f.name, e.currentTarget.value)} />;
  }
  return (
    <div class={`field ${error ? 'has-error' : ''}`} data-field={f.name}>
      <label for={id}>{f.label} <span class="muted">({f.required ? t('required') : t('optional')})</span></label>
      {input}
      <div id={hint_id} class="hint">
        {error ? <span class="field-error" role="alert">{error}</span> : hint}
      </div>
    </div>
  );
}

// A label the officer is choosing: the marking (null: the form's default) and the caveats ticked.
interface label_draft {
  marking: string | null;
  on: Record<string, boolean>;
  until: string;      // the embargo's end as typed, UTC
  to: string[];       // releasable-to organisations
}

const empty_label: label_draft = { marking: null, on: {}, until: '', to: [] };

// A server error about the label: its field, its message, and the caveat it names, if any.
interface label_error {
  field: string;
  message: string;
  caveat?: string;
}

// A name in the station's language, followed by the officer's own when that differs.
function name_text(x: { name: string; names?: Record<string, string> }, lang: language): string {
  const own = x.names?.[lang];
  return own && own !== x.name ? `${x.name} — ${own}` : x.name;
}

// The label to post, with each ticked caveat's value, and what is still wrong with it (keyed by
// caveat id), in the policy's order of caveats. With no marking chosen, the form's default, or the
// highest marking within the officer's clearance when the default is above it.
function label_of(policy: labels_policy, draft: label_draft, form_id: string, clearance_id: string | undefined) {
  const caveats: post_caveat[] = [];
  const problems: Record<string, key> = {};
  for (const c of policy.caveats) {
    if (!draft.on[c.id]) continue;
    if (c.kind === 'embargo') {
      const ms = parse_utc_input(draft.until);
      if (ms === null) problems[c.id] = 'invalid_time';
      else caveats.push({ id: c.id, until: iso_utc(ms) });
    } else if (c.kind === 'releasable-to') {
      const to = policy.organisations.map((o) => o.id).filter((id) => draft.to.includes(id));
      if (!to.length) problems[c.id] = 'releasable_none';
      else caveats.push({ id: c.id, to });
    } else {
      caveats.push({ id: c.id });
    }
  }
  const label: post_label = { marking: draft.marking ?? allowed_default(policy, form_id, clearance_id).marking };
  if (caveats.length) label.caveats = caveats;
  return { label, problems };
}

function LabelFields({ policy, draft, change, form_id, error }: {
  policy: labels_policy; draft: label_draft; change: (d: Partial<label_draft>) => void; form_id: string;
  error: label_error | null;
}) {
  const s = use_store();
  const t = use_t();
  // Only the markings within the officer's clearance: the station refuses a post above it (403).
  const clearance = s.user?.clearance ?? null;
  const clearance_id = clearance?.id;
  const sendable = allowed_markings(policy, clearance_id);
  const limited = sendable.length < policy.markings.filter((m) => m.sendable).length;
  const fallback = allowed_default(policy, form_id, clearance_id);
  const chosen = draft.marking ?? fallback.marking;
  const { problems } = label_of(policy, draft, form_id, clearance_id);
  const marking_name = (id: string) => {
    const m = policy.markings.find((x) => x.id === id);
    return m ? name_text(m, s.lang) : id;
  };
  const cleared_name = clearance_name(policy, clearance, s.lang);
  const marking_error = error && !error.caveat ? error : null;
  const caveat_input = (c: label_caveat_def) => {
    const name = name_text(c, s.lang);
    if (c.kind === 'embargo') {
      const ms = parse_utc_input(draft.until);
      return (
        <div class="caveat-value">
          <input id={`caveat-${c.id}-until`} name={`caveat-${c.id}-until`} class="mono" placeholder="2026-11-22 06:00"
                 aria-label={`${name} — ${t('utc_hint')}`} aria-invalid={problems[c.id] && draft.until ? true : undefined}
                 value={draft.until} onInput={(e) => change({ until: e.currentTarget.value })} />
          <span class="hint">{ms !== null ? `${t('utc_hint')} → ${local_text(ms, local_zone(s.lang))}` : t('utc_hint')}</span>
        </div>
      );
    }
    if (c.kind === 'releasable-to') {
      return (
        <div class="caveat-value orgs" role="group" aria-label={`${name} — ${t('organisations')}`}>
          {policy.organisations.map((o) => (
            <label class="check" data-organisation={o.id}>
              <input type="checkbox" name={`caveat-${c.id}-to`} value={o.id} checked={draft.to.includes(o.id)}
                     onChange={(e) => change({ to: e.currentTarget.checked ? [...draft.to, o.id] : draft.to.filter((x) => x !== o.id) })} />
              <span>{name_text(o, s.lang)}</span>
            </label>
          ))}
        </div>
      );
    }
    return null;
  };
  return (
    <fieldset class="label-fields" data-testid="label-controls">
      <legend>{t('label_title')}</legend>
      <div class={`field ${marking_error ? 'has-error' : ''}`} data-field="label.marking">
        <label for="label-marking">{t('marking')}</label>
        <select id="label-marking" name="marking" value={chosen} aria-describedby="label-marking-hint"
                class={`label-select label-${level_of({ marking: chosen, local_marking: chosen, name: '', caveats: [] }, policy)}`}
                aria-invalid={marking_error ? true : undefined} onChange={(e) => change({ marking: e.currentTarget.value })}>
          {sendable.map((m) => (
            <option value={m.id}>{name_text(m, s.lang)}{m.id === fallback.marking && !fallback.lowered_from ? ` (${t('marking_default')})` : ''}</option>
          ))}
        </select>
        <div id="label-marking-hint" class="hint">
          {error && <span class="field-error" role="alert" data-testid="label-error">{error.message} ({error.field})</span>}
          {!error && sendable.length === 0 && (
            <span class="field-error" data-testid="marking-none-allowed">{fill(t('marking_none_allowed'), { clearance: cleared_name })}</span>
          )}
          {!error && sendable.length > 0 && draft.marking === null && fallback.lowered_from && (
            <span class="marking-lowered" data-testid="marking-lowered">
              {fill(t('marking_lowered'), { marking: marking_name(fallback.lowered_from), clearance: cleared_name,
                                            chosen: marking_name(fallback.marking) })}
            </span>
          )}
          {!error && limited && sendable.length > 0 && !(draft.marking === null && fallback.lowered_from) && (
            <span class="muted" data-testid="markings-limited">{fill(t('markings_within_clearance'), { clearance: cleared_name })}</span>
          )}
        </div>
      </div>
      {policy.caveats.length > 0 && (
        <div class="label-caveats" role="group" aria-labelledby="label-caveats-title">
          <div id="label-caveats-title" class="caveats-title">{t('caveats')}</div>
          {policy.caveats.map((c) => {
            const on = !!draft.on[c.id];
            const problem = on ? problems[c.id] : undefined;
            // The station's word on this caveat stands under the marking; the caveat is marked too.
            const server = error?.caveat === c.id;
            return (
              <div class={`caveat ${server || (problem && (c.kind !== 'embargo' || draft.until)) ? 'has-error' : ''}`}
                   data-caveat={c.id} data-kind={c.kind}>
                <label class="check">
                  <input type="checkbox" name={`caveat-${c.id}`} checked={on}
                         onChange={(e) => change({ on: { ...draft.on, [c.id]: e.currentTarget.checked } })} />
                  <span>{name_text(c, s.lang)}</span>
                </label>
                {on && caveat_input(c)}
                {problem && (c.kind !== 'embargo' || draft.until) && <span class="field-error">{t(problem)}</span>}
              </div>
            );
          })}
        </div>
      )}
    </fieldset>
  );
}

export function Compose() {
  const s = use_store();
  const t = use_t();
  const channels = s.status?.channels ?? [];
  const [channel, set_channel] = useState('');
  const [prec, set_prec] = useState<precedence>('routine');
  const [form_id, set_form_id] = useState(free_text);
  const [raw, set_raw] = useState<raw_values>({});
  const [text, set_text] = useState('');
  const [server_errors, set_server_errors] = useState<Record<string, string>>({});
  const [preview, set_preview] = useState<string | null>(null);
  const [preview_lang, set_preview_lang] = useState<language | null>(null);
  const [busy, set_busy] = useState(false);
  const [result, set_result] = useState<{ ok: boolean; text: string; id?: string } | null>(null);
  const [draft_label, set_draft_label] = useState<label_draft>(empty_label);
  const [label_fault, set_label_fault] = useState<label_error | null>(null);
  // One Idempotency-Key per draft: sending the same draft again (after a timeout, say) cannot
  // post it twice; any change to the draft makes a new one.
  const draft_key = useRef<{ key: string; body: string } | null>(null);
  const timer = useRef<number | undefined>(undefined);

  const ch = channel || channels[0]?.channel || '';
  const chan = channels.find((c) => c.channel === ch);
  const plang = preview_lang ?? peer_language(chan, s.lang);
  const form: form_def | undefined = s.forms?.find((f) => f.id === form_id && f.id !== free_text);
  const checks = form ? Object.fromEntries(form.fields.map((f) => [f.name, check_field(f, raw)])) : {};
  const fields: Record<string, unknown> = {};
  for (const [k, c] of Object.entries(checks)) if (c.value !== undefined) fields[k] = c.value;
  const client_errors: Record<string, string> = {};
  for (const [k, c] of Object.entries(checks)) if (c.error) client_errors[k] = t(c.error as key);
  const missing = form ? form.fields.filter((f) => f.required && checks[f.name].value === undefined && !checks[f.name].error) : [];
  const words = text.trim() ? text.trim().split(/\s+/).length : 0;
  const urgent = prec === 'flash' || prec === 'immediate';

  const complete = !!form && Object.keys(client_errors).length === 0 && missing.length === 0;

  // Handling labels, when the agreement defines them and this station may send under one.
  const policy = s.labels?.defined && s.labels.markings.some((m) => m.sendable) ? s.labels : null;
  const labelled = policy ? label_of(policy, draft_label, form?.id ?? free_text, s.user?.clearance?.id) : null;
  const label_ok = !labelled || (!!labelled.label.marking && Object.keys(labelled.problems).length === 0);

  // Preview: once the form is complete, ask the station to render exactly what the other side
  // will read; its validation errors land on the fields they name.
  useEffect(() => {
    window.clearTimeout(timer.current);
    if (!form || !complete || s.caps.preview === false) {
      set_preview(null);
      return;
    }
    timer.current = window.setTimeout(async () => {
      try {
        const r = await post<{ rendered: string }>(`/api/v1/forms/${encodeURIComponent(form.id)}/preview`,
                                                   { fields, lang: plang, precedence: prec });
        set_preview(r.rendered);
        set_server_errors({});
        update((st) => ({ caps: { ...st.caps, preview: true } }));
      } catch (e) {
        if (e instanceof api_error && e.missing_route) {
          update((st) => ({ caps: { ...st.caps, preview: false } }));
        } else if (e instanceof api_error && e.field) {
          set_preview(null);
          set_server_errors({ [e.field.replace(/^fields\./, '').split(/[.[]/)[0]]: e.message });
        }
      }
    }, preview_debounce_ms);
    return () => window.clearTimeout(timer.current);
  }, [form?.id, complete, JSON.stringify(fields), plang, prec, s.caps.preview]);

  if (!can_send(s.user)) return <main class="page"><Note kind="warn">{t('cannot_send_role')}</Note></main>;

  const errors = { ...server_errors, ...client_errors };
  const ready = (form ? complete : text.trim().length > 0) && label_ok;

  const set = (k: string, v: string) => {
    set_raw((r) => ({ ...r, [k]: v }));
    set_result(null);
  };

  const change_label = (d: Partial<label_draft>) => {
    set_draft_label((l) => ({ ...l, ...d }));
    set_label_fault(null);
    set_result(null);
  };

  const send = async (e: Event) => {
    e.preventDefault();
    if (!ready || busy) return;
    set_busy(true);
    set_result(null);
    const sent_caveats = labelled?.label.caveats ?? [];
    try {
      const body: Record<string, unknown> = form ? { channel: ch, precedence: prec, form: form.id, fields }
        : { channel: ch, precedence: prec, text };
      if (labelled) body.label = labelled.label;
      const draft = JSON.stringify(body);
      if (draft_key.current?.body !== draft) draft_key.current = { key: new_idempotency_key(), body: draft };
      const m = await post<message>('/api/v1/messages', body, { 'Idempotency-Key': draft_key.current.key });
      draft_key.current = null;
      merge_messages([m]);
      set_result({ ok: true, text: t('sent_ok'), id: m.id });
      set_text('');
      set_raw({});
      set_preview(null);
      set_draft_label(empty_label);
      set_label_fault(null);
    } catch (err) {
      const ae = err instanceof api_error ? err : null;
      if (ae?.field?.startsWith('fields.')) set_server_errors({ [ae.field.slice(7).split(/[.[]/)[0]]: ae.message });
      if (ae?.field && (ae.field === 'label' || ae.field.startsWith('label.'))) {
        const i = /^label\.caveats\[(\d+)\]/.exec(ae.field);
        set_label_fault({ field: ae.field, message: ae.message, caveat: i ? sent_caveats[Number(i[1])]?.id : undefined });
      }
      set_result({ ok: false, text: `${t('error')}: ${ae ? ae.message : String(err)}${ae?.field ? ` (${ae.field})` : ''}` });
    } finally {
      set_busy(false);
    }
  };

  const shapes = form ? shapes_of(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v]))
    , (n) => form.fields.find((f) => f.name === n)?.label ?? n) : [];

  return (
    <main class="page compose" aria-labelledby="compose-title">
      <h1 id="compose-title">{t('compose_title')}</h1>
      {s.caps.forms === false && <Note kind="warn">{t('forms_unavailable')}</Note>}
      <form class="compose-grid" onSubmit={send} aria-label={t('compose_title')}>
        <div class="compose-left">
          <div class="row-fields">
            <label><span>{t('channel')}</span>
              <select name="channel" value={ch} onChange={(e) => set_channel(e.currentTarget.value)}>
                {channels.map((c) => <option value={c.channel}>{c.channel} ↔ {c.peer}</option>)}
              </select>
            </label>
            <label><span>{t('precedence')}</span>
              <select name="precedence" value={prec} class={`prec-select prec-${prec}`}
                      onChange={(e) => set_prec(e.currentTarget.value as precedence)}>
                {precedences.map((p) => <option value={p}>{t(`p_${p}` as key)}</option>)}
              </select>
            </label>
            <label class="grow"><span>{t('form')}</span>
              <select name="form" value={form_id} onChange={(e) => {
                set_form_id(e.currentTarget.value);
                set_raw({});
                set_server_errors({});
                set_result(null);
                // A new form brings its own default marking; ticked caveats stay.
                set_draft_label((l) => ({ ...l, marking: null }));
                set_label_fault(null);
              }}>
                <option value={free_text}>{t('free_text')}</option>
                {(s.forms ?? []).filter((f) => f.id !== free_text).map((f) => <option value={f.id}>{f.id} — {f.title}</option>)}
              </select>
            </label>
          </div>
          {policy && <LabelFields policy={policy} draft={draft_label} change={change_label}
                                  form_id={form?.id ?? free_text} error={label_fault} />}
          {form ? (
            <fieldset class="form-fields">
              <legend>{form.title}</legend>
              {form.example && (
                <button type="button" class="small" onClick={() => set_raw(raw_from_values(form, form.example!))}>{t('example')}</button>
              )}
              {form.fields.map((f) => <FieldInput f={f} raw={raw} set={set} error={errors[f.name]} />)}
            </fieldset>
          ) : (
            <div class="field">
              <label for="free-text">{t('text')}</label>
              <textarea id="free-text" name="text" rows={8} value={text}
                        onInput={(e) => { set_text(e.currentTarget.value); set_result(null); }} />
              <div class={`hint ${urgent && words > urgent_words_max ? 'field-error' : ''}`}>
                {words} {t('words')}{urgent ? ` · ${t('urgent_short')} (≤ ${urgent_words_max})` : ''}
              </div>
            </div>
          )}
          {form && Object.keys(errors).length > 0 && <Note kind="warn">{t('fix_fields')}</Note>}
          {result && <Note kind={result.ok ? 'info' : 'error'}>{result.text}{result.id &&
            <> <a href={`#/message/${result.id}`} onClick={() => go(`#/message/${result.id}`)}>{t('open')}</a></>}</Note>}
          <button type="submit" class={`primary big send-${prec}`} disabled={!ready || busy}>
            {busy ? t('sending') : `${t('send')} — ${t(`p_${prec}` as key)}`}
          </button>
        </div>
        <div class="compose-right">
          <section class="card preview" aria-label={t('preview')}>
            <h2>{t('preview')}</h2>
            {form && (
              <label class="inline"><span>{t('preview_in')}</span>
                <select value={plang} onChange={(e) => set_preview_lang(e.currentTarget.value as language)}>
                  {languages.map((l) => <option value={l}>{language_names[l]}</option>)}
                </select>
              </label>
            )}
            {form ? (s.caps.preview === false ? <Note kind="warn">{t('preview_unavailable')}</Note>
              : <pre class="message-text" data-testid="preview">{preview ?? '…'}</pre>)
              : <pre class="message-text" data-testid="preview">{text}</pre>}
          </section>
          {shapes.length > 0 && <MapView shapes={shapes} title={t('map_title')} compact />}
        </div>
      </form>
    </main>
  );
}
