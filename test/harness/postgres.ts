// A throwaway PostgreSQL cluster from the machine's PostgreSQL binaries, one per test run, a database per test file.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { GiveUp, eventually, freePort, harnessDir, spawnService, type Service } from './process.js';

const run = promisify(execFile);

export interface Postgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The URL of the `postgres` maintenance database. */
  url: string;
  urlFor(database: string): string;
  /** Stops the server but keeps its data, as a crash-and-restart test needs. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export function postgresBinDir(): string {
  const candidates = [process.env.POSBON_PG_BIN, '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'initdb')));
  if (!found) throw new Error('PostgreSQL server binaries not found: install the postgresql package or set POSBON_PG_BIN');
  return found;
}

const OS_USER = 'postgres';

export interface PostgresOptions {
  /** Another address to listen on besides loopback, e.g. a test node's bridge, and the clients' subnet allowed there. */
  extraListen?: { address: string; clients: string };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  const bin = postgresBinDir();
  const dir = await harnessDir('postgres');
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  await mkdir(data);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', OS_USER]);
    const { stdout: gid } = await run('id', ['-g', OS_USER]);
    await chmod(dir, 0o755);
    await chown(data, Number(stdout.trim()), Number(gid.trim()));
  }
  const user = 'posbon';
  const password = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pw');
  await writeFile(pwfile, password, { mode: 0o644 });
  const initdb = asRoot ? ['runuser', ['-u', OS_USER, '--', join(bin, 'initdb')]] as const : [join(bin, 'initdb'), []] as const;
  await run(initdb[0], [...initdb[1], '-D', data, '-U', user, `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C']);
  if (options.extraListen) {
    await appendFile(join(data, 'pg_hba.conf'), `host all all ${options.extraListen.clients} scram-sha-256\n`);
  }
  const listen = ['127.0.0.1', ...(options.extraListen ? [options.extraListen.address] : [])].join(',');
  const port = await freePort();
  let service: Service | undefined;
  const start = async () => {
    service = await spawnService('postgres', join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', data, '-c', `listen_addresses=${listen}`,
      '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', '-c', 'shared_buffers=256MB',
    ], asRoot ? { asUser: OS_USER } : {});
    const url = `postgres://${user}:${password}@127.0.0.1:${port}/postgres`;
    await eventually(async () => {
      if (service!.exited()) throw new GiveUp(`postgres exited:\n${(await service!.logs()).slice(-2000)}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.end();
    }, 60_000, 100);
  };
  await start();
  const urlFor = (database: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    url: urlFor('postgres'),
    urlFor,
    pause: async () => service?.stop(),
    resume: start,
    // The data folder holds hundreds of megabytes per cluster: a run must not leave them behind in /tmp.
    stop: async () => {
      await service?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an empty database on the run's cluster and returns its URL. */
export async function createDatabase(adminUrl: string, prefix = 't'): Promise<string> {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`database prefix ${JSON.stringify(prefix)}: use lowercase letters, digits and _`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
