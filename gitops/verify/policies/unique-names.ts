import { resourceId, type FleetResource } from '../../fleet-repo/tree.js';
import type { Policy } from '../policy.js';

export const uniqueNames: Policy = {
  name: 'unique-names',
  description: 'no two resources share a kind, namespace and name',
  check: ({ head }) => {
    const seen = new Map<string, FleetResource>();
    return head.resources.flatMap((r) => {
      if (!r.kind || !r.name) return [];
      const id = resourceId(r);
      const first = seen.get(id);
      if (!first) {
        seen.set(id, r);
        return [];
      }
      return [{ policy: 'unique-names', path: r.path, resource: id, reason: `${id} is already defined in ${first.path}` }];
    });
  },
};
