// The sidecar's HTTP surface: authenticate, parse, call the probe service, answer JSON. Nothing probes before auth.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../lib/log/logger.js';
import { onvifRequestSchema, rtspRequestSchema, tcpRequestSchema } from '../../lib/probe-protocol/requests.js';
import { bearerOf, tokenMatches } from '../../lib/probe-protocol/auth.js';
import { RateLimitedError, type ProbeService } from './service.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 16 * 1024;

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'BodyTooLarge', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'InvalidInput', 'body: not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new HttpError(400, 'InvalidInput', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
}

export interface ProbeServerDeps {
  service: ProbeService;
  tokens: () => Promise<string[]>;
  logger: Logger;
}

type Route = (body: unknown, caller: string) => Promise<unknown>;

export function createProbeServer(deps: ProbeServerDeps): Server {
  const routes: Record<string, Route> = {
    '/v1/probes/tcp': (body, caller) => deps.service.tcp(parse(tcpRequestSchema, body), caller),
    '/v1/probes/rtsp': (body, caller) => deps.service.rtsp(parse(rtspRequestSchema, body), caller),
    '/v1/probes/onvif': (body, caller) => deps.service.onvif(parse(onvifRequestSchema, body), caller),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz' && req.method === 'GET') return send(res, 200, { ok: true });
    const route = routes[path];
    if (!route) throw new HttpError(404, 'NotFound', `no route ${path}`);
    const token = bearerOf(req.headers.authorization);
    if (!token || !tokenMatches(token, await deps.tokens())) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="posbon-probe"');
      deps.logger.warn('unauthenticated probe request', { event: 'auth', path, remote: req.socket.remoteAddress });
      throw new HttpError(401, 'Unauthorized', 'a valid bearer token is required');
    }
    if (req.method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', 'use POST');
    const caller = String(req.headers['x-posbon-caller'] ?? 'unknown').slice(0, 100);
    send(res, 200, await route(await jsonBody(req), caller));
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return send(res, error.status, { error: error.code, message: error.message });
      if (error instanceof RateLimitedError) return send(res, 429, { error: 'RateLimited', message: error.message });
      deps.logger.error('probe request failed', { event: 'error', error: String(error).slice(0, 500) });
      send(res, 500, { error: 'Internal', message: 'the probe failed unexpectedly' });
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
