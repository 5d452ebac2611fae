// Tunnel-mode schools on one media node: stable gateway addresses, the node's WireGuard peers and its routes.
import type { MediaNode, School } from '../../crds/index.js';
import { exposes, intToIpv4, ipv4ToInt, maskOf } from '../../crds/schema/tunnel.js';
import { hash53 } from './assign.js';
import { nvrEndpoint } from './endpoint.js';
import type { ShardMember } from './mediamtx.js';

export const DEFAULT_TUNNEL = { addressRange: '10.255.0.0/20', listenPort: 51820 } as const;

/** The name of the node's WireGuard interface, inside the media node's pod. */
export const TUNNEL_INTERFACE = 'wg0';

export interface TunnelPeer {
  school: string;
  publicKey: string;
  /** The gateway's address in the node's range. */
  address: string;
  /** Exactly the gateway's address and the LAN addresses of the school's tunnel NVRs, as /32s, sorted. */
  allowedIPs: string[];
  persistentKeepalive: number;
}

export type TunnelProblemReason =
  /** The NVR's school is not in tunnel mode, or the NVR sits outside the school's exposure. */
  | 'NotExposed'
  /** Another school on the same node already exposes this LAN address: routing it twice would cross schools. */
  | 'LanAddressConflict'
  /** The NVR's LAN address falls inside the node's own tunnel range. */
  | 'InsideTunnelRange'
  /** Another school on the node has the same gateway key. */
  | 'DuplicateGatewayKey'
  /** Every address of the node's range is taken. */
  | 'TunnelRangeFull';

export interface TunnelProblem {
  /** `School/<name>` or `Nvr/<namespace>/<name>`. */
  resource: string;
  reason: TunnelProblemReason;
  message: string;
}

export interface NodeTunnel {
  /** The node's own address with the range's prefix length (`10.255.0.1/20`). */
  address: string;
  listenPort: number;
  /** host:port gateways dial: the node's first egress IP. */
  endpoint: string;
  peers: TunnelPeer[];
  /** Destinations routed into the tunnel interface besides the range itself, sorted. */
  routes: string[];
  problems: TunnelProblem[];
}

export interface PreviousAddress {
  mediaNode: string;
  address: string;
}

const byName = <T extends { metadata: { name: string } }>(a: T, b: T) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);

export function tunnelSettings(node: MediaNode): { addressRange: string; listenPort: number } {
  return { addressRange: node.spec.tunnel?.addressRange ?? DEFAULT_TUNNEL.addressRange, listenPort: node.spec.tunnel?.listenPort ?? DEFAULT_TUNNEL.listenPort };
}

function rangeOf(cidr: string): { network: number; bits: number; first: number; size: number } {
  const [addr, bits] = cidr.split('/') as [string, string];
  const n = Number(bits);
  const network = (ipv4ToInt(addr) & maskOf(n)) >>> 0;
  // The network address, the node's own (.1) and the broadcast address are never a gateway's.
  return { network, bits: n, first: network + 2, size: 2 ** (32 - n) - 3 };
}

/**
 * Gateway addresses of the node's tunnel schools. A school keeps the address recorded in its status while it stays
 * on this node and the address is free; a new one hashes its name into the range and probes linearly, in name order,
 * so the same fleet always gives the same addresses and adding a school never moves another.
 */
export function allocateTunnelAddresses(
  node: MediaNode,
  schools: readonly string[],
  previous: ReadonlyMap<string, PreviousAddress>,
): { addresses: Map<string, string>; full: string[] } {
  const range = rangeOf(tunnelSettings(node).addressRange);
  const taken = new Set<number>();
  const addresses = new Map<string, string>();
  const sorted = [...schools].sort();
  const pending: string[] = [];
  for (const school of sorted) {
    const before = previous.get(school);
    const slot = before && before.mediaNode === node.metadata.name ? ipv4ToInt(before.address) - range.first : -1;
    if (slot >= 0 && slot < range.size && !taken.has(slot)) {
      taken.add(slot);
      addresses.set(school, intToIpv4(range.first + slot));
    } else pending.push(school);
  }
  const full: string[] = [];
  for (const school of pending) {
    if (taken.size >= range.size) {
      full.push(school);
      continue;
    }
    let slot = hash53(`tunnel\u0000${school}`) % range.size;
    while (taken.has(slot)) slot = (slot + 1) % range.size;
    taken.add(slot);
    addresses.set(school, intToIpv4(range.first + slot));
  }
  return { addresses, full };
}

const nvrId = (m: ShardMember) => `Nvr/${m.nvr.metadata.namespace ?? ''}/${m.nvr.metadata.name}`;

/**
 * Plans the node's tunnel from its schools and NVRs. Returns the members MediaMTX may pull: public ones, and
 * tunnel ones whose LAN address is routed to their own school's peer and nowhere else.
 */
