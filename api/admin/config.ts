// The admin API's settings from the environment. Production refuses to start without a database and its keys.
import { join } from 'node:path';
import { isIP, isIPv4 } from 'node:net';
import type { JWK } from 'jose';
import { z } from 'zod';
import { MAX_ACCESS_TTL_SECONDS } from './identity/access-tokens.js';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottlePolicy } from './identity/login-throttle.js';
import { MAX_VIEWER_TTL_SECONDS } from './streams/viewer-keys.js';
import { FLEET_NAMESPACE } from '../../crds/index.js';

export interface ApiConfig {
  production: boolean;
  /** Absent only outside production: the embedded default starts its own PostgreSQL. */
  databaseUrl?: string;
  host: string;
  port: number;
  /** Where /metrics listens, apart from `port`. */
  /** Where /metrics listens; unset outside production unless asked, so a local run holds no fixed extra port. */
  metricsPort: number | undefined;
  /** Absent only outside production: generated per run. */
  accessTokenSecret?: Buffer;
  /** Seals TOTP seeds in the database. */
  totpSealingKey?: Buffer;
  /** Keys the hash in the names of NVR credential Secrets (ADR 0002). */
  credentialNamingKey?: Buffer;
  viewerSigningKeys?: JWK[];
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  viewerTtlSeconds: number;
  corsOrigins: string[];
  loginPerMinute: number;
  tokensPerMinute: number;
  loginThrottle: LoginThrottlePolicy;
  auditRetentionDays: number;
  /** Apply migrations in-process at start (the one-machine default); in production the migrate Job does, and the API only checks. */
  migrateOnStart: boolean;
  trustProxy: string | number | false;
  kubeconfig?: string;
  /** In a pod without KUBECONFIG: the cluster through the pod's ServiceAccount. */
  inCluster: boolean;
  fleetNamespace: string;
  fleetDir: string;
  dataDir: string;
  /** Where production writes the first SUPER_ADMIN's credential (mode 0600) instead of printing it. */
  bootstrapCredentialFile: string;
  embeddedPgPort: number;
  /** Embedded default only: run MediaMTX and an example camera on loopback ports from this base (0: off). */
  localMediaPort: number;
  logLevel: string;
  /** The media nodes' probe sidecars; connection tests are off without a token. */
  probe: {
    urlTemplate: string;
    token?: { file?: string; value?: string };
    ticketKey?: { file?: string; value?: string };
    perMinute: number;
    burst: number;
  };
  /** The fleet repository proposals go to; absent in the embedded default, where write endpoints answer 503. */
  git?: GitConfig;
  /** The webhook ingress terminals push to, and its token hash key; without them terminal credentials answer 503. */
  webhook?: { publicUrl: string; tokenHashKey: Buffer };
  /** The TLS listener that serves the viewer JWKS to MediaMTX, which pins its certificate (ADR 0004). */
  jwksTls?: { certFile: string; keyFile: string; port: number };
  /** Settings that work but should change, for the log at start. */
  warnings: string[];
}

export interface GitConfig {
  host: 'gitea' | 'github';
  /** Gitea's base URL, or GitHub's API URL. */
  url: string;
  owner: string;
  repo: string;
  token: string;
  /** The host login of the token's account, which opens every proposal and never counts as a reviewer. */
  bot: string;
  /** The clusters/<env> folder proposals change. */
  env: string;
  /** Proposals are authored as <username>@<domain>: the domain of the API users' accounts on the Git host. */
  authorDomain: string;
}

const base64Key = (name: string, min: number) =>
  z
    .string()
    .transform((v) => Buffer.from(v, 'base64'))
    .refine((b) => b.length >= min, `${name} must decode to at least ${min} bytes (base64)`);

