import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The console is a static bundle the voucher service serves at /console (same origin as the REST
// API it calls, so no CORS and no token in a URL). Built by `npm run console:build`, which
// `npm start` and the browser tier run when the sources are newer than the bundle.
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps in the served bundle; no inline scripts (the CSP forbids them).
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});
