// The coastline is made at build time by build-tools/coastline.ts.
declare module 'virtual:coastline' {
  export const source: string;
  export const region: { lon_min: number; lon_max: number; lat_min: number; lat_max: number };
  // Closed rings of [longitude, latitude] in degrees.
  export const rings: [number, number][][];
}
