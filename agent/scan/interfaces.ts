// The machine's own network, read from the operating system: IPv4 interfaces with their prefixes, and whether a
// default route exists (Linux: /proc/net/route; elsewhere a private address is taken as being on a LAN).
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { InterfaceAddress } from './subnets.js';

export function localInterfaces(): InterfaceAddress[] {
  return Object.entries(networkInterfaces()).flatMap(([name, addresses]) =>
    (addresses ?? [])
      .filter((a) => a.family === 'IPv4')
      .map((a) => ({ name, address: a.address, prefix: Number(a.cidr?.split('/')[1] ?? 32), family: 'IPv4' as const, internal: a.internal })),
  );
}

export async function hasDefaultGateway(): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  const table = await readFile('/proc/net/route', 'utf8').catch(() => '');
  return table.split('\n').slice(1).some((line) => line.split(/\s+/)[1] === '00000000');
}

/** The default route's gateway (Linux: /proc/net/route, little-endian hex); null when none or elsewhere. */
export async function defaultGatewayAddress(): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  const table = await readFile('/proc/net/route', 'utf8').catch(() => '');
  for (const line of table.split('\n').slice(1)) {
    const [, destination, gateway] = line.split(/\s+/);
    if (destination !== '00000000' || !gateway || gateway === '00000000') continue;
    const n = Number.parseInt(gateway, 16);
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
  }
  return null;
}
