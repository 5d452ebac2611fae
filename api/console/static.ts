// Serves the built console at `/`: hashed assets cached for a year, index.html revalidated on every load.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';

/** Where `npm run build:console` writes the console (dist/ is git-ignored), or where an image carries it. */
export const CONSOLE_DIST = process.env.POSBON_CONSOLE_DIR ?? join(import.meta.dirname, '..', '..', 'dist', 'console');

export function consoleRouter(dir: string = CONSOLE_DIST): Router {
  const router = Router();
  if (!existsSync(join(dir, 'index.html'))) return router;
  // Vite names every asset by its content hash, so a changed file is a new URL and old ones never change.
  router.use('/assets', express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }));
  router.get('/', (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(join(dir, 'index.html'));
  });
  return router;
}

/** The origins of a URL list, for the CSP: a malformed base URL is left out rather than widening the policy. */
export function originsOf(urls: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const url of urls) {
    try {
      out.add(new URL(url).origin);
    } catch {
      continue;
    }
  }
  return [...out].sort();
}

/**
 * The console's Content-Security-Policy: no inline script or style, API calls to itself, WHEP and HLS to the media
 * nodes only, hls.js's media from blob: URLs it makes itself.
 */
export function consoleCsp(mediaOrigins: () => string[], production: boolean) {
  const media = () => mediaOrigins().join(' ');
  return {
    useDefaults: false,
    directives: {
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'"],
      'connect-src': ["'self'", media],
      'media-src': ["'self'", 'blob:'],
      'worker-src': ["'none'"],
      'object-src': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      ...(production ? { 'upgrade-insecure-requests': [] } : {}),
    },
  };
}
