// `npm start`: Posbon on one machine. Without DATABASE_URL it runs an embedded PostgreSQL under .posbon/; without
// KUBECONFIG it reads the example fleet folder through the operator's pure core, and plays its cameras from a local
// MediaMTX and test-pattern camera. With both set it uses those. `.env` is read first when present.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadKubeConfig } from '../../lib/kube/index.js';
import { openDatabase } from '../db/data-source.js';
import { Maintenance } from '../db/maintenance.js';
import { retentionFromEnv } from '../db/retention-env.js';
import { migrateDatabase, SCHEMA_MISMATCH_EXIT, SchemaMismatchError } from '../db/migrate.js';
import { createLogger } from '../../lib/log/logger.js';
import { DEFAULT_RENDER_OPTIONS, REDACTED, renderMediaMtxConfig, planFleet } from '../../operator/core/index.js';
import { apiConfig, type ApiConfig } from './config.js';
import { ClusterFleetSource } from './fleet-view/cluster-source.js';
import { FolderFleetSource } from './fleet-view/folder-source.js';
import type { FleetSource } from './fleet-view/source.js';
import type { ProbeAccess } from './connection-tests/connection-tests.js';
import { ticketKeySource, tokenSource } from '../../lib/probe-protocol/auth.js';

/** The sidecars as the API reaches them; the token and ticket key files are read when used, so rotations apply. */
async function probeAccess(config: ApiConfig): Promise<ProbeAccess | undefined> {
  if (!config.probe.token) return undefined;
  const tokens = tokenSource(config.probe.token);
  const [ticketKey] = config.probe.ticketKey ? await ticketKeySource(config.probe.ticketKey)() : [];
  const template = config.probe.urlTemplate;
  return {
    urlFor: (node) => template.replaceAll('{node}', node),
    token: async () => (await tokens())[0] ?? '',
    ...(ticketKey ? { ticketKey } : {}),
  };
}
import { credentialsNameKey, MemoryCredentialsStore, type CredentialsStore } from './proposals/credentials-store.js';
import { KubernetesCredentialsStore } from './proposals/kubernetes-credentials-store.js';
import { createApiServices, listenApi, type ProposalOptions } from './server.js';
import { GiteaHost, GitHubHost } from '../../gitops/index.js';
import { startLocalPostgres } from './local-postgres.js';
import { bootstrapAdmin } from './bootstrap.js';
import { listenJwks } from './streams/jwks-server.js';
import { localKeys, localKeysFile, type LocalKeys } from './local-keys.js';
import { localFleet, startLocalMedia, type LocalMedia } from './local-media.js';
import { MemoryFleetSource } from './fleet-view/source.js';
import { CONSOLE_DIST } from '../console/static.js';

const DEFAULT_FLEET_DIR = 'gitops/example/clusters/dev';

