// The address guard: which IP addresses a probe may ever connect to. Pure: no I/O, no DNS.
import { isIP } from 'node:net';

/** Why an address is refused; `undefined` from `refusalOf` means the address is public unicast. */
export type AddressClass =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'metadata'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'unique-local'
  | 'not-global-unicast'
  | 'invalid';

interface Range {
  base: bigint;
  bits: number;
  width: 32 | 128;
  class: AddressClass;
}

function range(cidr: string, cls: AddressClass): Range {
  const [address, bits] = cidr.split('/') as [string, string];
  const parsed = parseAddress(address);
  if (!parsed) throw new Error(`bad range ${cidr}`);
  return { base: parsed.value, bits: Number(bits), width: parsed.width, class: cls };
}

// Metadata first: the most specific name wins when ranges overlap.
const IPV4_DENY: Range[] = [
  range('169.254.169.254/32', 'metadata'), // AWS, GCP, Azure, Hetzner, OpenStack
  range('100.100.100.200/32', 'metadata'), // Alibaba Cloud
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared'), // carrier-grade NAT, RFC 6598
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'), // IETF protocol assignments, RFC 6890
  range('192.88.99.0/24', 'reserved'), // 6to4 relay anycast, deprecated
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'reserved'), // benchmarking, RFC 2544
  range('224.0.0.0/4', 'multicast'),
  range('255.255.255.255/32', 'broadcast'),
  range('240.0.0.0/4', 'reserved'),
];

const IPV6_DENY: Range[] = [
  range('fd00:ec2::254/128', 'metadata'), // AWS IMDS over IPv6
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::/96', 'reserved'), // IPv4-compatible, deprecated
  range('64:ff9b:1::/48', 'reserved'), // local-use NAT64, RFC 8215
  range('100::/64', 'reserved'), // discard-only, RFC 6666
  range('2001::/23', 'reserved'), // IETF protocol assignments incl. Teredo and ORCHID
  range('5f00::/16', 'reserved'), // SRv6 SIDs, RFC 9602
  range('fc00::/7', 'unique-local'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'reserved'), // deprecated site-local
  range('ff00::/8', 'multicast'),
];

// IPv6 forms that carry an IPv4 address; the embedded address is judged by the IPv4 rules.
const EMBEDDED_V4: { prefix: Range; shift: bigint }[] = [
  { prefix: range('::ffff:0:0/96', 'reserved'), shift: 0n }, // IPv4-mapped
  { prefix: range('64:ff9b::/96', 'reserved'), shift: 0n }, // NAT64 well-known prefix
  { prefix: range('2002::/16', 'reserved'), shift: 80n }, // 6to4
];

const GLOBAL_UNICAST_V6 = range('2000::/3', 'not-global-unicast');

function contains(r: Range, value: bigint): boolean {
  const shift = BigInt(r.width - r.bits);
  return value >> shift === r.base >> shift;
}

export interface ParsedAddress {
  value: bigint;
  width: 32 | 128;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Only canonical dotted decimal: no octal, hex or short forms that resolvers would reinterpret.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let body = text;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseV4(last);
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string) => (s === '' ? [] : s.split(':'));
  const head = split(halves[0] ?? '');
  const rest = halves.length === 2 ? split(halves[1] ?? '') : [];
  const missing = 8 - tail.length - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const word of [...head, ...Array<string>(Math.max(missing, 0)).fill('0'), ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(word)) return undefined;
    value = (value << 16n) | BigInt(parseInt(word, 16));
  }
  for (const word of tail) value = (value << 16n) | word;
  return value;
}

/** Parses a literal IPv4 or IPv6 address (no zone id, no brackets). */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (text.includes('%')) return undefined;
  const family = isIP(text);
  if (family === 4) {
    const value = parseV4(text);
    return value === undefined ? undefined : { value, width: 32 };
  }
  if (family === 6) {
    const value = parseV6(text);
    return value === undefined ? undefined : { value, width: 128 };
  }
  return undefined;
}

function classifyV4(value: bigint): AddressClass | undefined {
  return IPV4_DENY.find((r) => contains(r, value))?.class;
}

function classifyV6(value: bigint): AddressClass | undefined {
  const denied = IPV6_DENY.find((r) => contains(r, value))?.class;
  if (denied) return denied;
  for (const { prefix, shift } of EMBEDDED_V4) {
    if (contains(prefix, value)) return classifyV4((value >> shift) & 0xffffffffn);
  }
  return contains(GLOBAL_UNICAST_V6, value) ? undefined : 'not-global-unicast';
}

/**
 * Why `address` must never be probed, or `undefined` when it is public unicast.
 * Documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) are deliberately allowed:
 * nothing routes them, so they reach no one's internal network (docs/adr/0003-probe-sidecar.md).
 */
export function refusalOf(address: string): AddressClass | undefined {
  const parsed = parseAddress(address);
  if (!parsed) return 'invalid';
  return parsed.width === 32 ? classifyV4(parsed.value) : classifyV6(parsed.value);
}

export const isProbeable = (address: string): boolean => refusalOf(address) === undefined;
