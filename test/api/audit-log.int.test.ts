// The audit log's group commit against the real PostgreSQL: every entry committed before its caller goes on.
import type { DataSource } from 'typeorm';
import { AuditLog } from '../../api/admin/audit/audit-log.js';
import { openDatabase } from '../../api/db/data-source.js';
import { UnavailableError } from '../../api/platform/errors.js';
import { createLogger } from '../../api/platform/logger.js';
import { testDatabase } from '../harness/index.js';

let dataSource: DataSource;
const logger = createLogger({ service: 'audit-test', level: 'error' });

beforeAll(async () => {
  ({ dataSource } = await openDatabase({ url: await testDatabase('audit') }));
});

afterAll(async () => {
  await dataSource?.destroy();
});

const count = async (action: string) => Number((await dataSource.query('SELECT count(*) AS n FROM audit_entry WHERE action = $1', [action]))[0].n);

describe('audit group commit', () => {
  it('commits every one of many concurrent entries, each before its own promise resolves', async () => {
    const audit = AuditLog.create({ dataSource, logger });
    const committedWhenResolved: number[] = [];
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        audit
          .record({ actorType: 'user', actorId: `u${i}`, schoolId: i % 2 ? 'school-a' : null, requestId: `r${i}`, action: 'test.burst', params: { i }, result: 'ok' })
          .then(async () => {
            const rows = await dataSource.query('SELECT 1 FROM audit_entry WHERE request_id = $1', [`r${i}`]);
            committedWhenResolved.push(rows.length);
          }),
      ),
    );
    expect(committedWhenResolved).toEqual(Array<number>(300).fill(1));
    expect(await count('test.burst')).toBe(300);
    const [one] = await audit.list({ action: 'test.burst', schoolId: 'school-a', limit: 1 });
    expect(one).toMatchObject({ actorType: 'user', schoolId: 'school-a', action: 'test.burst', result: 'ok', params: { i: expect.any(Number) } });
  });

  it('stores parameters redacted, with nulls and JSON intact', async () => {
    const audit = AuditLog.create({ dataSource, logger });
    await audit.record({ actorType: 'agent', actorId: 'a1', action: 'test.redact', params: { host: '203.0.113.9', password: 'hunter2-secret', nested: { token: 'abc', n: null } }, result: 'ok' });
    const [entry] = await audit.list({ action: 'test.redact', limit: 1 });
    expect(entry).toMatchObject({ actorType: 'agent', schoolId: null, requestId: null, params: { host: '203.0.113.9', password: '[REDACTED]', nested: { token: '[REDACTED]', n: null } } });
  });

  it('refuses (503) rather than answering unaudited when too many entries wait', async () => {
    const audit = AuditLog.create({ dataSource, logger, batching: { maxBatch: 100, maxWaiting: 5 } });
    // The first entry goes out at once; five wait for it; the rest find the queue full.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => audit.record({ actorType: 'system', actorId: 's', action: 'test.bounded', params: { i }, result: 'ok' })),
    );
    expect(outcomes.map((o) => o.status)).toEqual([...Array<string>(6).fill('fulfilled'), ...Array<string>(4).fill('rejected')]);
    expect((outcomes[9] as PromiseRejectedResult).reason).toEqual(new UnavailableError('the audit log is behind; try again shortly'));
    expect(await count('test.bounded')).toBe(6);
  });
});
