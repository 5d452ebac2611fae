// Wires the ingress from a config and a device directory, and listens; what `main` and tests start.
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../db/data-source.js';
import type { Logger } from '../../lib/log/logger.js';
import { serveMetrics, shareWithPrimary, type MetricsServer } from '../../lib/metrics/index.js';
import { OutageLog } from '../platform/outage-log.js';
import { createWebhookApp, type BodyLimits } from './app.js';
import { AttendanceStore, type AttendanceStoreDeps } from './attendance-store.js';
import type { WebhookConfig } from './config.js';
import type { DeviceDirectory } from './devices.js';
import { DeviceStatusWriter } from './device-status.js';
import { WebhookIngress } from './ingress.js';
import { WebhookMetrics } from './metrics.js';
import { DeviceSecrets } from './secrets.js';
import { WebhookIdRetention } from './webhook-id-retention.js';

export interface WebhookServer {
  server: Server;
  port: number;
  dataSource: DataSource;
  secrets: DeviceSecrets;
  ingress: WebhookIngress;
  metrics: WebhookMetrics;
  /** The port /metrics is served on, when this process serves it (not a cluster worker, whose primary does). */
  metricsPort: number | undefined;
  store: AttendanceStore;
  retention: WebhookIdRetention;
  /** Stops at once: open connections are cut. */
  close(): Promise<void>;
  /** Stops taking requests, lets those in flight get their commit and answer (up to `graceMs`), then closes. */
  shutdown(graceMs: number): Promise<void>;
}

export interface WebhookServerOptions {
  config: WebhookConfig;
  directory: DeviceDirectory;
  logger: Logger;
  host?: string;
  limits?: Partial<BodyLimits>;
  store?: Omit<AttendanceStoreDeps, 'dataSource' | 'logger'>;
  /** Sweep old webhook ids in the background (default true). */
  retention?: boolean;
  /** In a cluster: write each device's FaceIdDevice status.lastEventAt in the fleet namespace. */
  deviceStatus?: { kc: KubeConfig; namespace: string; throttleMs?: number };
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { config, directory, logger } = options;
  const { dataSource } = await openDatabase({ url: config.databaseUrl, poolSize: config.poolSize });
  const outage = OutageLog.create({ logger, dependency: 'database' });
  const secrets = DeviceSecrets.create({ dataSource, keys: config.keys, outage });
  const store = AttendanceStore.create({ dataSource, logger, outage, ...options.store });
  const metrics = WebhookMetrics.create({ stats: store.stats });
  const deviceStatus =
    options.deviceStatus && DeviceStatusWriter.create({ ...options.deviceStatus, logger, registry: metrics.registry });
  const ingress = WebhookIngress.create({
    directory,
    secrets,
    store,
    metrics,
    ...(deviceStatus ? { deviceStatus } : {}),
  });
  const retention = WebhookIdRetention.create({ dataSource, logger });
  const app = createWebhookApp({
    ingress,
    logger,
    metrics: metrics.registry,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const server = createServer(app).listen(config.port, options.host ?? '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  if (options.retention ?? true) retention.start();
  let metricsServer: MetricsServer | undefined;
  if (cluster.isWorker) shareWithPrimary(metrics.registry);
  else if (config.metricsPort !== undefined)
    metricsServer = await serveMetrics({ registry: metrics.registry }, options.host ?? '0.0.0.0', config.metricsPort);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info('webhook ingress listening', { port, metricsPort: metricsServer?.port });

  const closed = new Promise<void>((resolve) => server.once('close', resolve));
  const finish = async () => {
    await metricsServer?.close();
    await retention.stop();
    await store.drain();
    await deviceStatus?.drain();
    if (dataSource.isInitialized) await dataSource.destroy();
  };
  return {
    server,
    port,
    dataSource,
    secrets,
    ingress,
    metrics,
    metricsPort: metricsServer?.port,
    store,
    retention,
    async close() {
      server.close();
      server.closeAllConnections();
      await closed;
      await finish();
    },
    async shutdown(graceMs: number) {
      server.close();
      // A keep-alive connection becomes idle once its request is answered; cut it then rather than at the deadline.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
      try {
        await closed;
      } finally {
        clearInterval(idle);
        clearTimeout(deadline);
      }
      await finish();
      logger.info('webhook ingress stopped');
    },
  };
}
