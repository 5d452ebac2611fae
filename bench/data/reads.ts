// Attendance reads across monthly partitions: a school's day and a pupil's month through AttendanceReader, over
// BENCH_ROWS events (default 100,000,000; state what was run) in 12 partitions. Prints p50 and p99; asserts nothing.
// A school has 600 pupils passing twice a day whatever BENCH_ROWS is, so a school's day is always about 1,200 rows
// (a national school day of 20 million events over some 10,000 schools is 2,000 each): more rows mean more schools.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { addMonths } from '../../api/db/attendance-partitions.js';
import { openMigrated } from '../../api/db/migrate.js';
import { AttendanceReader } from '../../api/attendance/reader.js';
import { startKeptFolder, type ArchivedPostgres } from '../../test/harness/archived-postgres.js';
import { createDatabase, startPostgres, type Postgres } from '../../test/harness/index.js';
import { PUPILS, START, fillAttendance } from './attendance-set.js';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 500);
/** A data folder kept between runs: filled on the first run, read as it is on the next ones (or from the restore). */
const DATA_DIR = process.env.BENCH_DATA_DIR;
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

let server: Postgres | ArchivedPostgres;
let url: string;
const filled = DATA_DIR !== undefined && existsSync(DATA_DIR);
if (DATA_DIR) {
  const kept = await startKeptFolder(DATA_DIR, { init: !filled });
  server = kept;
  url = kept.url('posbon');
  if (!filled) {
    const admin = new pg.Client({ connectionString: kept.url('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE posbon');
    await admin.end();
  }
} else {
  const postgres = await startPostgres();
  server = postgres;
  url = await createDatabase(postgres.url, 'reads');
}
try {
  const { dataSource } = await openMigrated(url, { queryTimeoutMs: 0 });
  let fillS: number | undefined;
  if (!filled) {
    const t = Date.now();
    await fillAttendance(dataSource, Number(process.env.BENCH_ROWS ?? 100_000_000), log);
    fillS = (Date.now() - t) / 1000;
  }
  const { rows, schools } = await describeSet(dataSource);
  const days = (await dataSource.query(
    `SELECT DISTINCT (occurred_at AT TIME ZONE 'Asia/Tashkent')::date::text AS day FROM attendance_event WHERE school_id = 'school-0'`,
  )) as { day: string }[];
  const reader = AttendanceReader.create({ dataSource });
  const all = () => true;
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
    reader.schoolDay(all, `school-${Math.floor(Math.random() * schools)}`, pick(days).day, 'Asia/Tashkent'),
  );
  const pupilMonth = await time(() => {
    const month = addMonths(START, Math.floor(Math.random() * 12));
    return reader.pupilRange(
      all,
      `school-${Math.floor(Math.random() * schools)}`,
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
        rows,
        schools,
        partitions: 12,
        size,
        ...(fillS === undefined ? { dataFolder: DATA_DIR } : { fillSeconds: fillS }),
        queries: QUERIES,
        schoolDayMs: schoolDay,
        pupilMonthMs: pupilMonth,
        loadAverage: (await promisify(execFile)('cat', ['/proc/loadavg'])).stdout.split(' ').slice(0, 3).join(' '),
      },
      null,
      2,
    ),
  );
  await dataSource.destroy();
} finally {
  await server.stop();
}

/** The size of the set as it is: rows from the statistics VACUUM left, schools from the first school day. */
async function describeSet(dataSource: DataSource): Promise<{ rows: number; schools: number }> {
  const [{ rows }] = (await dataSource.query(
    `SELECT sum(c.reltuples)::bigint::text AS rows FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'attendance_event'::regclass`,
  )) as [{ rows: string }];
  const [{ schools }] = (await dataSource.query(
    `SELECT count(DISTINCT school_id)::int AS schools FROM attendance_event WHERE occurred_at >= $1 AND occurred_at < $2`,
    [START, new Date(START.getTime() + 24 * 3600_000)],
  )) as [{ schools: number }];
  return { rows: Number(rows), schools };
}
