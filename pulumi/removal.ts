// A node leaves the stack only after its MediaNode was drained through the fleet: the check the program runs before any resource.
import { type Fleet, planFleet } from '../operator/core/index.js';
import type { StackConfig } from './config.js';
import { liveOrdinals } from './nodes.js';
import { POOL_LABEL, stackMediaNodeLabels } from './outputs.js';

/**
 * Why the stack must not remove a node now, one reason per node. A MediaNode of one of the stack's pools that is
 * not live must be retired (never dropped by lowering `count` or by dropping the pool), cordoned, pinned by no
 * school and serving none. One media-node stack owns the MediaNodes of one fleet cluster folder.
 */
export function removalBlockers(config: Pick<StackConfig, 'pools'>, fleet: Fleet): string[] {
  const plan = planFleet(fleet);
  const blockers: string[] = [];
  config.pools.forEach((pool, index) => {
    const live = new Set(liveOrdinals(pool));
    const retired = new Set(pool.retired);
    const ours = new RegExp(`^${pool.name}-([1-9][0-9]*)$`);
    for (const node of [...fleet.nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const ordinal = Number(ours.exec(node.metadata.name)?.[1] ?? 0);
      if (ordinal === 0 || live.has(ordinal)) continue;
      const name = node.metadata.name;
      if (!retired.has(ordinal)) {
        blockers.push(
          `${name}: its MediaNode is in the fleet but pool ${pool.name} no longer runs it; retire ordinal ${ordinal} in pools[${index}].retired instead of lowering count`,
        );
        continue;
      }
      const serving = plan.shards.get(name)?.schools ?? [];
      const pinning = fleet.schools.filter((s) => s.spec.mediaNodeRef === name).map((s) => s.metadata.name);
      if (!node.spec.cordoned)
        blockers.push(
          `${name}: its MediaNode is not cordoned; cordon it in the fleet and let it drain before retiring it`,
        );
      else if (serving.length > 0 || pinning.length > 0) {
        blockers.push(
          `${name}: its MediaNode still serves schools ${[...new Set([...serving, ...pinning])].sort().join(', ')}; move them before retiring it`,
        );
      }
    }
  });
  // A whole pool dropped from the config would take all its servers: its MediaNodes say it existed.
  const pools = new Set(config.pools.map((p) => p.name));
  for (const node of fleet.nodes) {
    const labels = node.metadata.labels ?? {};
    const pool = labels[POOL_LABEL];
    const fromStack =
      pool !== undefined && Object.entries(stackMediaNodeLabels(pool)).every(([k, v]) => labels[k] === v);
    if (fromStack && !pools.has(pool)) {
      blockers.push(
        `${node.metadata.name}: its MediaNode names pool ${pool}, which the stack no longer declares; keep the pool and retire its nodes`,
      );
    }
  }
  return blockers;
}
