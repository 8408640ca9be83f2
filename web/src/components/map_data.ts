// What a map needs beyond the page: the coastline and the projection. Loaded as its own chunk the
// first time a map is drawn, so the console's first load does not pay for it.
export { rings } from 'virtual:coastline';
export { geoMercator } from 'd3-geo';
