// A minimal RTSP client (RFC 2326): OPTIONS and DESCRIBE, with Digest or Basic authentication (RFC 2617).
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { ProbeFailure } from './result.js';

export interface RtspResponse {
  status: number;
  headers: Map<string, string[]>;
  body: string;
}

export interface Credentials {
  username: string;
  password: string;
}

const MAX_RESPONSE = 256 * 1024;

/** Splits one RTSP response off the front of `buffer`, or returns undefined while it is incomplete. */
export function parseResponse(buffer: Buffer): { response: RtspResponse; rest: Buffer } | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buffer.length > MAX_RESPONSE) throw new ProbeFailure('ProtocolError', 'RTSP response header too long');
    return undefined;
  }
  const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const match = statusLine.match(/^RTSP\/1\.\d (\d{3})(?: .*)?$/);
  if (!match) throw new ProbeFailure('ProtocolError', `not an RTSP server (answered "${statusLine.slice(0, 60)}")`);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const length = Number(headers.get('content-length')?.[0] ?? 0);
  if (!Number.isInteger(length) || length < 0 || length > MAX_RESPONSE) throw new ProbeFailure('ProtocolError', 'bad Content-Length');
  if (buffer.length < end + 4 + length) return undefined;
  return {
    response: { status: Number(match[1]), headers, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8') },
    rest: buffer.subarray(end + 4 + length),
  };
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

/** One RTSP control connection over an open socket; requests are sent one at a time. */
export class RtspConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private waiting: { resolve: (r: RtspResponse) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.deliver();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(new ProbeFailure('ProtocolError', `connection failed: ${error.code ?? error.message}`)));
    socket.on('close', () => this.fail(new ProbeFailure('ProtocolError', 'the device closed the connection')));
  }

  private deliver(): void {
    if (!this.waiting) return;
    try {
      const parsed = parseResponse(this.buffer);
      if (!parsed) return;
      this.buffer = parsed.rest;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve(parsed.response);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  request(method: string, url: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    if (this.failure) return Promise.reject(this.failure);
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${++this.cseq}`, 'User-Agent: posbon-probe', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      this.deliver();
    });
  }

  /** Sends the request, answering one authentication challenge if the server asks for it. */
  async requestWithAuth(method: string, url: string, credentials: Credentials | undefined, headers: Record<string, string> = {}): Promise<RtspResponse> {
    const first = await this.request(method, url, headers);
    if (first.status !== 401) return first;
    if (!credentials) throw new ProbeFailure('AuthFailed', 'the device demands credentials and none are configured');
    const header = authorization(first.headers.get('www-authenticate') ?? [], method, url, credentials);
    if (!header) throw new ProbeFailure('ProtocolError', 'the device offers no authentication scheme we support');
    const second = await this.request(method, url, { ...headers, Authorization: header });
    if (second.status === 401) throw new ProbeFailure('AuthFailed', 'the device rejected the username or password');
    return second;
  }

  close(): void {
    this.socket.destroy();
  }
}
