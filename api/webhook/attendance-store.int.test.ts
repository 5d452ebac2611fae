// The group commit with several batches in flight: a duplicate is stored once wherever its copies land, a pupil's
// second pass is rate-limited across batches, and a batch whose commit fails acknowledges nothing.
import { createLogger } from '../../lib/log/logger.js';
import { UnavailableError } from '../../lib/errors/index.js';
import { testDatabase } from '../../test/harness/index.js';
import { hikvisionEventJson, hikvisionMultipart, jpeg } from '../../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../../test/webhook/ingress.js';
import { openMigrated } from '../db/migrate.js';
import type { DataSource } from 'typeorm';
import type { AuthenticatedEvent } from './attendance.js';
import { AttendanceStore, type StoreResult } from './attendance-store.js';

const event = (key: string, personId: string, occurredAt: string): AuthenticatedEvent => ({
  idempotencyKey: key,
  schoolId: 'school-a',
  deviceId: 'gate-1',
  personId,
  direction: 'in',
  occurredAt: new Date(occurredAt),
  source: 'hikvision',
  rawEventType: 'AccessControllerEvent/5/75:face',
  auth: 'path-token',
});

const total = (results: StoreResult[]) =>
  results.reduce(
    (sum, r) => ({
      stored: sum.stored + r.stored,
      duplicates: sum.duplicates + r.duplicates,
      rateLimited: sum.rateLimited + r.rateLimited,
    }),
    { stored: 0, duplicates: 0, rateLimited: 0 },
  );

describe('batches in flight at once', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    ({ dataSource } = await openMigrated(await testDatabase('store')));
    // Every row of a `slow-` pupil takes a while to insert, so batches that start together are in flight together.
    await dataSource.query(`
      CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.person_id LIKE 'slow-%' THEN PERFORM pg_sleep(0.2); END IF;
        RETURN NEW;
      END $$`);
    await dataSource.query(
      'CREATE TRIGGER slow_insert BEFORE INSERT ON attendance_event FOR EACH ROW EXECUTE FUNCTION slow_insert()',
    );
  });
  afterAll(async () => {
    await dataSource?.destroy();
  });

  const rowsOf = async (personId: string) =>
    (await dataSource.query(
      `SELECT idempotency_key, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS at, duplicate
         FROM attendance_event WHERE person_id = $1 ORDER BY occurred_at`,
      [personId],
    )) as { idempotency_key: string; at: string; duplicate: boolean }[];

  it('stores a duplicate inside one batch once and answers the repeat as a duplicate', async () => {
    const store = AttendanceStore.create({ dataSource, logger: createLogger({ component: 'webhook', level: 'error' }), lingerMs: 50 });
    const copy = event('same-batch', 'p-one-batch', '2026-11-20T03:00:00Z');
    const results = await Promise.all([store.record([copy]), store.record([copy]), store.record([copy, copy])]);
    expect(store.stats.batches).toBe(1);
    expect(results).toEqual([
      { stored: 1, duplicates: 0, rateLimited: 0 },
      { stored: 0, duplicates: 1, rateLimited: 0 },
      { stored: 0, duplicates: 2, rateLimited: 0 },
    ]);
    expect(await rowsOf('p-one-batch')).toEqual([
      { idempotency_key: 'same-batch', at: '2026-11-20T03:00:00', duplicate: false },
    ]);
  });

  it('stores one copy of a key sent in concurrent batches, even with times a partition apart, and acks every copy', async () => {
    // One submission per batch, all committing at once: only the server's ordering keeps the copies apart.
    const store = AttendanceStore.create({
      dataSource,
      logger: createLogger({ component: 'webhook', level: 'error' }),
      maxBatchEvents: 1,
      maxBatchesInFlight: 6,
      lingerMs: 0,
    });
    // A fallback key keeps its value while the device's time jitters, here across the end of October.
    const times = ['2026-10-31T23:59:50Z', '2026-11-01T00:00:05Z', '2026-10-31T23:59:55Z', '2026-11-01T00:00:00Z'];
    const copies = [...times, ...times].map((at) => event('across-batches', 'slow-across', at));
    const results = await Promise.all(copies.map((copy) => store.record([copy])));
    expect(store.stats.batches).toBe(copies.length);
    expect(total(results)).toEqual({ stored: 1, duplicates: copies.length - 1, rateLimited: 0 });
    const rows = await rowsOf('slow-across');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.idempotency_key).toBe('across-batches');
  });

  it("counts one of a pupil's passes within the rate limit when they land in concurrent batches", async () => {
    const store = AttendanceStore.create({
      dataSource,
      logger: createLogger({ component: 'webhook', level: 'error' }),
      maxBatchEvents: 1,
      maxBatchesInFlight: 6,
      lingerMs: 0,
    });
    const passes = Array.from({ length: 6 }, (_, i) => event(`pass-${i}`, 'slow-rate', `2026-11-20T03:10:0${i}Z`));
    const results = await Promise.all(passes.map((pass) => store.record([pass])));
    expect(total(results)).toEqual({ stored: 1, duplicates: 0, rateLimited: 5 });
    const rows = await rowsOf('slow-rate');
    expect(rows.map((r) => r.duplicate).sort()).toEqual([false, true, true, true, true, true]);
  });
});

describe('a batch whose commit fails', () => {
  let ingress: TestIngress;
  beforeAll(async () => {
    // A long linger puts every request of the test into one batch.
    ingress = await startTestIngress(await testDatabase('commitfail'), { store: { lingerMs: 200 } });
    // Checked at COMMIT, after the batch's statement itself succeeded.
    await ingress.dataSource.query(`
      CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.person_id = 'refused-at-commit' THEN RAISE EXCEPTION 'refused at commit'; END IF;
        RETURN NULL;
      END $$`);
    await ingress.dataSource.query(`
      CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON attendance_event
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()`);
  });
  afterAll(async () => {
    await ingress?.close();
  });

  const push = (person: string, serialNo: number) => {
    const { body, contentType } = hikvisionMultipart({
      json: hikvisionEventJson({ serialNo, employeeNoString: person, dateTime: '2026-11-20T07:55:12+05:00' }),
      picture: jpeg(2000),
    });
    return fetch(`${ingress.base}/webhook/school-a/in/${ingress.tokens.hikvision}`, {
      method: 'POST',
      body,
      headers: { 'content-type': contentType },
    });
  };

  it('acknowledges none of its events: every request in it gets 503, and a retry stores them', async () => {
    const answers = await Promise.all([push('c-1', 901), push('refused-at-commit', 902), push('c-2', 903)]);
    const retryLater = new UnavailableError('attendance could not be stored; retry later').message;
    const bodies = await Promise.all(answers.map(async (res) => [res.status, ((await res.json()) as { error: string }).error]));
    expect(bodies).toEqual([
      [503, retryLater],
      [503, retryLater],
      [503, retryLater],
    ]);
    expect(await ingress.dataSource.query('SELECT person_id FROM attendance_event')).toEqual([]);

    await ingress.dataSource.query('DROP TRIGGER refuse_at_commit ON attendance_event');
    const retried = await Promise.all([push('c-1', 901), push('refused-at-commit', 902), push('c-2', 903)]);
    expect(retried.map((res) => res.status)).toEqual([200, 200, 200]);
    const stored = (await ingress.dataSource.query('SELECT person_id FROM attendance_event ORDER BY person_id')) as {
      person_id: string;
    }[];
    expect(stored.map((r) => r.person_id)).toEqual(['c-1', 'c-2', 'refused-at-commit']);
  });
});
