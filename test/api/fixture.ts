// An admin API on loopback over a real PostgreSQL, a two-school fleet in memory, a movable clock and a captured log.
import { PassThrough } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { FaceIdDevice, MediaNode, Nvr, School } from '../../crds/index.js';
import { openDatabase } from '../../api/db/data-source.js';
import { migrateDatabase } from '../../api/db/migrate.js';
import { createLogger, type Logger } from '../../lib/log/logger.js';
import type { ApiHttpConfig } from '../../api/admin/app.js';
import { MemoryFleetSource, type FleetSource } from '../../api/admin/fleet-view/source.js';
import { base32Decode, totpCode, totpStep } from '../../api/admin/identity/totp.js';
import { createApiServices, listenApi, type ApiServer, type ApiServices, type ProposalOptions } from '../../api/admin/server.js';
import type { Role } from '../../api/admin/access.js';
import type { ProbeAccess } from '../../api/admin/connection-tests/connection-tests.js';
import type { WebhookCredentialsConfig } from '../../api/admin/faceid/webhook-credentials.js';
import type { Fleet } from '../../operator/core/fleet.js';
import { testDatabase } from '../harness/index.js';

const API_VERSION = 'posbon.io/v1alpha1';

export const node = (name: string, region: string, ip: string, base = `https://${name}.media.example.org`): MediaNode => ({
  apiVersion: API_VERSION,
  kind: 'MediaNode',
  metadata: { name },
  spec: { region, egressIPs: [ip], webrtcBaseUrl: base, hlsBaseUrl: base, capacityWeight: 100, maxCameras: 5000, cordoned: false },
});

export const school = (name: string, region: string, mediaNodeRef?: string): School => ({
  apiVersion: API_VERSION,
  kind: 'School',
  metadata: { name, namespace: 'posbon-fleet' },
  spec: { displayName: `School ${name}`, region, timezone: 'Asia/Tashkent', networkMode: 'public', ...(mediaNodeRef ? { mediaNodeRef } : {}) },
});

export const nvr = (name: string, schoolRef: string, publicHost: string, cameras: string[], publicRtspPort = 554): Nvr => ({
  apiVersion: API_VERSION,
  kind: 'Nvr',
  metadata: { name, namespace: 'posbon-fleet' },
  spec: {
    schoolRef,
    vendor: 'hikvision',
    connectivity: 'public',
    publicHost,
    publicRtspPort,
    credentialsSecretRef: { name: `${name}-credentials` },
    onvifSync: false,
    cameras: cameras.map((id, i) => ({ id, name: `Camera ${id}`, enabled: true, stream: 'main', channel: i + 1 })),
  },
});

export const faceIdDevice = (name: string, schoolRef: string, vendor: FaceIdDevice['spec']['vendor'], serialNumber: string, direction: FaceIdDevice['spec']['direction'] = 'both'): FaceIdDevice => ({
  apiVersion: API_VERSION,
  kind: 'FaceIdDevice',
  metadata: { name, namespace: 'posbon-fleet' },
  spec: { schoolRef, vendor, direction, serialNumber, lan: { localIp: '192.168.1.70' } },
});

/** School A on node a, school B on node b: the two sides of every cross-school check. */
export const twoSchoolFleet = (): Fleet => ({
  nodes: [node('node-a', 'r1', '198.51.100.10'), node('node-b', 'r1', '198.51.100.11')],
  schools: [school('school-a', 'r1', 'node-a'), school('school-b', 'r1', 'node-b')],
  nvrs: [nvr('gate-a', 'school-a', '203.0.113.20', ['entrance']), nvr('gate-b', 'school-b', '203.0.113.21', ['entrance'])],
});

export class Clock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
}

export interface TestApi {
  url: string;
  server: ApiServer;
  services: ApiServices;
  dataSource: DataSource;
  source: FleetSource;
  clock: Clock;
  logger: Logger;
  /** Every log line written so far. */
  logLines(): string[];
  close(): Promise<void>;
}

