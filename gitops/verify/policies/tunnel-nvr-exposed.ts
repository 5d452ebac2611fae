// A tunnel NVR is reachable only through its school's gateway, and only at addresses the school declared it exposes.
import { exposes } from '../../../crds/schema/tunnel.js';
import { schoolOf } from '../../fleet-repo/fields.js';
import { resourceId, type FleetResource } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

const spec = (r: FleetResource): Record<string, unknown> => (typeof r.object.spec === 'object' && r.object.spec !== null ? (r.object.spec as Record<string, unknown>) : {});

export const tunnelNvrExposed: Policy = {
  name: 'tunnel-nvr-exposed',
  description: "a tunnel Nvr's spec.tunnel.host sits inside its School's spec.tunnel.expose",
  check: ({ head }) => {
    const schools = new Map(head.resources.filter((r) => r.kind === 'School').map((r) => [r.name, r]));
    return head.resources.flatMap((r): Violation[] => {
      if (r.kind !== 'Nvr' || spec(r).connectivity !== 'tunnel') return [];
      const v = { policy: 'tunnel-nvr-exposed', path: r.path, resource: resourceId(r) };
      const school = schools.get(schoolOf(r) ?? '');
      if (!school) return [];
      const tunnel = spec(school).tunnel as { expose?: unknown } | undefined;
      const host = (spec(r).tunnel as { host?: unknown } | undefined)?.host;
      if (spec(school).networkMode !== 'tunnel' || !tunnel || !Array.isArray(tunnel.expose)) {
        return [{ ...v, reason: `School ${school.name} is not in tunnel mode: a tunnel Nvr needs its school's gateway` }];
      }
      const expose = tunnel.expose.filter((e): e is string => typeof e === 'string');
      if (typeof host !== 'string' || !exposes(expose, host)) {
        return [{ ...v, reason: `spec.tunnel.host ${String(host)} is outside School ${school.name}'s spec.tunnel.expose (${expose.join(', ')})` }];
      }
      return [];
    });
  },
};
