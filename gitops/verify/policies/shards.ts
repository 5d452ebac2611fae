// Each media node's config, rendered as the operator will render it, fits a ConfigMap, its camera limit and MediaMTX.
import { resourceId } from '../../fleet-repo/tree.js';
import { renderValidFleet, MAX_SEALED_CONFIG_BYTES } from '../../render/render.js';
import type { Policy, Violation } from '../policy.js';

export const shardsWithinSize: Policy = {
  name: 'shards-within-size',
  description: "every sealed node config stays under 1,000,000 bytes, within the node's maxCameras and valid for MediaMTX; every school has a node",
  check: ({ head }) => {
    const { nodes, placements, typed } = renderValidFleet(head);
    const where = (object: object | undefined) => {
      const source = object ? typed.sources.get(object) : undefined;
      return source ? { path: source.path, resource: resourceId(source) } : {};
    };
    const violations: Violation[] = [];
    for (const n of nodes) {
      const v = { policy: 'shards-within-size', ...where(typed.fleet.nodes.find((node) => node.metadata.name === n.node)) };
      if (n.sealedBytes > MAX_SEALED_CONFIG_BYTES) {
        violations.push({
          ...v,
          reason: `the sealed config of ${n.cameraCount} cameras would be about ${n.sealedBytes} bytes, over the ${MAX_SEALED_CONFIG_BYTES}-byte limit of a ConfigMap; add a media node or move schools`,
        });
      }
      if (n.cameraCount > n.maxCameras) violations.push({ ...v, reason: `${n.cameraCount} cameras would be assigned, over spec.maxCameras ${n.maxCameras}` });
      violations.push(...n.problems.map((problem) => ({ ...v, reason: `MediaMTX would refuse the config: ${problem}` })));
    }
    for (const p of placements.filter((row) => row.mediaNode === null)) {
      violations.push({
        policy: 'shards-within-size',
        ...where(typed.fleet.schools.find((s) => s.metadata.name === p.school)),
        reason: `no media node can serve school ${p.school}: every node is cordoned or there is none`,
      });
    }
    return violations;
  },
};
