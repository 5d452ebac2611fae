// The LAN agent against real parts: an NVR (ffmpeg RTSP camera and the ONVIF simulator with WS-Discovery) on a
// test host at a documentation address, the probe sidecar of the school's media node, the admin API with an agent
// token, and the fleet repository on the fake GitHub. The CLI runs as its own process, as a school admin would run it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { credentialsNameKey, MemoryCredentialsStore } from '../api/admin/proposals/credentials-store.js';
import { GitHubHost } from '../gitops/hosts/github.js';
import { renderProbeAllowlist } from '../lib/probe-protocol/render-allowlist.js';
import type { Fleet } from '../operator/core/fleet.js';
import { createTestHost, freePort, startRtspCamera, type RtspCamera, type Service, type TestHost, testAddressOctet } from '../test/harness/index.js';
import { spawnOnvifSimulator } from '../test/sim/onvif.js';
import { startProbeSidecar } from '../test/fixtures/probe-sidecar.js';
import { FakeGitHub, type FakeGitHubUser } from '../test/fakes/github.js';
import { call, createAccount, login, node, school, startTestApi, type TestApi } from '../test/api/fixture.js';
import { discover } from './discovery.js';

const run = promisify(execFile);
const PROBE_TOKEN = randomBytes(24).toString('hex');
const TICKET_KEY = randomBytes(32);

let host: TestHost;
let camera: RtspCamera;
let onvif: Service;
let sidecar: Service;
let github: FakeGitHub;
let api: TestApi;
let agentToken: string;
const users: Record<'admin' | 'bot', FakeGitHubUser> = {
  admin: { login: 'fleet-admin', email: 'fleet-admin@posbon.test', token: `ghp_${randomBytes(12).toString('hex')}` },
  bot: { login: 'posbon-bot', email: 'posbon-bot@posbon.test', token: `ghp_${randomBytes(12).toString('hex')}` },
};
const gitHost = (user: FakeGitHubUser) => GitHubHost.create({ url: github.url, owner: github.owner, repo: github.repo, token: user.token });

beforeAll(async () => {
  host = await createTestHost('agent-nvr', `198.51.100.${testAddressOctet()}`);
  camera = await startRtspCamera({ on: host, port: 554, path: 'Streaming/Channels/101' });
  onvif = await spawnOnvifSimulator(host, {
    port: 80,
    username: camera.username,
    password: camera.password,
    discovery: true,
    device: { manufacturer: 'HIKVISION', model: 'DS-7608NI', firmwareVersion: 'V4.1', serialNumber: 'DS7608-0042', hardwareId: '88' },
    sources: [
      {
        token: 'VideoSource_1',
        name: 'Main gate',
        profiles: [{ token: 'Profile_101', name: 'mainStream', encoding: 'H264', width: 640, height: 360, streamUri: `rtsp://${host.ip}:554/Streaming/Channels/101` }],
      },
    ],
  });

  const fleet: Fleet = { nodes: [node('node-a', 'r1', '198.51.100.1')], schools: [school('school-a', 'r1', 'node-a'), school('school-b', 'r1', 'node-a')], nvrs: [] };
  // The media node's probe sidecar, with no merged NVR: the agent's test goes through a signed ticket.
  const probe = await startProbeSidecar({ node: 'node-a', allowlist: renderProbeAllowlist('node-a', []), credentials: {}, token: PROBE_TOKEN, ticketKey: TICKET_KEY });
  sidecar = probe.service;

  github = new FakeGitHub([users.admin, users.bot]);
  await github.start();
  await gitHost(users.admin).commitFiles({
    branch: 'main',
    message: 'The fleet',
    files: [
      { path: 'clusters/dev/media-nodes/node-a.yaml', content: stringify(fleet.nodes[0]) },
      { path: 'clusters/dev/schools/school-a/school.yaml', content: stringify(fleet.schools[0]) },
      { path: 'clusters/dev/schools/school-b/school.yaml', content: stringify(fleet.schools[1]) },
    ],
  });
  api = await startTestApi({
    fleet,
    probe: { urlFor: () => probe.url, token: async () => PROBE_TOKEN, ticketKey: TICKET_KEY },
    connectionTestRate: { perMinute: 60, burst: 30 },
    proposals: {
      host: gitHost(users.bot),
      credentials: MemoryCredentialsStore.create({ nameKey: credentialsNameKey(randomBytes(32)) }),
      env: 'dev',
      bot: users.bot.login,
      authorDomain: 'posbon.test',
    },
  });
  const admin = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
  agentToken = (await call(api, 'POST', '/schools/school-a/agent-tokens', { token: admin, body: { label: 'office PC' } })).body.token;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await github?.stop();
  await sidecar?.stop();
  await onvif?.stop();
  await camera?.stop();
  await host?.destroy();
});

