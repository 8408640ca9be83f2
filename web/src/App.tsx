// The console's frame: header (station, clocks, link to the event stream, user, language), the
// alarm banner, navigation, and the page the hash names.
import { useEffect, useState } from 'preact/hooks';
import { unlock_audio } from './lib/alarm';
import { language_names, type key } from './lib/i18n';
import { clearance_name } from './lib/labels';
import { choose_language, sign_out } from './lib/session';
import { can_send, update, use_store } from './lib/store';
import { local_zone, zone_label } from './lib/time';
import { languages, type language } from './lib/types';
import { AlarmBanner, StationAlarmBanner, alarm_repeat_ms, alarm_tick } from './components/AlarmBanner';
import { use_t } from './components/common';
import { Login } from './pages/Login';
import { Watch } from './pages/Watch';
import { Traffic } from './pages/Traffic';
import { Detail } from './pages/Detail';
import { Compose } from './pages/Compose';
import { MapPage } from './pages/MapPage';
import { LinkTests, waiting_link_tests } from './pages/LinkTests';
import { Journal } from './pages/Journal';

function use_hash(): string {
  const [hash, set_hash] = useState(location.hash || '#/watch');
  useEffect(() => {
    const on = () => set_hash(location.hash || '#/watch');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function Clock() {
  const s = use_store();
  const zone = local_zone(s.lang);
  const fmt = (z: string) => new Intl.DateTimeFormat('en-GB', { timeZone: z, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(s.now_ms);
  return (
    <div class="clocks" aria-live="off">
      <span class="clock"><b>{fmt('UTC')}</b> UTC</span>
      {zone !== 'UTC' && <span class="clock local">{fmt(zone)} {zone_label(zone)}</span>}
    </div>
  );
}

function Header() {
  const s = use_store();
  const t = use_t();
  return (
    <header class="top">
      <div class="station">
        <span class="brand">HOTLINE</span>
        <span class="station-name">{s.status?.station_name ?? '…'}</span>
        <span class="mono muted">{s.status?.station}</span>
      </div>
      <Clock />
      <div class={`live ${s.live ? 'live-on' : 'live-off'}`} title={t('live_title')} role="status" data-testid="live">
        <span aria-hidden="true">{s.live ? '●' : '○'}</span> {s.live ? t('live') : t('reconnecting')}
      </div>
      <div class="who">
        <span class="user">{s.user?.name}</span>
        <span class="muted">{s.user ? t(`role_${s.user.role.replace('-', '_')}` as key) : ''}</span>
        {s.user?.clearance && (
          <span class="clearance" data-testid="clearance" data-clearance={s.user.clearance.id} title={t('clearance_title')}>
            {t('cleared')}: <b>{clearance_name(s.labels, s.user.clearance, s.lang)}</b>
          </span>
        )}
      </div>
      <label class="lang">
        <span class="visually-hidden">{t('interface_language')}</span>
        <select aria-label={t('interface_language')} value={s.lang}
                onChange={(e) => void choose_language(e.currentTarget.value as language)}>
          {languages.map((l) => <option value={l}>{language_names[l]}</option>)}
        </select>
      </label>
      <button type="button" onClick={() => void sign_out()}>{t('sign_out')}</button>
    </header>
  );
}

function Nav({ hash }: { hash: string }) {
  const s = use_store();
  const t = use_t();
  const tests = waiting_link_tests(s.messages.values()).length;
  const auditing = s.user && ['auditor', 'supervisor', 'admin'].includes(s.user.role) && (s.caps.journal || s.caps.audit);
  const items: [string, key, number?][] = [
    ['#/watch', 'nav_watch'],
    ['#/traffic', 'nav_traffic'],
    ...(can_send(s.user) ? [['#/compose', 'nav_compose'] as [string, key]] : []),
    ['#/map', 'nav_map'],
    ['#/link-tests', 'nav_link_tests', tests],
    ...(auditing ? [['#/journal', 'nav_journal'] as [string, key]] : []),
  ];
  return (
    <nav class="nav" aria-label={t('main_nav')}>
      {items.map(([href, k, n]) => (
        <a href={href} class={hash.startsWith(href) ? 'current' : ''} aria-current={hash.startsWith(href) ? 'page' : undefined}>
          {t(k)}{n ? <span class="badge">{n}</span> : null}
        </a>
      ))}
    </nav>
  );
}

function Page({ hash }: { hash: string }) {
  const [, name, arg] = hash.split('/');
  switch (name) {
    case 'traffic': return <Traffic />;
    case 'message': return <Detail id={decodeURIComponent(arg ?? '')} />;
    case 'compose': return <Compose />;
    case 'map': return <MapPage />;
    case 'link-tests': return <LinkTests />;
    case 'journal': return <Journal />;
    default: return <Watch />;
  }
}

export function App() {
  const s = use_store();
  const hash = use_hash();
  useEffect(() => {
    const tick = window.setInterval(() => update({ now_ms: Date.now() }), 1000);
    const alarm = window.setInterval(alarm_tick, alarm_repeat_ms);
    const gesture = () => unlock_audio();
    addEventListener('pointerdown', gesture);
    addEventListener('keydown', gesture);
    return () => {
      window.clearInterval(tick);
      window.clearInterval(alarm);
      removeEventListener('pointerdown', gesture);
      removeEventListener('keydown', gesture);
    };
  }, []);
  useEffect(() => {
    document.documentElement.lang = s.lang;
  }, [s.lang]);
  if (s.phase === 'loading') return <main class="login"><p class="muted">…</p></main>;
  if (s.phase === 'login') return <><StationAlarmBanner /><Login /></>;
  return (
    <div class="shell">
      <Header />
      <StationAlarmBanner />
      <AlarmBanner />
      <Nav hash={hash} />
      <Page hash={hash} />
    </div>
  );
}
