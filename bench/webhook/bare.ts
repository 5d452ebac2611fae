// The transport ceiling: a bare Node.js HTTP server with the ingress's port setup (BENCH_WORKERS processes sharing
// one port through node:cluster, keep-alive) that reads every request body, discards it, and answers a fixed 200.
// Whatever the ingress does beyond this is its own cost.
import { createServer } from 'node:http';
import { onWorkers } from './workers.js';

const ACK = Buffer.from('{"ok":true}');

onWorkers(() => ({
  server: createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ACK.length });
      res.end(ACK);
    });
  }),
}));