export interface TestApiOptions {
  http?: Partial<ApiHttpConfig>;
  fleet?: Fleet;
  databaseUrl?: string;
  viewerTtlSeconds?: number;
  /** Another test API's log to write into, so one scan covers the whole file. */
  logStream?: PassThrough;
  probe?: ProbeAccess;
  connectionTestRate?: { perMinute: number; burst: number };
  /** A fleet source other than memory (e.g. the cluster's informers). */
  source?: FleetSource;
  /** The write path: a Git host and a credentials store; without it the write endpoints answer 503. */
  proposals?: ProposalOptions;
  /** The webhook ingress's URL and keys, for FaceID terminal credentials. */
  webhook?: WebhookCredentialsConfig;
  /** The key sealing TOTP secrets, for a second process (the admin CLI) that must share it. */
  sealingKey?: Buffer;
  /** The address to listen on; a network-namespace test host reaches the root namespace's own address, not loopback. */
  host?: string;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi & { logStream: PassThrough }> {
  const logStream = options.logStream ?? new PassThrough();
  const lines: string[] = [];
  logStream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const logger = createLogger({ component: 'posbon-api-test', level: 'debug', stream: logStream });
  const databaseUrl = options.databaseUrl ?? (await testDatabase('api'));
  await migrateDatabase(databaseUrl);
  const { dataSource } = await openDatabase({ url: databaseUrl });
  const clock = new Clock();
  const source = options.source ?? MemoryFleetSource.create({ fleet: options.fleet ?? twoSchoolFleet() });
  const services = await createApiServices({
    dataSource,
    source,
    logger,
    now: clock.now,
    viewerTtlSeconds: options.viewerTtlSeconds ?? 300,
    // A first wait of a minute: longer than any burst a test sends, so what a burst gets through does not depend on speed.
    loginThrottle: { freeFailures: 5, baseDelayMs: 60_000, maxDelayMs: 15 * 60_000, maxInFlight: 2 },
    ...(options.probe ? { probe: options.probe } : {}),
    ...(options.connectionTestRate ? { connectionTestRate: options.connectionTestRate } : {}),
    ...(options.proposals ? { proposals: options.proposals } : {}),
    ...(options.webhook ? { webhook: options.webhook } : {}),
    ...(options.sealingKey ? { totpSealingKey: options.sealingKey } : {}),
  });
  services.fleet.rebuild();
  const server = await listenApi({
    services,
    dataSource,
    logger,
    host: options.host ?? '127.0.0.1',
    port: 0,
    metricsPort: 0,
    http: { production: false, corsOrigins: [], loginPerMinute: 10_000, tokensPerMinute: 10_000, trustProxy: false, ...options.http },
  });
  return {
    url: server.url,
    server,
    services,
    dataSource,
    source,
    clock,
    logger,
    logStream,
    logLines: () => [...lines],
    async close() {
      await server.close();
      services.fleet.stop();
      await services.audit.close();
      await dataSource.destroy();
    },
  };
}

export interface TestAccount {
  id: string;
  username: string;
  role: Role;
  password: string;
  totpSecret: string | null;
}

export async function createAccount(api: TestApi, username: string, role: Role, schools: string[] = []): Promise<TestAccount> {
  const created = await api.services.accounts.create({ username, role, schools, mustChangePassword: false });
  return { id: created.account.id, username, role, password: created.initialPassword, totpSecret: created.totpSecret };
}

/** The code an authenticator would show at the API's current time, `stepOffset` steps away. */
export const totpAt = (api: TestApi, secret: string, stepOffset = 0): string =>
  totpCode(base32Decode(secret), totpStep(api.clock.now()) + stepOffset);

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export async function call(
  api: TestApi,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies freely
): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api.url}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, headers: res.headers };
}

export async function login(api: TestApi, account: TestAccount, stepOffset = 0): Promise<Tokens> {
  const body: Record<string, string> = { username: account.username, password: account.password };
  if (account.totpSecret) body.totp = totpAt(api, account.totpSecret, stepOffset);
  const res = await call(api, 'POST', '/auth/login', { body });
  if (res.status !== 200) throw new Error(`login of ${account.username}: ${res.status} ${res.text}`);
  return { accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}
