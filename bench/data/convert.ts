// Benchmark of the partition conversion on a filled attendance_event (BENCH_ROWS, 5,000,000 by default): a writer and a
// reader keep going throughout, as the ingress and the API would; prints the longest wait each saw (the lock the
// conversion held against them), the conversion time, and whether every row is there once. Asserts nothing.
import pg from 'pg';
import { migrations } from '../../api/db/data-source.js';
import { migrateDatabase } from '../../api/db/migrate.js';
import { createDatabase, startPostgres } from '../../test/harness/index.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const before = migrations.slice(
  0,
  migrations.findIndex((m) => new m().name === 'AttendancePartitions1764500000000'),
);

const postgres = await startPostgres();
try {
  const url = await createDatabase(postgres.url, 'convert');
  await migrateDatabase(url, before);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let t = Date.now();
  // A school year of 180 school days, 1,000 schools, passes between 07:00 and 18:00: realistic key and index widths.
  await c.query(
    `INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
                                   late, future_skew, duplicate, source, raw_event_type)
     SELECT encode(sha256(n::text::bytea), 'base64'), 'school-' || (n % 1000), 'gate-' || (n % 4), 'pupil-' || (n % 600000),
            CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END, ts, ts + interval '2 seconds', false, false, n % 50 = 0, 'hikvision',
            'AccessControllerEvent'
       FROM (SELECT n, timestamptz '2025-09-01 07:00:00+05' + (n % 180) * interval '1 day' + (n % 39600) * interval '1 second' AS ts
               FROM generate_series(1, $1::int) n) g`,
    [ROWS],
  );
  await c.query('ANALYZE attendance_event');
  const fillS = (Date.now() - t) / 1000;
  const [{ size }] = (await c.query(`SELECT pg_size_pretty(pg_total_relation_size('attendance_event')) AS size`)).rows;
  const digest = `SELECT count(*)::bigint AS rows, md5(string_agg(md5(t::text), '' ORDER BY id)) AS digest FROM attendance_event t WHERE idempotency_key NOT LIKE 'live-%'`;
  const [beforeDigest] = (await c.query(digest)).rows;

  let running = true;
  const waits = { write: 0, read: 0, writes: 0, reads: 0 };
  const acknowledged: string[] = [];
  const writer = (async () => {
    const w = new pg.Client({ connectionString: url });
    await w.connect();
    for (let n = 0; running; n++) {
      const s = performance.now();
      await w.query('BEGIN');
      await w.query(`SELECT pg_advisory_xact_lock(hashtext('posbon.attendance_event.writer'))`);
      await w.query(
        `INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
          late, future_skew, source, raw_event_type) VALUES ($1, 'school-1', 'gate-1', 'p', 'in', now(), now(), false, false, 'zkteco', 'x')`,
        [`live-${n}`],
      );
      await w.query('COMMIT');
      acknowledged.push(`live-${n}`);
      waits.write = Math.max(waits.write, performance.now() - s);
      waits.writes++;
      await new Promise((r) => setTimeout(r, 20));
    }
    await w.end();
  })();
  const reader = (async () => {
    const r = new pg.Client({ connectionString: url });
    await r.connect();
    while (running) {
      const s = performance.now();
      await r.query(
        `SELECT count(*) FROM attendance_event WHERE school_id = 'school-7' AND occurred_at >= '2025-10-06T00:00:00+05' AND occurred_at < '2025-10-07T00:00:00+05'`,
      );
      waits.read = Math.max(waits.read, performance.now() - s);
      waits.reads++;
      await new Promise((res) => setTimeout(res, 20));
    }
    await r.end();
  })();
  await new Promise((r) => setTimeout(r, 1000));
  t = Date.now();
  await migrateDatabase(url);
  const convertS = (Date.now() - t) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  await Promise.all([writer, reader]);
  const [afterDigest] = (await c.query(digest)).rows;
  const live = (
    await c.query(`SELECT idempotency_key FROM attendance_event WHERE idempotency_key LIKE 'live-%' ORDER BY id`)
  ).rows.map((r: { idempotency_key: string }) => r.idempotency_key);
  const [{ partitions }] = (
    await c.query(`SELECT count(*)::int AS partitions FROM pg_inherits WHERE inhparent = 'attendance_event'::regclass`)
  ).rows;
  await c.end();
  console.log(
    JSON.stringify(
      {
        rows: ROWS,
        tableSize: size,
        fillSeconds: fillS,
        conversionSeconds: convertS,
        partitions,
        rowsBefore: beforeDigest.rows,
        rowsAfter: afterDigest.rows,
        sameRowsInOrder: beforeDigest.digest === afterDigest.digest,
        liveWritesAcknowledged: acknowledged.length,
        liveWritesPresentOnce: JSON.stringify(live) === JSON.stringify(acknowledged),
        longestWriteWaitMs: Math.round(waits.write),
        longestReadWaitMs: Math.round(waits.read),
        writes: waits.writes,
        reads: waits.reads,
      },
      null,
      2,
    ),
  );
} finally {
  await postgres.stop();
}
