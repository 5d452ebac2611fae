// The probe sidecar as a real process, against fake NVRs on their own network namespaces (test hosts).
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Socket as UdpSocket } from 'node:dgram';
import {
  ConfigMapDir,
  createTestHost,
  eventually,
  freePort,
  harnessDir,
  spawnService,
  startRtspCamera,
  waitForPort,
  type RtspCamera,
  type Service,
  type TestHost,
} from '../../test/harness/index.js';
import { startDnsStub } from '../../test/sim/dns.js';
import { spawnOnvifSimulator } from '../../test/sim/onvif.js';
import type { Allowlist } from '../../lib/probe-protocol/allowlist.js';
import { ProbeClient, ProbeClientError } from '../../lib/probe-protocol/client.js';

const TOKEN = 'probe-token-0123456789abcdef';
const NVR_IP = '198.51.100.10';
const SILENT_IP = '198.51.100.20';
const NVR_USER = 'viewer'; // the harness camera's reader
const NVR_PASSWORD = 'nvr-Secret-7731';
const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

interface Sidecar {
  service: Service;
  client: ProbeClient;
  url: string;
  probeLines(): Promise<Record<string, unknown>[]>;
}

async function startSidecar(options: { host: string; port: number; allowlist: string; env: Record<string, string>; on?: TestHost }): Promise<Sidecar> {
  const service = await spawnService('probe', tsx, [join(process.cwd(), 'operator/probe/main.ts')], {
    env: {
      ...process.env,
      POSBON_PROBE_NODE: 'media-1',
      POSBON_PROBE_ALLOWLIST: options.allowlist,
      POSBON_PROBE_TOKEN: TOKEN,
      POSBON_PROBE_LISTEN: `${options.host}:${options.port}`,
      ...options.env,
    },
    ...(options.on ? { netns: options.on.netns } : {}),
  });
  await waitForPort(options.port, service, 30_000, options.host);
  const url = `http://${options.host}:${options.port}`;
  return {
    service,
    url,
    client: ProbeClient.create({ baseUrl: url, token: TOKEN, caller: 'test' }),
    probeLines: async () =>
      (await service.logs())
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.event === 'probe'),
  };
}

/** Keys with a slash become folders (`<ns>/<secret>/username`); keys with dots stay flat (`<ns>.<secret>.username`). */
async function credentialsDir(secrets: Record<string, { username: string; password: string }>): Promise<string> {
  const dir = await harnessDir('credentials');
  for (const [key, value] of Object.entries(secrets)) {
    const file = (field: string) => (key.includes('/') ? join(dir, key, field) : join(dir, `${key}.${field}`));
    if (key.includes('/')) await mkdir(join(dir, key), { recursive: true });
    await writeFile(file('username'), value.username);
    await writeFile(file('password'), `${value.password}\n`);
  }
  return dir;
}

const resultBase = { node: 'media-1', at: expect.any(String) };

/** Peak resident memory (VmHWM) of a process and its descendants, in MiB: tsx runs the sidecar in a child. */
async function peakRssMiB(pid: number): Promise<number> {
  const read = (path: string) => readFile(path, 'utf8').catch(() => '');
  let kib = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    kib += Number(/VmHWM:\s+(\d+)/.exec(await read(`/proc/${p}/status`))?.[1] ?? 0);
    queue.push(...(await read(`/proc/${p}/task/${p}/children`)).split(/\s+/).filter(Boolean).map(Number));
  }
  return Math.round(kib / 1024);
}