function proposalOptions(config: ApiConfig, credentials: CredentialsStore): ProposalOptions {
  const git = config.git!;
  const target = { url: git.url, owner: git.owner, repo: git.repo, token: git.token };
  const host = git.host === 'gitea' ? GiteaHost.create(target) : GitHubHost.create({ ...target, bot: git.bot });
  return { host, credentials, env: git.env, bot: git.bot, authorDomain: git.authorDomain };
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = apiConfig(process.env);
  const logger = createLogger({ component: 'posbon-api', level: config.logLevel });
  const embedded = config.databaseUrl ? undefined : await startLocalPostgres(config.dataDir, config.embeddedPgPort);
  const databaseUrl = config.databaseUrl ?? embedded!.url;
  // One machine, one process: `npm start` is its own `posbon migrate`; in production the Job migrates and this only checks.
  if (config.migrateOnStart) {
    const { applied } = await migrateDatabase(databaseUrl);
    if (applied.length > 0) logger.info('migrations applied', { migrations: applied });
  }
  const { dataSource } = await openDatabase({ url: databaseUrl });
  for (const warning of config.warnings) logger.warn(warning);

  // Outside production, keys not given live in the data folder, so a restart keeps logins, sessions and the JWKS.
  const stored: LocalKeys | undefined = config.production ? undefined : await localKeys(config.dataDir);
  // Production has refused to start without its keys; a random one is only for a run that keeps nothing.
  const totpSealingKey = config.totpSealingKey ?? stored?.totpSealingKey ?? randomBytes(32);
  const nameKey = credentialsNameKey(config.credentialNamingKey ?? stored?.credentialNamingKey ?? randomBytes(32));
  const accessTokenSecret = config.accessTokenSecret ?? stored?.accessTokenSecret;
  const viewerSigningKeys = config.viewerSigningKeys ?? stored?.viewerSigningKeys;
  const liveView = !config.kubeconfig && !config.inCluster && config.fleetDir === DEFAULT_FLEET_DIR && config.localMediaPort > 0 && stored !== undefined;
  let source: FleetSource;
  let credentials: CredentialsStore;
  const cluster = config.kubeconfig !== undefined || config.inCluster;
  if (cluster) {
    // KUBECONFIG is for runs outside the cluster; in a pod the ServiceAccount's token and CA are the identity.
    const kc = loadKubeConfig({ inCluster: config.inCluster });
    source = ClusterFleetSource.create({ kc, namespace: config.fleetNamespace, log: logger });
    credentials = KubernetesCredentialsStore.create({ kc, namespace: config.fleetNamespace, nameKey });
  } else {
    credentials = MemoryCredentialsStore.create({ nameKey });
    const folder = FolderFleetSource.create({ dir: resolve(config.fleetDir), namespace: config.fleetNamespace });
    source = folder;
    await folder.start();
    for (const problem of folder.problems) logger.warn('fleet resource left out', { path: problem.path, problem: problem.message });
    if (liveView) source = MemoryFleetSource.create({ fleet: localFleet(folder.fleet(), config.localMediaPort) });
  }
  // An image carries the console prebuilt (POSBON_CONSOLE_DIR); a checkout builds it when its sources changed.
  if (!process.env.POSBON_CONSOLE_DIR) await (await import('../console/build.js')).ensureConsole((line) => process.stdout.write(`${line}\n`));

  const probe = await probeAccess(config);
  const services = await createApiServices({
    dataSource,
    source,
    logger,
    ...(accessTokenSecret ? { accessTokenSecret } : {}),
    totpSealingKey,
    ...(viewerSigningKeys ? { viewerSigningKeys } : {}),
    accessTtlSeconds: config.accessTtlSeconds,
    refreshTtlSeconds: config.refreshTtlSeconds,
    viewerTtlSeconds: config.viewerTtlSeconds,
    loginThrottle: config.loginThrottle,
    ...(probe ? { probe } : {}),
    connectionTestRate: { perMinute: config.probe.perMinute, burst: config.probe.burst },
    ...(config.git ? { proposals: proposalOptions(config, credentials) } : {}),
    ...(config.webhook
      ? { webhook: { publicUrl: config.webhook.publicUrl, keys: { tokenHashKey: config.webhook.tokenHashKey } } }
      : {}),
  });
  await source.start();
  services.fleet.rebuild();
  // The CronJob's pass (`posbon maintain`) on a timer: months ahead, and every data class past its retention.
  const maintenance = Maintenance.create({ dataSource, logger, policy: retentionFromEnv(process.env) });
  maintenance.start();

  const api = await listenApi({
    services,
    dataSource,
    logger,
    host: config.host,
    port: config.port,
    ...(config.metricsPort !== undefined ? { metricsPort: config.metricsPort } : {}),
    http: {
      production: config.production,
      corsOrigins: config.corsOrigins,
      loginPerMinute: config.loginPerMinute,
      tokensPerMinute: config.tokensPerMinute,
      trustProxy: config.trustProxy,
      consoleDir: CONSOLE_DIST,
    },
  });

  const jwks = config.jwksTls
    ? await listenJwks({
        viewerKeys: services.viewerKeys,
        cert: await readFile(config.jwksTls.certFile),
        key: await readFile(config.jwksTls.keyFile),
        host: config.host,
        port: config.jwksTls.port,
      })
    : undefined;

  const lines = [
    '',
    `Posbon console     ${api.url}/   (open it in a browser; log in as admin)`,
    `Posbon admin API   ${api.url}`,
    `  health           ${api.url}/healthz`,
    `  OpenAPI          ${api.url}/openapi.json`,
    `  viewer JWKS      ${api.url}/.well-known/jwks.json`,
    ...(jwks
      ? [
          `  JWKS over TLS    ${jwks.url} (certificate SHA-256 ${jwks.fingerprint}: the operator's POSBON_JWKS_FINGERPRINT)`,
        ]
      : []),
    `  database         ${embedded ? `embedded PostgreSQL, data in ${embedded.dataDir}` : 'DATABASE_URL'}`,
    ...(stored ? [`  keys             ${resolve(localKeysFile(config.dataDir))} (mode 0600; kept across restarts)`] : []),
    `  proposals        ${config.git ? `${config.git.host} ${config.git.url} ${config.git.owner}/${config.git.repo}, clusters/${config.git.env}` : 'off (no POSBON_GIT_REPO): write endpoints answer 503'}`,
    `  fleet            ${cluster ? `cluster informers, namespace ${config.fleetNamespace}` : resolve(config.fleetDir)}`,
  ];
  if (!cluster) {
    // The operator's pure core over the folder: the same plan and configs the cluster would get (credentials redacted).
    const plan = planFleet(source.fleet());
    const renderDir = resolve(config.dataDir, 'rendered');
    await mkdir(renderDir, { recursive: true });
    lines.push('', 'Schools (operator plan):');
    for (const school of services.fleet.schools()) {
      lines.push(
        `  ${school.id.padEnd(20)} ${school.displayName.padEnd(24)} node ${school.mediaNode ?? '-'}  cameras ${school.cameraCount}  allow ${school.allowlistIPs.join(',') || '-'}`,
      );
    }
    for (const [name, shard] of plan.shards) {
      const rendered = renderMediaMtxConfig(shard.node, shard.members, () => REDACTED, {
        ...DEFAULT_RENDER_OPTIONS,
        jwksUrl: `${api.url}/.well-known/jwks.json`,
      });
      await writeFile(join(renderDir, `mediamtx-${name}.yml`), rendered.yaml);
    }
    lines.push(`  MediaMTX configs rendered to ${renderDir}`);
  }
  lines.push(
    ...(await bootstrapAdmin({
      accounts: services.accounts,
      production: config.production,
      credentialFile: config.bootstrapCredentialFile,
      apiUrl: api.url,
      embedded: embedded !== undefined,
    })),
  );
  // The banner goes to stdout, not the JSON log; it holds the one-time credential only outside production.
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let media: LocalMedia | undefined;
  if (liveView) {
    // After the banner: a first run may build MediaMTX for minutes, while the console and API already answer.
    media = await startLocalMedia({
      fleet: source.fleet(),
      plan: planFleet(source.fleet()),
      base: config.localMediaPort,
      dataDir: config.dataDir,
      apiUrl: api.url,
      nvrPassword: stored!.nvrPassword,
      log: (line) => process.stdout.write(`${line}\n`),
    }).catch((error: unknown) => ({ lines: [`  live view off: ${error instanceof Error ? error.message : String(error)}`], stop: async () => undefined }));
    process.stdout.write(`Live view (example camera: ${api.url}/#/live?cams=school-17.school-17-entrance.gate)\n${media.lines.join('\n')}\n\n`);
  }

  // Each step is bounded: a watch or a pooled connection that does not let go must not outlive the pod's grace period.
  const step = async (name: string, work: () => Promise<unknown> | undefined): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      Promise.resolve(work()).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SHUTDOWN_STEP_MS))),
    ]).finally(() => clearTimeout(timer));
    if (!done) process.stderr.write(`posbon: shutdown step ${name} did not finish in ${SHUTDOWN_STEP_MS / 1000} s; going on\n`);
    return done;
  };
  const shutdown = async () => {
    await step('local media', () => media?.stop());
    services.fleet.stop();
    await step('maintenance', () => maintenance.stop());
    const served = await step('http', () => api.close());
    await step('jwks', () => jwks?.close());
    // After the last request: every stream token's queued audit entry is written before the database closes.
    const audited = await step('audit', () => services.audit.close());
    await step('fleet source', () => source.stop());
    await step('database', () => dataSource.destroy());
    await step('embedded PostgreSQL', () => embedded?.stop());
    process.exit(served && audited ? 0 : 1);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

/** How long one shutdown step may take; Kubernetes allows 30 s for all of them by default. */
const SHUTDOWN_STEP_MS = 5_000;

main().catch((error: unknown) => {
  process.stderr.write(`posbon: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof SchemaMismatchError ? SCHEMA_MISMATCH_EXIT : 2);
});
