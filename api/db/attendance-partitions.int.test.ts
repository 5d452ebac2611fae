// attendance_event by month: the conversion of a filled table, partitions made ahead, and one row per key across months.
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { testDatabase } from '../../test/harness/index.js';
import { createLogger } from '../../lib/log/logger.js';
import { AttendanceStore } from '../webhook/attendance-store.js';
import { idempotencyKey, type AuthenticatedEvent } from '../webhook/attendance.js';
import { createPartitionsAhead, listMonthPartitions } from './attendance-partitions.js';
import { migrations } from './data-source.js';
import { migrateDatabase, openMigrated } from './migrate.js';

const logger = createLogger({ component: 'test', level: 'error' });

const client = async (url: string) => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
};

/** Events over four months, a column added by an earlier migration, and rows in a far-future month. */
const FILL = `
  INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
                                late, future_skew, duplicate, source, raw_event_type, auth_method)
  SELECT 'k' || n, 'school-' || (n % 7), 'gate-' || (n % 3), 'p' || (n % 500), CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END,
         timestamptz '2026-01-01 00:00:00+00' + n * interval '7 minutes', now(), n % 11 = 0, false, n % 13 = 0, 'hikvision',
         'AccessControllerEvent', CASE WHEN n % 3 = 0 THEN 'hmac' ELSE NULL END
    FROM generate_series(1, $1::int) n`;

const TABLE_DIGEST = `SELECT count(*)::int AS rows, md5(string_agg(t::text, '|' ORDER BY id)) AS digest FROM attendance_event t`;

