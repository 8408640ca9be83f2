// An offline map: Natural Earth coastline (bundled at build time), a degree graticule, the
// approximate KADIZ, and the positions, areas and routes of formatted traffic. Everything is
// plain SVG with classes (the station's CSP forbids inline styles); d3-geo supplies only the
// projection, and paths are drawn in the plane after projecting.
import { useEffect, useState } from 'preact/hooks';
import { circle_points, enters_kadiz, kadiz_approx, type point, type shape } from '../lib/geo';
import { use_t } from './common';

const width = 900;
const height = 640;

const places: { name: string; lon: number; lat: number }[] = [
  { name: 'Seoul', lon: 126.98, lat: 37.57 },
  { name: 'Busan', lon: 129.04, lat: 35.18 },
  { name: 'Pyongyang', lon: 125.75, lat: 39.02 },
  { name: 'Vladivostok', lon: 131.89, lat: 43.12 },
  { name: 'Jeju', lon: 126.53, lat: 33.5 },
  { name: 'Ulleungdo', lon: 130.86, lat: 37.5 },
];

type map_data = typeof import('./map_data');
let loaded: map_data | null = null;

function use_map_data(): map_data | null {
  const [data, set_data] = useState(loaded);
  useEffect(() => {
    if (!data) void import('./map_data').then((d) => set_data((loaded = d)));
  }, []);
  return data;
}

type bounds = { lon_min: number; lon_max: number; lat_min: number; lat_max: number };

function bounds_of(shapes: shape[]): bounds {
  const pts: point[] = kadiz_approx.map(([lon, lat]) => ({ lon, lat }));
  for (const s of shapes) {
    if (s.kind === 'position') pts.push(s.at);
    else if (s.kind === 'circle') pts.push(...circle_points(s.centre, s.radius_nm, 8));
    else pts.push(...s.points);
  }
  const b = { lon_min: 180, lon_max: -180, lat_min: 90, lat_max: -90 };
  for (const p of pts) {
    b.lon_min = Math.min(b.lon_min, p.lon);
    b.lon_max = Math.max(b.lon_max, p.lon);
    b.lat_min = Math.min(b.lat_min, p.lat);
    b.lat_max = Math.max(b.lat_max, p.lat);
  }
  const pad = 1.5;
  return { lon_min: b.lon_min - pad, lon_max: b.lon_max + pad, lat_min: b.lat_min - pad, lat_max: b.lat_max + pad };
}

export function MapView({ shapes, title, compact = false }: { shapes: shape[]; title: string; compact?: boolean }) {
  const t = use_t();
  const data = use_map_data();
  if (!data) return <figure class="map"><p class="muted">{t('loading')}</p></figure>;
  const { rings, geoMercator } = data;
  const b = bounds_of(shapes);
  const projection = geoMercator().fitExtent([[8, 8], [width - 8, height - 8]], {
    type: 'MultiPoint',
    coordinates: [[b.lon_min, b.lat_min], [b.lon_max, b.lat_max]],
  });
  const xy = (lon: number, lat: number) => projection([lon, lat]) ?? [0, 0];
  const line = (pts: [number, number][], closed: boolean) =>
    pts.map(([lon, lat], i) => {
      const [x, y] = xy(lon, lat);
      return `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    }).join('') + (closed ? 'Z' : '');
  const land = rings.map((r) => line(r, true)).join('');
  const graticule: string[] = [];
  for (let lon = Math.ceil(b.lon_min); lon <= b.lon_max; lon++) {
    graticule.push(line([[lon, b.lat_min - 5], [lon, b.lat_max + 5]], false));
  }
  for (let lat = Math.ceil(b.lat_min); lat <= b.lat_max; lat++) {
    graticule.push(line([[b.lon_min - 5, lat], [b.lon_max + 5, lat]], false));
  }
  const kadiz_anchor = xy(124.2, 38.6);
  return (
    <figure class={`map ${compact ? 'map-compact' : ''}`}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}. ${t('kadiz_note')}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0L10,5L0,10Z" class="arrow-head" />
          </marker>
        </defs>
        <rect x="0" y="0" width={width} height={height} class="sea" />
        <path d={graticule.join('')} class="graticule" />
        <path d={land} class="land" fill-rule="evenodd" />
        <path d={line(kadiz_approx, true)} class="kadiz" data-testid="kadiz" />
        <text x={kadiz_anchor[0]} y={kadiz_anchor[1]} class="kadiz-label">KADIZ (approx.)</text>
        {places.map((p) => {
          const [x, y] = xy(p.lon, p.lat);
          return <g class="place"><circle cx={x} cy={y} r="2.5" /><text x={x + 5} y={y - 4}>{p.name}</text></g>;
        })}
        {shapes.map((s, i) => {
          const cls = `shape ${enters_kadiz(s) ? 'shape-in' : 'shape-out'}`;
          if (s.kind === 'position') {
            const [x, y] = xy(s.at.lon, s.at.lat);
            return <g class={cls} data-shape="position"><circle cx={x} cy={y} r="6" /><text x={x + 9} y={y + 4}>{i + 1}</text></g>;
          }
          const pts: [number, number][] = (s.kind === 'circle' ? circle_points(s.centre, s.radius_nm) : s.points)
            .map((p) => [p.lon, p.lat]);
          const [lx, ly] = xy(pts[0][0], pts[0][1]);
          return (
            <g class={cls} data-shape={s.kind}>
              <path d={line(pts, s.kind !== 'route')} marker-end={s.kind === 'route' ? 'url(#arrow)' : undefined}
                    class={s.kind === 'route' ? 'route' : 'area'} />
              <text x={lx + 8} y={ly - 6}>{i + 1}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {shapes.map((s, i) => {
            const inside = enters_kadiz(s);
            return (
              <li data-testid="shape-verdict" data-enters={inside ? 'yes' : 'no'}>
                <b>{i + 1}</b> {s.label}: <span class={inside ? 'verdict-in' : 'verdict-out'}>
                  {inside ? `⚠ ${t('enters_kadiz')}` : t('outside_kadiz')}</span>
              </li>
            );
          })}
        </ul>
        <p class="kadiz-note" data-testid="kadiz-note">{t('kadiz_note')} Natural Earth 1:10m.</p>
      </figcaption>
    </figure>
  );
}
