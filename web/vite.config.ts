// The web console's build: `vite build --config web/vite.config.ts` (npm's prepare script) writes
// dist/console/, which the admin HTTP server serves at /. Preact through esbuild's JSX transform
// (no Babel). The output must live under the console's CSP: same-origin scripts and styles only,
// so no inline script, no inlined CSS, no module-preload polyfill snippet.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: {
    // The CLI's CSV reader, shared with the console's import page, in its browser build.
    alias: { 'csv-parse/sync': 'csv-parse/browser/esm/sync' },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