describe('probe sidecar against fake NVRs on test hosts', () => {
  let nvrHost: TestHost;
  let silentHost: TestHost;
  let mainCamera: RtspCamera;
  let subCamera: RtspCamera;
  let onvif: Service;
  let brokenOnvif: Service;
  let flood: Service;
  let dns: UdpSocket;
  let allowlistDir: ConfigMapDir;
  let sidecar: Sidecar;
  let allowlist: Allowlist;

  beforeAll(async () => {
    nvrHost = await createTestHost('nvr', NVR_IP);
    silentHost = await createTestHost('silent', SILENT_IP, { silent: true });
    const on = { netns: nvrHost.netns, ip: NVR_IP };
    [mainCamera, subCamera] = await Promise.all([
      startRtspCamera({ on, port: 554, path: 'Streaming/Channels/101', codec: 'h265', size: '960x540', password: NVR_PASSWORD }),
      startRtspCamera({ on, port: 10554, path: 'Streaming/Channels/102', codec: 'h264', size: '640x360', password: NVR_PASSWORD, rtspAuthMethods: ['digest'] }),
    ]);
    onvif = await spawnOnvifSimulator(on, {
      port: 80,
      username: NVR_USER,
      password: NVR_PASSWORD,
      // Behind the school's NAT the device names its LAN address; the probe must never follow it.
      advertisedHost: '192.168.1.64',
      sources: [
        {
          token: 'VideoSource_1',
          name: 'Main gate',
          profiles: [
            { token: 'Profile_101', name: 'mainStream', encoding: 'H265', width: 960, height: 540, streamUri: 'rtsp://192.168.1.64:554/Streaming/Channels/101' },
            { token: 'Profile_102', name: 'subStream', encoding: 'H264', width: 640, height: 360, streamUri: 'rtsp://192.168.1.64:10554/Streaming/Channels/102' },
          ],
        },
      ],
    });
    brokenOnvif = await spawnOnvifSimulator(on, {
      port: 8080,
      username: NVR_USER,
      password: NVR_PASSWORD,
      sources: [],
      broken: { GetProfiles: 'garbage' },
    });
    flood = await nvrHost.spawn('flood', tsx, [join(process.cwd(), 'test/sim/flood-cli.ts')], {
      env: { ...process.env, POSBON_FLOOD: JSON.stringify({ host: NVR_IP, port: 8899 }) },
    });
    await waitForPort(8899, flood, 30_000, NVR_IP);
    const dnsPort = await freePort();
    dns = await startDnsStub({ 'nvr.school-a.example': [NVR_IP] }, '127.0.0.1', dnsPort);
    const nvr = (name: string, host: string, extra: Partial<Allowlist['targets'][number]> = {}) => ({
      nvr: `school-a/${name}`,
      host,
      ports: [554, 10554, 80, 443],
      rtspPort: 554,
      onvifPort: 80,
      ...extra,
    });
    allowlist = {
      node: 'media-1',
      targets: [
        nvr('nvr-main', NVR_IP, { credentialsSecret: 'nvr-main' }),
        nvr('nvr-named', 'nvr.school-a.example', { credentialsSecret: 'nvr-main' }),
        nvr('nvr-wrong-password', NVR_IP, { credentialsSecret: 'nvr-wrong' }),
        nvr('nvr-silent', SILENT_IP),
        nvr('nvr-broken-firmware', NVR_IP, { ports: [8080], rtspPort: 8080, onvifPort: 8080, credentialsSecret: 'nvr-main' }),
        nvr('nvr-flood', NVR_IP, { ports: [8899], rtspPort: 8899, onvifPort: 8899, credentialsSecret: 'nvr-main' }),
      ],
    };
    allowlistDir = await ConfigMapDir.create({ 'allowlist.json': JSON.stringify(allowlist) });
    const secrets = await credentialsDir({
      'school-a/nvr-main': { username: NVR_USER, password: NVR_PASSWORD },
      'school-a.nvr-wrong': { username: NVR_USER, password: 'not-the-password' },
    });
    sidecar = await startSidecar({
      host: '127.0.0.1',
      port: await freePort(),
      allowlist: allowlistDir.path('allowlist.json'),
      env: {
        POSBON_PROBE_CREDENTIALS_DIR: secrets,
        POSBON_PROBE_TIMEOUT_MS: '4000', // MediaMTX pauses about 2 s before answering a wrong password
        POSBON_PROBE_BURST: '50',
        POSBON_PROBE_DNS_SERVERS: `127.0.0.1:${dnsPort}`,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await sidecar?.service.stop();
    dns?.close();
    await onvif?.stop();
    await brokenOnvif?.stop();
    await flood?.stop();
    await Promise.all([mainCamera?.stop(), subCamera?.stop()]);
    await nvrHost?.destroy();
    await silentHost?.destroy();
  });

  test('ONVIF: device information and one camera with its H.265 main and H.264 sub stream, paths without host or credentials', async () => {
    const result = await sidecar.client.onvif('school-a/nvr-main');
    expect(result).toEqual({
      kind: 'onvif',
      ...resultBase,
      nvr: 'school-a/nvr-main',
      port: 80,
      reason: 'Ok',
      message: 'reachable',
      address: NVR_IP,
      latencyMs: expect.any(Number),
      device: { manufacturer: 'Posbon', model: 'SimNVR-8', firmwareVersion: 'V4.1.0 build 260101', serialNumber: 'SIM0001', hardwareId: '88' },
      cameras: [
        {
          id: 'VideoSource_1',
          name: 'Main gate',
          main: { profileToken: 'Profile_101', profileName: 'mainStream', path: '/Streaming/Channels/101', rtspPort: 554, codec: 'H265', width: 960, height: 540 },
          sub: { profileToken: 'Profile_102', profileName: 'subStream', path: '/Streaming/Channels/102', rtspPort: 10554, codec: 'H264', width: 640, height: 360 },
        },
      ],
    });
  });

  test('RTSP with Basic auth: the main stream is H.265 at the size its SPS says', async () => {
    const result = await sidecar.client.rtsp('school-a/nvr-main', { path: 'Streaming/Channels/101' });
    expect(result).toEqual({
      kind: 'rtsp',
      ...resultBase,
      nvr: 'school-a/nvr-main',
      port: 554,
      path: 'Streaming/Channels/101',
      reason: 'Ok',
      message: 'reachable',
      address: NVR_IP,
      latencyMs: expect.any(Number),
      status: 200,
      streams: [{ codec: 'H265', payloadType: expect.any(Number), width: 960, height: 540 }],
      server: 'gortsplib',
    });
  });

  test('RTSP with Digest auth: the sub-stream is H.264 640x360', async () => {
    const result = await sidecar.client.rtsp('school-a/nvr-main', { path: 'Streaming/Channels/102', port: 10554 });
    expect(result).toMatchObject({ reason: 'Ok', status: 200, streams: [{ codec: 'H264', width: 640, height: 360 }] });
  });

  test('a declared host name is resolved once and the checked address is probed', async () => {
    const result = await sidecar.client.tcp('school-a/nvr-named', 554);
    expect(result).toMatchObject({ reason: 'Ok', address: NVR_IP, port: 554 });
  });

  test('wrong password: RTSP and ONVIF both say AuthFailed', async () => {
    expect(await sidecar.client.rtsp('school-a/nvr-wrong-password', { path: 'Streaming/Channels/101' })).toEqual({
      kind: 'rtsp',
      ...resultBase,
      nvr: 'school-a/nvr-wrong-password',
      port: 554,
      path: 'Streaming/Channels/101',
      reason: 'AuthFailed',
      message: 'the device rejected the username or password',
      address: NVR_IP,
      status: 401,
      server: 'gortsplib',
    });
    expect(await sidecar.client.onvif('school-a/nvr-wrong-password')).toMatchObject({ reason: 'AuthFailed', message: 'the device rejected the username or password' });
  });

  test('a device answering garbage is a ProtocolError naming the step, and the sidecar carries on', async () => {
    expect(await sidecar.client.onvif('school-a/nvr-broken-firmware')).toEqual({
      kind: 'onvif',
      ...resultBase,
      nvr: 'school-a/nvr-broken-firmware',
      port: 8080,
      reason: 'ProtocolError',
      message: "the device's answer to GetProfiles was not understood",
      address: NVR_IP,
    });
    expect(await sidecar.client.tcp('school-a/nvr-main', 80)).toMatchObject({ reason: 'Ok' });
    expect(sidecar.service.exited()).toBe(false);
  });

  test('ONVIF: a device whose answer never ends is cut off at the byte cap with TooLarge, and the sidecar lives on', async () => {
    const result = await sidecar.client.onvif('school-a/nvr-flood');
    expect(result).toEqual({
      kind: 'onvif',
      ...resultBase,
      nvr: 'school-a/nvr-flood',
      port: 8899,
      reason: 'TooLarge',
      message: 'the device sent more than 2097152 bytes on one connection; the probe stopped reading',
      address: NVR_IP,
    });
    await eventually(async () => expect(await flood.logs()).toContain('FLOOD connection closed'));
    // A figure for the report, not an assertion: the sidecar's peak resident memory across its processes.
    console.log(`probe sidecar peak RSS after the flood: ${await peakRssMiB(sidecar.service.pid)} MiB; ${(await flood.logs()).trim().split('\n').at(-1)}`);
    expect(await sidecar.client.tcp('school-a/nvr-main', 554)).toMatchObject({ reason: 'Ok' });
    expect(sidecar.service.exited()).toBe(false);
  });

  test('closed port: Refused', async () => {
    expect(await sidecar.client.tcp('school-a/nvr-main', 443)).toMatchObject({ reason: 'Refused', message: 'connection refused', address: NVR_IP });
  });

  test('silent host: Timeout for TCP, RTSP and ONVIF', async () => {
    const results = await Promise.all([
      sidecar.client.tcp('school-a/nvr-silent', 554),
      sidecar.client.rtsp('school-a/nvr-silent'),
      sidecar.client.onvif('school-a/nvr-silent'),
    ]);
    expect(results.map((r) => [r.kind, r.reason])).toEqual([
      ['tcp', 'Timeout'],
      ['rtsp', 'Timeout'],
      ['onvif', 'Timeout'],
    ]);
  });

  test('every probe is one audit line without any credential', async () => {
    await sidecar.client.tcp('school-a/nvr-main', 554);
    const lines = await eventually(async () => {
      const found = await sidecar.probeLines();
      if (!found.some((l) => l.kind === 'tcp' && l.port === 554 && l.nvr === 'school-a/nvr-main')) throw new Error('no audit line yet');
      return found;
    });
    expect(lines.find((l) => l.kind === 'tcp' && l.port === 554 && l.nvr === 'school-a/nvr-main')).toMatchObject({
      message: 'probe',
      event: 'probe',
      caller: 'test',
      node: 'media-1',
      reason: 'Ok',
      address: NVR_IP,
    });
    const log = await sidecar.service.logs();
    expect(log).not.toContain(NVR_PASSWORD);
    expect(log).not.toContain('not-the-password');
    expect(log).not.toContain(TOKEN);
  });

  test('requests without a valid token are refused with 401', async () => {
    for (const token of ['', 'wrong-token-0123456789abcdef', `${TOKEN}x`]) {
      const client = ProbeClient.create({ baseUrl: sidecar.url, token });
      await expect(client.tcp('school-a/nvr-main', 554)).rejects.toMatchObject({ code: 'Unauthorized', status: 401 });
    }
    const res = await fetch(`${sidecar.url}/v1/probes/tcp`, { method: 'POST', body: JSON.stringify({ nvr: 'school-a/nvr-main', port: 554 }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="posbon-probe"');
  });

  test('bad input is a 400 naming the field', async () => {
    await expect(sidecar.client.tcp('school-a/nvr-main', 70000)).rejects.toEqual(new ProbeClientError('InvalidInput', 'port: Too big: expected number to be <=65535', 400));
  });

  test('an NVR removed from the allowlist is refused once the ConfigMap changes', async () => {
    await allowlistDir.swap({ 'allowlist.json': JSON.stringify({ ...allowlist, targets: allowlist.targets.filter((t) => t.nvr !== 'school-a/nvr-named') }) });
    await eventually(async () => {
      expect(await sidecar.client.tcp('school-a/nvr-named', 554)).toMatchObject({ reason: 'NotAllowlisted', message: 'school-a/nvr-named is not assigned to node media-1' });
    }, 15_000, 500);
  });
});

describe('probe sidecar settings', () => {
  test('a bad setting stops the sidecar with exit code 2 and one line naming the variable', async () => {
    const run = promisify(execFile);
    const env = { PATH: process.env.PATH ?? '', POSBON_PROBE_NODE: 'media-1', POSBON_PROBE_ALLOWLIST: '/nonexistent', POSBON_PROBE_TOKEN: 'short' };
    await expect(run(tsx, [join(process.cwd(), 'operator/probe/main.ts')], { env })).rejects.toMatchObject({
      code: 2,
      stderr: 'posbon-probe: POSBON_PROBE_TOKEN: Too small: expected string to have >=16 characters\n',
    });
  });
});
