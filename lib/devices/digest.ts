// HTTP Digest and Basic authentication (RFC 2617) as RTSP servers and ISAPI devices ask for it.
import { createHash, randomBytes } from 'node:crypto';

export interface Credentials {
  username: string;
  password: string;
}

/** Parses `Digest k="v", k2=v2` or `Basic realm="x"` into a scheme and its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Map<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const m of (space < 0 ? '' : header.slice(space + 1)).matchAll(re)) params.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? '');
  return { scheme, params };
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** The Authorization header answering `challenges` (Digest preferred: Basic sends the password). */
export function authorization(challenges: string[], method: string, uri: string, credentials: Credentials, cnonce = randomBytes(8).toString('hex')): string | undefined {
  const parsed = challenges.map(parseChallenge);
  const digest = parsed.find((c) => c.scheme === 'digest');
  if (digest) {
    const realm = digest.params.get('realm') ?? '';
    const nonce = digest.params.get('nonce') ?? '';
    const algorithm = digest.params.get('algorithm');
    if (algorithm && algorithm.toUpperCase() !== 'MD5') return undefined;
    const qop = digest.params.get('qop')?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
    const ha1 = md5(`${credentials.username}:${realm}:${credentials.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const nc = '00000001';
    const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    const fields = [`username="${credentials.username}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`, `response="${response}"`];
    if (algorithm) fields.push(`algorithm=${algorithm}`);
    if (qop) fields.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
    const opaque = digest.params.get('opaque');
    if (opaque !== undefined) fields.push(`opaque="${opaque}"`);
    return `Digest ${fields.join(', ')}`;
  }
  if (parsed.some((c) => c.scheme === 'basic')) {
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }
  return undefined;
}

