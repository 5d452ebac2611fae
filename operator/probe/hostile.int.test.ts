// The sidecar must not become a scanner: hostile targets are refused and never connected to. The sidecar runs on a
// test host whose loopback carries the hostile addresses, each with a listener that prints every connection it gets;
// a second host joined only to it carries the allowed control target, a media node's address and a cluster address.
import { join } from 'node:path';
import { ConfigMapDir, createTestHost, eventually, spawnService, waitForPort, type Service, type TestHost } from '../../test/harness/index.js';
import type { Allowlist } from '../../lib/probe-protocol/allowlist.js';
import { ProbeClient } from '../../lib/probe-protocol/client.js';
import type { ProbeResult } from '../../lib/devices/result.js';

const TOKEN = 'probe-token-fedcba9876543210';
const TRAP_IP = '203.0.113.23';
/** Beyond the trap: the control NVR, another media node's egress IP, an address in a cluster CIDR, a rate target. */
const CONTROL_IP = '203.0.113.21';
const FLEET_NODE_IP = '203.0.113.40';
const CLUSTER_CIDR = '203.0.113.128/25';
const CLUSTER_IP = '203.0.113.130';
const RATE_IP = '203.0.113.22';
const SIDECAR_PORT = 9440;
const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

const HOSTILE_LOOPBACK = ['10.1.2.3', '172.16.5.4', '192.168.1.64', '169.254.169.254', '100.64.0.7', '100.100.100.200', '198.18.0.1', 'fd00::1', 'fd00:ec2::254'];
const bracket = (host: string) => (host.includes(':') ? `[${host}]` : host);
const LISTEN = [
  ...[...HOSTILE_LOOPBACK, '127.0.0.1', '127.0.0.2', '::1'].flatMap((ip) => [`${bracket(ip)}:554`, `${bracket(ip)}:80`]),
  '127.0.0.1:9440',
  '0.0.0.0:8000',
  '[::]:8081',
  `${TRAP_IP}:8554`,
  `${TRAP_IP}:8899`,
];
const CONTROL_LISTEN = [`${CONTROL_IP}:8554`, `${CONTROL_IP}:10250`, `${FLEET_NODE_IP}:554`, `${CLUSTER_IP}:80`];
const DNS = {
  'ok.example': [CONTROL_IP],
  'rate.example': [RATE_IP],
  'evil.example': ['10.1.2.3'],
  'mixed.example': [CONTROL_IP, '192.168.1.64'],
  'rebind.example': ['127.0.0.1'],
  'v6.example': ['fd00::1'],
};

type Kind = 'tcp' | 'rtsp' | 'onvif';
interface Hostile {
  name: string;
  host: string;
  port: number;
  kind: Kind;
  message: string;
}

