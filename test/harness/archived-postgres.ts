// A PostgreSQL cluster that archives its WAL with pgBackRest to an encrypted repository (in an S3-compatible store or a
// folder), and clusters restored from it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { ObjectStore } from './object-store.js';
import { postgresBinDir } from './postgres.js';
import { GiveUp, eventually, freePort, harnessDir, spawnService, type Service } from './process.js';

const run = promisify(execFile);
const OS_USER = 'postgres';
export const STANZA = 'posbon';

export interface BackupRepository {
  dir: string;
  /** The pgBackRest configuration file, for restore.sh and the commands below. */
  config: string;
  /** ops/backup/restore.sh, copied where the postgres user can run it even when the checkout is private to root. */
  restoreScript: string;
  asPostgres(command: string, args: string[]): Promise<string>;
  pgbackrest(args: string[]): Promise<string>;
}

export interface ArchivedPostgres {
  port: number;
  dataDir: string;
  url: (database: string) => string;
  service: Service;
  /** SIGKILL to the postmaster: a crash, with no shutdown checkpoint and no last WAL switch. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const ids = async () => {
  const { stdout: uid } = await run('id', ['-u', OS_USER]);
  const { stdout: gid } = await run('id', ['-g', OS_USER]);
  return [Number(uid.trim()), Number(gid.trim())] as const;
};

async function asPostgres(command: string, args: string[]): Promise<string> {
  const root = process.getuid?.() === 0;
  const { stdout } = await run(root ? 'runuser' : command, root ? ['-u', OS_USER, '--', command, ...args] : args, {
    maxBuffer: 16 << 20,
  });
  return stdout;
}

/** Where the repository lives: a bucket of an S3-compatible store (as in production), or a local folder. */
export type RepositoryTarget = { s3: ObjectStore; bucket: string } | 'posix';

const S3_REPO_PATH = '/pgbackrest';

/** The `repo1-*` lines for the target; `conf` is a folder only the postgres user reads. */
async function repositoryLines(target: RepositoryTarget, dir: string, conf: string, uid: number, gid: number): Promise<string[]> {
  if (target === 'posix') return [`repo1-path=${join(dir, 'repo')}`];
  const { s3, bucket } = target;
  await s3.createBucket(bucket);
  const caFile = join(conf, 'object-store-ca.crt');
  await writeFile(caFile, s3.caPem);
  await chown(caFile, uid, gid);
  return [
    'repo1-type=s3',
    `repo1-path=${S3_REPO_PATH}`,
    `repo1-s3-bucket=${bucket}`,
    `repo1-s3-endpoint=${s3.endpoint}`,
    `repo1-s3-region=${s3.region}`,
    'repo1-s3-uri-style=path',
    `repo1-storage-port=${s3.port}`,
    `repo1-storage-ca-file=${caFile}`,
    `repo1-s3-key=${s3.accessKey}`,
    `repo1-s3-key-secret=${s3.secretKey}`,
  ];
}

/** The folder holding the repository's files as stored, to check what the store really keeps. */
export const repositoryFiles = (target: RepositoryTarget, dir: string): string =>
  target === 'posix' ? join(dir, 'repo') : join(target.s3.root, target.bucket, S3_REPO_PATH);

/** A repository with AES-256 encryption; the cipher key lives in the config, never in the repository itself. */
export async function createRepository(
  archiveTimeoutS: number,
  target: RepositoryTarget,
  /** The primary's data folder and port, when it exists already; a folder in the repository's own otherwise. */
  primary?: { pgPath: string; port: number },
): Promise<BackupRepository & { archiveTimeoutS: number; pgPath: string; port: number }> {
  const dir = await harnessDir('pgbackrest');
  await chmod(dir, 0o755);
  const [uid, gid] = await ids();
  for (const sub of [...(target === 'posix' ? ['repo'] : []), 'log', 'lock', 'conf']) {
    await mkdir(join(dir, sub));
    await chown(join(dir, sub), uid, gid);
    await chmod(join(dir, sub), 0o700);
  }
  const pgPath = primary?.pgPath ?? join(dir, 'primary');
  const port = primary?.port ?? (await freePort());
  const config = join(dir, 'conf', 'pgbackrest.conf');
  await writeFile(
    config,
    [
      '[global]',
      ...(await repositoryLines(target, dir, join(dir, 'conf'), uid, gid)),
      'repo1-cipher-type=aes-256-cbc',
      `repo1-cipher-pass=${randomBytes(32).toString('base64')}`,
      'repo1-retention-full=2',
      `log-path=${join(dir, 'log')}`,
      `lock-path=${join(dir, 'lock')}`,
      'log-level-file=detail',
      'start-fast=y',
      'compress-type=lz4',
      '',
      `[${STANZA}]`,
      `pg1-path=${pgPath}`,
      `pg1-port=${port}`,
      `pg1-socket-path=${pgPath}`,
      'pg1-user=posbon',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  await chown(config, uid, gid);
  const restoreScript = join(dir, 'restore.sh');
  await copyFile(join(process.cwd(), 'ops/backup/restore.sh'), restoreScript);
  await chmod(restoreScript, 0o755);
  const pgbackrest = (args: string[]) =>
    asPostgres('pgbackrest', [`--config=${config}`, `--stanza=${STANZA}`, ...args]);
  return { dir, config, restoreScript, asPostgres, pgbackrest, archiveTimeoutS, pgPath, port };
}

/** Starts PostgreSQL on a data folder (initialised first if `init`) with archiving to the repository. */
export function startArchived(
  repo: BackupRepository & { archiveTimeoutS: number },
  dataDir: string,
  options: { init: boolean; port?: number; archive?: boolean },
): Promise<ArchivedPostgres> {
  return startOnFolder(dataDir, options, [
    `archive_mode=${options.archive === false ? 'off' : 'on'}`,
    `archive_command=pgbackrest --config=${repo.config} --stanza=${STANZA} archive-push %p`,
    `archive_timeout=${repo.archiveTimeoutS}`,
  ]);
}

/** Starts PostgreSQL on a data folder kept between runs (a benchmark's data set), without archiving. */
export const startKeptFolder = (dataDir: string, options: { init: boolean; port?: number }): Promise<ArchivedPostgres> =>
  startOnFolder(dataDir, options, ['archive_mode=off']);

async function startOnFolder(dataDir: string, options: { init: boolean; port?: number }, settings: string[]): Promise<ArchivedPostgres> {
  const bin = postgresBinDir();
  const [uid, gid] = await ids();
  const password = 'unused-local-trust';
  if (options.init) {
    await mkdir(dataDir);
    await chown(dataDir, uid, gid);
    await asPostgres(join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'posbon',
      '-A',
      'trust',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    // Connections only over the socket inside the 0700 data folder, or from this machine's loopback.
    await writeFile(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    await chown(join(dataDir, 'pg_hba.conf'), uid, gid);
  }
  const port = options.port ?? (await freePort());
  const service = await spawnService(
    'postgres-archived',
    join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dataDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'wal_level=replica',
      '-c',
      'max_wal_senders=3',
      '-c',
      'shared_buffers=128MB',
      ...settings.flatMap((setting) => ['-c', setting]),
    ],
    { asUser: OS_USER },
  );
  const url = (database: string) => `postgres://posbon:${password}@127.0.0.1:${port}/${database}`;
  await eventually(
    async () => {
      if (service.exited()) throw new GiveUp(`postgres exited:\n${(await service.logs()).slice(-2000)}`);
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      // A restored server answers while it still replays; it is ready once it has been promoted.
      const { rows } = await client.query('SELECT pg_is_in_recovery() AS r');
      await client.end();
      if (rows[0].r) throw new Error('still in recovery');
    },
    300_000,
    200,
  );
  return {
    port,
    dataDir,
    url,
    service,
    // The postmaster itself, not the runuser above it.
    kill: async () => {
      const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      process.kill(postmaster, 'SIGKILL');
    },
    stop: () => service.stop(),
  };
}
