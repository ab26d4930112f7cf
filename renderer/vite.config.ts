import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The GUI is served by Berth at / with a strict CSP (no inline script or style), so the build must emit
// only files: no modulepreload polyfill, no inlined assets as data: scripts.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npx vite renderer` during development: API calls go to a Berth on :5000.
    proxy: { '/api': 'http://127.0.0.1:5000' },
  },
});
