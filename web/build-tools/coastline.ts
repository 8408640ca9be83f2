// Builds the console's offline coastline at bundle time: Natural Earth land polygons (1:10m,
// from the world-atlas package) clipped to the seas around the Korean peninsula, rounded, and
// served to the app as the virtual module "virtual:coastline". Clipping here keeps the shipped
// asset small (tens of kilobytes rather than the whole world) and means the station needs no
// map server or network at run time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { feature } from 'topojson-client';
import type { Plugin } from 'vite';

// The map's window: the Yellow Sea, the Sea of Japan and the Russian Far East coast.
export const region = { lon_min: 116, lon_max: 148, lat_min: 26, lat_max: 52 };

// 0.01 degree is about 1 km: finer than the 1:10m source is accurate, coarser than a pixel.
const precision = 100;
const min_step = 0.03;

type ring = [number, number][];

// Sutherland-Hodgman clipping of one ring against one edge of the window. Rings that cross the
// window edge gain points along it; the fill is still right because the edge lies off screen.
function clip_edge(points: ring, inside: (p: [number, number]) => boolean,
                   cross: (a: [number, number], b: [number, number]) => [number, number]): ring {
  const out: ring = [];
  for (let i = 0; i < points.length; i++) {
    const cur = points[i];
    const prev = points[(i + points.length - 1) % points.length];
    if (inside(cur)) {
      if (!inside(prev)) out.push(cross(prev, cur));
      out.push(cur);
    } else if (inside(prev)) {
      out.push(cross(prev, cur));
    }
  }
  return out;
}

function at_lon(lon: number) {
  return (a: [number, number], b: [number, number]): [number, number] =>
    [lon, a[1] + ((b[1] - a[1]) * (lon - a[0])) / (b[0] - a[0])];
}

function at_lat(lat: number) {
  return (a: [number, number], b: [number, number]): [number, number] =>
    [a[0] + ((b[0] - a[0]) * (lat - a[1])) / (b[1] - a[1]), lat];
}

export function clip_ring(points: ring): ring {
  let r = points;
  r = clip_edge(r, (p) => p[0] >= region.lon_min, at_lon(region.lon_min));
  r = clip_edge(r, (p) => p[0] <= region.lon_max, at_lon(region.lon_max));
  r = clip_edge(r, (p) => p[1] >= region.lat_min, at_lat(region.lat_min));
  r = clip_edge(r, (p) => p[1] <= region.lat_max, at_lat(region.lat_max));
  const rounded: ring = [];
  for (const [lon, lat] of r) {
    const p: [number, number] = [Math.round(lon * precision) / precision,
                                 Math.round(lat * precision) / precision];
    // Points closer than min_step to the last kept one add bytes but nothing visible.
    const last = rounded[rounded.length - 1];
    if (!last || Math.abs(last[0] - p[0]) + Math.abs(last[1] - p[1]) >= min_step) rounded.push(p);
  }
  return rounded.length >= 4 ? rounded : [];
}

function build(): number[][][] {
  const require = createRequire(import.meta.url);
  const topo = JSON.parse(readFileSync(require.resolve('world-atlas/land-10m.json'), 'utf8'));
  const land = feature(topo, topo.objects.land) as unknown as GeoJSON.FeatureCollection | GeoJSON.Feature;
  const features = 'features' in land ? land.features : [land];
  const rings: number[][][] = [];
  for (const f of features) {
    const g = f.geometry;
    const polygons = g.type === 'MultiPolygon' ? g.coordinates : g.type === 'Polygon' ? [g.coordinates] : [];
    for (const polygon of polygons) {
      // Only outer rings: lakes are not worth their bytes on a watch map.
      const clipped = clip_ring(polygon[0] as ring);
      if (clipped.length) rings.push(clipped);
    }
  }
  return rings;
}

export function coastline_plugin(): Plugin {
  const id = 'virtual:coastline';
  return {
    name: 'hotline-coastline',
    resolveId: (source) => (source === id ? '\0' + id : null),
    load(source) {
      if (source !== '\0' + id) return null;
      const rings = build();
      return `export const source = "Natural Earth 1:10m land (world-atlas)";\n` +
             `export const region = ${JSON.stringify(region)};\n` +
             `export const rings = JSON.parse(${JSON.stringify(JSON.stringify(rings))});\n`;
    },
  };
}
