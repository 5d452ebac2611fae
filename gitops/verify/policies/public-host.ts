// A media node pulls from an NVR's public address; a private or special one would make the probe a network scanner.
import { isIP } from 'node:net';
import { isPublicHost } from '../../../crds/schema/fields.js';
import { publicHostOf } from '../../fleet-repo/fields.js';
import { resourceId } from '../../fleet-repo/tree.js';
import type { Policy } from '../policy.js';

/** Why a host cannot be an NVR's public address, or null when it can; the verdict is the CRD's own rule. */
export function publicHostProblem(host: string): string | null {
  const h = host.replace(/^\[|\]$/g, '');
  if (isPublicHost(h)) return null;
  if (isIP(h) !== 0) return `${host} is a private, loopback, link-local or reserved address`;
  if (/(^|\.)(localhost|local|internal|lan|localdomain|home\.arpa)$/i.test(h)) return `${host} is a local name`;
  return `${host} is not a fully qualified public host name`;
}

export const publicHostIsPublic: Policy = {
  name: 'public-host-is-public',
  description: "an Nvr's spec.publicHost is a public IP address or a fully qualified public name",
  check: ({ head }) =>
    head.resources
      // A tunnel NVR has no public host: the tunnel-nvr-exposed policy checks its LAN address instead.
      .filter((r) => r.kind === 'Nvr' && (r.object.spec as { connectivity?: unknown } | undefined)?.connectivity !== 'tunnel')
      .flatMap((r) => {
        const host = publicHostOf(r);
        const problem = host === null ? 'spec.publicHost is missing' : publicHostProblem(host);
        return problem ? [{ policy: 'public-host-is-public', path: r.path, resource: resourceId(r), reason: problem }] : [];
      }),
};
