// A trap for a prober: listeners on the given addresses that print every connection they accept, and a DNS stub.
// Options come as JSON in POSBON_TRAP: { listen: ["10.1.2.3:554", "[fd00::1]:80"], dns?: { host, port, records } }.
import { createServer } from 'node:net';
import { startDnsStub, type DnsRecords } from './dns.js';

interface TrapOptions {
  listen: string[];
  dns?: { host: string; port: number; records: DnsRecords };
}

const options = JSON.parse(process.env.POSBON_TRAP ?? '{}') as TrapOptions;
for (const endpoint of options.listen) {
  const colon = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(endpoint.slice(colon + 1));
  const server = createServer((socket) => {
    console.log(`CONNECTION ${endpoint} from ${socket.remoteAddress}`);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
}
if (options.dns) await startDnsStub(options.dns.records, options.dns.host, options.dns.port);
console.log('TRAP READY');
