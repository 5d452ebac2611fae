// Field types shared by the kinds, each with the same verdict locally and in the API server.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { withRules } from './rules.js';

/** A DNS label: the shape of every id that becomes part of a MediaMTX path name. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export const dnsLabel = (description: string) =>
  z.string().min(1).max(63).regex(new RegExp(DNS_LABEL)).describe(description);

/** Ranges that never belong to a school router reachable from the internet. */
export const NON_PUBLIC_CIDRS = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '64:ff9b::/96',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
] as const;

const nonPublic = new BlockList();
for (const cidr of NON_PUBLIC_CIDRS) {
  const [net, bits] = cidr.split('/') as [string, string];
  nonPublic.addSubnet(net, Number(bits), net.includes(':') ? 'ipv6' : 'ipv4');
}

/** Strict IP syntax as the API server's CEL `isIP` reads it: no zones, no IPv4-mapped IPv6. */
export const isStrictIp = (value: string): boolean =>
  isIP(value) !== 0 && !value.includes('%') && !(isIP(value) === 6 && value.includes('.'));

export const isPublicIp = (value: string): boolean =>
  isStrictIp(value) && !nonPublic.check(value, isIP(value) === 6 ? 'ipv6' : 'ipv4');

const CEL_PUBLIC_IP = `ip(self).isGlobalUnicast() && ![${NON_PUBLIC_CIDRS.map((c) => `'${c}'`).join(', ')}].exists(c, cidr(c).ip().family() == ip(self).family() && cidr(c).containsIP(ip(self)))`;

const HOSTNAME = '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$';
const LOCAL_SUFFIXES = ['.local', '.localhost', '.internal', '.localdomain', '.lan', '.home.arpa'];
const isPublicHostname = (value: string): boolean =>
  new RegExp(HOSTNAME).test(value) && !LOCAL_SUFFIXES.some((s) => value.endsWith(s));

/** The verdict of the publicHost rule, for callers outside the schema (gitops verify, the probe). */
export const isPublicHost = (value: string): boolean => (isStrictIp(value) ? isPublicIp(value) : isPublicHostname(value));

export const publicHost = (description: string) =>
  withRules(z.string().min(1).max(253).describe(description), [
    {
      cel: `isIP(self) ? (${CEL_PUBLIC_IP}) : (self.matches('${HOSTNAME.replace(/\\/g, '\\\\')}') && ![${LOCAL_SUFFIXES.map((s) => `'${s}'`).join(', ')}].exists(s, self.endsWith(s)))`,
      message: 'must be a public IP address or DNS name: private, loopback, link-local, multicast, unspecified and local names are refused',
      check: isPublicHost,
    },
  ]);

export const publicIpv4 = (description: string) =>
  withRules(z.string().min(7).max(15).describe(description), [
    {
      cel: `isIP(self) && ip(self).family() == 4 && ${CEL_PUBLIC_IP}`,
      message: 'must be a public IPv4 address',
      check: (v) => isStrictIp(v) && isIP(v) === 4 && isPublicIp(v),
    },
  ]);

const isIpOrCidr = (value: string): boolean => {
  const [address = '', bits, extra] = value.split('/');
  if (extra !== undefined || !isStrictIp(address)) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address) === 4 ? 32 : 128);
};

export const ipOrCidr = (description: string) =>
  withRules(z.string().min(2).max(49).describe(description), [
    { cel: 'isIP(self) || isCIDR(self)', message: 'must be an IP address or a CIDR', check: isIpOrCidr },
  ]);

export const port = (description: string) => z.number().int().min(1).max(65535).describe(description);

export const httpsUrl = (description: string) =>
  withRules(z.string().min(9).max(2048).describe(description), [
    {
      cel: "isURL(self) && url(self).getScheme() == 'https' && url(self).getHostname() != ''",
      message: 'must be an https URL',
      check: (v) => {
        try {
          const u = new URL(v);
          return u.protocol === 'https:' && u.hostname !== '' && /^https:\/\/[^\s]+$/.test(v);
        } catch {
          return false;
        }
      },
    },
  ]);

export const secretRef = (description: string) =>
  z
    .object({ name: dnsSubdomain('Name of a Secret in the same namespace.') })
    .strict()
    .describe(description);

export function dnsSubdomain(description: string) {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/)
    .describe(description);
}

export const timezone = (description: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^(UTC|[A-Z][A-Za-z_]+(\/[A-Z][A-Za-z0-9_+-]+){1,2})$/)
    .describe(description);

export const condition = z
  .object({
    type: z.string().min(1).max(316).regex(/^[A-Z][A-Za-z0-9]*$/).describe('Kind of condition: Ready, Reconciling, Stalled, Reachable.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    reason: z.string().min(1).max(1024).regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/).describe('CamelCase reason for the last transition.'),
    message: z.string().max(32768).describe('What a person can act on.'),
    lastTransitionTime: z.string().datetime().describe('When the status last changed.'),
    observedGeneration: z.number().int().min(0).optional().describe('The spec generation the condition was computed from.'),
  })
  .strict()
  .describe('A condition in the shape of metav1.Condition.');

export const conditions = z
  .array(condition)
  .max(16)
  .meta({
    description: 'Observations of the latest state, one per type.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

export const observedGeneration = z.number().int().min(0).describe('The spec generation last reconciled successfully.');