const HOSTILE: Hostile[] = [
  { name: 'private-10', host: '10.1.2.3', port: 554, kind: 'tcp', message: '10.1.2.3 is a private address' },
  { name: 'private-172', host: '172.16.5.4', port: 554, kind: 'tcp', message: '172.16.5.4 is a private address' },
  { name: 'private-192', host: '192.168.1.64', port: 554, kind: 'rtsp', message: '192.168.1.64 is a private address' },
  { name: 'loopback', host: '127.0.0.1', port: 554, kind: 'tcp', message: '127.0.0.1 is a loopback address' },
  { name: 'loopback-2', host: '127.0.0.2', port: 554, kind: 'rtsp', message: '127.0.0.2 is a loopback address' },
  { name: 'loopback-6', host: '::1', port: 554, kind: 'tcp', message: '::1 is a loopback address' },
  { name: 'loopback-6-bracketed', host: '[::1]', port: 554, kind: 'tcp', message: '::1 is a loopback address' },
  { name: 'metadata', host: '169.254.169.254', port: 80, kind: 'onvif', message: '169.254.169.254 is a metadata address' },
  { name: 'metadata-alibaba', host: '100.100.100.200', port: 80, kind: 'tcp', message: '100.100.100.200 is a metadata address' },
  { name: 'metadata-6', host: 'fd00:ec2::254', port: 80, kind: 'onvif', message: 'fd00:ec2::254 is a metadata address' },
  { name: 'cgnat', host: '100.64.0.7', port: 554, kind: 'tcp', message: '100.64.0.7 is a shared address' },
  { name: 'ula', host: 'fd00::1', port: 554, kind: 'tcp', message: 'fd00::1 is a unique-local address' },
  { name: 'unspecified', host: '0.0.0.0', port: 8000, kind: 'tcp', message: '0.0.0.0 is a unspecified address' },
  { name: 'unspecified-6', host: '::', port: 8081, kind: 'tcp', message: ':: is a unspecified address' },
  { name: 'mapped-loopback', host: '::ffff:127.0.0.1', port: 554, kind: 'tcp', message: '::ffff:127.0.0.1 is a loopback address' },
  { name: 'mapped-private', host: '::ffff:10.1.2.3', port: 554, kind: 'rtsp', message: '::ffff:10.1.2.3 is a private address' },
  { name: 'benchmark', host: '198.18.0.1', port: 554, kind: 'tcp', message: '198.18.0.1 is a reserved address' },
  { name: 'sidecar-itself', host: '127.0.0.1', port: 9440, kind: 'tcp', message: 'port 9440 is not a camera port this probe may reach (80, 443, 554, 2020, 8000, 8080, 8081, 8443, 8554, 8899, 10554)' },
  { name: 'name-private', host: 'evil.example', port: 554, kind: 'tcp', message: 'evil.example resolves to 10.1.2.3, which is a private address' },
  { name: 'name-mixed', host: 'mixed.example', port: 8554, kind: 'tcp', message: 'mixed.example resolves to 192.168.1.64, which is a private address' },
  { name: 'own-egress-ip', host: TRAP_IP, port: 8554, kind: 'rtsp', message: `${TRAP_IP} is this media node's own address` },
  { name: 'fleet-node', host: FLEET_NODE_IP, port: 554, kind: 'tcp', message: `${FLEET_NODE_IP} is a media node's address` },
  { name: 'cluster', host: CLUSTER_IP, port: 80, kind: 'onvif', message: `${CLUSTER_IP} is a cluster address` },
  { name: 'kubelet-port', host: CONTROL_IP, port: 10250, kind: 'tcp', message: 'port 10250 is not a camera port this probe may reach (80, 443, 554, 2020, 8000, 8080, 8081, 8443, 8554, 8899, 10554)' },
  { name: 'name-loopback', host: 'rebind.example', port: 554, kind: 'rtsp', message: 'rebind.example resolves to 127.0.0.1, which is a loopback address' },
  { name: 'name-ula', host: 'v6.example', port: 554, kind: 'onvif', message: 'v6.example resolves to fd00::1, which is a unique-local address' },
];

async function probe(client: ProbeClient, kind: Kind, nvr: string, port: number): Promise<ProbeResult> {
  if (kind === 'tcp') return client.tcp(nvr, port);
  if (kind === 'rtsp') return client.rtsp(nvr, { port });
  return client.onvif(nvr);
}

