// Wires the ingress from a config and a device directory, and listens; what `main` and tests start.
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../db/data-source.js';
import type { Logger } from '../platform/logger.js';
import { createWebhookApp, type BodyLimits } from './app.js';
import { AttendanceStore, type AttendanceStoreDeps } from './attendance-store.js';
import type { WebhookConfig } from './config.js';
import type { DeviceDirectory } from './devices.js';
import { WebhookIngress } from './ingress.js';
import { DeviceSecrets } from './secrets.js';

export interface WebhookServer {
  server: Server;
  port: number;
  dataSource: DataSource;
  secrets: DeviceSecrets;
  ingress: WebhookIngress;
  close(): Promise<void>;
}

export interface WebhookServerOptions {
  config: WebhookConfig;
  directory: DeviceDirectory;
  logger: Logger;
  host?: string;
  limits?: Partial<BodyLimits>;
  store?: Omit<AttendanceStoreDeps, 'dataSource' | 'logger'>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { config, directory, logger } = options;
  const { dataSource, applied } = await openDatabase({ url: config.databaseUrl, poolSize: config.poolSize });
  if (applied.length > 0) logger.info('migrations applied', { migrations: applied });
  const secrets = DeviceSecrets.create({ dataSource, keys: config.keys });
  const store = AttendanceStore.create({ dataSource, logger, ...options.store });
  const ingress = WebhookIngress.create({ directory, secrets, store });
  const app = createWebhookApp({ ingress, logger, ...(options.limits ? { limits: options.limits } : {}) });
  const server = app.listen(config.port, options.host ?? '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info('webhook ingress listening', { port });
  return {
    server,
    port,
    dataSource,
    secrets,
    ingress,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dataSource.destroy();
    },
  };
}