const exactKey = (name: string) => base64Key(name, 32).refine((b) => b.length === 32, `${name} must decode to 32 bytes`);

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const environment = z.object({
  NODE_ENV: z.string().optional(),
  DATABASE_URL: optional(z.string().url('DATABASE_URL must be a postgres:// URL')),
  POSBON_API_HOST: optional(z.string()),
  POSBON_API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** /metrics listens here, apart from the API's port, on the same host (9464 in production; 0 for any free port). */
  POSBON_API_METRICS_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  POSBON_ACCESS_TOKEN_SECRET: optional(base64Key('POSBON_ACCESS_TOKEN_SECRET', 32)),
  POSBON_TOTP_SEALING_KEY: optional(exactKey('POSBON_TOTP_SEALING_KEY')),
  POSBON_CREDENTIAL_NAMING_KEY: optional(base64Key('POSBON_CREDENTIAL_NAMING_KEY', 32)),
  /** Retired: one key for TOTP seeds, Secret names and the webhook. Read only as the TOTP key, with a warning. */
  POSBON_SECRET_SEALING_KEY: optional(exactKey('POSBON_SECRET_SEALING_KEY')),
  POSBON_VIEWER_SIGNING_KEYS: optional(
    z
      .string()
      .transform((v, ctx) => {
        try {
          return JSON.parse(v) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'POSBON_VIEWER_SIGNING_KEYS must be a JSON array of private JWKs' });
          return z.NEVER;
        }
      })
      .pipe(z.array(z.record(z.string(), z.unknown()), 'POSBON_VIEWER_SIGNING_KEYS must be a JSON array of private JWKs').min(1)),
  ),
  POSBON_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(MAX_ACCESS_TTL_SECONDS).default(600),
  POSBON_REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(90 * 86400).default(7 * 86400),
  POSBON_VIEWER_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(MAX_VIEWER_TTL_SECONDS).default(MAX_VIEWER_TTL_SECONDS),
  POSBON_CORS_ORIGINS: z.string().default(''),
  POSBON_LOGIN_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  POSBON_TOKEN_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  POSBON_LOCKOUT_MAX_FAILURES: z.coerce.number().int().min(1).default(DEFAULT_LOGIN_THROTTLE.freeFailures),
  POSBON_LOCKOUT_BASE_SECONDS: z.coerce.number().int().min(1).default(DEFAULT_LOGIN_THROTTLE.baseDelayMs / 1000),
  POSBON_LOCKOUT_MINUTES: z.coerce.number().int().min(1).default(DEFAULT_LOGIN_THROTTLE.maxDelayMs / 60_000),
  POSBON_BOOTSTRAP_CREDENTIAL_FILE: optional(z.string()),
  POSBON_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(180),
  POSBON_TRUST_PROXY: z.string().default('false').transform((value, ctx) => {
    const setting = trustProxySetting(value);
    if (typeof setting === 'object') {
      ctx.addIssue({ code: 'custom', message: setting.problem });
      return z.NEVER;
    }
    return setting;
  }),
  POSBON_MIGRATE_ON_START: optional(z.enum(['true', 'false'], 'POSBON_MIGRATE_ON_START must be true or false')),
  KUBECONFIG: optional(z.string()),
  KUBERNETES_SERVICE_HOST: optional(z.string()),
  POSBON_FLEET_NAMESPACE: z.string().default(FLEET_NAMESPACE),
  POSBON_FLEET_DIR: z.string().default('gitops/example/clusters/dev'),
  POSBON_DATA_DIR: z.string().default('.posbon'),
  POSBON_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  POSBON_LOCAL_MEDIA_PORT: z.coerce.number().int().min(0).max(65500).default(8888),
  POSBON_PROBE_URL_TEMPLATE: z
    .string()
    .refine((v) => v.includes('{node}'), 'POSBON_PROBE_URL_TEMPLATE must contain {node}')
    .default('http://mediamtx-{node}.posbon-media.svc:9440'),
  POSBON_PROBE_TOKEN: optional(z.string().min(16, 'POSBON_PROBE_TOKEN must be at least 16 characters')),
  POSBON_PROBE_TOKEN_FILE: optional(z.string()),
  POSBON_PROBE_TICKET_KEY: optional(z.string().refine((v) => Buffer.from(v, 'base64').length >= 32, 'POSBON_PROBE_TICKET_KEY must be base64 of at least 32 bytes')),
  POSBON_PROBE_TICKET_KEY_FILE: optional(z.string()),
  POSBON_TEST_CONNECTION_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  POSBON_TEST_CONNECTION_BURST: z.coerce.number().int().min(1).default(5),
  POSBON_GIT_HOST: z.enum(['gitea', 'github'], 'POSBON_GIT_HOST must be gitea or github').default('gitea'),
  POSBON_GIT_URL: optional(z.string().url('POSBON_GIT_URL must be a URL')),
  POSBON_GIT_REPO: optional(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'POSBON_GIT_REPO must be OWNER/NAME')),
  POSBON_GIT_TOKEN: optional(z.string()),
  POSBON_GIT_BOT: optional(z.string()),
  POSBON_GIT_ENV: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'POSBON_GIT_ENV must be a folder name under clusters/').default('dev'),
  POSBON_GIT_AUTHOR_DOMAIN: z.string().regex(/^[A-Za-z0-9.-]+$/, 'POSBON_GIT_AUTHOR_DOMAIN must be a domain').default('users.posbon.invalid'),
  POSBON_WEBHOOK_PUBLIC_URL: optional(z.string().url('POSBON_WEBHOOK_PUBLIC_URL must be a URL')),
  POSBON_TOKEN_HASH_KEY: optional(exactKey('POSBON_TOKEN_HASH_KEY')),
  POSBON_JWKS_TLS_CERT_FILE: optional(z.string()),
  POSBON_JWKS_TLS_KEY_FILE: optional(z.string()),
  POSBON_JWKS_TLS_PORT: z.coerce.number().int().min(0).max(65535).default(8443),
  POSBON_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug']).default('info'),
});

