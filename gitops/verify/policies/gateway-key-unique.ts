// One gateway key per school: a key shared by two schools would let either gateway speak for the other.
import { resourceId, type FleetResource } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

const gatewayKeyOf = (r: FleetResource): string | null => {
  const spec = r.object.spec as { tunnel?: { publicKey?: unknown } } | undefined;
  const key = spec?.tunnel?.publicKey;
  return typeof key === 'string' ? key : null;
};

export const gatewayKeyUnique: Policy = {
  name: 'gateway-key-unique',
  description: "a WireGuard public key in spec.tunnel.publicKey belongs to one School only",
  check: ({ head }) => {
    const owners = new Map<string, FleetResource>();
    return head.resources.flatMap((r): Violation[] => {
      const key = r.kind === 'School' ? gatewayKeyOf(r) : null;
      if (key === null) return [];
      const first = owners.get(key);
      if (!first) {
        owners.set(key, r);
        return [];
      }
      return [{ policy: 'gateway-key-unique', path: r.path, resource: resourceId(r), reason: `spec.tunnel.publicKey is already the gateway key of School ${first.name} (${first.path})` }];
    });
  },
};
