// Positions, areas and routes as the console draws them, and the one question an officer asks
// of a flight notice at a glance: does it enter the KADIZ?

export interface point {
  lat: number;
  lon: number;
}

// The Korean Air Defense Identification Zone as [longitude, latitude], after its 2013 extension
// south over Ieodo. APPROXIMATE: the corners are rounded to readable values and the Korea Strait
// edge is simplified. It is for orientation only, never for deciding whether a real aircraft
// violated the zone; the published AIP boundary is the authority, and the console says so
// wherever it draws this line.
export const kadiz_approx: [number, number][] = [
  [123.0, 39.0], [133.0, 39.0], [133.0, 37.0], [131.0, 35.8], [129.9, 35.3], [129.1, 34.7],
  [128.3, 33.7], [127.5, 32.5], [126.8, 32.0], [125.42, 30.0], [124.0, 30.0], [124.0, 37.0],
  [123.0, 37.0],
];

// Parses one coordinate's number part: "37°30'15\"", "37 30", "3730", "373015", "3730.6",
// "37.51" (decimal degrees when the whole-degree part is short). `deg_digits` is 2 for
// latitude and 3 for longitude, for the compact ICAO forms.
function parse_coordinate(raw: string, deg_digits: number): number | null {
  const s = raw.trim().replace(/\s+/g, ' ');
  if (!s) return null;
  if (s.includes('°') || s.includes("'") || s.includes(' ')) {
    const m = /^(\d{1,3}(?:\.\d+)?)\s*°?\s*(?:(\d{1,2}(?:\.\d+)?)\s*'?\s*(?:(\d{1,2}(?:\.\d+)?)\s*"?)?)?$/.exec(s);
    if (!m) return null;
    const d = Number(m[1]);
    const mi = m[2] ? Number(m[2]) : 0;
    const se = m[3] ? Number(m[3]) : 0;
    if (mi >= 60 || se >= 60) return null;
    return d + mi / 60 + se / 3600;
  }
  const m = /^(\d+)(\.\d+)?$/.exec(s);
  if (!m) return null;
  const whole = m[1];
  const frac = m[2] ?? '';
  if (whole.length <= deg_digits) return Number(whole + frac);
  if (whole.length === deg_digits + 2 || whole.length === deg_digits + 4) {
    const d = Number(whole.slice(0, deg_digits));
    const mi = Number(whole.slice(deg_digits, deg_digits + 2) + (whole.length === deg_digits + 2 ? frac : ''));
    const se = whole.length === deg_digits + 4 ? Number(whole.slice(deg_digits + 2) + frac) : 0;
    if (mi >= 60 || se >= 60) return null;
    return d + mi / 60 + se / 3600;
  }
  return null;
}

// Reads a position the way aviators and mariners write it (docs/forms.md lists the forms); the
// station's parser is the authority, this one only places the point on the map while typing.
export function parse_position(input: unknown): point | null {
  if (input && typeof input === 'object') {
    const o = input as { lat?: unknown; lon?: unknown };
    if (typeof o.lat === 'number' && typeof o.lon === 'number') return valid({ lat: o.lat, lon: o.lon });
    return null;
  }
  if (typeof input !== 'string') return null;
  const s = input.trim().toUpperCase().replace(/[′’`]/g, "'").replace(/[″”]|''/g, '"').replace(/º/g, '°');
  const prefix = /^[NSEW]/.test(s);
  const pieces = prefix ? s.split(/(?=[NSEW])/) : s.split(/(?<=[NSEW])/);
  const coords: { hemi: string; text: string }[] = [];
  for (const piece of pieces) {
    const p = piece.replace(/^[\s,/]+|[\s,/]+$/g, '');
    if (!p) continue;
    const hemi = prefix ? p[0] : p[p.length - 1];
    if (!/[NSEW]/.test(hemi)) return null;
    coords.push({ hemi, text: (prefix ? p.slice(1) : p.slice(0, -1)).replace(/[,/]/g, ' ') });
  }
  if (coords.length !== 2) return decimal_pair(s);
  const lat_c = coords.find((c) => c.hemi === 'N' || c.hemi === 'S');
  const lon_c = coords.find((c) => c.hemi === 'E' || c.hemi === 'W');
  if (!lat_c || !lon_c) return null;
  const lat = parse_coordinate(lat_c.text, 2);
  const lon = parse_coordinate(lon_c.text, 3);
  if (lat === null || lon === null) return null;
  return valid({ lat: lat_c.hemi === 'S' ? -lat : lat, lon: lon_c.hemi === 'W' ? -lon : lon });
}

function decimal_pair(s: string): point | null {
  const m = /^(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)$/.exec(s);
  return m ? valid({ lat: Number(m[1]), lon: Number(m[2]) }) : null;
}

function valid(p: point): point | null {
  return Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180 ? p : null;
}

// What a form's fields put on the map.
export type shape =
  | { kind: 'position'; label: string; at: point }
  | { kind: 'route'; label: string; points: point[] }
  | { kind: 'polygon'; label: string; points: point[] }
  | { kind: 'circle'; label: string; centre: point; radius_nm: number };

// Finds positions, areas and routes in a message's fields, whatever their names: a position is
// {lat, lon}, a route a list of positions, an area {points} or {centre, radius_nm}.
export function shapes_of(fields: Record<string, unknown> | null | undefined,
                          label_of: (name: string) => string = (n) => n): shape[] {
  const out: shape[] = [];
  if (!fields) return out;
  for (const [name, v] of Object.entries(fields)) {
    const label = label_of(name);
    if (Array.isArray(v)) {
      const pts = v.map(parse_position);
      if (pts.length >= 2 && pts.every((p) => p)) out.push({ kind: 'route', label, points: pts as point[] });
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    const o = v as Record<string, unknown>;
    if ('lat' in o && 'lon' in o) {
      const p = parse_position(o);
      if (p) out.push({ kind: 'position', label, at: p });
    } else if (Array.isArray(o.points)) {
      const pts = o.points.map(parse_position);
      if (pts.length >= 3 && pts.every((p) => p)) out.push({ kind: 'polygon', label, points: pts as point[] });
    } else if (o.centre !== undefined && typeof o.radius_nm === 'number') {
      const c = parse_position(o.centre);
      if (c) out.push({ kind: 'circle', label, centre: c, radius_nm: o.radius_nm });
    }
  }
  return out;
}

type xy = [number, number];

function inside(p: xy, poly: xy[]): boolean {
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

function cross(a: xy, b: xy, c: xy): number {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

function segments_cross(a: xy, b: xy, c: xy, d: xy): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

function path_touches(points: xy[], closed: boolean, zone: xy[]): boolean {
  if (points.some((p) => inside(p, zone))) return true;
  const n = closed ? points.length : points.length - 1;
  for (let i = 0; i < n; i++) {
    const a = points[i];
    const b = points[(i + 1) % points.length];
    for (let j = 0; j < zone.length; j++) {
      if (segments_cross(a, b, zone[j], zone[(j + 1) % zone.length])) return true;
    }
  }
  return closed && zone.some((z) => inside(z, points));
}

// Points around a circle, in degrees; good enough at these latitudes for a yes/no at a glance.
export function circle_points(c: point, radius_nm: number, n = 48): point[] {
  const r_lat = radius_nm / 60;
  const r_lon = r_lat / Math.max(0.05, Math.cos((c.lat * Math.PI) / 180));
  return Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    return { lat: c.lat + r_lat * Math.sin(a), lon: c.lon + r_lon * Math.cos(a) };
  });
}

const xy_of = (p: point): xy => [p.lon, p.lat];

// True when a shape enters or lies in the (approximate) KADIZ.
export function enters_kadiz(s: shape, zone: [number, number][] = kadiz_approx): boolean {
  switch (s.kind) {
    case 'position': return inside(xy_of(s.at), zone);
    case 'route': return path_touches(s.points.map(xy_of), false, zone);
    case 'polygon': return path_touches(s.points.map(xy_of), true, zone);
    case 'circle': return path_touches(circle_points(s.centre, s.radius_nm).map(xy_of), true, zone);
  }
}
