// Signing in and out, and what the console learns about its station once signed in.
import { api_error, call, del, get, get_labels, patch, post, set_csrf, set_language } from './api';
import { load_initial, refresh_status, start_events, stop_events } from './events';
import { get_state, update } from './store';
import type { form_def, language, session_info } from './types';

function apply_session(s: session_info) {
  set_csrf(s.csrf_token);
  const lang = s.user.language ?? get_state().lang;
  set_language(lang);
  update({ user: s.user, lang, phase: 'ready' });
}

export async function boot() {
  set_language(get_state().lang);
  try {
    const s = await get<session_info>('/api/v1/session');
    apply_session(s);
    await after_sign_in();
  } catch (e) {
    const supported = !(e instanceof api_error && e.missing_route);
    update({ phase: 'login', sessions_supported: supported });
  }
}

export async function sign_in(username: string, password: string) {
  const s = await post<session_info>('/api/v1/session', { username, password });
  apply_session(s);
  await after_sign_in();
}

async function after_sign_in() {
  start_events();
  await Promise.allSettled([load_initial(), refresh_status(), probe_capabilities(), load_labels()]);
}

// The handling labels: names of markings, caveats and organisations are in the station's language
// whatever the officer's, so they are read once per sign-in.
export async function load_labels() {
  try {
    update({ labels: await get_labels() });
  } catch {
    // Unreachable for now: banners still show the label's own words, without rank colours.
  }
}

export async function sign_out() {
  try {
    await del('/api/v1/session');
  } finally {
    stop_events();
    set_csrf('');
    update({ phase: 'login', user: null, messages: new Map(), status: null, forms: null, labels: null,
             caps: { forms: null, preview: null, journal: null, audit: null } });
  }
}

export async function choose_language(lang: language) {
  set_language(lang);
  update({ lang });
  if (get_state().user) {
    await patch('/api/v1/me', { language: lang }).catch(() => undefined);
    await load_forms();
  }
}

export async function load_forms() {
  try {
    const forms = await get<form_def[] | { forms: form_def[] }>(`/api/v1/forms?lang=${get_state().lang}`);
    const list = Array.isArray(forms) ? forms : forms.forms;
    update((s) => ({ forms: list, caps: { ...s.caps, forms: true } }));
  } catch (e) {
    if (e instanceof api_error && e.missing_route) update((s) => ({ forms: null, caps: { ...s.caps, forms: false } }));
  }
}

// Learns which of the still-growing routes this station has, with reads only.
async function probe_capabilities() {
  const probe = async (path: string) => {
    try {
      await call('GET', path);
      return true;
    } catch (e) {
      // 403: the route exists but this role may not read it.
      return e instanceof api_error && !e.missing_route && e.status !== 403 ? true : false;
    }
  };
  const [journal, audit] = await Promise.all([probe('/api/v1/journal?limit=1'), probe('/api/v1/audit?limit=1')]);
  update((s) => ({ caps: { ...s.caps, journal, audit } }));
  await load_forms();
}
