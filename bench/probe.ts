// Prints how long the probe sidecar takes per probe kind against a fake NVR on a test host, and the guard's speed.
// Run as root: npx tsx bench/probe.ts [rounds]
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { ConfigMapDir, createTestHost, freePort, harnessDir, spawnService, startRtspCamera, waitForPort } from '../test/harness/index.js';
import { spawnOnvifSimulator } from '../test/sim/onvif.js';
import { ProbeClient } from '../lib/probe-protocol/client.js';
import { refusalOf } from '../lib/devices/address-guard.js';
import { mkdir, writeFile } from 'node:fs/promises';

const rounds = Number(process.argv[2] ?? 50);
const token = 'bench-token-0123456789abcdef';
const ip = '198.51.100.40';

function summary(name: string, ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return `${name.padEnd(26)} n=${sorted.length}  p50=${at(0.5)} ms  p95=${at(0.95)} ms  max=${at(1)} ms`;
}

const host = await createTestHost('bench', ip);
const on = { netns: host.netns, ip };
const camera = await startRtspCamera({ on, port: 554, codec: 'h264', size: '640x360', password: 'bench-pass' });
const onvif = await spawnOnvifSimulator(on, {
  port: 80,
  username: 'viewer',
  password: 'bench-pass',
  sources: [
    {
      token: 'VideoSource_1',
      name: 'Gate',
      profiles: [{ token: 'P1', name: 'main', encoding: 'H264', width: 640, height: 360, streamUri: `rtsp://192.168.1.64/${camera.path}` }],
    },
  ],
});
const credentials = await harnessDir('bench');
await mkdir(join(credentials, 'school-a', 'nvr'), { recursive: true });
await writeFile(join(credentials, 'school-a', 'nvr', 'username'), 'viewer');
await writeFile(join(credentials, 'school-a', 'nvr', 'password'), 'bench-pass');
const allowlist = await ConfigMapDir.create({
  'allowlist.json': JSON.stringify({
    node: 'media-1',
    targets: [{ nvr: 'school-a/nvr', host: ip, ports: [554, 80], rtspPort: 554, onvifPort: 80, credentialsSecret: 'nvr' }],
  }),
});
const port = await freePort();
const sidecar = await spawnService('probe', join(process.cwd(), 'node_modules/.bin/tsx'), [join(process.cwd(), 'operator/probe/main.ts')], {
  env: {
    ...process.env,
    POSBON_PROBE_NODE: 'media-1',
    POSBON_PROBE_ALLOWLIST: allowlist.path('allowlist.json'),
    POSBON_PROBE_TOKEN: token,
    POSBON_PROBE_LISTEN: `127.0.0.1:${port}`,
    POSBON_PROBE_CREDENTIALS_DIR: credentials,
    POSBON_PROBE_BURST: String(rounds * 4),
    POSBON_PROBE_LOG_LEVEL: 'warn',
  },
});
try {
  await waitForPort(port, sidecar, 30_000);
  const client = ProbeClient.create({ baseUrl: `http://127.0.0.1:${port}`, token });
  const kinds = {
    tcp: () => client.tcp('school-a/nvr', 554),
    rtsp: () => client.rtsp('school-a/nvr', { path: camera.path }),
    onvif: () => client.onvif('school-a/nvr'),
    'refused (not allowlisted)': () => client.tcp('school-a/other', 554),
  };
  console.log(`probe sidecar, ${rounds} sequential probes each, fake NVR on a veth test host (round trip through HTTP):`);
  for (const [name, probe] of Object.entries(kinds)) {
    await probe();
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const result = await probe();
      times.push(performance.now() - t0);
      if (name !== 'refused (not allowlisted)' && result.reason !== 'Ok') throw new Error(`${name}: ${result.reason} ${result.message}`);
    }
    console.log(summary(name, times));
  }
  const addresses = ['8.8.8.8', '10.1.2.3', '::ffff:127.0.0.1', '2a01:4f8::1', 'fd00::1', '64:ff9b::a00:1'];
  const n = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) refusalOf(addresses[i % addresses.length]!);
  const elapsed = performance.now() - t0;
  console.log(`guard: ${n} checks in ${elapsed.toFixed(0)} ms (${((elapsed * 1000) / n).toFixed(2)} µs each)`);
} finally {
  await sidecar.stop();
  await onvif.stop();
  await camera.stop();
  await host.destroy();
}
