// A school behind CGNAT, in network namespaces: media node ── NAT (outbound only) ── gateway ── school LAN.
// The media node is a test host (reachable from the root namespace, as viewers reach it); the rest is wired apart
// from the root namespace, so the only way from the node to the LAN is the tunnel the gateway opens.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createTestHost, type TestHost } from './netns.js';

const run = promisify(execFile);

export interface Namespace {
  netns: string;
  exec(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
}

export interface CgnatSchool {
  node: TestHost;
  nat: Namespace;
  gateway: Namespace;
  /** The camera host on the school LAN, also reachable from the root namespace for the harness's own checks. */
  camera: TestHost;
  /** Another host on the school LAN that the node must never reach. */
  other: Namespace;
  addresses: { node: string; natWan: string; cameraLan: string; otherLan: string; gatewayLan: string };
  /** Gives the NAT a new public address, as an ISP reassigning a CGNAT mapping; established mappings are dropped. */
  changeNatAddress(address: string): Promise<void>;
  destroy(): Promise<void>;
}

const namespace = (netns: string): Namespace => ({
  netns,
  exec: async (command, args, env) => {
    const { stdout, stderr } = await run('ip', ['netns', 'exec', netns, command, ...args], { env: env ?? process.env });
    return { stdout, stderr };
  },
});

async function killAll(netns: string): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'pids', netns]).catch(() => ({ stdout: '' }));
  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function createCgnatSchool(): Promise<CgnatSchool> {
  const id = randomBytes(2).toString('hex');
  const a = { node: '198.51.100.7', natWan: '203.0.113.50', natLan: '100.64.0.1', gatewayWan: '100.64.0.2', gatewayLan: '172.31.77.1', cameraLan: '172.31.77.5', otherLan: '172.31.77.6' };
  const own: string[] = [];
  const made: TestHost[] = [];
  const ip = (...args: string[]) => run('ip', args);
  const inNs = (ns: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, ...args]);
  try {
    const node = await createTestHost('tnode', a.node);
    made.push(node);
    const camera = await createTestHost('tcam', a.cameraLan);
    made.push(camera);
    for (const n of ['nat', 'gw', 'other']) {
      const name = `posbon-t${n}-${id}`;
      await ip('netns', 'add', name);
      own.push(name);
      await inNs(name, 'ip', 'link', 'set', 'lo', 'up');
    }
    const [nat, gw, other] = own as [string, string, string];
    const link = async (ns1: string, if1: string, ns2: string, if2: string) => {
      await ip('link', 'add', if1, 'netns', ns1, 'type', 'veth', 'peer', 'name', if2, 'netns', ns2);
      await inNs(ns1, 'ip', 'link', 'set', if1, 'up');
      await inNs(ns2, 'ip', 'link', 'set', if2, 'up');
    };
    // The internet: the node and the NAT's public side, each a /32 routed to the other.
    await link(node.netns, `tw${id}n`, nat, `tw${id}w`);
    await inNs(node.netns, 'ip', 'route', 'add', '203.0.113.0/24', 'dev', `tw${id}n`);
    // The node has no way to the school LAN but the tunnel's own /32 routes.
    await inNs(node.netns, 'ip', 'route', 'add', 'blackhole', '172.31.77.0/24');
    await inNs(nat, 'ip', 'addr', 'add', `${a.natWan}/32`, 'dev', `tw${id}w`);
    await inNs(nat, 'ip', 'route', 'add', `${a.node}/32`, 'dev', `tw${id}w`);
    // CGNAT: the gateway behind the NAT, outbound only.
    await link(nat, `tc${id}n`, gw, `tc${id}g`);
    await inNs(nat, 'ip', 'addr', 'add', `${a.natLan}/24`, 'dev', `tc${id}n`);
    await inNs(gw, 'ip', 'addr', 'add', `${a.gatewayWan}/24`, 'dev', `tc${id}g`);
    await inNs(gw, 'ip', 'route', 'add', 'default', 'via', a.natLan);
    await inNs(nat, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    await inNs(nat, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', `tw${id}w`, '-j', 'MASQUERADE');
    await inNs(nat, 'iptables', '-A', 'FORWARD', '-i', `tw${id}w`, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
    await inNs(nat, 'iptables', '-A', 'FORWARD', '-i', `tw${id}w`, '-j', 'DROP');
    await inNs(nat, 'iptables', '-A', 'INPUT', '-i', `tw${id}w`, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP');
    // The school LAN: a bridge on the gateway, the camera and another host on it.
    await inNs(gw, 'ip', 'link', 'add', 'br-lan', 'type', 'bridge');
    await inNs(gw, 'ip', 'addr', 'add', `${a.gatewayLan}/24`, 'dev', 'br-lan');
    await inNs(gw, 'ip', 'link', 'set', 'br-lan', 'up');
    await link(gw, `tl${id}c`, camera.netns, `tl${id}k`);
    await link(gw, `tl${id}o`, other, `tl${id}x`);
    await inNs(gw, 'ip', 'link', 'set', `tl${id}c`, 'master', 'br-lan');
    await inNs(gw, 'ip', 'link', 'set', `tl${id}o`, 'master', 'br-lan');
    // The camera keeps its harness route to the root namespace; its LAN traffic takes the more specific /24.
    await inNs(camera.netns, 'ip', 'addr', 'add', `${a.cameraLan}/24`, 'dev', `tl${id}k`, 'noprefixroute');
    await inNs(camera.netns, 'ip', 'route', 'add', '172.31.77.0/24', 'dev', `tl${id}k`, 'src', a.cameraLan);
    await inNs(other, 'ip', 'addr', 'add', `${a.otherLan}/24`, 'dev', `tl${id}x`);
    await inNs(other, 'ip', 'route', 'add', 'default', 'via', a.gatewayLan);
    return {
      node,
      nat: namespace(nat),
      gateway: namespace(gw),
      camera,
      other: namespace(other),
      addresses: { node: a.node, natWan: a.natWan, cameraLan: a.cameraLan, otherLan: a.otherLan, gatewayLan: a.gatewayLan },
      changeNatAddress: async (address) => {
        // Removing the address makes MASQUERADE forget its mappings, as a CGNAT does when it reassigns one.
        const current = (await inNs(nat, 'ip', '-4', '-o', 'addr', 'show', 'dev', `tw${id}w`)).stdout.match(/inet (\S+)\//)?.[1];
        await inNs(nat, 'ip', 'addr', 'add', `${address}/32`, 'dev', `tw${id}w`);
        if (current) await inNs(nat, 'ip', 'addr', 'del', `${current}/32`, 'dev', `tw${id}w`);
      },
      destroy: async () => {
        for (const ns of own) await killAll(ns);
        for (const ns of own) await ip('netns', 'del', ns).catch(() => undefined);
        for (const host of made) await host.destroy();
      },
    };
  } catch (error) {
    for (const ns of own) {
      await killAll(ns);
      await ip('netns', 'del', ns).catch(() => undefined);
    }
    for (const host of made) await host.destroy();
    throw error;
  }
}
