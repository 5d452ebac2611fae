// A minimal RTSP client (RFC 2326): OPTIONS and DESCRIBE, with Digest or Basic authentication (digest.ts).
import type { Socket } from 'node:net';
import { authorization, type Credentials } from './digest.js';
import { ProbeFailure } from './result.js';

export interface RtspResponse {
  status: number;
  headers: Map<string, string[]>;
  body: string;
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
