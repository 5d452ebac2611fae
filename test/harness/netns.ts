// Test hosts: network namespaces with their own address, joined to the root namespace by a veth pair.
// A fake NVR on a test host is reached at a public-looking address, so tests never weaken the probe guard.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { spawnService, type Service, type SpawnOptions } from './process.js';

const run = promisify(execFile);

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface TestHost {
  /** The namespace's name, for `ip netns exec` and `spawnService(..., { netns })`. */
  netns: string;
  /** The host's address, reachable from the root namespace. */
  ip: string;
  /** Runs a command inside the namespace and waits for it. */
  exec(command: string, args: string[]): Promise<ExecResult>;
  /** Starts a long-running process inside the namespace. */
  spawn(name: string, command: string, args: string[], options?: Omit<SpawnOptions, 'netns'>): Promise<Service>;
  /** Kills whatever still runs inside and deletes the namespace (and with it the veth pair). */
  destroy(): Promise<void>;
}

export interface TestHostOptions {
  /**
   * Accept packets but never answer: the host's replies are routed to a blackhole, so a connection to it
   * neither succeeds nor is refused — it times out, like a router that drops what it does not admit.
   */
  silent?: boolean;
  /** More addresses on the host's loopback (reachable only from inside the namespace), e.g. `10.1.2.3`, `fd00::1`. */
  loopbackAddresses?: string[];
  /**
   * Join this host to another test host instead of the root namespace: the other host reaches this one's address
   * and IPv4 loopback addresses, which are then not the other host's own.
   */
  via?: TestHost;
}

const ip = (...args: string[]) => run('ip', args);

/**
 * A last octet for a test address (`198.51.100.N`) that no suite in another Jest worker can draw at the
 * same time: each worker has its own 25 of 100-199, since two suites' hosts on one address collide on the root route.
 */
export function testAddressOctet(): number {
  return 100 + (Number(process.env.JEST_WORKER_ID ?? 1) % 4) * 25 + Math.floor(Math.random() * 25);
}

/**
 * Creates a network namespace holding `address` (IPv4), joined to the root namespace by a veth pair.
 * The root end carries no address, only a /32 route to the host, so nothing else in the root namespace changes.
 */
export async function createTestHost(name: string, address: string, options: TestHostOptions = {}): Promise<TestHost> {
  const id = randomBytes(3).toString('hex');
  const netns = `posbon-${name}-${id}`;
  const rootEnd = `pb${id}r`;
  const hostEnd = `pb${id}h`;
  const inside = (...args: string[]) => ip('netns', 'exec', netns, 'ip', ...args);
  await ip('netns', 'add', netns);
  try {
    await ip('link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', hostEnd);
    await ip('link', 'set', hostEnd, 'netns', netns);
    const peer = (...args: string[]) => (options.via ? ip('netns', 'exec', options.via.netns, 'ip', ...args) : ip(...args));
    if (options.via) await ip('link', 'set', rootEnd, 'netns', options.via.netns);
    await peer('link', 'set', rootEnd, 'up');
    await inside('link', 'set', 'lo', 'up');
    await inside('addr', 'add', `${address}/32`, 'dev', hostEnd);
    await inside('link', 'set', hostEnd, 'up');
    await inside('route', 'add', ...(options.silent ? ['blackhole', 'default'] : ['default', 'dev', hostEnd]));
    for (const extra of options.loopbackAddresses ?? []) {
      await inside('addr', 'add', `${extra}/${extra.includes(':') ? 128 : 32}`, 'dev', 'lo');
    }
    await peer('route', 'add', `${address}/32`, 'dev', rootEnd);
    if (options.via) {
      for (const extra of (options.loopbackAddresses ?? []).filter((a) => !a.includes(':'))) await peer('route', 'add', `${extra}/32`, 'dev', rootEnd);
    }
  } catch (error) {
    await ip('netns', 'del', netns).catch(() => undefined);
    await ip('link', 'del', rootEnd).catch(() => undefined);
    throw error;
  }
  return {
    netns,
    ip: address,
    exec: async (command, args) => {
      const { stdout, stderr } = await run('ip', ['netns', 'exec', netns, command, ...args]);
      return { stdout, stderr };
    },
    spawn: (serviceName, command, args, spawnOptions = {}) => spawnService(serviceName, command, args, { ...spawnOptions, netns }),
    destroy: async () => {
      const { stdout } = await ip('netns', 'pids', netns).catch(() => ({ stdout: '' }));
      for (const pid of stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await ip('netns', 'del', netns).catch(() => undefined);
      await ip('link', 'del', rootEnd).catch(() => undefined);
    },
  };
}
