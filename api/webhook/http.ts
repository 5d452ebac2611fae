// The ingress's HTTP layer: the vendors' route table over node:http, without a framework. Every request of a
// terminal is one of a handful of fixed paths, and Express's per-request work (its router's layer walk, its request
// and response decoration, its send, the context and duration middlewares) was a third of the ingress's CPU per
// push (bench/webhook: 447 µs a request with it, 296 without).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery, type ParsedUrlQuery } from 'node:querystring';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { InputError, TooManyRequestsError } from '../../lib/errors/index.js';
import type { Logger } from '../../lib/log/logger.js';
import type { RecordRequest } from '../../lib/metrics/index.js';
import { failRequest } from '../platform/error-middleware.js';
import { requestIdFrom } from '../platform/request-id.js';
import { RouteTable } from '../platform/route-table.js';

/** A request as a vendor's handler sees it. */
export interface WebhookRequest {
  readonly raw: IncomingMessage;
  /** The route's path parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: ParsedUrlQuery;
  /** The address the request came from, as the socket reports it. */
  readonly source: string;
  header(name: string): string | undefined;
}

/** What a handler answers: JSON, or plain text (ZKTeco's ADMS). */
export type WebhookReply = { json: unknown; status?: number } | { text: string; status?: number };

export type WebhookHandler = (request: WebhookRequest) => WebhookReply | Promise<WebhookReply>;

export interface HttpRoute {
  method: 'get' | 'post';
  /** A path template: literal segments and `:name` parameters (`/dahua/:schoolId/:deviceToken`). */
  path: string;
  handler: WebhookHandler;
}

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The whole body, decoded from its Content-Encoding, refused with 413 once it (or what it inflates to) passes
 * `limit` bytes; what the client still sends after a refusal is drained, so it reads the answer.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new InputError('body', `request entity too large: more than ${limit} bytes`, 413);
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decoder = encoding === 'identity' ? undefined : DECODERS[encoding];
  if (encoding !== 'identity' && !decoder) {
    req.resume();
    return Promise.reject(new InputError('content-encoding', `unsupported content encoding "${encoding}"`, 415));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      input.destroy();
      req.unpipe();
      req.resume();
      reject(error);
    };
    const input = decoder ? req.pipe(decoder()) : req;
    input.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) fail(tooLarge());
      else chunks.push(chunk);
    });
    input.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    });
    input.on('error', (error: Error) =>
      fail(
        decoder && input !== req
          ? new InputError('body', `cannot be decoded as ${encoding}: ${error.message}`)
          : new InputError('body', `request aborted: ${error.message}`),
      ),
    );
    if (input !== req) req.on('error', (error) => fail(new InputError('body', `request aborted: ${error.message}`)));
  });
}

class Request implements WebhookRequest {
  #query: ParsedUrlQuery | undefined;

  constructor(
    readonly raw: IncomingMessage,
    private readonly search: string,
    readonly params: Readonly<Record<string, string>>,
  ) {}

  get query(): ParsedUrlQuery {
    return (this.#query ??= parseQuery(this.search));
  }

  get source(): string {
    return this.raw.socket.remoteAddress ?? '';
  }

  header(name: string): string | undefined {
    const value = this.raw.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The request listener: a request id on every answer, each request timed by its route template, typed errors as
 * their 4xx and anything else as a logged 500, in the project's one error body.
 */
export function webhookListener(deps: { routes: readonly HttpRoute[]; logger: Logger; record: RecordRequest }) {
  const { logger, record } = deps;
  const routes = new RouteTable(deps.routes);
  const logRequests = logger.isLevelEnabled('http');

  const fail = (req: IncomingMessage, res: ServerResponse, path: string, requestId: string, error: unknown) => {
    const log = logger.child({ requestId });
    const { status, body } = failRequest(log, error, { method: req.method ?? '', url: path, path }, requestId);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A client still sending a body refused early must not keep the socket half-read.
    if (!req.complete) res.setHeader('connection', 'close');
    if (error instanceof TooManyRequestsError && error.retryAfterSeconds !== undefined)
      res.setHeader('retry-after', String(error.retryAfterSeconds));
    send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers['x-request-id'] as string | undefined);
    res.setHeader('x-request-id', requestId);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    let template = 'unmatched';
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      record(req.method ?? '', template, res.statusCode, seconds);
      if (logRequests)
        logger
          .child({ requestId })
          .http('request', { method: req.method, url: path, status: res.statusCode, ms: seconds * 1000 });
    });
    let reply: WebhookReply | Promise<WebhookReply>;
    try {
      const found = routes.find(req.method ?? '', path);
      if (!found) throw new InputError('path', `no webhook route ${req.method} ${path}`, 404);
      template = found.route.path;
      reply = found.route.handler(new Request(req, q < 0 ? '' : url.slice(q + 1), found.params));
    } catch (error) {
      fail(req, res, path, requestId, error);
      return;
    }
    const answer = (r: WebhookReply) => {
      if ('json' in r) send(res, r.status ?? 200, 'application/json; charset=utf-8', JSON.stringify(r.json));
      else send(res, r.status ?? 200, 'text/plain; charset=utf-8', r.text);
    };
    if (reply instanceof Promise) reply.then(answer, (error: unknown) => fail(req, res, path, requestId, error));
    else answer(reply);
  };
}
