// The audit log's group commit against the real PostgreSQL: every recorded entry committed before its caller goes on;
// queued entries (stream tokens) committed without a wait, refused while the log fails, retried, never lost.
import type { DataSource } from 'typeorm';
import { AuditLog } from '../../api/admin/audit/audit-log.js';
import { openMigrated } from '../../api/db/migrate.js';
import { UnavailableError } from '../../lib/errors/index.js';
import { createLogger } from '../../lib/log/logger.js';
import { eventually, testDatabase } from '../harness/index.js';

let dataSource: DataSource;
const logger = createLogger({ component: 'audit-test', level: 'error' });

beforeAll(async () => {
  ({ dataSource } = await openMigrated(await testDatabase('audit')));
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

describe('queued audit entries', () => {
  const entry = (action: string, i: number) => ({ actorType: 'user' as const, actorId: `u${i}`, schoolId: 'school-a', requestId: `q${i}`, action, params: { i }, result: 'ok' });

  it('are committed without the caller waiting, and a read in the same process sees all of them', async () => {
    const audit = AuditLog.create({ dataSource, logger });
    for (let i = 0; i < 200; i++) audit.enqueue(entry('test.queued', i));
    const listed = await audit.list({ action: 'test.queued', limit: 500 });
    expect(listed.map((e) => e.requestId).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `q${i}`).sort());
    expect(await count('test.queued')).toBe(200);
  });

  it('taken in separate turns of the event loop share one INSERT, and an awaited entry does not wait for the linger', async () => {
    const audit = AuditLog.create({ dataSource, logger });
    for (let i = 0; i < 5; i++) {
      audit.enqueue(entry('test.linger', i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(async () => expect(await count('test.linger')).toBe(5), 5000);
    // Rows written by one statement carry one transaction id.
    const transactions = async (action: string) =>
      Number((await dataSource.query('SELECT count(DISTINCT xmin::text) AS n FROM audit_entry WHERE action = $1', [action]))[0].n);
    expect(await transactions('test.linger')).toBe(1);

    const slow = AuditLog.create({ dataSource, logger, batching: { maxBatch: 500, maxWaiting: 10_000, queuedLingerMs: 60_000 } });
    slow.enqueue(entry('test.linger-awaited', 1));
    await slow.record(entry('test.linger-awaited', 2));
    expect([await count('test.linger-awaited'), await transactions('test.linger-awaited')]).toEqual([2, 1]);
  });

  it('are all written by close, which reports none left', async () => {
    const audit = AuditLog.create({ dataSource, logger });
    for (let i = 0; i < 50; i++) audit.enqueue(entry('test.close', i));
    expect(await audit.close()).toBe(0);
    expect(await count('test.close')).toBe(50);
  });

  it('are refused while the log cannot be written, and the ones taken before are written once it can', async () => {
    // Its own database, whose table goes away and comes back: a real failed INSERT, not a stand-in.
    const { dataSource: own } = await openMigrated(await testDatabase('audit_outage'));
    try {
      const audit = AuditLog.create({ dataSource: own, logger, batching: { maxBatch: 500, maxWaiting: 100, retryMs: 20, maxRetryMs: 50 } });
      await own.query('ALTER TABLE audit_entry RENAME TO audit_entry_away');
      for (let i = 0; i < 3; i++) audit.enqueue(entry('test.outage', i));
      await audit.settled();
      expect(() => audit.enqueue(entry('test.outage', 99))).toThrow(new UnavailableError('the audit log cannot be written; try again shortly'));
      await expect(audit.record(entry('test.outage.blocking', 0))).rejects.toThrow(/audit_entry/);

      await own.query('ALTER TABLE audit_entry_away RENAME TO audit_entry');
      const rows = async () => (await own.query("SELECT request_id FROM audit_entry WHERE action LIKE 'test.outage%' ORDER BY request_id")) as { request_id: string }[];
      await eventually(async () => expect(await rows()).toEqual([{ request_id: 'q0' }, { request_id: 'q1' }, { request_id: 'q2' }]));
      audit.enqueue(entry('test.outage', 3));
      expect(await audit.close()).toBe(0);
      expect((await rows()).map((r) => r.request_id)).toEqual(['q0', 'q1', 'q2', 'q3']);
    } finally {
      await own.destroy();
    }
  });
});
