// The webhook finds a terminal by its serial number: two devices with one serial would post as each other's school.
import { serialNumberOf } from '../../fleet-repo/fields.js';
import { resourceId, type FleetResource } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

const POLICY = 'unique-faceid-serials';

export const uniqueFaceIdSerials: Policy = {
  name: POLICY,
  description: 'no two FaceIdDevices in the fleet share a spec.serialNumber (compared without letter case)',
  check: ({ head }) => {
    const seen = new Map<string, FleetResource>();
    return head.resources.flatMap((r): Violation[] => {
      const serial = r.kind === 'FaceIdDevice' ? serialNumberOf(r) : null;
      if (!serial) return [];
      const first = seen.get(serial.toLowerCase());
      if (!first) {
        seen.set(serial.toLowerCase(), r);
        return [];
      }
      return [{ policy: POLICY, path: r.path, resource: resourceId(r), reason: `spec.serialNumber ${serial} is already the serial of ${resourceId(first)} in ${first.path}` }];
    });
  },
};
