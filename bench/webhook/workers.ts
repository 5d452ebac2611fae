// The ingress's port setup for the bench's reference servers: BENCH_WORKERS processes sharing BENCH_PORT through
// node:cluster, keep-alive as the ingress keeps it. The primary of several only forks and stops them on SIGTERM.
import cluster from 'node:cluster';
import type { Server } from 'node:http';

export const benchPort = Number(process.env.BENCH_PORT);

/** Runs `start` in this process (one worker) or in each forked worker; `stop` runs on SIGTERM before exiting. */
export function onWorkers(start: () => { server: Server; stop?: () => Promise<unknown> }): void {
  const workers = Number(process.env.BENCH_WORKERS ?? 1);
  if (workers > 1 && cluster.isPrimary) {
    for (let i = 0; i < workers; i++) cluster.fork();
    process.once('SIGTERM', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      process.exit(0);
    });
    return;
  }
  const { server, stop } = start();
  server.keepAliveTimeout = 65_000;
  server.listen(benchPort, '0.0.0.0');
  process.once('SIGTERM', () => void (stop?.() ?? Promise.resolve()).finally(() => process.exit(0)));
}
