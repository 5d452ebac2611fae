// The local page's gate: a request must name this server by its loopback address (DNS rebinding points another
// name at 127.0.0.1), come from no other site (Origin, Sec-Fetch-Site), and carry this launch's random token.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type Refusal = 'host' | 'origin' | 'token';

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function refusalOf(req: IncomingMessage, port: number, token: string): Refusal | undefined {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!hosts.includes(req.headers.host ?? '')) return 'host';
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) return 'origin';
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'origin';
  const url = new URL(req.url ?? '/', 'http://page');
  const presented = url.pathname.startsWith('/api/') ? String(req.headers['x-posbon-launch'] ?? '') : (url.searchParams.get('t') ?? '');
  if (!same(presented, token)) return 'token';
  return undefined;
}
