// Attendance reads across monthly partitions: a school's day and a pupil's month through AttendanceReader, over
// BENCH_ROWS events (default 100,000,000; state what was run) in 12 partitions. Prints p50 and p99; asserts nothing.
// A school has 600 pupils passing twice a day whatever BENCH_ROWS is, so a school's day is always about 1,200 rows
// (a national school day of 20 million events over some 10,000 schools is 2,000 each): more rows mean more schools.
import { addMonths, ensureMonthPartition, monthPartition } from '../../api/db/attendance-partitions.js';
import { openMigrated } from '../../api/db/migrate.js';
import { AttendanceReader } from '../../api/attendance/reader.js';
import { createDatabase, startPostgres } from '../../test/harness/index.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 500);
const PUPILS = 600;
const DAYS = 250;
const SCHOOLS = Math.max(1, Math.round(ROWS / (DAYS * PUPILS * 2)));
const START = new Date('2025-09-01T00:00:00Z');

const postgres = await startPostgres();
try {
  const url = await createDatabase(postgres.url, 'reads');
  const { dataSource } = await openMigrated(url, { queryTimeoutMs: 0 });
  for (let m = 0; m < 12; m++) await ensureMonthPartition(dataSource, monthPartition(addMonths(START, m)));
  const chunk = 1_000_000;
  const t = Date.now();
  for (let from = 0; from < ROWS; from += chunk) {
    // School n % SCHOOLS, pupil (n / SCHOOLS) % 600, one of 250 school days spread over the year, 07:00 to 17:00 Tashkent.
    await dataSource.query(
      `INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
                                     late, future_skew, duplicate, source, raw_event_type)
       SELECT 'r' || n, 'school-' || (n % ${SCHOOLS}), 'gate-' || (n % 3), 'pupil-' || ((n / ${SCHOOLS}) % ${PUPILS}),
              CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END, ts, ts, false, false, false, 'hikvision', 'AccessControllerEvent'
         FROM (SELECT n, $1::timestamptz + floor(((n / ${SCHOOLS * PUPILS}) % ${DAYS}) * 365.0 / ${DAYS}) * interval '1 day'
                        + interval '2 hours' + (n % 36000) * interval '1 second' AS ts
                 FROM generate_series($2::bigint, $3::bigint) n) g`,
      [START, from, Math.min(from + chunk, ROWS) - 1],
    );
  }
  const fillS = (Date.now() - t) / 1000;
  // What autovacuum does to an insert-only partition by itself (PostgreSQL 13+): the visibility map index-only reads need.
  await dataSource.query('VACUUM (ANALYZE) attendance_event');
  const reader = AttendanceReader.create({ dataSource });
  const all = () => true;
  const days = (await dataSource.query(
    `SELECT DISTINCT (occurred_at AT TIME ZONE 'Asia/Tashkent')::date::text AS day FROM attendance_event WHERE school_id = 'school-1'`,
  )) as { day: string }[];
  const time = async (run: () => Promise<unknown[]>) => {
    const ms: number[] = [];
    let rows = 0;
    for (let i = 0; i < QUERIES; i++) {
      const s = performance.now();
      rows += (await run()).length;
      ms.push(performance.now() - s);
    }
    ms.sort((a, b) => a - b);
    return {
      p50: +ms[Math.floor(QUERIES * 0.5)]!.toFixed(2),
      p99: +ms[Math.floor(QUERIES * 0.99)]!.toFixed(2),
      rowsPerQuery: Math.round(rows / QUERIES),
    };
  };
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const schoolDay = await time(() =>
    reader.schoolDay(all, `school-${Math.floor(Math.random() * SCHOOLS)}`, pick(days).day, 'Asia/Tashkent'),
  );
  const pupilMonth = await time(() => {
    const month = addMonths(START, Math.floor(Math.random() * 12));
    return reader.pupilRange(
      all,
      `school-${Math.floor(Math.random() * SCHOOLS)}`,
      `pupil-${Math.floor(Math.random() * PUPILS)}`,
      month,
      new Date(addMonths(month, 1).getTime() - 1),
    );
  });
  const [{ size }] = (await dataSource.query(
    `SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS size FROM pg_inherits WHERE inhparent = 'attendance_event'::regclass`,
  )) as [{ size: string }];
  console.log(
    JSON.stringify(
      {
        rows: ROWS,
        schools: SCHOOLS,
        partitions: 12,
        size,
        fillSeconds: fillS,
        queries: QUERIES,
        schoolDayMs: schoolDay,
        pupilMonthMs: pupilMonth,
      },
      null,
      2,
    ),
  );
  await dataSource.destroy();
} finally {
  await postgres.stop();
}
