// Names are `<school>-<name>`; a school whose id is a prefix of another's (school-1, school-1-7) must not take the other's names.
import { schoolOf } from '../../fleet-repo/fields.js';
import { resourceId } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

const POLICY = 'names-within-own-school';

export const namesWithinOwnSchool: Policy = {
  name: POLICY,
  description: "an Nvr or FaceIdDevice is never named under another school's prefix: school-1-7-gate is school-1-7's, not school-1's",
  check: ({ head }) => {
    // Longest first: school-1-7-gate reads as school-1-7's even though it also starts with school-1-.
    const schools = head.resources.filter((r) => r.kind === 'School' && r.name).map((r) => r.name).sort((a, b) => b.length - a.length);
    return head.resources.flatMap((r): Violation[] => {
      if (r.kind !== 'Nvr' && r.kind !== 'FaceIdDevice') return [];
      const school = schoolOf(r);
      if (!school || !r.name) return [];
      const owner = schools.find((s) => r.name.startsWith(`${s}-`));
      if (!owner || owner === school) return [];
      return [{ policy: POLICY, path: r.path, resource: resourceId(r), reason: `${r.name} reads as a name of school ${owner}; school ${school} cannot use names under ${owner}-` }];
    });
  },
};
