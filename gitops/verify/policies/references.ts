// Every reference between fleet resources points at something in the tree.
import { mediaNodeRefOf, schoolOf } from '../../fleet-repo/fields.js';
import { resourceId } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

export const referencesResolve: Policy = {
  name: 'references-resolve',
  description: 'an Nvr or FaceIdDevice names an existing School; a pinned mediaNodeRef names an existing MediaNode',
  check: ({ head }) => {
    const schools = new Set(head.resources.filter((r) => r.kind === 'School').map((r) => r.name));
    const nodes = new Set(head.resources.filter((r) => r.kind === 'MediaNode').map((r) => r.name));
    return head.resources.flatMap((r): Violation[] => {
      const v = { policy: 'references-resolve', path: r.path, resource: resourceId(r) };
      if (r.kind === 'Nvr' || r.kind === 'FaceIdDevice') {
        const school = schoolOf(r);
        if (!school || !schools.has(school)) return [{ ...v, reason: `spec.schoolRef ${school ?? '(missing)'} names no School in the fleet` }];
      }
      if (r.kind === 'School') {
        const node = mediaNodeRefOf(r);
        if (node && !nodes.has(node)) return [{ ...v, reason: `spec.mediaNodeRef ${node} names no MediaNode in the fleet` }];
      }
      return [];
    });
  },
};
