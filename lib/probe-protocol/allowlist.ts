// The node's allowlist: the NVRs assigned to this media node, rendered by the operator into the node's ConfigMap.
import { z } from 'zod';
import { isLanAddress } from '../../crds/schema/tunnel.js';

const port = z.number().int().min(1).max(65535);
const nvrKey = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'must be <namespace>/<name>');

export const allowlistTargetSchema = z
  .object({
    nvr: nvrKey,
    // A DNS name or an IP literal; nothing that could break out of an RTSP request line or a URL.
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.:\-[\]]+$/, 'must be a DNS name or an IP address'),
    ports: z.array(port).min(1),
    rtspPort: port.optional(),
    onvifPort: port.optional(),
    /** Reached through the school's WireGuard tunnel: `host` is the NVR's LAN address, taken literally. */
    tunnel: z.literal(true).optional(),
    /** Name of the Secret (in the NVR's namespace) holding `username` and `password`. */
    credentialsSecret: z
      .string()
      .regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/)
      .optional(),
  })
  .strict()
  .refine((t) => t.tunnel === undefined || isLanAddress(t.host), { message: 'a tunnel target is an IPv4 address in 10/8, 172.16/12 or 192.168/16', path: ['host'] })
  .refine((t) => t.rtspPort === undefined || t.ports.includes(t.rtspPort), { message: 'rtspPort must be one of ports', path: ['rtspPort'] })
  .refine((t) => t.onvifPort === undefined || t.ports.includes(t.onvifPort), { message: 'onvifPort must be one of ports', path: ['onvifPort'] });

export const allowlistSchema = z
  .object({
    node: z.string().min(1),
    targets: z.array(allowlistTargetSchema),
    /** Egress addresses of every media node of the fleet: never probed, so no node can probe another. */
    fleetAddresses: z.array(z.string().max(45)).optional(),
  })
  .strict();

export type AllowlistTarget = z.infer<typeof allowlistTargetSchema>;
export type Allowlist = z.infer<typeof allowlistSchema>;

export type Admission = { admitted: true; target: AllowlistTarget } | { admitted: false; message: string };

/** Whether this node may probe `port` of `nvr`; never looks at a host the caller supplies. */
export function admit(allowlist: Allowlist | undefined, node: string, nvr: string, port: number): Admission {
  if (!allowlist) return { admitted: false, message: 'no allowlist loaded' };
  if (allowlist.node !== node) return { admitted: false, message: `allowlist is for node ${allowlist.node}, not ${node}` };
  const target = allowlist.targets.find((t) => t.nvr === nvr);
  if (!target) return { admitted: false, message: `${nvr} is not assigned to node ${node}` };
  if (!target.ports.includes(port)) return { admitted: false, message: `port ${port} is not declared for ${nvr}` };
  return { admitted: true, target };
}

/** The entry for `nvr` regardless of port, for probes whose port comes from the entry itself. */
export const findTarget = (allowlist: Allowlist | undefined, node: string, nvr: string): AllowlistTarget | undefined =>
  allowlist?.node === node ? allowlist.targets.find((t) => t.nvr === nvr) : undefined;

export function parseAllowlist(text: string): Allowlist {
  return allowlistSchema.parse(JSON.parse(text));
}
