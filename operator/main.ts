// The operator process: informers, leader election, the fleet controller, and /healthz, /readyz, /metrics.
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { FLEET_NAMESPACE } from '../crds/index.js';
import { FleetController, defaultControllerConfig, type ControllerConfig } from './controller/fleet-controller.js';
import { LeaderElector, leaseTimings } from './controller/leader.js';
import { createOperatorMetrics } from './controller/metrics.js';
import { DEFAULT_RENDER_OPTIONS } from './core/mediamtx.js';
import { jwksSettings } from './jwks-settings.js';
import { mediaSettings } from './media-settings.js';
import { loadKubeConfig } from '../lib/kube/index.js';
import { createLogger, type Logger } from '../lib/log/logger.js';
import { DEFAULT_WORKLOAD_OPTIONS } from './workload.js';

export interface OperatorOptions {
  kc: KubeConfig;
  controller: ControllerConfig;
  identity: string;
  leaseNamespace: string;
  leaseDurationSeconds: number;
  port: number;
  log: Logger;
  /** What to do when renewing failed until the renew deadline; a process exits so it restarts with clean caches. */
  onLostLease: () => void;
}

export interface RunningOperator {
  controller: FleetController;
  elector: LeaderElector;
  server: Server;
  port: number;
  stop(): Promise<void>;
}

export async function runOperator(options: OperatorOptions): Promise<RunningOperator> {
  const metrics = createOperatorMetrics();
  const controller = FleetController.create({ kc: options.kc, config: options.controller, log: options.log, metrics });
  const server = createServer((req, res) => {
    const send = (status: number, body: string, type = 'text/plain') =>
      res.writeHead(status, { 'content-type': type }).end(body);
    if (req.url === '/healthz') return send(200, 'ok');
    if (req.url === '/readyz') return controller.isSynced() ? send(200, 'ok') : send(503, 'informers not synced');
    if (req.url === '/metrics') {
      void metrics.registry.metrics().then((text) => send(200, text, metrics.registry.contentType));
      return;
    }
    send(404, 'not found');
  });
  await new Promise<void>((resolve) => server.listen(options.port, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const listing = Date.now();
  const started = controller.start().then(() => options.log.info('caches synced', { ms: Date.now() - listing }));
  // Leader election runs beside the lists: a leader prepares its nodes while the NVRs list, and plans once they are in.
  const elector = new LeaderElector(
    options.kc,
    {
      namespace: options.leaseNamespace,
      name: 'posbon-operator',
      identity: options.identity,
      ...leaseTimings(options.leaseDurationSeconds),
    },
    options.log,
  );
  elector.run(
    () => {
      metrics.leader.set(1);
      controller.lead();
    },
    () => {
      metrics.leader.set(0);
      options.onLostLease();
    },
  );
  try {
    await started;
  } catch (error) {
    // Caches that never filled: the lease goes back at once, for a replica that can list.
    await elector.stop();
    await controller.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  return {
    controller,
    elector,
    server,
    port,
    async stop() {
      await elector.stop();
      await controller.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

export async function main(): Promise<void> {
  const log = createLogger({ component: 'operator' });
  log.info('operator starting', { pid: process.pid });
  const kc = loadKubeConfig();
  const mediaNamespace = env('POSBON_MEDIA_NAMESPACE', 'posbon-media');
  const media = mediaSettings(process.env);
  const controller = defaultControllerConfig({
    fleetNamespace: env('POSBON_FLEET_NAMESPACE', FLEET_NAMESPACE),
    mediaNamespace,
    applyWorkloads: env('POSBON_APPLY_WORKLOADS', 'true') === 'true',
    workload: {
      ...DEFAULT_WORKLOAD_OPTIONS,
      namespace: mediaNamespace,
      mediamtxImage: env('POSBON_MEDIAMTX_IMAGE', DEFAULT_WORKLOAD_OPTIONS.mediamtxImage),
      ...(process.env.POSBON_PROBE_IMAGE ? { probeImage: process.env.POSBON_PROBE_IMAGE } : {}),
      // The sidecars never probe the cluster's own ranges (pod and service CIDRs, comma-separated).
      ...(process.env.POSBON_PROBE_CLUSTER_CIDRS
        ? {
            probeClusterCidrs: process.env.POSBON_PROBE_CLUSTER_CIDRS.split(',')
              .map((c) => c.trim())
              .filter(Boolean),
          }
        : {}),
      ...(process.env.POSBON_TUNNEL_IMAGE ? { tunnelImage: process.env.POSBON_TUNNEL_IMAGE } : {}),
      ...media,
    },
    ...(process.env.POSBON_PROBE_IMAGE
      ? { probe: { intervalMs: Number(env('POSBON_PROBE_INTERVAL_SECONDS', '600')) * 1000 } }
      : {}),
    ...(process.env.POSBON_TUNNEL_IMAGE
      ? { tunnelPoll: { intervalMs: Number(env('POSBON_TUNNEL_POLL_SECONDS', '30')) * 1000 } }
      : {}),
    render: {
      ...DEFAULT_RENDER_OPTIONS,
      ...jwksSettings(process.env),
      allowOrigins: env('POSBON_ALLOW_ORIGINS', '*').split(','),
      ...(media.certificateIssuer ? { certificateIssuer: media.certificateIssuer } : {}),
    },
  });
  const running = await runOperator({
    kc,
    controller,
    identity: env('POD_NAME', `${hostname()}-${process.pid}`),
    leaseNamespace: env('POSBON_LEASE_NAMESPACE', mediaNamespace),
    leaseDurationSeconds: Number(env('POSBON_LEASE_SECONDS', '15')),
    port: Number(env('POSBON_OPERATOR_PORT', '8081')),
    log,
    onLostLease: () => process.exit(1),
  });
  log.info('operator started', { port: running.port, fleetNamespace: controller.fleetNamespace, mediaNamespace });
  const shutdown = async () => {
    log.info('shutting down');
    await running.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
