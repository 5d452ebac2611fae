// A school LAN for the agent's scan: a "school PC" namespace holding a private /24 on its link and a default route,
// and device hosts on that /24 behind it. The PC routes and answers ARP for the devices, so the harness in the root
// namespace still reaches each device (readiness checks), and the root namespace's own settings stay untouched.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestHost, type TestHost, type TestHostOptions } from './netns.js';

const run = promisify(execFile);

export interface TestLan {
  /** The school PC: the scan runs here (`pc.exec`). */
  pc: TestHost;
  /** The /24, e.g. `10.77.12.0/24`. */
  cidr: string;
  /** A device host at `<prefix>.<last>`. */
  addHost(name: string, last: number, options?: Omit<TestHostOptions, 'via'>): Promise<TestHost>;
  destroy(): Promise<void>;
}

/** `prefix` is the first three octets (`10.77.12`); the PC takes `.10`. */
export async function createTestLan(name: string, prefix: string, pcPrefixLength = 24): Promise<TestLan> {
  const pcAddress = `${prefix}.10`;
  const pc = await createTestHost(`${name}-pc`, pcAddress);
  const hosts: TestHost[] = [];
  const { stdout } = await run('ip', ['-o', 'route', 'get', pcAddress]);
  const rootEnd = /\bdev (\S+)/.exec(stdout)![1]!;
  const { stdout: links } = await pc.exec('ip', ['-o', 'link', 'show']);
  const pcEnd = /^\d+: (pb\w+h)@/m.exec(links)![1]!;
  await pc.exec('ip', ['addr', 'add', `${pcAddress}/${pcPrefixLength}`, 'dev', pcEnd]);
  await pc.exec('ip', ['addr', 'del', `${pcAddress}/32`, 'dev', pcEnd]);
  await pc.exec('ip', ['route', 'replace', 'default', 'dev', pcEnd]);
  await pc.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  await pc.exec('sysctl', ['-qw', 'net.ipv4.conf.all.proxy_arp=1']);
  await run('ip', ['route', 'add', `${prefix}.0/24`, 'dev', rootEnd]);
  return {
    pc,
    cidr: `${prefix}.0/24`,
    async addHost(hostName, last, options = {}) {
      const host = await createTestHost(hostName, `${prefix}.${last}`, { ...options, via: pc });
      hosts.push(host);
      return host;
    },
    async destroy() {
      await run('ip', ['route', 'del', `${prefix}.0/24`, 'dev', rootEnd]).catch(() => undefined);
      for (const host of hosts.reverse()) await host.destroy();
      await pc.destroy();
    },
  };
}
