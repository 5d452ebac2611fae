// A media node pulls from an NVR's public address; a private or special one would make the probe a network scanner.
import { isIP } from 'node:net';
import { publicHostOf } from '../../fleet/fields.js';
import { resourceId } from '../../fleet/tree.js';
import type { Policy } from '../policy.js';

const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

const v4 = (ip: string) => ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;

function v4Blocked(ip: string): boolean {
  return V4_BLOCKED.some(([net, bits]) => (v4(ip) >>> (32 - bits)) === (v4(net) >>> (32 - bits)));
}

function v6Blocked(ip: string): boolean {
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return v4Blocked(mapped[1]!);
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || lower.startsWith('ff') || lower.startsWith('2001:db8');
}

/** Why a host cannot be an NVR's public address, or null when it can. */
export function publicHostProblem(host: string): string | null {
  const h = host.replace(/^\[|\]$/g, '');
  const family = isIP(h);
  if (family === 4) return v4Blocked(h) ? `${host} is a private, loopback, link-local or reserved address` : null;
  if (family === 6) return v6Blocked(h) ? `${host} is a private, loopback, link-local or reserved address` : null;
  if (!/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(h)) return `${host} is not a fully qualified public host name`;
  if (/(^|\.)(localhost|local|internal|lan|home\.arpa)$/i.test(h)) return `${host} is a local name`;
  return null;
}

export const publicHostIsPublic: Policy = {
  name: 'public-host-is-public',
  description: "an Nvr's spec.publicHost is a public IP address or a fully qualified public name",
  check: ({ head }) =>
    head.resources
      .filter((r) => r.kind === 'Nvr')
      .flatMap((r) => {
        const host = publicHostOf(r);
        const problem = host === null ? 'spec.publicHost is missing' : publicHostProblem(host);
        return problem ? [{ policy: 'public-host-is-public', path: r.path, resource: resourceId(r), reason: problem }] : [];
      }),
};
