// The generated attendance of the data benchmarks: a school year over 12 monthly partitions, each school 600 pupils
// passing twice a school day, so a school's day is about 1,200 rows whatever the size (more rows, more schools).
import type { DataSource } from 'typeorm';
import { addMonths, createMonthPartition, monthPartition } from '../../api/db/attendance-partitions.js';

export const PUPILS = 600;
export const DAYS = 250;
export const START = new Date('2025-09-01T00:00:00Z');
/** Measured on this shape: 3,000,000 events took 1,221 MB with their indexes. */
export const ROWS_PER_GB = Math.round(3_000_000 / 1.221);

export const schoolsFor = (rows: number): number => Math.max(1, Math.round(rows / (DAYS * PUPILS * 2)));

type Queryable = Pick<DataSource, 'query'>;

/** Events `from` … `from + count - 1` of the set: school n % schools, pupil (n / schools) % 600, 07:00–17:00 Tashkent. */
export const insertEvents = (db: Queryable, schools: number, from: number, count: number): Promise<unknown> =>
  db.query(
    `INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
                                   late, future_skew, duplicate, source, raw_event_type)
     SELECT 'r' || n, 'school-' || (n % ${schools}), 'gate-' || (n % 3), 'pupil-' || ((n / ${schools}) % ${PUPILS}),
            CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END, ts, ts, false, false, false, 'hikvision', 'AccessControllerEvent'
       FROM (SELECT n, $1::timestamptz + floor(((n / ${schools * PUPILS}) % ${DAYS}) * 365.0 / ${DAYS}) * interval '1 day'
                      + interval '2 hours' + (n % 36000) * interval '1 second' AS ts
               FROM generate_series($2::bigint, $3::bigint) n) g`,
    [START, from, from + count - 1],
  );

/**
 * Fills an empty, migrated database with `rows` events, the fast way: the 12 partitions first, the secondary indexes
 * dropped, one INSERT … SELECT per million rows, then the same indexes built again from sorted input. The schema ends
 * exactly as the migrations left it. `progress` hears each step.
 */
export async function fillAttendance(db: Queryable, rows: number, progress: (line: string) => void): Promise<void> {
  for (let m = 0; m < 12; m++) await createMonthPartition(db, monthPartition(addMonths(START, m)));
  const indexes = (await db.query(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = 'attendance_event'::regclass AND NOT i.indisprimary ORDER BY c.relname`,
  )) as { name: string; def: string }[];
  for (const index of indexes) await db.query(`DROP INDEX ${index.name}`);
  const schools = schoolsFor(rows);
  const chunk = 1_000_000;
  for (let from = 0; from < rows; from += chunk) {
    await insertEvents(db, schools, from, Math.min(chunk, rows - from));
    progress(`filled ${Math.min(from + chunk, rows).toLocaleString('en')} of ${rows.toLocaleString('en')} events`);
  }
  await db.query(`SET maintenance_work_mem = '512MB'`);
  for (const index of indexes) {
    await db.query(index.def);
    progress(`built ${index.name}`);
  }
  // What autovacuum does to an insert-only partition by itself (PostgreSQL 13+): the visibility map index-only reads need.
  await db.query('VACUUM (ANALYZE) attendance_event');
  progress('vacuumed and analysed');
}
