// The console's build: Preact through esbuild's JSX transform, hashed assets, no inline script (the CSP forbids it).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./ui'),
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Every asset is a file: an inlined data: URL would need a wider CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
    // hls.js is a lazy chunk, fetched only when WebRTC cannot play; the first load is measured by build.ts.
    chunkSizeWarningLimit: 1024,
  },
});
