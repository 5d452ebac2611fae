// The ingress's settings from the environment: database, listen port, and its own two 32-byte keys for device secrets.
import { z } from 'zod';
import type { SecretKeys } from './secrets.js';
import { FLEET_NAMESPACE } from '../../crds/index.js';

const key = (name: string) =>
  z
    .string({ message: `${name} is required: 32 random bytes, base64` })
    .transform((value) => Buffer.from(value, 'base64'))
    .refine((bytes) => bytes.length === 32, `${name} must decode to 32 bytes`);

const environment = z.object({
  DATABASE_URL: z.string({ message: 'DATABASE_URL is required' }).url(),
  POSBON_WEBHOOK_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  POSBON_WEBHOOK_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  POSBON_TOKEN_HASH_KEY: key('POSBON_TOKEN_HASH_KEY'),
  POSBON_WEBHOOK_SEALING_KEY: key('POSBON_WEBHOOK_SEALING_KEY'),
  POSBON_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug']).default('info'),
  POSBON_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
});

export interface WebhookConfig {
  databaseUrl: string;
  port: number;
  /** Where /metrics is served, apart from the port devices push to; absent: not served. */
  metricsPort?: number;
  keys: SecretKeys;
  logLevel: string;
  poolSize: number;
}

/**
 * Keys of the admin API that an internet-facing process must never hold: a leak of the ingress would otherwise
 * expose TOTP seeds, credential names or the tokens of people (ADR 0007).
 */
export const ADMIN_ONLY_KEYS = [
  'POSBON_SECRET_SEALING_KEY',
  'POSBON_TOTP_SEALING_KEY',
  'POSBON_CREDENTIAL_NAMING_KEY',
  'POSBON_ACCESS_TOKEN_SECRET',
  'POSBON_VIEWER_SIGNING_KEYS',
] as const;

export function webhookConfig(env: NodeJS.ProcessEnv): WebhookConfig {
  const foreign = ADMIN_ONLY_KEYS.filter((name) => env[name] !== undefined && env[name] !== '');
  if (foreign.length > 0) {
    throw new Error(`${foreign.join(', ')} must not be given to the webhook ingress: it holds only POSBON_TOKEN_HASH_KEY and POSBON_WEBHOOK_SEALING_KEY`);
  }
  const result = environment.safeParse(env);
  if (!result.success) throw new Error(result.error.issues.map((issue) => issue.message).join('; '));
  const e = result.data;
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.POSBON_WEBHOOK_PORT,
    metricsPort: e.POSBON_WEBHOOK_METRICS_PORT,
    keys: { tokenHashKey: e.POSBON_TOKEN_HASH_KEY, sealingKey: e.POSBON_WEBHOOK_SEALING_KEY },
    logLevel: e.POSBON_LOG_LEVEL,
    poolSize: e.POSBON_DB_POOL_SIZE,
  };
}

const processEnvironment = z.object({
  // A devices file (`npm start`, tests); without it the FaceIdDevice resources of the fleet namespace.
  POSBON_WEBHOOK_DEVICES: z.string().min(1).optional(),
  POSBON_FLEET_NAMESPACE: z.string().min(1).default(FLEET_NAMESPACE),
  POSBON_WEBHOOK_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  POSBON_WEBHOOK_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(15_000),
});

/** What the `main` process needs beyond the server's settings. */
export interface WebhookProcessConfig {
  server: WebhookConfig;
  /** A YAML or JSON list of FaceIdDevice records, reloaded when it changes; absent, the cluster's resources. */
  devicesPath?: string;
  /** Where the FaceIdDevice and School resources are read when there is no devices file. */
  fleetNamespace: string;
  /** Processes sharing the port; the database's group commit runs in each. */
  workers: number;
  shutdownGraceMs: number;
}

export function webhookProcessConfig(env: NodeJS.ProcessEnv): WebhookProcessConfig {
  const server = webhookConfig(env);
  const result = processEnvironment.safeParse(env);
  if (!result.success) throw new Error(result.error.issues.map((issue) => issue.message).join('; '));
  return {
    server,
    ...(result.data.POSBON_WEBHOOK_DEVICES ? { devicesPath: result.data.POSBON_WEBHOOK_DEVICES } : {}),
    fleetNamespace: result.data.POSBON_FLEET_NAMESPACE,
    workers: result.data.POSBON_WEBHOOK_WORKERS,
    shutdownGraceMs: result.data.POSBON_WEBHOOK_SHUTDOWN_GRACE_MS,
  };
}
