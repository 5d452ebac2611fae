// Ends a media node's WebRTC and HLS sessions once their viewer token has expired. MediaMTX checks a token only
// when a session starts, so without this a viewer who stays keeps watching long after the token ran out.
import { request } from 'node:http';
import { MAX_VIEWER_TOKEN_SECONDS, expiryOfSubject } from '../core/viewer-token.js';
import type { Logger } from '../../lib/log/logger.js';

export type SessionKind = 'webrtc' | 'hls';

export interface MediaSession {
  kind: SessionKind;
  id: string;
  /** RFC 3339, when MediaMTX accepted the session. */
  created: string;
  /** The subject of the token the session started with. */
  user: string;
  path: string;
}

/** The control API's list and kick endpoints of each kind of reader session. */
const ENDPOINTS: Record<SessionKind, string> = { webrtc: 'webrtcsessions', hls: 'hlssessions' };

/**
 * Sessions whose token has expired at `now`. A token's expiry is in its subject; a session without one is ended
 * once it is as old as the longest token could live, which is also past its token's expiry.
 */
export function expiredSessions(sessions: readonly MediaSession[], now: Date, maxTokenSeconds = MAX_VIEWER_TOKEN_SECONDS): MediaSession[] {
  const nowSeconds = now.getTime() / 1000;
  return sessions.filter((session) => {
    const expiry = expiryOfSubject(session.user) ?? Date.parse(session.created) / 1000 + maxTokenSeconds;
    return !(expiry > nowSeconds);
  });
}

export interface SessionExpiryDeps {
  /** MediaMTX's control API, `unix:///path/api.sock` (or http://host:port in a test). */
  apiAddress: string;
  log: Logger;
  /** Time between sweeps: a session outlives its token by at most this plus one sweep. */
  intervalMs?: number;
  now?: () => Date;
}

export class SessionExpiry {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly apiAddress: string,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly now: () => Date,
  ) {}

  static create(deps: SessionExpiryDeps): SessionExpiry {
    return new SessionExpiry(deps.apiAddress, deps.log, deps.intervalMs ?? 5_000, deps.now ?? (() => new Date()));
  }

  /** Lists the node's reader sessions and ends those whose token has expired; returns what it ended. */
  async sweep(): Promise<MediaSession[]> {
    const sessions = [...(await this.list('webrtc')), ...(await this.list('hls'))];
    const expired = expiredSessions(sessions, this.now());
    for (const session of expired) {
      const { status } = await this.call('POST', `/v3/${ENDPOINTS[session.kind]}/kick/${session.id}`);
      // 404: the session ended by itself between the list and the kick.
      if (status !== 200 && status !== 404) throw new Error(`MediaMTX refused to end ${session.kind} session ${session.id}: HTTP ${status}`);
      this.log.info('viewer session ended: its token expired', { event: 'session-expired', kind: session.kind, session: session.id, path: session.path, user: session.user });
    }
    return expired;
  }

  /** Sweeps every interval; a failed sweep is logged and the next one tries again. */
  start(): void {
    this.timer = setInterval(() => {
      this.running = this.sweep().catch((error: unknown) => this.log.warn('session sweep failed; retrying', { error: (error as Error).message }));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async list(kind: SessionKind): Promise<MediaSession[]> {
    const out: MediaSession[] = [];
    for (let page = 0; ; page++) {
      const { status, body } = await this.call('GET', `/v3/${ENDPOINTS[kind]}/list?itemsPerPage=500&page=${page}`);
      if (status !== 200) throw new Error(`MediaMTX could not list ${kind} sessions: HTTP ${status}`);
      const list = body as { pageCount: number; items: { id: string; created: string; user: string; path: string }[] };
      out.push(...list.items.map((item) => ({ kind, id: item.id, created: item.created, user: item.user, path: item.path })));
      if (page + 1 >= list.pageCount) return out;
    }
  }

  private call(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: unknown }> {
    const target = this.apiAddress.startsWith('unix://') ? { socketPath: this.apiAddress.slice('unix://'.length) } : new URL(this.apiAddress);
    const where = 'socketPath' in target ? target : { host: target.hostname, port: target.port };
    return new Promise((resolve, reject) => {
      const req = request({ ...where, method, path, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: undefined });
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('MediaMTX control API timed out')));
      req.on('error', reject);
      req.end();
    });
  }
}