/** Runs the agent CLI as its own process with `--json`; returns its exit code, its JSON output and its one-line error. */
async function agent(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: unknown; err: string }> {
  const options = {
    env: { ...process.env, POSBON_API_URL: api.url, POSBON_AGENT_TOKEN: agentToken, POSBON_NVR_PASSWORD: camera.password, ...env },
    timeout: 60_000,
  };
  try {
    const { stdout, stderr } = await run(join(process.cwd(), 'node_modules/.bin/tsx'), [join(process.cwd(), 'agent/cli/bin.ts'), ...args, '--json'], options);
    return { code: 0, out: JSON.parse(stdout), err: stderr.trim() };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: undefined, err: e.stderr.trim() };
  }
}

const submitArgs = (overrides: Record<string, string> = {}) =>
  Object.entries({ school: 'school-a', name: 'gate', 'lan-host': host.ip, 'public-host': host.ip, 'public-rtsp-port': '554', username: camera.username, ...overrides }).flatMap(([k, v]) => [`--${k}`, v]);

describe('the LAN agent', () => {
  it('discovers the NVR by a WS-Discovery probe sent to its address', async () => {
    const found = await discover({ multicast: false, targets: [host.ip], timeoutMs: 1500 });
    expect(found).toEqual([
      {
        endpoint: expect.stringMatching(/^urn:uuid:/),
        answeredFrom: host.ip,
        xaddrs: [`http://${host.ip}:80/onvif/device_service`],
        onvifHost: host.ip,
        onvifPort: 80,
        scopes: { type: ['video_encoder'], Profile: ['Streaming'], name: ['DS-7608NI'] },
      },
    ]);
  });

  it('discovers the NVR by multicast, run on the school network as a school admin would run it', async () => {
    const { stdout } = await host.exec(join(process.cwd(), 'node_modules/.bin/tsx'), [join(process.cwd(), 'agent/cli/bin.ts'), 'discover', '--timeout-ms', '1500', '--json']);
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ onvifHost: host.ip, onvifPort: 80, scopes: expect.objectContaining({ name: ['DS-7608NI'] }) })]);
  });

  it('lists what the NVR serves, from the CLI', async () => {
    const { code, out } = await agent(['discover', '--no-multicast', '--target', host.ip, '--timeout-ms', '1500', '--username', camera.username]);
    expect(code).toBe(0);
    expect(out).toMatchObject([
      {
        onvifHost: host.ip,
        device: { manufacturer: 'HIKVISION', model: 'DS-7608NI', serialNumber: 'DS7608-0042' },
        cameras: [{ id: 'videosource-1', name: 'Main gate', mainPath: '/Streaming/Channels/101', codec: 'H264', width: 640, height: 360 }],
      },
    ]);
  });

  it('tests the mapping from the media node, then proposes the NVR with its cameras and no password in Git', async () => {
    const { code, out, err } = await agent(['submit', ...submitArgs()]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const outcome = out as { proposal: { number: number; branch: string; created: boolean }; mediaNode: string; cameras: unknown[] };
    expect(outcome).toMatchObject({ mediaNode: 'node-a', proposal: { created: true }, cameras: [{ id: 'videosource-1', name: 'Main gate', rtspPath: '/Streaming/Channels/101' }] });

    const file = await gitHost(users.admin).readFile(outcome.proposal.branch, 'clusters/dev/schools/school-a/nvrs/gate.yaml');
    const nvr = parse(file!) as { metadata: { name: string }; spec: Record<string, unknown> };
    expect(nvr.metadata.name).toBe('school-a-gate');
    expect(nvr.spec).toMatchObject({
      schoolRef: 'school-a',
      vendor: 'hikvision',
      publicHost: host.ip,
      publicRtspPort: 554,
      onvifSync: false,
      cameras: [{ id: 'videosource-1', name: 'Main gate', rtspPath: '/Streaming/Channels/101' }],
      lan: { localIp: host.ip, serial: 'DS7608-0042', model: 'DS-7608NI' },
      credentialsSecretRef: { name: expect.any(String) },
    });
    expect(file).not.toContain(camera.password);

    const audit = await call(api, 'GET', '/audit?schoolId=school-a&limit=50', { token: (await login(api, await createAccount(api, 'root', 'SUPER_ADMIN'))).accessToken });
    const byAgent = (audit.body.items as { actorType: string; action: string; result: string }[]).filter((e) => e.actorType === 'agent').map((e) => [e.action, e.result]);
    expect(byAgent).toEqual([
      ['proposal.Nvr.create', 'ok'],
      ['nvr.test-proposed', 'Ok'],
    ]);
  });

  it('makes the tunnel gateway\'s key at the school and proposes only its public half', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'posbon-gateway-'));
    const args = ['tunnel', '--school', 'school-a', '--nvr', '192.168.10.5:554,80', '--dir', dir];
    const first = await agent(args);
    expect(first.code).toBe(0);
    const out = first.out as { publicKey: string; pullRequest: { branch: string; created: boolean } };
    expect(out.pullRequest.created).toBe(true);
    const privateKey = (await readFile(join(dir, 'private.key'), 'utf8')).trim();
    expect((await stat(join(dir, 'private.key'))).mode & 0o777).toBe(0o600);

    const file = await gitHost(users.admin).readFile(out.pullRequest.branch, 'clusters/dev/schools/school-a/school.yaml');
    expect((parse(file!) as { spec: Record<string, unknown> }).spec).toMatchObject({
      networkMode: 'tunnel',
      tunnel: { publicKey: out.publicKey, expose: ['192.168.10.5'], persistentKeepalive: 25 },
    });
    expect(file).not.toContain(privateKey);

    // A second run keeps the key the school already has.
    const again = await agent(args);
    expect((again.out as { publicKey: string }).publicKey).toBe(out.publicKey);
    // Another school is out of the token's reach.
    expect(await agent(['tunnel', '--school', 'school-b', '--nvr', '192.168.10.5:554', '--dir', dir])).toEqual({
      code: 4,
      out: undefined,
      err: 'posbon-agent: GET /schools/school-b: 403 schoolId: school school-b is outside this account\'s scope',
    });
  });

  it('stops at a mapping the media node cannot reach, naming the reason (exit 3)', async () => {
    const { code, err } = await agent(['submit', ...submitArgs({ name: 'closed', 'public-rtsp-port': '443' })]);
    expect(code).toBe(3);
    expect(err).toMatch(/^posbon-agent: media node node-a cannot play rtsp:\/\/[\d.]+:443\/Streaming\/Channels\/101: Refused/);
    expect(err.split('\n')).toHaveLength(1);
  });

  it('answers bad usage with exit 2, a refused token with exit 4, an unreachable API with exit 5', async () => {
    expect(await agent(['submit', ...submitArgs({ school: '' })])).toEqual({ code: 2, out: undefined, err: 'posbon-agent: --school is required' });
    expect(await agent(['submit', ...submitArgs({ 'public-rtsp-port': '70000' })])).toEqual({ code: 2, out: undefined, err: 'posbon-agent: --public-rtsp-port: must be a port number (1-65535), got "70000"' });
    expect(await agent(['launch'])).toEqual({ code: 2, out: undefined, err: 'posbon-agent: unknown command launch; commands: page, pair, status, scan, diagnose, discover, submit, provision-faceid, tunnel' });
    expect(await agent(['tunnel', '--school', 'school-a', '--nvr', '192.168.10.5'])).toEqual({ code: 2, out: undefined, err: 'posbon-agent: --nvr: IP:PORT[,PORT], got "192.168.10.5"' });
    const refused = await agent(['submit', ...submitArgs()], { POSBON_AGENT_TOKEN: 'pag_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(refused).toEqual({ code: 4, out: undefined, err: 'posbon-agent: GET /schools/school-a: 401 agent token: invalid' });
    const away = await agent(['submit', ...submitArgs()], { POSBON_API_URL: `http://127.0.0.1:${await freePort()}` });
    expect(away.code).toBe(5);
    // Another school is out of the token's reach.
    const other = await agent(['submit', ...submitArgs({ school: 'school-b' })]);
    expect(other).toEqual({ code: 4, out: undefined, err: 'posbon-agent: GET /schools/school-b: 403 schoolId: school school-b is outside this account\'s scope' });
  });
});
