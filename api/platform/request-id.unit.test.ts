import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import express from 'express';
import { createLogger } from '../../lib/log/logger.js';
import { createAppServer } from './http-server.js';
import { requestContext, requestLog } from './request-id.js';

describe('a request context', () => {
  it('echoes a sane request id, makes one for the others, and logs with it; every request shares one locals shape', async () => {
    const stream = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)));
    const app = express();
    app.use(requestContext(createLogger({ component: 'test', level: 'info', stream })));
    const locals: object[] = [];
    app.get('/quiet', (_req, res) => {
      locals.push(res.locals);
      res.json({ requestId: res.locals.requestId as string });
    });
    app.get('/loud', (_req, res) => {
      locals.push(res.locals);
      requestLog(res).warn('something to say', { twice: requestLog(res) === requestLog(res) });
      res.json({ requestId: res.locals.requestId as string });
    });
    const server = createAppServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const answers = [];
      for (const [path, id] of [
        ['/quiet', 'caller-1'],
        ['/loud', 'caller.2_x'],
        ['/quiet', 'not sane!'],
      ] as const) {
        const response = await fetch(`${base}${path}`, { headers: { 'x-request-id': id } });
        answers.push({ header: response.headers.get('x-request-id'), body: (await response.json()) as { requestId: string } });
      }
      expect(answers.slice(0, 2)).toEqual([
        { header: 'caller-1', body: { requestId: 'caller-1' } },
        { header: 'caller.2_x', body: { requestId: 'caller.2_x' } },
      ]);
      expect(answers[2]!.header).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(answers[2]!.body.requestId).toBe(answers[2]!.header);
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines.map(({ level, message, requestId, twice }) => ({ level, message, requestId, twice }))).toEqual([
        { level: 'warn', message: 'something to say', requestId: 'caller.2_x', twice: true },
      ]);
      // No accessor of its own on any request's locals: one defined per request gave each request a hidden class of
      // its own, which kept every request's objects alive through the young generation's collections.
      expect(locals.map((l) => [Object.getOwnPropertyDescriptor(l, 'log'), Object.getPrototypeOf(l) === Object.getPrototypeOf(locals[0])])).toEqual([
        [undefined, true],
        [undefined, true],
        [undefined, true],
      ]);
      // Only the id is data of the locals; the logger they derive from is not.
      expect(locals.map((l) => Object.keys(l))).toEqual([['requestId'], ['requestId'], ['requestId']]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