export function planNodeTunnel(
  node: MediaNode,
  schools: readonly School[],
  members: readonly ShardMember[],
): { tunnel: NodeTunnel | undefined; members: ShardMember[] } {
  const tunnelSchools = [...schools].filter((s) => s.spec.networkMode === 'tunnel' && s.spec.tunnel).sort(byName);
  const tunnelMembers = members.filter((m) => m.nvr.spec.connectivity === 'tunnel');
  if (tunnelSchools.length === 0 && tunnelMembers.length === 0) return { tunnel: undefined, members: [...members] };

  const problems: TunnelProblem[] = [];
  const settings = tunnelSettings(node);
  const range = rangeOf(settings.addressRange);
  const inRange = (a: string) => ((ipv4ToInt(a) & maskOf(range.bits)) >>> 0) === range.network;

  const keys = new Map<string, string>();
  const accepted: School[] = [];
  for (const school of tunnelSchools) {
    const key = school.spec.tunnel!.publicKey;
    const first = keys.get(key);
    if (first) problems.push({ resource: `School/${school.metadata.name}`, reason: 'DuplicateGatewayKey', message: `School ${first} on the same node has the same gateway key` });
    else {
      keys.set(key, school.metadata.name);
      accepted.push(school);
    }
  }

  const previous = new Map(
    accepted.flatMap((s) => (s.status?.tunnel ? [[s.metadata.name, { mediaNode: s.status.tunnel.mediaNode, address: s.status.tunnel.address }] as const] : [])),
  );
  const { addresses, full } = allocateTunnelAddresses(node, accepted.map((s) => s.metadata.name), previous);
  for (const school of full) problems.push({ resource: `School/${school}`, reason: 'TunnelRangeFull', message: `no free address in ${settings.addressRange}` });

  const schoolByName = new Map(accepted.filter((s) => addresses.has(s.metadata.name)).map((s) => [s.metadata.name, s]));
  const owner = new Map<string, string>();
  const lanBySchool = new Map<string, Set<string>>();
  const kept = new Set<ShardMember>();
  // Schools in name order, NVRs in key order: the same fleet always resolves a conflict the same way.
  const ordered = [...tunnelMembers].sort((a, b) => {
    const s = a.nvr.spec.schoolRef.localeCompare(b.nvr.spec.schoolRef);
    return s !== 0 ? s : nvrId(a).localeCompare(nvrId(b));
  });
  for (const member of ordered) {
    const school = schoolByName.get(member.nvr.spec.schoolRef);
    const host = nvrEndpoint(member.nvr).host;
    const problem = (reason: TunnelProblemReason, message: string) => problems.push({ resource: nvrId(member), reason, message });
    if (!school) problem('NotExposed', `School ${member.nvr.spec.schoolRef} has no tunnel on this node`);
    else if (!exposes(school.spec.tunnel!.expose, host)) problem('NotExposed', `${host} is outside School ${school.metadata.name}'s spec.tunnel.expose`);
    else if (inRange(host)) problem('InsideTunnelRange', `${host} is inside the node's tunnel range ${settings.addressRange}`);
    else if (owner.has(host) && owner.get(host) !== school.metadata.name) problem('LanAddressConflict', `${host} is already routed to School ${owner.get(host)} on this node`);
    else {
      owner.set(host, school.metadata.name);
      const set = lanBySchool.get(school.metadata.name) ?? new Set<string>();
      set.add(host);
      lanBySchool.set(school.metadata.name, set);
      kept.add(member);
    }
  }

  const host32 = (a: string) => `${a}/32`;
  const peers: TunnelPeer[] = [...schoolByName.values()].map((school) => ({
    school: school.metadata.name,
    publicKey: school.spec.tunnel!.publicKey,
    address: addresses.get(school.metadata.name)!,
    allowedIPs: [addresses.get(school.metadata.name)!, ...[...(lanBySchool.get(school.metadata.name) ?? [])].sort((a, b) => ipv4ToInt(a) - ipv4ToInt(b))].map(host32),
    persistentKeepalive: school.spec.tunnel!.persistentKeepalive,
  }));
  const routes = [...owner.keys()].sort((a, b) => ipv4ToInt(a) - ipv4ToInt(b)).map(host32);
  const egress = [...node.spec.egressIPs].sort()[0]!;
  const tunnel: NodeTunnel = {
    address: `${intToIpv4(range.network + 1)}/${range.bits}`,
    listenPort: settings.listenPort,
    endpoint: `${egress}:${settings.listenPort}`,
    peers,
    routes,
    problems: problems.sort((a, b) => a.resource.localeCompare(b.resource)),
  };
  return { tunnel, members: members.filter((m) => m.nvr.spec.connectivity !== 'tunnel' || kept.has(m)) };
}

/**
 * The tunnel of a node that serves no tunnel school yet: its address and port, no peer. Rendered for every node that
 * runs the WireGuard sidecar, so its first tunnel school is a peer change, never a pod restart.
 */
export function idleNodeTunnel(node: MediaNode): NodeTunnel {
  const settings = tunnelSettings(node);
  const range = rangeOf(settings.addressRange);
  const egress = [...node.spec.egressIPs].sort()[0]!;
  return { address: `${intToIpv4(range.network + 1)}/${range.bits}`, listenPort: settings.listenPort, endpoint: `${egress}:${settings.listenPort}`, peers: [], routes: [], problems: [] };
}

/**
 * The peers part of the node's WireGuard config, in `wg syncconf` format. It holds no private key: the node's
 * sidecar prepends `PrivateKey` from its Secret in memory, so this text may live in a ConfigMap and in Git review.
 */
export function renderWireGuardPeers(tunnel: NodeTunnel): string {
  const lines = ['[Interface]', `ListenPort = ${tunnel.listenPort}`];
  for (const peer of tunnel.peers) {
    lines.push('', `# School ${peer.school}`, '[Peer]', `PublicKey = ${peer.publicKey}`, `AllowedIPs = ${peer.allowedIPs.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The routes the sidecar keeps on the tunnel interface, one destination a line. */
export const renderTunnelRoutes = (tunnel: NodeTunnel): string => tunnel.routes.map((r) => `${r}\n`).join('');