const TRUST_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function addressOrSubnet(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (/^\d{1,3}$/.test(prefix)) return Number(prefix) <= (family === 4 ? 32 : 128);
  return family === 4 && isIPv4(prefix);
}

/**
 * Express's `trust proxy` from POSBON_TRUST_PROXY: `false` (no proxy), a hop count, or a list of loopback,
 * linklocal, uniquelocal, addresses and CIDR subnets. `true` is refused: it lets any client choose its own address.
 */
export function trustProxySetting(value: string): number | false | string | { problem: string } {
  const text = value.trim();
  if (text === 'false') return false;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  if (text === 'true') return { problem: 'true trusts every hop, so any client picks its own address: give the hop count or the proxies\' addresses' };
  const entries = text.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => !TRUST_NAMES.has(entry) && !addressOrSubnet(entry));
  if (bad !== undefined) {
    return { problem: `'${bad}' is not false, a hop count, loopback, linklocal, uniquelocal, an IP address or a CIDR subnet` };
  }
  return entries.join(',');
}

/** Parses the environment; throws one line naming every missing or bad variable. */
export function apiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  const result = environment.safeParse(env);
  if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const e = result.data;
  const production = e.NODE_ENV === 'production';
  const warnings: string[] = [];
  let totpSealingKey = e.POSBON_TOTP_SEALING_KEY;
  if (e.POSBON_SECRET_SEALING_KEY) {
    if (totpSealingKey) throw new Error('POSBON_SECRET_SEALING_KEY is retired: remove it (POSBON_TOTP_SEALING_KEY is set)');
    // The TOTP seeds already in the database are sealed with it; the other purposes get keys of their own.
    totpSealingKey = e.POSBON_SECRET_SEALING_KEY;
    warnings.push('POSBON_SECRET_SEALING_KEY is retired and read only as POSBON_TOTP_SEALING_KEY: rename it, and never give it to the webhook ingress');
  }
  if (production) {
    const missing = [
      ['DATABASE_URL', e.DATABASE_URL],
      ['POSBON_ACCESS_TOKEN_SECRET', e.POSBON_ACCESS_TOKEN_SECRET],
      ['POSBON_TOTP_SEALING_KEY', totpSealingKey],
      ['POSBON_CREDENTIAL_NAMING_KEY', e.POSBON_CREDENTIAL_NAMING_KEY],
      ['POSBON_VIEWER_SIGNING_KEYS', e.POSBON_VIEWER_SIGNING_KEYS],
    ]
      .filter(([, v]) => v === undefined)
      .map(([name]) => name);
    if (missing.length > 0) throw new Error(`production needs ${missing.join(', ')}: there are no default secrets (see .env.example)`);
  }
  const keys = ([
    ['POSBON_ACCESS_TOKEN_SECRET', e.POSBON_ACCESS_TOKEN_SECRET],
    [e.POSBON_SECRET_SEALING_KEY ? 'POSBON_SECRET_SEALING_KEY' : 'POSBON_TOTP_SEALING_KEY', totpSealingKey],
    ['POSBON_CREDENTIAL_NAMING_KEY', e.POSBON_CREDENTIAL_NAMING_KEY],
    ['POSBON_TOKEN_HASH_KEY', e.POSBON_TOKEN_HASH_KEY],
  ] as [string, Buffer | undefined][]).filter((entry): entry is [string, Buffer] => entry[1] !== undefined);
  for (const [i, [name, key]] of keys.entries()) {
    const same = keys.slice(i + 1).find(([, other]) => other.equals(key));
    if (same) throw new Error(`${name} and ${same[0]} must be different keys: each key has one purpose`);
  }
  const config: ApiConfig = {
    warnings,
    production,
    host: e.POSBON_API_HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: e.POSBON_API_PORT,
    metricsPort: e.POSBON_API_METRICS_PORT ?? (production ? 9464 : undefined),
    accessTtlSeconds: e.POSBON_ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: e.POSBON_REFRESH_TOKEN_TTL_SECONDS,
    viewerTtlSeconds: e.POSBON_VIEWER_TOKEN_TTL_SECONDS,
    corsOrigins: e.POSBON_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    loginPerMinute: e.POSBON_LOGIN_RATE_PER_MINUTE,
    tokensPerMinute: e.POSBON_TOKEN_RATE_PER_MINUTE,
    loginThrottle: {
      freeFailures: e.POSBON_LOCKOUT_MAX_FAILURES,
      baseDelayMs: e.POSBON_LOCKOUT_BASE_SECONDS * 1000,
      maxDelayMs: Math.max(e.POSBON_LOCKOUT_MINUTES * 60_000, e.POSBON_LOCKOUT_BASE_SECONDS * 1000),
      maxInFlight: DEFAULT_LOGIN_THROTTLE.maxInFlight,
    },
    bootstrapCredentialFile: e.POSBON_BOOTSTRAP_CREDENTIAL_FILE ?? join(e.POSBON_DATA_DIR, 'bootstrap-admin.txt'),
    auditRetentionDays: e.POSBON_AUDIT_RETENTION_DAYS,
    migrateOnStart: e.POSBON_MIGRATE_ON_START === undefined ? !production : e.POSBON_MIGRATE_ON_START === 'true',
    trustProxy: e.POSBON_TRUST_PROXY,
    fleetNamespace: e.POSBON_FLEET_NAMESPACE,
    inCluster: !e.KUBECONFIG && e.KUBERNETES_SERVICE_HOST !== undefined,
    fleetDir: e.POSBON_FLEET_DIR,
    dataDir: e.POSBON_DATA_DIR,
    embeddedPgPort: e.POSBON_EMBEDDED_PG_PORT,
    localMediaPort: e.POSBON_LOCAL_MEDIA_PORT,
    logLevel: e.POSBON_LOG_LEVEL,
    probe: {
      urlTemplate: e.POSBON_PROBE_URL_TEMPLATE,
      ...(e.POSBON_PROBE_TOKEN_FILE ? { token: { file: e.POSBON_PROBE_TOKEN_FILE } } : e.POSBON_PROBE_TOKEN ? { token: { value: e.POSBON_PROBE_TOKEN } } : {}),
      ...(e.POSBON_PROBE_TICKET_KEY_FILE
        ? { ticketKey: { file: e.POSBON_PROBE_TICKET_KEY_FILE } }
        : e.POSBON_PROBE_TICKET_KEY
          ? { ticketKey: { value: e.POSBON_PROBE_TICKET_KEY } }
          : {}),
      perMinute: e.POSBON_TEST_CONNECTION_PER_MINUTE,
      burst: e.POSBON_TEST_CONNECTION_BURST,
    },
  };
  if (e.DATABASE_URL) config.databaseUrl = e.DATABASE_URL;
  if (e.POSBON_ACCESS_TOKEN_SECRET) config.accessTokenSecret = e.POSBON_ACCESS_TOKEN_SECRET;
  if (totpSealingKey) config.totpSealingKey = totpSealingKey;
  if (e.POSBON_CREDENTIAL_NAMING_KEY) config.credentialNamingKey = e.POSBON_CREDENTIAL_NAMING_KEY;
  if (e.POSBON_VIEWER_SIGNING_KEYS) config.viewerSigningKeys = e.POSBON_VIEWER_SIGNING_KEYS as JWK[];
  if (e.KUBECONFIG) config.kubeconfig = e.KUBECONFIG;
  if ((e.POSBON_JWKS_TLS_CERT_FILE === undefined) !== (e.POSBON_JWKS_TLS_KEY_FILE === undefined)) {
    throw new Error('the JWKS over TLS needs both POSBON_JWKS_TLS_CERT_FILE and POSBON_JWKS_TLS_KEY_FILE');
  }
  if (e.POSBON_JWKS_TLS_CERT_FILE && e.POSBON_JWKS_TLS_KEY_FILE) {
    config.jwksTls = { certFile: e.POSBON_JWKS_TLS_CERT_FILE, keyFile: e.POSBON_JWKS_TLS_KEY_FILE, port: e.POSBON_JWKS_TLS_PORT };
  } else if (production) {
    warnings.push('POSBON_JWKS_TLS_CERT_FILE is unset: media nodes cannot fetch the viewer keys over TLS, and the operator refuses a plain-HTTP JWKS');
  }
  const git = gitConfig(e);
  if (git) config.git = git;
  if (e.POSBON_WEBHOOK_PUBLIC_URL || e.POSBON_TOKEN_HASH_KEY) {
    if (!e.POSBON_WEBHOOK_PUBLIC_URL || !e.POSBON_TOKEN_HASH_KEY) {
      throw new Error('terminal credentials need POSBON_WEBHOOK_PUBLIC_URL and POSBON_TOKEN_HASH_KEY, the same token hash key as the webhook ingress');
    }
    config.webhook = { publicUrl: e.POSBON_WEBHOOK_PUBLIC_URL, tokenHashKey: e.POSBON_TOKEN_HASH_KEY };
  }
  return config;
}

