// The sidecar's settings, from its environment; a bad value stops it with one line naming the variable.
import { z } from 'zod';
import { blockListOf, DEFAULT_PROBE_PORTS } from './bounds.js';
import { LOG_LEVELS } from '../../lib/log/logger.js';

const positive = z.coerce.number().int().positive();
const listOf = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);
const validList = (name: string) => (value: string) => {
  try {
    blockListOf(listOf(value), name);
    return true;
  } catch {
    return false;
  }
};

export const probeConfigSchema = z
  .object({
    POSBON_PROBE_NODE: z.string().min(1),
    POSBON_PROBE_ALLOWLIST: z.string().min(1),
    POSBON_PROBE_TOKEN_FILE: z.string().min(1).optional(),
    POSBON_PROBE_TOKEN: z.string().min(16).optional(),
    /** Keys that sign probe tickets (base64, at least 32 bytes, one per line); without either, tickets are refused. */
    POSBON_PROBE_TICKET_KEY_FILE: z.string().min(1).optional(),
    POSBON_PROBE_TICKET_KEY: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length >= 32, 'must be base64 of at least 32 bytes')
      .optional(),
    POSBON_PROBE_CREDENTIALS_DIR: z.string().min(1).default('/var/run/posbon/nvr-credentials'),
    POSBON_PROBE_LISTEN: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+|[a-z0-9.-]+):\d{1,5}$/, 'must be host:port')
      .default('0.0.0.0:9440'),
    POSBON_PROBE_TIMEOUT_MS: positive.max(60_000).default(5000),
    POSBON_PROBE_RATE_PER_MINUTE: positive.default(6),
    POSBON_PROBE_BURST: positive.default(3),
    POSBON_PROBE_DNS_SERVERS: z.string().optional(),
    /** Ports a probe may reach, comma-separated; the default is DEFAULT_PROBE_PORTS. */
    POSBON_PROBE_PORTS: z
      .string()
      .regex(/^\d{1,5}(\s*,\s*\d{1,5})*$/, 'must be comma-separated port numbers')
      .refine((v) => v.split(',').every((p) => Number(p) >= 1 && Number(p) <= 65535), 'ports must be 1-65535')
      .optional(),
    /** The cluster's pod and service CIDRs (and any other internal range), comma-separated; never probed. */
    POSBON_PROBE_CLUSTER_CIDRS: z.string().default('').refine(validList('POSBON_PROBE_CLUSTER_CIDRS'), 'must be comma-separated addresses or CIDRs'),
    /** The node's own addresses that its interfaces do not show (a NAT'd egress IP), comma-separated; never probed. */
    POSBON_PROBE_NODE_ADDRESSES: z.string().default('').refine(validList('POSBON_PROBE_NODE_ADDRESSES'), 'must be comma-separated addresses or CIDRs'),
    /** Bytes one connection may receive before the probe stops reading it. */
    POSBON_PROBE_MAX_RESPONSE_BYTES: positive.max(64 * 1024 * 1024).default(2 * 1024 * 1024),
    POSBON_LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
    /** The older name of POSBON_LOG_LEVEL, still read. */
    POSBON_PROBE_LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  })
  .refine((c) => (c.POSBON_PROBE_TOKEN_FILE === undefined) !== (c.POSBON_PROBE_TOKEN === undefined), {
    message: 'set exactly one of POSBON_PROBE_TOKEN_FILE and POSBON_PROBE_TOKEN',
    path: ['POSBON_PROBE_TOKEN_FILE'],
  });

export interface ProbeConfig {
  node: string;
  allowlistPath: string;
  token: { file?: string; value?: string };
  ticketKey: { file?: string; value?: string };
  credentialsDir: string;
  listen: { host: string; port: number };
  timeoutMs: number;
  rate: { perMinute: number; burst: number };
  dnsServers?: string[];
  logLevel: string;
  ports: number[];
  clusterCidrs: string[];
  nodeAddresses: string[];
  maxResponseBytes: number;
}

export function probeConfigFrom(env: NodeJS.ProcessEnv): ProbeConfig {
  const result = probeConfigSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${issue?.path.join('.') ?? 'environment'}: ${issue?.message ?? 'invalid'}`);
  }
  const c = result.data;
  const colon = c.POSBON_PROBE_LISTEN.lastIndexOf(':');
  return {
    node: c.POSBON_PROBE_NODE,
    allowlistPath: c.POSBON_PROBE_ALLOWLIST,
    token: c.POSBON_PROBE_TOKEN_FILE ? { file: c.POSBON_PROBE_TOKEN_FILE } : { value: c.POSBON_PROBE_TOKEN! },
    ticketKey: c.POSBON_PROBE_TICKET_KEY_FILE ? { file: c.POSBON_PROBE_TICKET_KEY_FILE } : c.POSBON_PROBE_TICKET_KEY ? { value: c.POSBON_PROBE_TICKET_KEY } : {},
    credentialsDir: c.POSBON_PROBE_CREDENTIALS_DIR,
    listen: { host: c.POSBON_PROBE_LISTEN.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(c.POSBON_PROBE_LISTEN.slice(colon + 1)) },
    timeoutMs: c.POSBON_PROBE_TIMEOUT_MS,
    rate: { perMinute: c.POSBON_PROBE_RATE_PER_MINUTE, burst: c.POSBON_PROBE_BURST },
    ...(c.POSBON_PROBE_DNS_SERVERS ? { dnsServers: c.POSBON_PROBE_DNS_SERVERS.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    logLevel: c.POSBON_LOG_LEVEL ?? c.POSBON_PROBE_LOG_LEVEL ?? 'info',
    ports: c.POSBON_PROBE_PORTS ? listOf(c.POSBON_PROBE_PORTS).map(Number) : [...DEFAULT_PROBE_PORTS],
    clusterCidrs: listOf(c.POSBON_PROBE_CLUSTER_CIDRS),
    nodeAddresses: listOf(c.POSBON_PROBE_NODE_ADDRESSES),
    maxResponseBytes: c.POSBON_PROBE_MAX_RESPONSE_BYTES,
  };
}
