// RTO benchmark: BENCH_GB (1) of attendance in a base backup plus BENCH_WAL_ROWS (500,000) events written after it,
// restored by ops/backup/restore.sh into a new folder and replayed to the end of the archive. Prints the times.
import { execFile } from 'node:child_process';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { migrateDatabase } from '../../api/db/migrate.js';
import { createRepository, startArchived } from '../../test/harness/archived-postgres.js';

const run = promisify(execFile);
const GB = Number(process.env.BENCH_GB ?? 1);
const WAL_ROWS = Number(process.env.BENCH_WAL_ROWS ?? 500_000);
/** Measured by the conversion benchmark: 5,000,000 events took 1,803 MB with their indexes. */
const ROWS_PER_GB = Math.round(5_000_000 / 1.803);

const fill = (from: number, count: number) =>
  `INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
                                 late, future_skew, duplicate, source, raw_event_type)
   SELECT encode(sha256(n::text::bytea), 'base64'), 'school-' || (n % 1000), 'gate-' || (n % 4), 'pupil-' || (n % 600000),
          CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END, ts, ts, false, false, false, 'hikvision', 'AccessControllerEvent'
     FROM (SELECT n, timestamptz '2026-09-01 07:00:00+05' + (n % 60) * interval '1 day' + (n % 39600) * interval '1 second' AS ts
             FROM generate_series(${from}, ${from + count - 1}) n) g`;

const repo = await createRepository(60);
const primary = await startArchived(repo, repo.pgPath, { init: true, port: repo.port });
const servers = [primary];
try {
  await repo.pgbackrest(['stanza-create']);
  const admin = new pg.Client({ connectionString: primary.url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE posbon');
  await admin.end();
  const url = primary.url('posbon');
  await migrateDatabase(url);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const rows = Math.round(GB * ROWS_PER_GB);
  for (let done = 0; done < rows; done += 500_000) await c.query(fill(done, Math.min(500_000, rows - done)));
  const [{ size }] = (await c.query(`SELECT pg_database_size('posbon') AS size`)).rows;
  let t = Date.now();
  await repo.pgbackrest(['--type=full', 'backup']);
  const backupS = (Date.now() - t) / 1000;
  await c.query(fill(rows, WAL_ROWS));
  const [{ lsn }] = (await c.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows;
  await c.query('SELECT pg_switch_wal()');
  await c.end();
  await new Promise((r) => setTimeout(r, 3000));
  await primary.stop();

  const dir = join(repo.dir, 'restored');
  await mkdir(dir, { mode: 0o700 });
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  await chown(dir, uid, gid);
  t = Date.now();
  await repo.asPostgres(repo.restoreScript, [
    '--config',
    repo.config,
    '--stanza',
    'posbon',
    '--pg-path',
    dir,
    '--no-archive',
  ]);
  const restoreS = (Date.now() - t) / 1000;
  const restored = await startArchived(repo, dir, { init: false, archive: false });
  servers.push(restored);
  const replayS = (Date.now() - t) / 1000 - restoreS;
  const r = new pg.Client({ connectionString: restored.url('posbon') });
  await r.connect();
  const [{ n }] = (await r.query('SELECT count(*)::int AS n FROM attendance_event')).rows;
  await r.end();
  console.log(
    JSON.stringify(
      {
        databaseBytes: Number(size),
        rowsInBackup: rows,
        rowsAfterBackup: WAL_ROWS,
        walUpToLsn: lsn,
        backupSeconds: backupS,
        restoreFilesSeconds: restoreS,
        walReplayAndPromoteSeconds: replayS,
        rtoSeconds: restoreS + replayS,
        rowsRestored: n,
        allRowsBack: n === rows + WAL_ROWS,
      },
      null,
      2,
    ),
  );
} finally {
  for (const server of servers) await server.stop().catch(() => undefined);
}
