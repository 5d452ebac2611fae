import { PassThrough } from 'node:stream';
import { createLogger } from '../../lib/log/logger.js';

describe('the probe logger', () => {
  test('redacts secret fields and URL credentials itself', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(c.toString()));
    const logger = createLogger({ component: 'probe', stream });
    logger.info('probe', { password: 'hunter2', nested: { authorization: 'Bearer x', url: 'rtsp://u:hunter2@h/p' }, token: 'abc' });
    await new Promise((r) => setImmediate(r));
    const entry = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(entry).toMatchObject({ password: '[REDACTED]', token: '[REDACTED]', nested: { authorization: '[REDACTED]', url: 'rtsp://[REDACTED]@h/p' } });
    expect(lines.join('')).not.toContain('hunter2');
  });
});
