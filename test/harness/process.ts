// Child processes of the harness: each in its own process group, logged to a file, never left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every harness folder carries this prefix, so a leftover process is easy to find (`pgrep -f`). */
export const HARNESS_PREFIX = 'posbon-harness-';

/**
 * A fresh folder for one harness piece. A Jest run's folders carry its run id (POSBON_HARNESS_RUN, set by the global
 * setup) and are removed by its global teardown; a plain script's are removed when it exits. POSBON_KEEP_HARNESS keeps
 * them, logs and data, for a post-mortem.
 */
export async function harnessDir(name: string): Promise<string> {
  const run = process.env.POSBON_HARNESS_RUN;
  const dir = await mkdtemp(join(tmpdir(), `${HARNESS_PREFIX}${run ? `${run}-` : ''}${name}-`));
  folders.add(dir);
  return dir;
}

const running = new Set<ChildProcess>();
const folders = new Set<string>();
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
  removeFolders([...folders]);
});

/** Removes the harness folders of one Jest run (its processes stopped), or keeps them under POSBON_KEEP_HARNESS. */
export function removeRunFolders(run: string): void {
  const prefix = `${HARNESS_PREFIX}${run}-`;
  removeFolders(readdirSync(tmpdir()).filter((name) => name.startsWith(prefix)).map((name) => join(tmpdir(), name)));
}

/** Removes folders, except one with something still mounted under it (a test node's), which the CI check then names. */
function removeFolders(dirs: string[]): void {
  if (process.env.POSBON_KEEP_HARNESS) return;
  let mounts = '';
  try {
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    // no procfs: nothing can be mounted by the harness either
  }
  for (const dir of dirs) {
    if (mounts.includes(` ${dir}/`) || mounts.includes(` ${dir} `)) continue;
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a file still held by a dying process
    }
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export interface Service {
  name: string;
  pid: number;
  logFile: string;
  logs(): Promise<string>;
  exited(): boolean;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user when the harness runs as root (PostgreSQL refuses root). */
  asUser?: string;
  /** Run inside this network namespace (`ip netns exec`), e.g. a test host from `createTestHost`. */
  netns?: string;
}

export async function spawnService(name: string, command: string, args: string[], options: SpawnOptions = {}): Promise<Service> {
  const dir = await harnessDir(`${name}-log`);
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  // The file exists before anyone can ask for the logs.
  await new Promise<void>((resolve, reject) => log.once('open', () => resolve()).once('error', reject));
  const asRoot = process.getuid?.() === 0 && options.asUser !== undefined;
  const [userCmd, userArgv] = asRoot ? ['runuser', ['-u', options.asUser!, '--', command, ...args]] : [command, args];
  const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, userCmd, ...userArgv]] : [userCmd, userArgv];
  const child = spawn(cmd, argv, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  return {
    name,
    pid: child.pid!,
    logFile,
    logs: () => readFile(logFile, 'utf8'),
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
      // Output can still arrive after 'exit'; let it drain, then detach so a late line is not a write after end.
      await Promise.race([new Promise((resolve) => child.once('close', resolve)), sleep(2000)]);
      child.stdout!.unpipe(log);
      child.stderr!.unpipe(log);
      log.end();
    },
  };
}

/**
 * A port below the kernel's ephemeral range (32768 and up), so no outgoing connection can take it between this check
 * and the service's bind; each Jest worker draws from its own slice of 1,000 so that workers never hand out the same one.
 */
export async function freePort(): Promise<number> {
  const slice = workerSlice();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = slice + Math.floor(Math.random() * 1000);
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      if (handedOut.size > 800) handedOut.clear();
      return port;
    }
  }
  throw new Error(`no free port in ${slice}-${slice + 999}`);
}

const handedOut = new Set<number>();

/** The first of this Jest worker's 1,000 ports. */
const workerSlice = () => 20_000 + (Number(process.env.JEST_WORKER_ID ?? 0) % 12) * 1000;

/**
 * The first of `count` consecutive free ports from this worker's slice (below the ephemeral range, so no outgoing
 * connection takes one meanwhile), for a service that takes ports from a base, such as `npm start`'s local media.
 */
export async function freePortRange(count: number): Promise<number> {
  const slice = workerSlice();
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = slice + count * Math.floor(Math.random() * Math.floor(1000 / count - 1));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.some((p) => handedOut.has(p))) continue;
    if ((await Promise.all(ports.map(bindable))).every(Boolean)) {
      for (const p of ports) handedOut.add(p);
      return base;
    }
  }
  throw new Error(`no ${count} consecutive free ports in ${slice}-${slice + 999}`);
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown inside `eventually` when waiting longer cannot help (a process died). */
export class GiveUp extends Error {}

/** Polls `check` until it returns without throwing; rethrows its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (error instanceof GiveUp || Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

export async function waitForPort(port: number, service: Service, timeoutMs = 60_000, host = '127.0.0.1'): Promise<void> {
  await eventually(
    async () => {
      if (service.exited()) throw new GiveUp(`${service.name} exited:\n${(await service.logs()).slice(-3000)}`);
      await new Promise<void>((resolve, reject) => {
        const socket = new Socket();
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', reject);
        socket.connect(port, host);
      });
    },
    timeoutMs,
    100,
  );
}
