// A school LAN for the agent's scan: a "school PC" namespace holding a private /24 on its link and a default route,
// and device hosts on that /24 behind it. The PC routes and answers ARP for the devices, so the harness in the root
// namespace still reaches each device (readiness checks), and the root namespace's own settings stay untouched.
// With a router, the LAN sits behind a NAT gateway as a school's does: the router holds `.1` on the LAN and a WAN
// address towards the root namespace, masquerades the LAN's outgoing connections to that WAN address (so the API
// sees the school's public address) and forwards the public ports the admin sets up (`forward`).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestHost, type TestHost, type TestHostOptions } from './netns.js';

const run = promisify(execFile);

export interface TestLan {
  /** The school PC: the scan runs here (`pc.exec`). */
  pc: TestHost;
  /** The /24, e.g. `10.77.12.0/24`. */
  cidr: string;
  /**
   * The NAT router, when asked for: its `ip` is the WAN address, `lan` its LAN address (the PC's gateway), `upstream`
   * the root namespace's own address as the LAN reaches it (a server for the LAN listens there, not on loopback).
   */
  router?: TestHost & { lan: string; upstream: string; forward(publicPort: number, lanHost: string, lanPort: number): Promise<void> };
  /** A device host at `<prefix>.<last>`. */
  addHost(name: string, last: number, options?: Omit<TestHostOptions, 'via'>): Promise<TestHost>;
  destroy(): Promise<void>;
}

const deviceOf = (route: string) => /\bdev (\S+)/.exec(route)![1]!;

/** `prefix` is the first three octets (`10.77.12`); the PC takes `.10`, a router `.1`. */
export async function createTestLan(name: string, prefix: string, pcPrefixLength = 24, options: { router?: { wan: string } } = {}): Promise<TestLan> {
  const pcAddress = `${prefix}.10`;
  const gateway = options.router ? await createTestHost(`${name}-gw`, options.router.wan) : undefined;
  const pc = await createTestHost(`${name}-pc`, pcAddress, gateway ? { via: gateway } : {});
  const hosts: TestHost[] = [];
  // The root namespace reaches the LAN through the router when there is one, else through the PC.
  const rootRoute = (await run('ip', ['-o', 'route', 'get', gateway?.ip ?? pcAddress])).stdout;
  const rootEnd = deviceOf(rootRoute);
  const { stdout: links } = await pc.exec('ip', ['-o', 'link', 'show']);
  const pcEnd = /^\d+: (pb\w+h)@/m.exec(links)![1]!;
  await pc.exec('ip', ['addr', 'add', `${pcAddress}/${pcPrefixLength}`, 'dev', pcEnd]);
  await pc.exec('ip', ['addr', 'del', `${pcAddress}/32`, 'dev', pcEnd]);
  await pc.exec('ip', ['route', 'replace', 'default', ...(gateway ? ['via', `${prefix}.1`] : []), 'dev', pcEnd]);
  await pc.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  await pc.exec('sysctl', ['-qw', 'net.ipv4.conf.all.proxy_arp=1']);
  let router: TestLan['router'];
  if (gateway) {
    const lanAddress = `${prefix}.1`;
    const lanEnd = deviceOf((await gateway.exec('ip', ['-o', 'route', 'get', pcAddress])).stdout);
    const wanEnd = deviceOf((await gateway.exec('ip', ['-o', 'route', 'show', 'default'])).stdout);
    await gateway.exec('ip', ['addr', 'add', `${lanAddress}/32`, 'dev', 'lo']);
    await gateway.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await gateway.exec('sysctl', ['-qw', 'net.ipv4.conf.all.proxy_arp=1']);
    await gateway.exec('ip', ['route', 'replace', `${pcAddress}/32`, 'dev', lanEnd, 'src', lanAddress]);
    await gateway.exec('ip', ['route', 'add', `${prefix}.0/24`, 'dev', lanEnd, 'src', lanAddress]);
    // SSDP and other LAN multicast are the LAN side's, as on a home router.
    await gateway.exec('ip', ['route', 'add', '224.0.0.0/4', 'dev', lanEnd]);
    await gateway.exec('iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-s', `${prefix}.0/24`, '-o', wanEnd, '-j', 'SNAT', '--to-source', gateway.ip]);
    router = {
      ...gateway,
      lan: lanAddress,
      upstream: /\bsrc (\S+)/.exec(rootRoute)![1]!,
      async forward(publicPort, lanHost, lanPort) {
        await gateway.exec('iptables', ['-t', 'nat', '-A', 'PREROUTING', '-d', gateway.ip, '-p', 'tcp', '--dport', String(publicPort), '-j', 'DNAT', '--to-destination', `${lanHost}:${lanPort}`]);
      },
    };
  }
  await run('ip', ['route', 'add', `${prefix}.0/24`, 'dev', rootEnd]);
  return {
    pc,
    cidr: `${prefix}.0/24`,
    ...(router ? { router } : {}),
    async addHost(hostName, last, hostOptions = {}) {
      const host = await createTestHost(hostName, `${prefix}.${last}`, { ...hostOptions, via: pc });
      hosts.push(host);
      return host;
    },
    async destroy() {
      await run('ip', ['route', 'del', `${prefix}.0/24`, 'dev', rootEnd]).catch(() => undefined);
      for (const host of hosts.reverse()) await host.destroy();
      await pc.destroy();
      await gateway?.destroy();
    },
  };
}
