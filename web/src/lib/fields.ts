// Typed form inputs: what an officer types for each field type, how the console checks it while
// typing, and the JSON value it sends. The station validates again and is the authority; these
// checks only catch mistakes before the officer presses Send.
import { parse_position } from './geo';
import { input_utc, iso_utc, parse_utc_input } from './time';
import type { form_def, form_field } from './types';
import type { key } from './i18n';

// Raw inputs keyed by field name; compound fields use "name.part" keys.
export type raw_values = Record<string, string>;

export interface field_check {
  value?: unknown;      // the JSON to send; undefined when empty
  error?: key;          // a client-side error
}

function lines(text: string | undefined): string[] {
  return (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
}

export function position_text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'lat' in v && 'lon' in v) {
    const { lat, lon } = v as { lat: number; lon: number };
    return `${Math.abs(lat)}${lat < 0 ? 'S' : 'N'} ${Math.abs(lon)}${lon < 0 ? 'W' : 'E'}`;
  }
  return '';
}

export function check_field(f: form_field, raw: raw_values): field_check {
  const r = (part?: string) => (raw[part ? `${f.name}.${part}` : f.name] ?? '').trim();
  switch (f.type) {
    case 'datetime': {
      if (!r()) return {};
      const ms = parse_utc_input(r());
      return ms === null ? { error: 'invalid_time' } : { value: iso_utc(ms) };
    }
    case 'time_window': {
      if (!r('start') && !r('end')) return {};
      const a = parse_utc_input(r('start'));
      const b = parse_utc_input(r('end'));
      if (a === null || b === null) return { error: 'invalid_time' };
      return { value: { start: iso_utc(a), end: iso_utc(b) } };
    }
    case 'position':
      if (!r()) return {};
      return parse_position(r()) ? { value: r() } : { error: 'invalid_position' };
    case 'route': {
      const pts = lines(raw[f.name]);
      if (!pts.length) return {};
      if (pts.some((p) => !parse_position(p))) return { error: 'invalid_position' };
      return pts.length < 2 ? { error: 'too_few_points' } : { value: pts };
    }
    case 'area': {
      if (r('kind') === 'circle') {
        if (!r('centre') && !r('radius')) return {};
        const radius = Number(r('radius'));
        if (!parse_position(r('centre'))) return { error: 'invalid_position' };
        return { value: { centre: r('centre'), radius_nm: radius } };
      }
      const pts = lines(raw[`${f.name}.points`]);
      if (!pts.length) return {};
      if (pts.some((p) => !parse_position(p))) return { error: 'invalid_position' };
      return pts.length < 3 ? { error: 'too_few_points' } : { value: { points: pts } };
    }
    case 'count':
    case 'speed':
      return r() ? { value: Number(r()) } : {};
    case 'callsign':
      return r() ? { value: r().toUpperCase() } : {};
    default:
      return r() ? { value: r() } : {};
  }
}

// The raw inputs that show a catalog example (or a message's fields) in the form.
export function raw_from_values(form: form_def, values: Record<string, unknown>): raw_values {
  const raw: raw_values = {};
  for (const f of form.fields) {
    const v = values[f.name];
    if (v === undefined || v === null) continue;
    switch (f.type) {
      case 'datetime':
        raw[f.name] = typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? input_utc(Date.parse(v)) : String(v);
        break;
      case 'time_window': {
        const w = v as { start?: string; end?: string };
        raw[`${f.name}.start`] = w.start ? input_utc(Date.parse(w.start)) : '';
        raw[`${f.name}.end`] = w.end ? input_utc(Date.parse(w.end)) : '';
        break;
      }
      case 'position':
        raw[f.name] = position_text(v);
        break;
      case 'route':
        raw[f.name] = Array.isArray(v) ? v.map(position_text).join('\n') : '';
        break;
      case 'area': {
        const a = v as { points?: unknown[]; centre?: unknown; radius_nm?: number };
        if (a.points) {
          raw[`${f.name}.kind`] = 'polygon';
          raw[`${f.name}.points`] = a.points.map(position_text).join('\n');
        } else {
          raw[`${f.name}.kind`] = 'circle';
          raw[`${f.name}.centre`] = position_text(a.centre);
          raw[`${f.name}.radius`] = String(a.radius_nm ?? '');
        }
        break;
      }
      case 'altitude': {
        const alt = v as { feet?: number; flight_level?: number } | string | number;
        raw[f.name] = typeof alt === 'object' ? (alt.flight_level ? `FL${alt.flight_level}` : String(alt.feet ?? '')) : String(alt);
        break;
      }
      default:
        raw[f.name] = String(v);
    }
  }
  return raw;
}
