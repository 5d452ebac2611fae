// Prints the time the agent's scan takes over a /24 school LAN of network-namespace hosts: five devices answering,
// the rest absent (their connects wait out the ARP failure or the connect timeout), at a few concurrencies.
// Run as root: npx tsx bench/agent/scan.ts [rounds]
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createTestLan } from '../../test/harness/lan.js';
import { testAddressOctet, type Service } from '../../test/harness/index.js';

const run = promisify(execFile);
const rounds = Number(process.argv[2] ?? 3);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const net = `10.79.${testAddressOctet()}`;
const lan = await createTestLan('bench-scan', net);
const services: Service[] = [];
try {
  for (const [last, kind] of [[13, 'isapi'], [14, 'zkteco'], [15, 'dahua']] as const) {
    const host = await lan.addHost(`bench-${kind}`, last);
    services.push(
      await host.spawn(kind, TSX, [join(process.cwd(), 'test/sim/lan-responder-cli.ts')], {
        env: { ...process.env, POSBON_LAN_RESPONDER: JSON.stringify({ kind, host: host.ip, serial: 'BENCH1', model: 'DS-K1T671', username: 'a', password: 'b' }) },
      }),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 3000));
  // The CLI's own start (tsx compiling) is timed apart, so the figure is the scan's.
  const startAt = performance.now();
  await run('ip', ['netns', 'exec', lan.pc.netns, TSX, join(process.cwd(), 'agent/cli/bin.ts'), 'scan', '--subnet', '8.8.8.0/24']).catch(() => undefined);
  const startupMs = performance.now() - startAt;
  console.log(`agent CLI start and refusal (no scan): ${startupMs.toFixed(0)} ms`);
  for (const concurrency of [64, 256, 512]) {
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const { stdout } = await run('ip', ['netns', 'exec', lan.pc.netns, TSX, join(process.cwd(), 'agent/cli/bin.ts'), 'scan', '--json', '--concurrency', String(concurrency)], { maxBuffer: 1 << 22 });
      times.push(performance.now() - t0 - startupMs);
      found = (JSON.parse(stdout) as { devices: unknown[] }).devices.length;
    }
    times.sort((a, b) => a - b);
    console.log(`scan of ${lan.cidr} (253 hosts x 9 ports, connect timeout 1500 ms), concurrency ${concurrency}: median ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(1)} s over ${rounds} rounds, ${found} devices found`);
  }
} finally {
  for (const s of services) await s.stop();
  await lan.destroy();
}
