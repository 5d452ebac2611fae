// Names are `<school>-<name>`; a school whose id is a prefix of another's (school-1, school-1-7) must not take the other's names.
import { schoolOf } from '../../fleet/fields.js';
import { resourceId } from '../../fleet/tree.js';
import type { Policy, Violation } from '../policy.js';

const POLICY = 'names-within-own-school';

export const namesWithinOwnSchool: Policy = {
  name: POLICY,
  description: "an Nvr or FaceIdDevice is named <school>-…, and never with another school's prefix (school-1-7-gate is school-1-7's, not school-1's)",
  check: ({ head }) => {
    const schools = head.resources.filter((r) => r.kind === 'School' && r.name).map((r) => r.name);
    return head.resources.flatMap((r): Violation[] => {
      if (r.kind !== 'Nvr' && r.kind !== 'FaceIdDevice') return [];
      const school = schoolOf(r);
      if (!school || !r.name) return [];
      const v = { policy: POLICY, path: r.path, resource: resourceId(r) };
      if (!r.name.startsWith(`${school}-`)) return [{ ...v, reason: `${r.name} must start with ${school}- so names stay unique across schools` }];
      // The Secret names and object names of school-1-7 would otherwise be reachable from school-1.
      const owner = schools.find((other) => other !== school && other.startsWith(`${school}-`) && r.name.startsWith(`${other}-`));
      return owner ? [{ ...v, reason: `${r.name} reads as a name of school ${owner}; school ${school} cannot use names under ${owner}-` }] : [];
    });
  },
};
