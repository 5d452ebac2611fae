// Entry point of the probe sidecar: `tsx operator/probe/main.ts`, configured only by its environment.
import { AllowlistSource } from './allowlist-source.js';
import { fleetBounds, interfaceAddresses } from './bounds.js';
import { probeConfigFrom } from './config.js';
import { createLogger } from '../../lib/log/logger.js';
import { cappedDial, dialTcp, systemResolver } from '../../lib/devices/net.js';
import { TokenBucketLimiter } from '../../lib/rate/token-bucket.js';
import { ticketKeySource, tokenSource } from '../../lib/probe-protocol/auth.js';
import { readCredentials } from './credentials.js';
import { createProbeServer } from './server.js';
import { ProbeService } from './service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = probeConfigFrom(process.env);
  } catch (error) {
    console.error(`posbon-probe: ${(error as Error).message}`);
    process.exit(2);
  }
  const logger = createLogger({ component: 'probe', level: config.logLevel });
  const allowlist = await AllowlistSource.create({ path: config.allowlistPath, logger });
  const service = ProbeService.create({
    node: config.node,
    allowlist: () => allowlist.current(),
    credentials: (namespace, secret) => readCredentials(config.credentialsDir, namespace, secret),
    resolve: systemResolver(config.dnsServers),
    dial: cappedDial(dialTcp, config.maxResponseBytes),
    ports: new Set(config.ports),
    bounds: fleetBounds({
      ownAddresses: [...interfaceAddresses(), ...config.nodeAddresses],
      clusterCidrs: config.clusterCidrs,
      fleetAddresses: () => allowlist.current()?.fleetAddresses ?? [],
    }),
    timeoutMs: config.timeoutMs,
    limiter: new TokenBucketLimiter(config.rate),
    logger,
    ticketKeys: ticketKeySource(config.ticketKey),
  });
  const server = createProbeServer({ service, tokens: tokenSource(config.token), logger });
  server.listen(config.listen.port, config.listen.host, () => {
    logger.info('probe sidecar listening', { event: 'start', node: config.node, listen: `${config.listen.host}:${config.listen.port}` });
  });
  const stop = () => {
    allowlist.close();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