describe('probe sidecar refuses hostile targets without connecting to them', () => {
  let trapHost: TestHost;
  let controlHost: TestHost;
  let trap: Service;
  let control: Service;
  let sidecar: Service;
  let client: ProbeClient;
  const connections = async () => `${await trap.logs()}\n${await control.logs()}`.split('\n').filter((l) => l.startsWith('CONNECTION'));

  beforeAll(async () => {
    trapHost = await createTestHost('trap', TRAP_IP, { loopbackAddresses: HOSTILE_LOOPBACK });
    trap = await trapHost.spawn('trap', tsx, [join(process.cwd(), 'test/sim/trap-cli.ts')], {
      env: { ...process.env, POSBON_TRAP: JSON.stringify({ listen: LISTEN, dns: { host: '127.0.0.1', port: 5353, records: DNS } }) },
    });
    controlHost = await createTestHost('control', CONTROL_IP, { via: trapHost, loopbackAddresses: [FLEET_NODE_IP, CLUSTER_IP, RATE_IP] });
    control = await controlHost.spawn('control', tsx, [join(process.cwd(), 'test/sim/trap-cli.ts')], {
      env: { ...process.env, POSBON_TRAP: JSON.stringify({ listen: CONTROL_LISTEN }) },
    });
    await eventually(async () => {
      if (!(await trap.logs()).includes('TRAP READY')) throw new Error(`trap not ready:\n${await trap.logs()}`);
      if (!(await control.logs()).includes('TRAP READY')) throw new Error(`control not ready:\n${await control.logs()}`);
    });
    const allowlist: Allowlist = {
      node: 'media-1',
      targets: [
        ...HOSTILE.map((h) => ({ nvr: `school-x/${h.name}`, host: h.host, ports: [h.port], rtspPort: h.port, onvifPort: h.port })),
        { nvr: 'school-a/control', host: 'ok.example', ports: [8554] },
        { nvr: 'school-a/rate', host: RATE_IP, ports: [8443] },
        { nvr: 'school-a/rate-by-name', host: 'rate.example', ports: [8443] },
      ],
      fleetAddresses: [FLEET_NODE_IP, TRAP_IP],
    };
    const config = await ConfigMapDir.create({ 'allowlist.json': JSON.stringify(allowlist) });
    sidecar = await spawnService('probe', tsx, [join(process.cwd(), 'operator/probe/main.ts')], {
      netns: trapHost.netns,
      env: {
        ...process.env,
        POSBON_PROBE_NODE: 'media-1',
        POSBON_PROBE_ALLOWLIST: config.path('allowlist.json'),
        POSBON_PROBE_TOKEN: TOKEN,
        POSBON_PROBE_LISTEN: `${TRAP_IP}:${SIDECAR_PORT}`,
        POSBON_PROBE_DNS_SERVERS: '127.0.0.1:5353',
        POSBON_PROBE_TIMEOUT_MS: '2000',
        POSBON_PROBE_BURST: '2',
        POSBON_PROBE_RATE_PER_MINUTE: '1',
        POSBON_PROBE_CLUSTER_CIDRS: `10.96.0.0/12, ${CLUSTER_CIDR}`,
      },
    });
    await waitForPort(SIDECAR_PORT, sidecar, 30_000, TRAP_IP);
    client = ProbeClient.create({ baseUrl: `http://${TRAP_IP}:${SIDECAR_PORT}`, token: TOKEN, caller: 'test' });
  }, 120_000);

  afterAll(async () => {
    await sidecar?.stop();
    await control?.stop();
    await trap?.stop();
    await controlHost?.destroy();
    await trapHost?.destroy();
  });

  test('the trap records a connection the sidecar is allowed to make (control)', async () => {
    expect(await client.tcp('school-a/control', 8554)).toMatchObject({ reason: 'Ok', address: CONTROL_IP });
    await eventually(async () => expect(await connections()).toEqual([expect.stringMatching(`^CONNECTION ${CONTROL_IP}:8554 from `)]));
  });

  test(`${HOSTILE.length} hostile targets named by allowlisted NVRs are refused as NotAllowlisted`, async () => {
    const results = [];
    for (const h of HOSTILE) results.push(await probe(client, h.kind, `school-x/${h.name}`, h.port));
    expect(results.map((r) => [r.nvr, r.kind, r.reason, r.message])).toEqual(HOSTILE.map((h) => [`school-x/${h.name}`, h.kind, 'NotAllowlisted', h.message]));
    expect(results.every((r) => r.address === undefined && r.latencyMs === undefined)).toBe(true);
  });

  test('an NVR of another node and an undeclared port are refused', async () => {
    expect(await client.tcp('school-b/nvr-elsewhere', 8554)).toMatchObject({ reason: 'NotAllowlisted', message: 'school-b/nvr-elsewhere is not assigned to node media-1' });
    expect(await client.tcp('school-a/control', 8899)).toMatchObject({ reason: 'NotAllowlisted', message: 'port 8899 is not declared for school-a/control' });
    expect(await client.rtsp('school-a/control', { port: 8899 })).toMatchObject({ reason: 'NotAllowlisted', message: 'port 8899 is not declared for school-a/control' });
  });

  test('requests without a valid token never probe', async () => {
    const stranger = ProbeClient.create({ baseUrl: `http://${TRAP_IP}:${SIDECAR_PORT}`, token: 'not-the-token-0123456789' });
    await expect(stranger.tcp('school-a/control', 8554)).rejects.toMatchObject({ code: 'Unauthorized', status: 401 });
  });

  test('probes of one address beyond its burst are rate-limited with 429, whatever name or NVR they go by', async () => {
    expect(await client.tcp('school-a/rate', 8443)).toMatchObject({ reason: 'Refused', address: RATE_IP });
    expect(await client.tcp('school-a/rate-by-name', 8443)).toMatchObject({ reason: 'Refused', address: RATE_IP });
    await expect(client.tcp('school-a/rate-by-name', 8443)).rejects.toMatchObject({ code: 'RateLimited', status: 429 });
    await expect(client.tcp('school-a/rate', 8443)).rejects.toMatchObject({ code: 'RateLimited', status: 429 });
  });

  test('after everything, the only connection any listener saw is the control', async () => {
    expect(await connections()).toEqual([expect.stringMatching(`^CONNECTION ${CONTROL_IP}:8554 from `)]);
    expect(sidecar.exited()).toBe(false);
  });
});
