// The stack's configuration, validated before any resource exists: a bad value is one line naming its field.
import { isIP } from 'node:net';
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = z.string().max(63).regex(DNS_LABEL, 'must be a DNS label (lower-case letters, digits and -)');

const cidr = z.string().refine((value) => {
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  const max = family === 4 ? 32 : family === 6 ? 128 : 0;
  return rest.length === 0 && family !== 0 && /^\d{1,3}$/.test(bits ?? '') && Number(bits) <= max;
}, 'must be a CIDR such as 203.0.113.0/24 or 2001:db8::/48');

const PRIVATE_V4 = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./];

/** The k3s server's private address: the agent's join traffic and its node IP stay on the private network. */
const privateServerUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (
      url.protocol === 'https:' &&
      isIP(url.hostname) === 4 &&
      PRIVATE_V4.some((p) => p.test(url.hostname)) &&
      url.pathname === '/'
    );
  } catch {
    return false;
  }
}, 'must be https://<private IPv4 of a k3s server>:<port>');

const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be a Kubernetes label key',
  );
const labelValue = z
  .string()
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, 'must be a Kubernetes label value');

const taint = z
  .object({
    key: labelKey,
    value: labelValue.default(''),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  })
  .strict();

export const poolSchema = z
  .object({
    name: dnsLabel.max(40),
    /** Hetzner location (fsn1, nbg1, hel1, ash, hil, sin). */
    location: z.string().regex(/^[a-z]{3}\d?$/, 'must be a Hetzner location such as fsn1, nbg1 or hel1'),
    /** MediaNode.spec.region: matched against School.spec.region; defaults to the location. */
    region: dnsLabel.optional(),
    serverType: z.string().regex(/^[a-z0-9-]+$/, 'must be a Hetzner server type such as ccx23'),
    /** How many nodes the pool runs; ordinals are handed out from 1 upward, skipping retired ones. */
    count: z.number().int().min(0).max(200),
    /** Ordinals of removed nodes; never reused, so no other node is renumbered. Only ever append to this list. */
    retired: z.array(z.number().int().min(1)).default([]),
    labels: z.record(labelKey, labelValue).default({}),
    taints: z.array(taint).default([]),
    capacityWeight: z.number().int().min(1).max(1000).default(100),
    maxCameras: z.number().int().min(1).max(100000).default(5000),
  })
  .strict()
  .superRefine((pool, ctx) => {
    const seen = new Set<number>();
    pool.retired.forEach((ordinal, i) => {
      if (seen.has(ordinal))
        ctx.addIssue({ code: 'custom', path: ['retired', i], message: `ordinal ${ordinal} is listed twice` });
      seen.add(ordinal);
      // A retired ordinal is one the pool once ran: beyond that it would reserve IPs for a node that never existed.
      if (ordinal > pool.count + pool.retired.length)
        ctx.addIssue({
          code: 'custom',
          path: ['retired', i],
          message: `ordinal ${ordinal} was never a node of the pool`,
        });
    });
  });

export const stackConfigSchema = z
  .object({
    pools: z.array(poolSchema).min(1),
    /** Image of every media node; changing it affects new servers only. */
    image: z.string().min(1).default('ubuntu-24.04'),
    admin: z
      .object({
        /** Public SSH keys installed for root at creation. */
        sshKeys: z
          .array(
            z
              .string()
              .regex(
                /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/=]+( \S.*)?$/,
                'must be an OpenSSH public key',
              ),
          )
          .min(1),
        /** Where SSH may come from; nothing else reaches port 22. */
        cidrs: z.array(cidr).min(1),
      })
      .strict(),
    cluster: z
      .object({
        server: privateServerUrl,
        /** The cluster's Hetzner network the nodes join. */
        networkId: z.number().int().positive(),
        /** k3s release the agents run, pinned; with the SHA-256 of its amd64 binary. */
        k3sVersion: z.string().regex(/^v\d+\.\d+\.\d+\+k3s\d+$/, 'must be a k3s release such as v1.33.5+k3s1'),
        k3sSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 (64 hex digits) of the k3s binary'),
      })
      .strict(),
    dns: z
      .object({
        /** Zone of the per-node media hostnames: <node>.<zone>. */
        zone: z
          .string()
          .max(200)
          .regex(
            /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/,
            'must be a DNS zone such as media.posbon.example.org',
          ),
      })
      .strict(),
    /** A checkout of the fleet's cluster folder (clusters/<env>): a node leaves the stack only once its MediaNode is drained there. */
    fleetDir: z.string().min(1),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.pools.forEach((pool, i) => {
      if (names.has(pool.name))
        ctx.addIssue({ code: 'custom', path: ['pools', i, 'name'], message: `pool ${pool.name} is declared twice` });
      names.add(pool.name);
    });
  });

export type StackConfig = z.output<typeof stackConfigSchema>;
export type PoolConfig = StackConfig['pools'][number];

/** A stack configuration that cannot be used; its message is one line naming the field. */
export class StackConfigError extends Error {
  override name = 'StackConfigError';
}

const fieldOf = (path: PropertyKey[]): string =>
  path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );

export function parseStackConfig(raw: unknown): StackConfig {
  const parsed = stackConfigSchema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  throw new StackConfigError(`posbon-media:${fieldOf(issue.path) || '(root)'}: ${message}`);
}
