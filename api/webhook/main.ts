// The webhook ingress as a process: settings from the environment, devices from a file or the cluster (whose
// FaceIdDevice status.lastEventAt it then writes), a graceful stop on SIGTERM.
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { AggregatorRegistry } from 'prom-client';
import { serveMetrics } from '../../lib/metrics/index.js';
import { openDatabase } from '../db/data-source.js';
import { SCHEMA_MISMATCH_EXIT, SchemaMismatchError } from '../db/migrate.js';
import { createLogger, redactText, type Logger } from '../../lib/log/logger.js';
import { webhookProcessConfig, type WebhookProcessConfig } from './config.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../lib/kube/index.js';
import { ClusterDevices } from './cluster-devices.js';
import { DeviceFile } from './device-file.js';
import { startWebhookServer } from './server.js';

/** The devices file when given; in a cluster, informers over FaceIdDevice and School (in-cluster config, or KUBECONFIG). */
async function openDevices(config: WebhookProcessConfig, logger: Logger): Promise<{ directory: DeviceFile['directory']; kc?: KubeConfig; close(): void }> {
  if (config.devicesPath) {
    const file = await DeviceFile.open(config.devicesPath, logger);
    process.on('SIGHUP', () => void file.reload());
    return file;
  }
  const kc = loadKubeConfig({ inCluster: !process.env.KUBECONFIG && process.env.KUBERNETES_SERVICE_HOST !== undefined });
  const cluster = await ClusterDevices.start({ kc, namespace: config.fleetNamespace, logger });
  return { directory: cluster.directory, kc, close: () => void cluster.stop() };
}

async function serve(config: WebhookProcessConfig, logger: Logger): Promise<void> {
  const devices = await openDevices(config, logger);
  const deviceStatus = devices.kc ? { deviceStatus: { kc: devices.kc, namespace: config.fleetNamespace } } : {};
  const ingress = await startWebhookServer({ config: config.server, directory: devices.directory, logger, ...deviceStatus });
  const stop = async (signal: string) => {
    logger.info('stopping: answering the requests in flight', { signal });
    await ingress.shutdown(config.shutdownGraceMs);
    devices.close();
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}

/** Checks the schema version once, then runs workers that share the port; a worker that dies is replaced. */
async function supervise(config: WebhookProcessConfig, logger: Logger): Promise<void> {
  const { dataSource } = await openDatabase({ url: config.server.databaseUrl, poolSize: 1 });
  await dataSource.destroy();
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error('webhook worker exited; starting another', { pid: worker.process.pid, code, signal });
    cluster.fork();
  });
  for (let i = 0; i < config.workers; i++) cluster.fork();
  // The primary serves the workers' metrics summed; each worker answers its share over IPC.
  if (config.server.metricsPort !== undefined) {
    const metrics = await serveMetrics({ cluster: new AggregatorRegistry() }, '0.0.0.0', config.server.metricsPort);
    logger.info('webhook metrics listening', { port: metrics.port, workers: config.workers });
  }
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    logger.info('stopping workers', { signal });
    const workers = Object.values(cluster.workers ?? {});
    for (const worker of workers) worker?.process.kill(signal);
    // Workers stop within their grace period; this bound only guards against one that hangs.
    setTimeout(() => process.exit(1), config.shutdownGraceMs + 5000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

let config: WebhookProcessConfig;
// The same `.env` as `npm start`; variables already in the environment win.
if (existsSync('.env')) process.loadEnvFile('.env');
try {
  config = webhookProcessConfig(process.env);
} catch (error) {
  console.error(`posbon webhook: ${(error as Error).message}`);
  process.exit(2);
}
const logger = createLogger({ component: 'webhook', level: config.server.logLevel });
try {
  if (config.workers > 1 && cluster.isPrimary) await supervise(config, logger);
  else await serve(config, logger);
} catch (error) {
  if (error instanceof SchemaMismatchError) {
    console.error(`posbon webhook: ${error.message}`);
    process.exit(SCHEMA_MISMATCH_EXIT);
  }
  // Straight to stderr: the logger's transport is asynchronous and the process ends here.
  console.error(`posbon webhook: failed to start: ${redactText((error as Error).message)}`);
  process.exit(1);
}
