// Which subnets the LAN scan may touch: only private IPv4 subnets the machine is on, each /22 or smaller, and only
// when the machine sits on a LAN (a private address and a default gateway). Pure: the interfaces come in.

export interface InterfaceAddress {
  name: string;
  address: string;
  /** Prefix length, from the interface's netmask. */
  prefix: number;
  family: 'IPv4' | 'IPv6';
  internal: boolean;
}

export interface Subnet {
  /** `10.1.2.0/24`: the network address and prefix. */
  cidr: string;
  network: number;
  prefix: number;
  /** The interface and the machine's own address on it, which the scan skips. */
  interface: string;
  self: string;
}

export type ScanPlan = { lan: true; subnets: Subnet[]; refused: { cidr: string; reason: string }[] } | { lan: false; reason: string; refused: { cidr: string; reason: string }[] };

/** The largest subnet scanned: 1022 hosts, a few seconds at the default concurrency. */
export const MAX_PREFIX_SIZE = 22;

const PRIVATE: [number, number][] = [
  [ipToInt('10.0.0.0'), 8],
  [ipToInt('172.16.0.0'), 12],
  [ipToInt('192.168.0.0'), 16],
];

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export const intToIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

const within = (ip: number, network: number, prefix: number): boolean => ((ip & maskOf(prefix)) >>> 0) === network;

/** Whether the whole subnet lies in 10/8, 172.16/12 or 192.168/16. */
export function isPrivateSubnet(network: number, prefix: number): boolean {
  return PRIVATE.some(([base, bits]) => prefix >= bits && within(network, base, bits));
}

export function parseCidr(cidr: string): { network: number; prefix: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || Number(m[2]) > 32) throw new RangeError(`not an IPv4 subnet (a.b.c.d/nn): ${cidr}`);
  const prefix = Number(m[2]);
  return { network: (ipToInt(m[1]!) & maskOf(prefix)) >>> 0, prefix };
}

/** Why a subnet may not be scanned, or undefined when it may. */
export function refusalOf(network: number, prefix: number): string | undefined {
  if (!isPrivateSubnet(network, prefix)) return 'not a private range (10/8, 172.16/12, 192.168/16): the scan never touches public addresses';
  if (prefix < MAX_PREFIX_SIZE) return `larger than /${MAX_PREFIX_SIZE}: name a smaller on-link subnet with --subnet`;
  return undefined;
}

/** The host addresses of a subnet, without its network and broadcast addresses (a /31 or /32 keeps them). */
export function hostsOf(subnet: Pick<Subnet, 'network' | 'prefix'>): string[] {
  const size = 2 ** (32 - subnet.prefix);
  if (size <= 2) return Array.from({ length: size }, (_, i) => intToIp(subnet.network + i));
  return Array.from({ length: size - 2 }, (_, i) => intToIp(subnet.network + 1 + i));
}

/**
 * The scan's subnets. Without `requested`, every private on-link subnet of the interfaces that is small enough;
 * with it, each requested subnet must lie inside one of them (a part of a too-large LAN is fine).
 */
export function planScan(interfaces: InterfaceAddress[], hasGateway: boolean, requested: string[] = []): ScanPlan {
  const refused: { cidr: string; reason: string }[] = [];
  const onLink = interfaces
    .filter((i) => i.family === 'IPv4' && !i.internal)
    .map((i) => ({ ...i, network: (ipToInt(i.address) & maskOf(i.prefix)) >>> 0 }))
    .filter((i) => isPrivateSubnet(i.network, i.prefix));
  if (onLink.length === 0 || !hasGateway) {
    return {
      lan: false,
      reason: onLink.length === 0 ? 'no private IPv4 address on any interface: this machine is not on a school LAN' : 'no default gateway: this machine is not on a routed LAN',
      refused,
    };
  }
  const subnets: Subnet[] = [];
  const add = (network: number, prefix: number, via: (typeof onLink)[number]) => {
    const cidr = `${intToIp(network)}/${prefix}`;
    const reason = refusalOf(network, prefix);
    if (reason) refused.push({ cidr, reason });
    else if (!subnets.some((s) => s.cidr === cidr)) subnets.push({ cidr, network, prefix, interface: via.name, self: via.address });
  };
  if (requested.length === 0) {
    for (const i of onLink) add(i.network, i.prefix, i);
  } else {
    for (const cidr of requested) {
      const { network, prefix } = parseCidr(cidr);
      const via = onLink.find((i) => prefix >= i.prefix && within(network, i.network, i.prefix));
      if (via) add(network, prefix, via);
      else refused.push({ cidr: `${intToIp(network)}/${prefix}`, reason: refusalOf(network, prefix) ?? 'not on-link: no interface of this machine is on that subnet' });
    }
  }
  return { lan: true, subnets, refused };
}

/** The netmask as a prefix length (`255.255.255.0` → 24). */
export const prefixOf = (netmask: string): number => ipToInt(netmask).toString(2).replace(/0+$/, '').length;
