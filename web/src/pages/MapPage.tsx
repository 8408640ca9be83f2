// The map of formatted traffic: every message with a position, area or route, so an officer
// sees at a glance whether a notified flight or activity reaches into the zone.
import { useState } from 'preact/hooks';
import { use_store } from '../lib/store';
import { shapes_of } from '../lib/geo';
import { is_redacted } from '../lib/labels';
import { MapView } from '../components/MapView';
import { Precedence, When, use_t } from '../components/common';

export function MapPage() {
  const s = use_store();
  const t = use_t();
  // A message above the officer's clearance has no fields here, and is never plotted.
  const with_shapes = [...s.messages.values()]
    .filter((m) => !is_redacted(m))
    .map((m) => ({ m, shapes: shapes_of(m.fields) }))
    .filter((x) => x.shapes.length > 0)
    .sort((a, b) => b.m.cursor - a.m.cursor)
    .slice(0, 50);
  const [chosen, set_chosen] = useState<string | null>(null);
  const selected = with_shapes.find((x) => x.m.id === chosen) ?? with_shapes[0];
  const form_label = (form: string, name: string) =>
    s.forms?.find((f) => f.id === form)?.fields.find((f) => f.name === name)?.label ?? name;
  return (
    <main class="page map-page" aria-labelledby="map-title">
      <h1 id="map-title">{t('map_title')}</h1>
      <p class="muted">{t('map_caption')}</p>
      <div class="map-layout">
        <MapView title={t('map_title')}
                 shapes={selected ? selected.shapes.map((sh) => ({ ...sh, label: form_label(selected.m.form, sh.label) })) : []} />
        <aside class="card">
          {with_shapes.length === 0 ? <p class="muted">{t('no_geo')}</p> : (
            <ul class="pick-list">
              {with_shapes.map(({ m }) => (
                <li>
                  <button type="button" class={selected?.m.id === m.id ? 'picked' : ''} aria-pressed={selected?.m.id === m.id}
                          onClick={() => set_chosen(m.id)}>
                    <Precedence p={m.precedence} /> <span class="form-id">{m.form}</span> <When at={m.created_at} />
                  </button>
                </li>
              ))}
            </ul>
          )}
        </aside>
      </div>
    </main>
  );
}
