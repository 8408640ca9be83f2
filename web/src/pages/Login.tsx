import { useState } from 'preact/hooks';
import { language_names } from '../lib/i18n';
import { unlock_audio } from '../lib/alarm';
import { api_error } from '../lib/api';
import { choose_language, sign_in } from '../lib/session';
import { use_store } from '../lib/store';
import { languages, type language } from '../lib/types';
import { Note, use_t } from '../components/common';

export function Login() {
  const s = use_store();
  const t = use_t();
  const [username, set_username] = useState('');
  const [password, set_password] = useState('');
  const [busy, set_busy] = useState(false);
  const [error, set_error] = useState('');

  const submit = async (e: Event) => {
    e.preventDefault();
    // The click that signs in is the gesture that lets the alarm make sound later.
    unlock_audio();
    set_busy(true);
    set_error('');
    try {
      await sign_in(username.trim(), password);
    } catch (err) {
      set_error(err instanceof api_error ? err.message : String(err));
      set_password('');
    } finally {
      set_busy(false);
    }
  };

  return (
    <main class="login" aria-labelledby="login-title">
      <form class="login-box" onSubmit={submit}>
        <h1 id="login-title">{t('app_title')}</h1>
        <p class="muted">{t('login_note')}</p>
        {!s.sessions_supported && <Note kind="warn">{t('no_sessions')}</Note>}
        <label>
          <span>{t('username')}</span>
          <input name="username" autocomplete="username" required value={username}
                 onInput={(e) => set_username(e.currentTarget.value)} />
        </label>
        <label>
          <span>{t('password')}</span>
          <input name="password" type="password" autocomplete="current-password" required value={password}
                 onInput={(e) => set_password(e.currentTarget.value)} />
        </label>
        {error && <Note kind="error">{t('login_failed')}: {error}</Note>}
        <button type="submit" class="primary" disabled={busy}>{busy ? t('signing_in') : t('sign_in')}</button>
        <label class="inline">
          <span>{t('interface_language')}</span>
          <select value={s.lang} onChange={(e) => void choose_language(e.currentTarget.value as language)}>
            {languages.map((l) => <option value={l}>{language_names[l]}</option>)}
          </select>
        </label>
      </form>
    </main>
  );
}
