import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type IncomingMessage, type ServerResponse } from 'node:http';

/** Where `npm run console:build` writes the bundle (apps/console/dist), from this file's place. */
export const CONSOLE_DIST = new URL('../../../../apps/console/dist', import.meta.url).pathname;

/**
 * The console's bundle is code we ship: scripts, styles and API calls from this origin only, no
 * inline script, never framed. It holds an API key in sessionStorage, so no third-party script may
 * ever run beside it.
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function consoleHeaders(_req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

/**
 * Serves the web console at /console from its built bundle. The console calls this app's public
 * REST API (same origin); it has no endpoint of its own. Without a bundle, /console says how to
 * build one instead of a bare 404.
 */
export function installConsole(app: NestExpressApplication, dir: string = CONSOLE_DIST): void {
  app.use('/console', consoleHeaders);
  if (existsSync(join(dir, 'index.html'))) {
    // Hashed asset names: cache them for good; index.html is revalidated so a new build shows.
    app.useStaticAssets(dir, {
      prefix: '/console/',
      index: 'index.html',
      redirect: true,
      setHeaders: (res, path) =>
        res.setHeader(
          'Cache-Control',
          path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
        ),
    });
    return;
  }
  app.use('/console', (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The console is not built here: run `npm run console:build` (npm start does it by itself).\n');
  });
}