/** All of repository, token and bot, or none (no write path); GitHub has a default URL, Gitea does not. */
function gitConfig(e: z.output<typeof environment>): GitConfig | undefined {
  const given = { POSBON_GIT_REPO: e.POSBON_GIT_REPO, POSBON_GIT_TOKEN: e.POSBON_GIT_TOKEN, POSBON_GIT_BOT: e.POSBON_GIT_BOT };
  const url = e.POSBON_GIT_URL ?? (e.POSBON_GIT_HOST === 'github' ? 'https://api.github.com' : undefined);
  if (Object.values(given).every((v) => v === undefined) && e.POSBON_GIT_URL === undefined) return undefined;
  const missing = [...Object.entries(given), ['POSBON_GIT_URL', url] as const].filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length > 0) throw new Error(`the Git host needs ${missing.join(', ')} as well (see .env.example)`);
  const [owner, repo] = e.POSBON_GIT_REPO!.split('/') as [string, string];
  return {
    host: e.POSBON_GIT_HOST,
    url: url!,
    owner,
    repo,
    token: e.POSBON_GIT_TOKEN!,
    bot: e.POSBON_GIT_BOT!,
    env: e.POSBON_GIT_ENV,
    authorDomain: e.POSBON_GIT_AUTHOR_DOMAIN,
  };
}
