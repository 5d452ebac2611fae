// A media node leaves the fleet only after it was drained in an earlier, merged change, and no school pins it.
import { isDraining, mediaNodeRefOf } from '../../fleet-repo/fields.js';
import { resourceId } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

export const mediaNodeRemovedOnlyWhenDrained: Policy = {
  name: 'media-node-removed-only-when-drained',
  description: 'deleting a MediaNode requires it to be cordoned on the base branch and unpinned by every school',
  check: ({ head, base }) => {
    if (!base) return [];
    const present = new Set(head.resources.filter((r) => r.kind === 'MediaNode').map((r) => r.name));
    const pinned = head.resources.filter((r) => r.kind === 'School');
    return base.resources
      .filter((r) => r.kind === 'MediaNode' && !present.has(r.name))
      .flatMap((node): Violation[] => {
        const v = { policy: 'media-node-removed-only-when-drained', path: node.path, resource: resourceId(node) };
        const out: Violation[] = [];
        if (!isDraining(node)) out.push({ ...v, reason: `MediaNode ${node.name} is removed without being drained first (set spec.cordoned and merge that before removing it)` });
        const pins = pinned.filter((s) => mediaNodeRefOf(s) === node.name).map((s) => s.name);
        if (pins.length > 0) out.push({ ...v, reason: `MediaNode ${node.name} is removed but schools ${pins.join(', ')} still pin it` });
        return out;
      });
  },
};
