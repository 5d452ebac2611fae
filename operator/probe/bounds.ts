// What the sidecar may never reach besides the guard's table: camera ports only, and never the fleet's own machines.
import { networkInterfaces } from 'node:os';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Ports a camera, NVR or access terminal answers on: RTSP (554, 8554, 10554), HTTP and ONVIF (80, 8080, 8081, 8899,
 * 2020), HTTPS (443, 8443) and Hikvision's device port (8000). Nothing a node runs itself (kubelet 10250, etcd 2379,
 * MediaMTX's API 9997, the sidecar's 9440) is among them.
 */
export const DEFAULT_PROBE_PORTS: readonly number[] = [80, 443, 554, 2020, 8000, 8080, 8081, 8443, 8554, 8899, 10554];

/** Addresses that belong to the fleet or the cluster, with why each is refused. */
export interface FleetBounds {
  /** What `address` is when it must not be probed ("a cluster address"), or undefined when it may be. */
  refusalOf(address: string): string | undefined;
}

const familyOf = (address: string): 'ipv4' | 'ipv6' | undefined => (isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined);

/** `a.b.c.d`, `a.b.c.d/n`, `v6` or `v6/n` into a block list; a bad entry is an error naming it. */
export function blockListOf(entries: readonly string[], what: string): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = familyOf(address);
    const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) {
      throw new Error(`${what}: ${JSON.stringify(entry)} is not an address or CIDR`);
    }
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/** Every address on this machine's interfaces: the node's own, whatever its egress IP is called elsewhere. */
export function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => i.address.split('%')[0]!);
}

const unmapped = (address: string): string => (address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address);

export function fleetBounds(deps: { ownAddresses: readonly string[]; clusterCidrs: readonly string[]; fleetAddresses: () => readonly string[] }): FleetBounds {
  const own = blockListOf(deps.ownAddresses, 'node addresses');
  const cluster = blockListOf(deps.clusterCidrs, 'POSBON_PROBE_CLUSTER_CIDRS');
  let fleetKey = '';
  let fleet = new BlockList();
  return {
    refusalOf(raw: string): string | undefined {
      const address = unmapped(raw);
      const family = familyOf(address);
      if (!family) return undefined;
      const current = deps.fleetAddresses();
      if (current.join(',') !== fleetKey) {
        fleet = blockListOf(current.filter((a) => familyOf(a) !== undefined), 'fleetAddresses');
        fleetKey = current.join(',');
      }
      if (own.check(address, family)) return "this media node's own address";
      if (fleet.check(address, family)) return "a media node's address";
      if (cluster.check(address, family)) return 'a cluster address';
      return undefined;
    },
  };
}
