import { PassThrough } from 'node:stream';
import { createProbeLogger } from './log.js';

describe('the probe logger', () => {
  test('redacts secret fields and URL credentials itself', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(c.toString()));
    const logger = createProbeLogger({ stream });
    logger.info('probe', { password: 'hunter2', nested: { authorization: 'Bearer x', url: 'rtsp://u:hunter2@h/p' }, token: 'abc' });
    await new Promise((r) => setImmediate(r));
    const entry = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(entry).toMatchObject({ password: '[redacted]', token: '[redacted]', nested: { authorization: '[redacted]', url: 'rtsp://[redacted]@h/p' } });
    expect(lines.join('')).not.toContain('hunter2');
  });
});
