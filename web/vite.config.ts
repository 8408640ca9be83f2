import { defineConfig } from 'vite';
import { coastline_plugin } from './build-tools/coastline';

// `npm run dev` proxies the API to a running station (HOTLINE_API, default the demo's first
// station), so the console can be worked on without rebuilding the station.
const station = process.env.HOTLINE_API ?? 'http://127.0.0.1:7401';

export default defineConfig({
  base: '/',
  plugins: [coastline_plugin()],
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The station serves a strict CSP (no inline script or style), so nothing may be inlined.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: station, ws: true, changeOrigin: false },
    },
  },
});