describe('converting attendance_event to monthly partitions', () => {
  it('keeps every row once, with a column it does not name, while a writer keeps inserting', async () => {
    const url = await testDatabase('partition_convert');
    await migrateDatabase(
      url,
      migrations.slice(
        0,
        migrations.findIndex((m) => new m().name === 'AttendancePartitions1764500000000'),
      ),
    );
    const c = await client(url);
    await c.query(`ALTER TABLE attendance_event ADD COLUMN auth_method text`);
    await c.query(FILL, [30_000]);
    await c.query(`INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at,
      received_at, late, future_skew, source, raw_event_type) VALUES ('far', 's', 'd', 'p', 'in', '2031-07-04T10:00:00Z', now(), false, true, 'zkteco', 'x')`);

    // A writer as the ingress writes: the writer lock, then its rows; every committed key is remembered.
    let migrating = true;
    const acknowledged: string[] = [];
    const writer = (async () => {
      const w = await client(url);
      for (let n = 0; migrating || n < 5; n++) {
        await w.query('BEGIN');
        await w.query(`SELECT pg_advisory_xact_lock(hashtext('posbon.attendance_event.writer'))`);
        await w.query(
          `INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at,
          received_at, late, future_skew, source, raw_event_type) VALUES ($1, 's', 'd', 'p', 'in', now(), now(), false, false, 'zkteco', 'x')`,
          [`live-${n}`],
        );
        await w.query('COMMIT');
        acknowledged.push(`live-${n}`);
      }
      await w.end();
    })();
    await new Promise((r) => setTimeout(r, 200));
    const before = (await c.query(`${TABLE_DIGEST} WHERE idempotency_key NOT LIKE 'live-%'`)).rows[0] as {
      rows: number;
      digest: string;
    };

    await migrateDatabase(url);
    migrating = false;
    await writer;

    const liveRows = (
      await c.query(`SELECT idempotency_key FROM attendance_event WHERE idempotency_key LIKE 'live-%' ORDER BY id`)
    ).rows;
    expect(liveRows.map((r: { idempotency_key: string }) => r.idempotency_key)).toEqual(acknowledged);
    // The rows present before the conversion, unchanged to the byte and in id order.
    const old = (await c.query(`${TABLE_DIGEST} WHERE idempotency_key NOT LIKE 'live-%'`)).rows[0];
    expect(old).toEqual(before);
    expect((await c.query(`SELECT relkind FROM pg_class WHERE relname = 'attendance_event'`)).rows).toEqual([
      { relkind: 'p' },
    ]);
    const perPartition = (
      await c.query(
        `SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM attendance_event WHERE idempotency_key NOT LIKE 'live-%' GROUP BY 1 ORDER BY 1`,
      )
    ).rows;
    // 30,000 events 7 minutes apart from 2026-01-01: January to May; the far one in its own month.
    expect(perPartition).toEqual([
      { p: 'attendance_event_y2026m01', n: 6377 },
      { p: 'attendance_event_y2026m02', n: 5760 },
      { p: 'attendance_event_y2026m03', n: 6377 },
      { p: 'attendance_event_y2026m04', n: 6171 },
      { p: 'attendance_event_y2026m05', n: 5315 },
      { p: 'attendance_event_y2031m07', n: 1 },
    ]);
    const [{ max }] = (await c.query('SELECT max(id)::int AS max FROM attendance_event')).rows;
    const [{ id }] = (
      await c.query(`INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction,
      occurred_at, received_at, late, future_skew, source, raw_event_type) VALUES ('next', 's', 'd', 'p', 'in', now(), now(), false,
      false, 'zkteco', 'x') RETURNING id::int`)
    ).rows;
    expect(id).toBeGreaterThan(max);
    expect(
      (await c.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'attendance_event' ORDER BY 1`)).rows,
    ).toEqual([
      { indexname: 'attendance_event_idempotency_key' },
      { indexname: 'attendance_event_pkey' },
      { indexname: 'attendance_event_pupil_window' },
      { indexname: 'attendance_event_school_day' },
    ]);
    await c.end();
  }, 180_000);
});

describe('partitioned attendance', () => {
  let dataSource: DataSource;
  let url: string;

  beforeAll(async () => {
    url = await testDatabase('partitions');
    ({ dataSource } = await openMigrated(url));
  }, 60_000);

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('the maintenance job creates months ahead once, moving rows that waited in the default partition', async () => {
    const c = await client(url);
    await c.query(`INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at,
      received_at, late, future_skew, source, raw_event_type) VALUES ('skewed', 's', 'd', 'p', 'in', '2035-03-09T08:00:00Z', now(),
      false, true, 'zkteco', 'x')`);
    expect(
      (await c.query(`SELECT tableoid::regclass::text AS p FROM attendance_event WHERE idempotency_key = 'skewed'`))
        .rows,
    ).toEqual([{ p: 'attendance_event_default' }]);
    const now = new Date('2035-02-14T12:00:00Z');
    expect(await createPartitionsAhead(dataSource, now, 2)).toEqual([
      'attendance_event_y2035m02',
      'attendance_event_y2035m03',
      'attendance_event_y2035m04',
    ]);
    expect(await createPartitionsAhead(dataSource, now, 2)).toEqual([]);
    expect(
      (await c.query(`SELECT tableoid::regclass::text AS p FROM attendance_event WHERE idempotency_key = 'skewed'`))
        .rows,
    ).toEqual([{ p: 'attendance_event_y2035m03' }]);
    expect((await listMonthPartitions(dataSource)).map((p) => p.name).filter((n) => n.includes('2035'))).toEqual([
      'attendance_event_y2035m02',
      'attendance_event_y2035m03',
      'attendance_event_y2035m04',
    ]);
    await c.end();
  });

  it('a replay across a month boundary is stored once: device ids, clock steps and fallback keys', async () => {
    const device = { schoolId: 'school-m', deviceId: 'gate-m' };
    await createPartitionsAhead(dataSource, new Date('2027-01-15T00:00:00Z'), 1);
    const event = (occurredAt: string, identity: string[] | undefined, personId = 'pupil-1'): AuthenticatedEvent => ({
      idempotencyKey: idempotencyKey(device, identity, { personId, direction: 'in', occurredAt: new Date(occurredAt) }),
      ...device,
      personId,
      direction: 'in',
      occurredAt: new Date(occurredAt),
      source: 'hikvision',
      rawEventType: 'AccessControllerEvent',
      auth: 'path-token',
    });
    const store = AttendanceStore.create({ dataSource, logger, rateLimitMs: 1 });
    // The device's own serial, re-sent after its clock stepped over midnight of January's end.
    expect(await store.record([event('2027-01-31T23:59:59.900Z', ['serial', '77'])])).toEqual({
      stored: 1,
      duplicates: 0,
      rateLimited: 0,
    });
    expect(await store.record([event('2027-02-01T00:00:00.300Z', ['serial', '77'])])).toEqual({
      stored: 0,
      duplicates: 1,
      rateLimited: 0,
    });
    expect(await store.record([event('2027-01-31T23:59:59.900Z', ['serial', '77'])])).toEqual({
      stored: 0,
      duplicates: 1,
      rateLimited: 0,
    });
    // A fallback key re-sent with jitter inside its 30 s window, on both sides of February's first instant.
    expect(await store.record([event('2027-02-01T00:00:00.100Z', undefined, 'pupil-2')])).toEqual({
      stored: 1,
      duplicates: 0,
      rateLimited: 0,
    });
    expect(await store.record([event('2027-02-01T00:00:07.000Z', undefined, 'pupil-2')])).toEqual({
      stored: 0,
      duplicates: 1,
      rateLimited: 0,
    });
    // Two different events either side of the boundary are two rows.
    expect(
      await store.record([
        event('2027-01-31T23:59:58.000Z', ['serial', '78']),
        event('2027-02-01T00:00:02.000Z', ['serial', '79']),
      ]),
    ).toEqual({
      stored: 2,
      duplicates: 0,
      rateLimited: 0,
    });
    const rows = (await dataSource.query(
      `SELECT tableoid::regclass::text AS p, person_id, occurred_at FROM attendance_event WHERE school_id = 'school-m' ORDER BY occurred_at`,
    )) as { p: string; person_id: string; occurred_at: Date }[];
    expect(rows.map((r) => [r.p, r.person_id, r.occurred_at.toISOString()])).toEqual(
      [
        ['attendance_event_y2027m01', 'pupil-1', '2027-01-31T23:59:58.000Z'],
        ['attendance_event_y2027m01', 'pupil-1', '2027-01-31T23:59:59.900Z'],
        ['attendance_event_y2027m02', 'pupil-1', '2027-02-01T00:00:02.000Z'],
        ['attendance_event_y2027m02', 'pupil-2', '2027-02-01T00:00:00.100Z'],
      ].sort((a, b) => a[2]!.localeCompare(b[2]!)),
    );
    await store.drain();
  });
});
