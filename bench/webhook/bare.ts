// The transport ceiling: a bare Node.js HTTP server with the ingress's port setup (BENCH_WORKERS processes sharing
// one port through node:cluster, keep-alive) that reads every request body, discards it, and answers a fixed 200.
// Whatever the ingress does beyond this is its own cost.
import cluster from 'node:cluster';
import { createServer } from 'node:http';

const port = Number(process.env.BENCH_PORT);
const workers = Number(process.env.BENCH_WORKERS ?? 1);
const ACK = Buffer.from('{"ok":true}');

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ACK.length });
      res.end(ACK);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '0.0.0.0');
  process.once('SIGTERM', () => process.exit(0));
}
