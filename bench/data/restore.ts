// RTO benchmark: BENCH_GB (1) of attendance in a full base backup in an S3-compatible object store (versitygw over
// TLS, the repository AES-encrypted), BENCH_WAL_ROWS (500,000) events written after it, then ops/backup/restore.sh
// into a new folder and WAL replay to the end of the archive. Prints the times; asserts nothing.
// BENCH_KEEP=<folder>: restore into that (new) folder and keep it, a data set for `BENCH_DATA_DIR=<folder>
// npm run bench:data:reads`. Everything else the run made is removed, so a 10 GB run leaves no 30 GB behind.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { openMigrated } from '../../api/db/migrate.js';
import { createRepository, startArchived, startKeptFolder, type ArchivedPostgres } from '../../test/harness/archived-postgres.js';
import { startObjectStore } from '../../test/harness/object-store.js';
import { harnessDir } from '../../test/harness/process.js';
import { ROWS_PER_GB, fillAttendance, insertEvents, schoolsFor } from './attendance-set.js';

const run = promisify(execFile);
const GB = Number(process.env.BENCH_GB ?? 1);
const WAL_ROWS = Number(process.env.BENCH_WAL_ROWS ?? 500_000);
const KEEP = process.env.BENCH_KEEP;
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const seconds = (since: number) => +((Date.now() - since) / 1000).toFixed(1);
const duBytes = async (path: string) => Number((await run('du', ['-sb', path])).stdout.split('\t')[0]);

// The store is built and started while the data is generated: both take minutes on a cold machine.
const storeStarting = startObjectStore();
storeStarting.catch(() => undefined);
const primaryDir = await harnessDir('restore-primary');
const pgPath = join(primaryDir, 'data');
const servers: ArchivedPostgres[] = [];
const loadAverage = async () => (await run('cat', ['/proc/loadavg'])).stdout.split(' ').slice(0, 3).join(' ');
let kept = false;
let madeKeep = false;
await chmod(primaryDir, 0o755);
let cleanup = async () => {
  await rm(primaryDir, { recursive: true, force: true });
  const store = await storeStarting.catch(() => undefined);
  await store?.stop();
  if (store) await rm(store.root, { recursive: true, force: true });
};
try {
  // The bulk fill without archiving (its WAL would be archived and then expired unread); archiving starts before
  // the base backup, as on a server that has always archived.
  const filling = await startKeptFolder(pgPath, { init: true });
  servers.push(filling);
  await createDatabase(filling);
  const rows = Math.round(GB * ROWS_PER_GB);
  let dataSource: DataSource = (await openMigrated(filling.url('posbon'), { queryTimeoutMs: 0 })).dataSource;
  let t = Date.now();
  await fillAttendance(dataSource, rows, log);
  const fillS = seconds(t);
  const [{ size }] = (await dataSource.query(`SELECT pg_database_size('posbon') AS size`)) as [{ size: string }];
  await dataSource.destroy();
  await filling.stop();

  const store = await storeStarting;
  const repo = await createRepository(60, { s3: store, bucket: 'posbon-backups' }, { pgPath, port: filling.port });
  cleanup = async () => {
    await store.stop();
    await rm(primaryDir, { recursive: true, force: true });
    await rm(repo.dir, { recursive: true, force: true });
    await rm(store.root, { recursive: true, force: true });
  };
  const primary = await startArchived(repo, repo.pgPath, { init: false, port: repo.port });
  servers.push(primary);
  await repo.pgbackrest(['stanza-create']);
  log('full backup');
  t = Date.now();
  await repo.pgbackrest(['--type=full', 'backup']);
  const backupS = seconds(t);
  dataSource = (await openMigrated(primary.url('posbon'), { queryTimeoutMs: 0 })).dataSource;
  log(`${WAL_ROWS.toLocaleString('en')} events after the backup`);
  for (let done = 0; done < WAL_ROWS; done += 100_000) {
    await insertEvents(dataSource, schoolsFor(rows), rows + done, Math.min(100_000, WAL_ROWS - done));
  }
  const [{ lsn, segment }] = (await dataSource.query(
    'SELECT pg_current_wal_lsn()::text AS lsn, pg_walfile_name(pg_current_wal_lsn()) AS segment',
  )) as [{ lsn: string; segment: string }];
  await dataSource.query('SELECT pg_switch_wal()');
  // The segment holding the last event is in the store before the primary goes.
  for (;;) {
    const [{ last }] = (await dataSource.query('SELECT last_archived_wal AS last FROM pg_stat_archiver')) as [{ last: string | null }];
    if (last !== null && last >= segment) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await dataSource.destroy();
  await primary.stop();
  const storeBytes = await duBytes(store.root);
  // The old primary is not needed to restore: its room is given back first.
  await rm(pgPath, { recursive: true, force: true });

  const dir = KEEP ?? join(repo.dir, 'restored');
  await mkdir(dir, { mode: 0o700 });
  madeKeep = KEEP !== undefined;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  await chown(dir, uid, gid);
  const loadBefore = await loadAverage();
  log('restoring files');
  t = Date.now();
  await repo.asPostgres(repo.restoreScript, ['--config', repo.config, '--stanza', 'posbon', '--pg-path', dir, '--no-archive']);
  const restoreS = seconds(t);
  log('replaying WAL');
  t = Date.now();
  const restored = await startArchived(repo, dir, { init: false, archive: false });
  servers.push(restored);
  const replayS = seconds(t);
  const check = (await openMigrated(restored.url('posbon'), { queryTimeoutMs: 0 })).dataSource;
  const [{ n }] = (await check.query('SELECT count(*)::int AS n FROM attendance_event')) as [{ n: number }];
  await check.destroy();
  await restored.stop();
  // A kept folder no longer points at a repository that is about to be removed.
  if (KEEP) await rm(join(dir, 'postgresql.auto.conf'), { force: true });
  kept = KEEP !== undefined;
  console.log(
    JSON.stringify(
      {
        databaseBytes: Number(size),
        rowsInBackup: rows,
        rowsAfterBackup: WAL_ROWS,
        fillSeconds: fillS,
        backupSeconds: backupS,
        objectStoreBytes: storeBytes,
        walUpToLsn: lsn,
        restoreFilesSeconds: restoreS,
        walReplayAndPromoteSeconds: replayS,
        rtoSeconds: +(restoreS + replayS).toFixed(1),
        rowsRestored: n,
        allRowsBack: n === rows + WAL_ROWS,
        loadAverageBeforeRestore: loadBefore,
        loadAverageAfter: await loadAverage(),
        ...(kept ? { keptDataFolder: dir, reads: `BENCH_DATA_DIR=${dir} npm run bench:data:reads` } : {}),
      },
      null,
      2,
    ),
  );
} finally {
  for (const server of servers) await server.stop().catch(() => undefined);
  await cleanup();
  if (madeKeep && !kept && KEEP) await rm(KEEP, { recursive: true, force: true });
}

async function createDatabase(server: ArchivedPostgres): Promise<void> {
  const admin = new pg.Client({ connectionString: server.url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE posbon');
  await admin.end();
}
