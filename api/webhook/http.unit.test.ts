import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { InputError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/log/logger.js';
import { requestRecorder } from '../../lib/metrics/index.js';
import { readBody, webhookListener, type HttpRoute } from './http.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(
  port: number,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the ingress HTTP layer', () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) =>
    lines.push(
      ...chunk
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    ),
  );
  const registry = new Registry();
  const routes: HttpRoute[] = [
    { method: 'get', path: '/healthz', handler: () => ({ json: { ok: true } }) },
    {
      method: 'post',
      path: '/push/:schoolId/:token',
      handler: (r) => ({ json: { params: r.params, query: r.query, from: r.source } }),
    },
    {
      method: 'post',
      path: '/echo',
      handler: async (r) => ({ text: (await readBody(r.raw, 64)).toString(), status: 201 }),
    },
    {
      method: 'get',
      path: '/refuse',
      handler: async () => {
        await Promise.resolve();
        throw new InputError('token', 'not accepted', 403);
      },
    },
    {
      method: 'get',
      path: '/crash',
      handler: () => {
        throw new Error('the secret detail');
      },
    },
  ];
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const logger = createLogger({ component: 'test', level: 'info', stream });
    server = createServer(webhookListener({ routes, logger, record: requestRecorder(registry, 'test') })).listen(
      0,
      '127.0.0.1',
    );
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('matches templates in any case with one trailing slash, decodes parameters and parses the query', async () => {
    const answers = await Promise.all([
      send(port, 'POST', '/push/school-a/t%2Fk?SN=1&SN=2&x=y'),
      send(port, 'POST', '/PUSH/school-a/tok/'),
      send(port, 'POST', '/push/school-a'),
      send(port, 'POST', '/push//tok'),
      send(port, 'GET', '/push/school-a/tok'),
      send(port, 'HEAD', '/healthz'),
    ]);
    expect(answers.map((a) => [a.status, a.text ? JSON.parse(a.text) : '', a.headers['content-type']])).toEqual([
      [
        200,
        { params: { schoolId: 'school-a', token: 't/k' }, query: { SN: ['1', '2'], x: 'y' }, from: '127.0.0.1' },
        'application/json; charset=utf-8',
      ],
      [
        200,
        { params: { schoolId: 'school-a', token: 'tok' }, query: {}, from: '127.0.0.1' },
        'application/json; charset=utf-8',
      ],
      [
        404,
        expect.objectContaining({ error: 'path: no webhook route POST /push/school-a', field: 'path' }),
        'application/json; charset=utf-8',
      ],
      [
        404,
        expect.objectContaining({ error: 'path: no webhook route POST /push//tok' }),
        'application/json; charset=utf-8',
      ],
      [404, expect.objectContaining({ field: 'path' }), 'application/json; charset=utf-8'],
      [200, '', 'application/json; charset=utf-8'],
    ]);
  });

  it('answers a parameter that is not valid percent-encoding with 400 naming it', async () => {
    const answer = await send(port, 'POST', '/push/school-a/%E0%A4%A');
    expect([answer.status, JSON.parse(answer.text).error]).toEqual([400, 'token: is not valid percent-encoding']);
  });

  it('reads bodies as sent or gzip-encoded, refuses one over the limit (413) and an unknown encoding (415)', async () => {
    const answers = [
      await send(port, 'POST', '/echo', Buffer.from('plain')),
      await send(port, 'POST', '/echo', gzipSync('zipped'), { 'content-encoding': 'gzip' }),
      await send(port, 'POST', '/echo', Buffer.alloc(65, 'x')),
      await send(port, 'POST', '/echo', gzipSync(Buffer.alloc(10_000, 'x')), { 'content-encoding': 'gzip' }),
      await send(port, 'POST', '/echo', Buffer.from('x'), { 'content-encoding': 'compress' }),
      await send(port, 'POST', '/echo', Buffer.from('not gzip'), { 'content-encoding': 'gzip' }),
    ];
    expect(
      answers.map((a) => [
        a.status,
        a.headers['content-type']?.toString().split(';')[0],
        a.status < 300 ? a.text : JSON.parse(a.text).error,
      ]),
    ).toEqual([
      [201, 'text/plain', 'plain'],
      [201, 'text/plain', 'zipped'],
      [413, 'application/json', 'body: request entity too large: more than 64 bytes'],
      [413, 'application/json', 'body: request entity too large: more than 64 bytes'],
      [415, 'application/json', 'content-encoding: unsupported content encoding "compress"'],
      [400, 'application/json', expect.stringMatching(/^body: cannot be decoded as gzip: /)],
    ]);
  });

  it('gives every answer a request id, keeps a sane one, hides a crash behind 500 and logs it with the id', async () => {
    const kept = await send(port, 'GET', '/refuse', undefined, { 'x-request-id': 'device-42' });
    const replaced = await send(port, 'GET', '/healthz', undefined, { 'x-request-id': 'bad id with spaces' });
    const crash = await send(port, 'GET', '/crash');
    const crashBody = JSON.parse(crash.text) as { error: string; requestId: string };
    expect([kept.status, kept.headers['x-request-id'], JSON.parse(kept.text)]).toEqual([
      403,
      'device-42',
      { error: 'token: not accepted', field: 'token', requestId: 'device-42' },
    ]);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect([crash.status, crashBody.error, crash.headers['x-request-id']]).toEqual([
      500,
      'internal error',
      crashBody.requestId,
    ]);
    expect(lines.filter((l) => l.message === 'request failed').map((l) => [l.requestId, l.status, l.url])).toEqual([
      [crashBody.requestId, 500, '/crash'],
    ]);
    expect(
      lines
        .filter((l) => l.message === 'request refused' && l.requestId === 'device-42')
        .map((l) => [l.status, l.path]),
    ).toEqual([[403, '/refuse']]);
  });

  it('times every answer by its route template, never its path', async () => {
    await send(port, 'POST', '/push/school-b/secret-token');
    const text = await registry.metrics();
    const series = text
      .split('\n')
      .filter((l) => l.startsWith('test_http_requests_total{'))
      .map((l) => l.replace(/ \d+$/, ''));
    expect(series.some((l) => l.includes('secret-token') || l.includes('school-b'))).toBe(false);
    expect(series).toContain('test_http_requests_total{method="POST",route="/push/:schoolId/:token",code="200"}');
    expect(series).toContain('test_http_requests_total{method="POST",route="unmatched",code="404"}');
  });
});
