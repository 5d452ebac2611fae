// Entry point of the WireGuard sidecar of a media node: applies the operator's peers live and reports handshakes.
//   POSBON_TUNNEL_NODE        the media node's name (metric label)
//   POSBON_TUNNEL_CONFIG_DIR  the mounted ConfigMap: peers.conf, routes, address
//   POSBON_TUNNEL_KEY_FILE    the mounted Secret's private key
//   POSBON_TUNNEL_IFACE       interface name (wg0)
//   POSBON_TUNNEL_LISTEN      host:port of /metrics and /handshakes
//   POSBON_TUNNEL_USERSPACE   1 to fall back to wireguard-go when the kernel has no WireGuard
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createLogger } from '../../lib/log/logger.js';
import { TUNNEL_INTERFACE } from '../core/tunnel.js';
import { renderTunnelMetrics, schoolsByKey } from './health.js';
import { TunnelSync, execCommand } from './sync.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (!value) {
    console.error(`posbon-tunnel: ${name} is required`);
    process.exit(2);
  }
  return value;
};

async function main(): Promise<void> {
  const node = env('POSBON_TUNNEL_NODE');
  const dir = env('POSBON_TUNNEL_CONFIG_DIR', '/tunnel');
  const keyFile = env('POSBON_TUNNEL_KEY_FILE', '/wireguard/private-key');
  const iface = env('POSBON_TUNNEL_IFACE', TUNNEL_INTERFACE);
  const [host, port] = env('POSBON_TUNNEL_LISTEN', '127.0.0.1:9442').split(/:(?=\d+$)/) as [string, string];
  const userspace = process.env.POSBON_TUNNEL_USERSPACE === '1';
  const log = createLogger({ component: 'tunnel' }).child({ node });
  const sync = TunnelSync.create({ iface, exec: execCommand() });
  let applied = '';
  let peers = '';

  // ConfigMap volumes change by a symlink swap; reading the files each round follows it without a watcher.
  const round = async () => {
    const [peersConf, routes, address, key] = await Promise.all(['peers.conf', 'routes', 'address'].map((f) => readFile(join(dir, f), 'utf8')).concat(readFile(keyFile, 'utf8')));
    const digest = createHash('sha256').update(`${peersConf}\0${routes}\0${address}\0${key}`).digest('hex');
    if (digest === applied) return;
    await sync.ensureInterface(address!.trim(), userspace ? async (name) => void spawn('wireguard-go', ['-f', name], { stdio: 'inherit' }).unref() : undefined);
    const changes = await sync.apply(peersConf!, routes!.split('\n').filter(Boolean), key!);
    applied = digest;
    peers = peersConf!;
    log.info('tunnel peers applied', { event: 'applied', peers: schoolsByKey(peersConf!).size, routesAdded: changes.add.length, routesRemoved: changes.remove.length });
  };
  const loop = async () => {
    try {
      await round();
    } catch (error) {
      log.warn('tunnel peers not applied', { event: 'apply-failed', error: (error as Error).message });
    }
    setTimeout(() => void loop(), 2000).unref();
  };
  await loop();

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const handshakes = await sync.handshakes();
        const schools = schoolsByKey(peers);
        if (req.url === '/metrics') {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderTunnelMetrics(node, schools, handshakes));
        } else if (req.url === '/handshakes') {
          const rows = handshakes.flatMap((h) => (schools.has(h.publicKey) ? [{ school: schools.get(h.publicKey)!, latestHandshake: h.latestHandshake?.toISOString() ?? null }] : []));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
        } else res.writeHead(404).end();
      } catch (error) {
        log.warn('handshakes unavailable', { event: 'read-failed', error: (error as Error).message });
        res.writeHead(503).end();
      }
    })();
  });
  server.listen(Number(port), host, () => log.info('tunnel sidecar listening', { event: 'start', listen: `${host}:${port}` }));
  const stop = () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
