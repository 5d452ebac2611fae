// The LAN scan against a school LAN of network-namespace hosts on a private /24: an ONVIF camera (the simulator,
// with WS-Discovery), an RTSP camera (ffmpeg into MediaMTX), a Hikvision ISAPI terminal, a ZKTeco terminal, a Dahua
// device and a host with nothing open. The agent runs as its own process on the school PC, as an admin would run it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestHost, startRtspCamera, type RtspCamera, type Service, type TestHost, testAddressOctet } from '../test/harness/index.js';
import { createTestLan, type TestLan } from '../test/harness/lan.js';
import { spawnOnvifSimulator } from '../test/sim/onvif.js';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const CLI = join(process.cwd(), 'agent/cli/bin.ts');
const octet = testAddressOctet();
const net = `10.77.${octet}`;

let lan: TestLan;
let bigLan: TestLan;
let offLan: TestHost;
let camera: RtspCamera;
const services: Service[] = [];

const responder = async (host: TestHost, options: Record<string, string>) => {
  const service = await host.spawn(`${options.kind}-responder`, TSX, [join(process.cwd(), 'test/sim/lan-responder-cli.ts')], {
    env: { ...process.env, POSBON_LAN_RESPONDER: JSON.stringify({ ...options, host: host.ip }) },
  });
  services.push(service);
  return service;
};

/** The agent CLI on a host; resolves with its exit code and output either way. */
async function agentOn(host: TestHost, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('ip', ['netns', 'exec', host.netns, TSX, CLI, ...args], { timeout: 180_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  lan = await createTestLan('scan', net);
  const onvifHost = await lan.addHost('scan-onvif', 11);
  services.push(
    await spawnOnvifSimulator(onvifHost, {
      port: 80,
      username: 'admin',
      password: 'not-used-by-the-scan',
      discovery: true,
      device: { manufacturer: 'Uniview', model: 'IPC2124LR3', firmwareVersion: 'V1', serialNumber: '210235C3', hardwareId: '1' },
      sources: [{ token: 'src', name: 'Yard', profiles: [{ token: 'p1', name: 'main', encoding: 'H264', width: 640, height: 360, streamUri: `rtsp://${onvifHost.ip}:554/main` }] }],
    }),
  );
  camera = await startRtspCamera({ on: await lan.addHost('scan-rtsp', 12), port: 554, path: 'live' });
  await responder(await lan.addHost('scan-isapi', 13), { kind: 'isapi', username: 'admin', password: 'x', serial: 'DS-K1T671-2024', model: 'DS-K1T671' });
  await responder(await lan.addHost('scan-zk', 14), { kind: 'zkteco' });
  await responder(await lan.addHost('scan-dahua', 15), { kind: 'dahua', serial: '5J0ABCD123' });
  await lan.addHost('scan-closed', 16);
  bigLan = await createTestLan('scan16', `10.78.${octet}`, 16);
  offLan = await createTestHost('scan-off', `198.51.100.${octet}`);
}, 120_000);

afterAll(async () => {
  for (const s of services) await s.stop();
  await camera?.stop();
  await lan?.destroy();
  await bigLan?.destroy();
  await offLan?.destroy();
});

describe('agent scan', () => {
  it('finds and fingerprints each device of the LAN, and nothing on the closed host', async () => {
    const result = await agentOn(lan.pc, ['scan', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const device = (ip: number, fields: Record<string, unknown>) => ({
      ip: `${net}.${ip}`,
      manufacturer: null,
      model: null,
      serial: null,
      rtspPort: null,
      httpPort: null,
      onvifPort: null,
      ...fields,
    });
    expect(report).toEqual({
      subnets: [`${net}.0/24`],
      hostsScanned: 253,
      complete: true,
      devices: [
        device(11, {
          openPorts: [80],
          vendor: 'onvif',
          kind: 'camera-or-nvr',
          model: 'IPC2124LR3',
          httpPort: 80,
          onvifPort: 80,
          evidence: ['onvif: device service on port 80 (asks for credentials)', expect.stringMatching(/^ws-discovery: urn:uuid:/)],
        }),
        device(12, { openPorts: [554], vendor: 'unknown', kind: 'camera-or-nvr', rtspPort: 554, evidence: ['rtsp: OPTIONS answered on port 554 (Server gortsplib)'] }),
        device(13, {
          openPorts: [80],
          vendor: 'hikvision',
          kind: 'faceid',
          model: 'DS-K1T671',
          httpPort: 80,
          evidence: ['hikvision: /ISAPI answered with Digest on port 80 (realm DS-K1T671)'],
        }),
        device(14, {
          openPorts: [80, 4370],
          vendor: 'zkteco',
          kind: 'faceid',
          httpPort: 80,
          evidence: ['zkteco: web server "ZK Web Server" on port 80', 'zkteco: port 4370 (ZKTeco SDK) open'],
        }),
        device(15, {
          openPorts: [80, 37777],
          vendor: 'dahua',
          kind: 'unknown',
          serial: '5J0ABCD123',
          httpPort: 80,
          evidence: ['dahua: /RPC2_Login answered a login challenge on port 80', 'dahua: port 37777 (Dahua private protocol) open'],
        }),
      ],
    });
  });

  it('refuses a public subnet, a subnet larger than /22 and one the machine is not on', async () => {
    const publicRange = await agentOn(lan.pc, ['scan', '--subnet', '8.8.8.0/24', '--json']);
    expect([publicRange.code, publicRange.stdout, publicRange.stderr]).toEqual([
      2,
      '',
      'posbon-agent: refused 8.8.8.0/24: not a private range (10/8, 172.16/12, 192.168/16): the scan never touches public addresses\n',
    ]);
    const wide = await agentOn(lan.pc, ['scan', '--subnet', '10.77.0.0/16']);
    expect([wide.code, wide.stderr]).toEqual([2, 'posbon-agent: refused 10.77.0.0/16: larger than /22: name a smaller on-link subnet with --subnet\n']);
    const elsewhere = await agentOn(lan.pc, ['scan', '--subnet', '192.168.50.0/24']);
    expect([elsewhere.code, elsewhere.stderr]).toEqual([2, 'posbon-agent: refused 192.168.50.0/24: not on-link: no interface of this machine is on that subnet\n']);
  });

  it('refuses a /16 LAN as a whole, and scans a /24 of it when named', async () => {
    const whole = await agentOn(bigLan.pc, ['scan', '--json']);
    expect([whole.code, whole.stderr]).toEqual([2, `posbon-agent: refused 10.78.0.0/16: larger than /22: name a smaller on-link subnet with --subnet\n`]);
    const part = await agentOn(bigLan.pc, ['scan', '--subnet', `10.78.${octet}.0/24`, '--no-discovery', '--json']);
    expect([part.code, JSON.parse(part.stdout)]).toEqual([0, { subnets: [`10.78.${octet}.0/24`], hostsScanned: 253, complete: true, devices: [] }]);
  });

  it('is off, and says so, on a machine that is not on a LAN', async () => {
    const off = await agentOn(offLan, ['scan', '--json']);
    expect([off.code, off.stdout, off.stderr]).toEqual([3, '', 'posbon-agent: scan is off: no private IPv4 address on any interface: this machine is not on a school LAN\n']);
  });
});
