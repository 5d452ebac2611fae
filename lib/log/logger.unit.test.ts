import { Writable } from 'node:stream';
import { createLogger, logLevelFromEnv, redactPathSegment, redactText } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { lines, stream };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the one logger', () => {
  it('writes JSON lines with the component and redacts secret fields and secrets in text', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ component: 'probe', level: 'info', stream });
    const secrets = {
      password: 'hunter2-a',
      nested: { authorization: 'Bearer tok-b', url: 'rtsp://admin:hunter2-c@192.0.2.1/p', confKey: 'ck-d' },
      token: 'tok-e',
      note: 'refresh prt_AbCdEfGh123 and jwt eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig-f for https://api/x?secret=qs-g',
    };
    const values = ['hunter2-a', 'tok-b', 'hunter2-c', 'ck-d', 'tok-e', 'prt_AbCdEfGh123', 'sig-f', 'qs-g'];
    // Control: every secret is in what is logged, so the scan below cannot pass vacuously.
    expect(values.filter((v) => !JSON.stringify(secrets).includes(v))).toEqual([]);
    logger.info('probe', secrets);
    await settle();
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    const { timestamp, ...rest } = entry;
    expect(typeof timestamp).toBe('string');
    expect(rest).toEqual({
      level: 'info',
      message: 'probe',
      component: 'probe',
      password: '[REDACTED]',
      nested: { authorization: '[REDACTED]', url: 'rtsp://[REDACTED]@192.0.2.1/p', confKey: '[REDACTED]' },
      token: '[REDACTED]',
      note: 'refresh [REDACTED] and jwt [REDACTED] for https://api/x?secret=[REDACTED]',
    });
    expect(values.filter((v) => lines[0]!.includes(v))).toEqual([]);
  });

  it('redacts a registered token segment of a path, and only that segment', () => {
    const url = '/things/school-a/in/plain-token-1?x=1';
    expect(redactText(url)).toBe(url);
    redactPathSegment('/things/:schoolId/:direction/:thingToken', 'thingToken');
    expect(redactText(`POST ${url}`)).toBe('POST /things/school-a/in/[REDACTED]?x=1');
    expect(redactText('"url":"/things/s/out/abc"')).toBe('"url":"/things/s/out/[REDACTED]"');
  });

  it('redacts a secret that shares no character with plain ids, and leaves ids and timestamps as they are', () => {
    const texts = ['pdt_abc', 'id.eyJhbGciOi.eyJzdWIi.c2ln', 'Bearer\tabc', 'k&token=abc', 'school-7.nvr-7.gate', '2026-11-29T13:00:00.000Z'];
    expect(texts.map(redactText)).toEqual(['[REDACTED]', 'id.[REDACTED]', 'Bearer [REDACTED]', 'k&token=[REDACTED]', 'school-7.nvr-7.gate', '2026-11-29T13:00:00.000Z']);
  });

  it('reads one level variable, and the older names when it is unset', () => {
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ POSBON_LOG_LEVEL: 'debug', LOG_LEVEL: 'error' })).toBe('debug');
    expect(logLevelFromEnv({ LOG_LEVEL: 'warn' })).toBe('warn');
    expect(logLevelFromEnv({ POSBON_PROBE_LOG_LEVEL: 'error' })).toBe('error');
    expect(() => logLevelFromEnv({ POSBON_LOG_LEVEL: 'loud' })).toThrow('POSBON_LOG_LEVEL');
  });
});
