// Each resource sits where the layout says its kind lives, under the school it belongs to.
import { FLEET_KINDS, placeOf } from '../../fleet-repo/layout.js';
import { schoolOf } from '../../fleet-repo/fields.js';
import { resourceId } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

const fleetKinds: readonly string[] = FLEET_KINDS;

export const fleetLayout: Policy = {
  name: 'fleet-layout',
  description: 'School, Nvr, FaceIdDevice and MediaNode files sit in their folders; a school folder holds its own school',
  check: ({ head }) =>
    head.resources.flatMap((r): Violation[] => {
      const base = { policy: 'fleet-layout', path: r.path, resource: resourceId(r) };
      const place = placeOf(r.path);
      if (!fleetKinds.includes(r.kind)) return [];
      if (!place) return [{ ...base, reason: `a ${r.kind} must live under clusters/<env>/… as the fleet layout says` }];
      if (place.kind !== r.kind) return [{ ...base, reason: `this folder holds ${place.kind} resources, not ${r.kind}` }];
      if (r.kind === 'School' && r.name !== place.school) return [{ ...base, reason: `School ${r.name} sits in the folder of school ${place.school}` }];
      const school = schoolOf(r);
      if (place.school && school !== place.school) {
        return [{ ...base, reason: `spec.schoolRef is ${school ?? 'missing'} but the file sits in the folder of school ${place.school}` }];
      }
      return [];
    }),
};
