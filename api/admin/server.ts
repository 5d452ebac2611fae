// Wires the admin API from its parts and listens: what `npm start`, the production entry and tests start.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { AttendanceReader } from '../attendance/reader.js';
import type { Logger } from '../../lib/log/logger.js';
import { createApiApp, type ApiHttpConfig } from './app.js';
import { createAppServer } from '../platform/http-server.js';
import { processRegistry, serveMetrics } from '../../lib/metrics/index.js';
import { AuditLog } from './audit/audit-log.js';
import type { GitHost } from '../../gitops/index.js';
import type { CredentialsStore } from './proposals/credentials-store.js';
import { Proposals } from './proposals/proposals.js';
import { FleetView } from './fleet-view/fleet-view.js';
import type { FleetSource } from './fleet-view/source.js';
import { AccessTokens } from './identity/access-tokens.js';
import { AgentTokens } from './identity/agent-tokens.js';
import { AgentPairing, type PairingThrottle } from './pairing/agent-pairing.js';
import { WebhookCredentials, type WebhookCredentialsConfig } from './faceid/webhook-credentials.js';
import { FaceIdActivity } from './faceid/activity.js';
import { DiagnosticReports } from './diagnostics/diagnostic-reports.js';
import { Accounts } from './identity/accounts.js';
import type { LoginThrottlePolicy } from './identity/login-throttle.js';
import { Sessions } from './identity/sessions.js';
import { ConnectionTests, type ProbeAccess } from './connection-tests/connection-tests.js';
import { StreamGrants } from './streams/stream-grants.js';
import { ViewerKeys } from './streams/viewer-keys.js';
import type { JWK } from 'jose';

export interface ApiServices {
  fleet: FleetView;
  accounts: Accounts;
  sessions: Sessions;
  accessTokens: AccessTokens;
  agentTokens: AgentTokens;
  pairing: AgentPairing;
  webhookCredentials: WebhookCredentials;
  faceIdActivity: FaceIdActivity;
  diagnosticReports: DiagnosticReports;
  viewerKeys: ViewerKeys;
  streams: StreamGrants;
  audit: AuditLog;
  connectionTests: ConnectionTests;
  proposals?: Proposals;
}

/** The write path's parts; without them the write endpoints answer 503. */
export interface ProposalOptions {
  host: GitHost;
  credentials: CredentialsStore;
  env: string;
  bot: string;
  authorDomain: string;
}

export interface ApiServicesOptions {
  dataSource: DataSource;
  source: FleetSource;
  logger: Logger;
  accessTokenSecret?: Buffer;
  /** Seals TOTP seeds; a key of its own (POSBON_TOTP_SEALING_KEY). */
  totpSealingKey?: Buffer;
  viewerSigningKeys?: JWK[];
  accessTtlSeconds?: number;
  refreshTtlSeconds?: number;
  viewerTtlSeconds?: number;
  loginThrottle?: LoginThrottlePolicy;
  /** Failed pairing attempts per client address before the address must wait. */
  pairingThrottle?: PairingThrottle;
  /** The media nodes' probe sidecars; without it connection tests answer 503. */
  probe?: ProbeAccess;
  /** Connection tests per school: tokens per minute and burst. */
  connectionTestRate?: { perMinute: number; burst: number };
  proposals?: ProposalOptions;
  /** The webhook ingress's public URL and keys; without them issuing a terminal's credential answers 503. */
  webhook?: WebhookCredentialsConfig;
  /** The clock of every service; tests move it to expire tokens without waiting. */
  now?: () => Date;
}

/** Builds every service; secrets not given are generated for this process only (refused in production by the config). */
export async function createApiServices(options: ApiServicesOptions): Promise<ApiServices> {
  const now = options.now ?? (() => new Date());
  const fleet = FleetView.create({ source: options.source });
  const accessTokens = AccessTokens.create({
    secret: options.accessTokenSecret ?? randomBytes(32),
    ttlSeconds: options.accessTtlSeconds ?? 600,
    now,
  });
  const audit = AuditLog.create({ dataSource: options.dataSource, logger: options.logger, now });
  const agentTokens = AgentTokens.create({ dataSource: options.dataSource, audit, now });
  const pairing = AgentPairing.create({ dataSource: options.dataSource, ...(options.pairingThrottle ? { throttle: options.pairingThrottle } : {}), now });
  const webhookCredentials = WebhookCredentials.create({
    dataSource: options.dataSource,
    devices: (schoolId, deviceId) => fleet.faceIdDevice(schoolId, deviceId),
    audit,
    ...(options.webhook ? { config: options.webhook } : {}),
    now,
  });
  const accounts = Accounts.create({
    dataSource: options.dataSource,
    sealingKey: options.totpSealingKey ?? randomBytes(32),
    ...(options.loginThrottle ? { throttle: options.loginThrottle } : {}),
    now,
  });
  const sessions = Sessions.create({
    dataSource: options.dataSource,
    accessTokens,
    refreshTtlMs: (options.refreshTtlSeconds ?? 7 * 86400) * 1000,
    now,
  });
  const viewerKeys = await ViewerKeys.create({
    ...(options.viewerSigningKeys ? { jwks: options.viewerSigningKeys } : {}),
    ttlSeconds: options.viewerTtlSeconds ?? 300,
    now,
  });
  const streams = StreamGrants.create({ fleet, keys: viewerKeys, audit });
  const connectionTests = ConnectionTests.create({ fleet, audit, probe: options.probe, rate: options.connectionTestRate ?? { perMinute: 10, burst: 5 }, now });
  const proposals = options.proposals ? Proposals.create({ ...options.proposals, audit, logger: options.logger }) : undefined;
  return { fleet, accounts, sessions, accessTokens, agentTokens, pairing, webhookCredentials, faceIdActivity: FaceIdActivity.create({ dataSource: options.dataSource }), diagnosticReports: DiagnosticReports.create({ dataSource: options.dataSource, now }), viewerKeys, streams, audit, connectionTests, ...(proposals ? { proposals } : {}) };
}

export interface ApiServer {
  server: Server;
  port: number;
  url: string;
  /** Where /metrics is served, apart from the API's port; absent when not served. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

export async function listenApi(options: {
  services: ApiServices;
  dataSource: DataSource;
  logger: Logger;
  http: ApiHttpConfig;
  host: string;
  port: number;
  /** The port of the metrics listener, on the same host; absent: no metrics. */
  metricsPort?: number;
}): Promise<ApiServer> {
  const metrics = options.metricsPort === undefined ? undefined : processRegistry();
  const app = createApiApp({
    ...(metrics ? { metrics } : {}),
    config: options.http,
    logger: options.logger,
    ...options.services,
    attendance: AttendanceReader.create({ dataSource: options.dataSource }),
  });
  const server = createAppServer(app).listen(options.port, options.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  const metricsServer = metrics ? await serveMetrics({ registry: metrics }, options.host, options.metricsPort!) : undefined;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    metricsUrl: metricsServer ? `http://${host}:${metricsServer.port}` : undefined,
    async close() {
      await metricsServer?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
