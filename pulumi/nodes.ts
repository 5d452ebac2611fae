// Which media nodes a configuration asks for: names from the pool and a stable ordinal, placement groups under Hetzner's limit.
import { MEDIA_NODE_LABEL, mediaNodeTaint } from '../operator/core/index.js';
import type { PoolConfig, StackConfig } from './config.js';
import { POOL_LABEL } from './outputs.js';

/**
 * Servers per spread Placement Group: "Up to 10 servers per Placement Group (type Spread)",
 * https://docs.hetzner.com/cloud/placement-groups/overview
 */
export const SERVERS_PER_SPREAD_GROUP = 10;

export interface Taint {
  key: string;
  value: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface PlannedNode {
  /** The MediaNode's name, the server's name and its Kubernetes node name. */
  name: string;
  pool: string;
  ordinal: number;
  location: string;
  region: string;
  serverType: string;
  /** Name of the spread group: ordinals 1–10 share group 1, 11–20 group 2, so membership never changes. */
  placementGroup: string;
  mediaHostname: string;
  nodeLabels: Record<string, string>;
  taints: Taint[];
  capacityWeight: number;
  maxCameras: number;
}

export const nodeName = (pool: string, ordinal: number): string => `${pool}-${ordinal}`;

export const placementGroupName = (pool: string, ordinal: number): string =>
  `${pool}-spread-${Math.ceil(ordinal / SERVERS_PER_SPREAD_GROUP)}`;

/** The pool's live ordinals: the first `count` positive integers that were never retired. */
export function liveOrdinals(pool: Pick<PoolConfig, 'count' | 'retired'>): number[] {
  const retired = new Set(pool.retired);
  const ordinals: number[] = [];
  for (let n = 1; ordinals.length < pool.count; n++) if (!retired.has(n)) ordinals.push(n);
  return ordinals;
}

export function planNodes(config: Pick<StackConfig, 'pools' | 'dns'>): PlannedNode[] {
  return config.pools.flatMap((pool) =>
    liveOrdinals(pool).map((ordinal): PlannedNode => {
      const name = nodeName(pool.name, ordinal);
      return {
        name,
        pool: pool.name,
        ordinal,
        location: pool.location,
        region: pool.region ?? pool.location,
        serverType: pool.serverType,
        placementGroup: placementGroupName(pool.name, ordinal),
        mediaHostname: `${name}.${config.dns.zone}`,
        nodeLabels: { ...pool.labels, [MEDIA_NODE_LABEL]: name, [POOL_LABEL]: pool.name },
        taints: [mediaNodeTaint(name), ...pool.taints],
        capacityWeight: pool.capacityWeight,
        maxCameras: pool.maxCameras,
      };
    }),
  );
}

export interface RetiredNode {
  name: string;
  pool: string;
  ordinal: number;
  location: string;
}

/** Retired nodes: no server, but their Primary IPs stay reserved, since school routers may still admit them. */
export function retiredNodes(config: Pick<StackConfig, 'pools'>): RetiredNode[] {
  return config.pools.flatMap((pool) =>
    [...pool.retired]
      .sort((a, b) => a - b)
      .map((ordinal) => ({ name: nodeName(pool.name, ordinal), pool: pool.name, ordinal, location: pool.location })),
  );
}
