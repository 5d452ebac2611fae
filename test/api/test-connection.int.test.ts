// "Test connection" through the real probe sidecar: merged NVRs from the node's allowlist, proposed ones under a
// signed ticket, against a fake NVR (MediaMTX camera + ONVIF simulator) on a test host at a documentation address.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { DEFAULT_PROBE_PORTS } from '../../operator/probe/bounds.js';
import { ProbeClient } from '../../lib/probe-protocol/client.js';
import { renderProbeAllowlist } from '../../lib/probe-protocol/render-allowlist.js';
import { signProbeTicket } from '../../lib/probe-protocol/ticket.js';
import type { Fleet } from '../../operator/core/fleet.js';
import {
  eventually,
  freePort,
  type RtspCamera,
  type Service,
  type TestHost,
} from '../harness/index.js';
import { startFakeNvr, type FakeNvr } from '../fixtures/fake-nvr.js';
import { startProbeSidecar } from '../fixtures/probe-sidecar.js';
import { call, createAccount, login, node, nvr, school, startTestApi, type TestApi } from './fixture.js';

const PROBE_TOKEN = randomBytes(24).toString('hex');
const TICKET_KEY = randomBytes(32);
const WRONG_PASSWORD = 'not-the-Password-4471';
const RECORDER_PORT = 8081;
const BURST = 20;

let host: TestHost;
let camera: RtspCamera;
let nvrHost: FakeNvr;
let recorder: Service;
let sidecar: Service;
let sidecarUrl: string;
let api: TestApi;
let loopbackListener: Server;
let loopbackPort: number;
const loopbackConnections: string[] = [];
const tokens: Record<'root' | 'headA' | 'headC' | 'viewerA', string> = { root: '', headA: '', headC: '', viewerA: '' };

/** Connections the listener inside the test host has seen. */
const recorded = async () => (await recorder.logs()).split('\n').filter((l) => l.startsWith('connection'));

beforeAll(async () => {
  nvrHost = await startFakeNvr();
  ({ host, camera } = nvrHost);
  // A listener on the test host that prints every connection: the proof that a refused ticket opened none.
  recorder = await host.spawn('recorder', process.execPath, [
    '-e',
    `require('node:net').createServer((s) => { console.log('connection ' + s.remoteAddress); s.destroy(); }).listen(${RECORDER_PORT}, '0.0.0.0', () => console.log('listening'));`,
  ]);
  await eventually(async () => expect(await recorder.logs()).toContain('listening'));
  loopbackListener = createServer((s) => {
    loopbackConnections.push(String(s.remoteAddress));
    s.destroy();
  });
  loopbackPort = await freePort();
  await new Promise<void>((resolve) => loopbackListener.listen(loopbackPort, '127.0.0.1', resolve));

  const gateA = nvr('gate-a', 'school-a', host.ip, ['entrance']);
  gateA.spec.publicOnvifPort = 80;
  gateA.spec.publicHttpPort = RECORDER_PORT;
  const fleet: Fleet = {
    nodes: [node('node-a', 'r1', '198.51.100.1')],
    schools: [school('school-a', 'r1', 'node-a'), school('school-b', 'r1', 'node-a'), school('school-c', 'r1', 'node-a')],
    nvrs: [
      gateA,
      nvr('wrongpw-a', 'school-a', host.ip, ['entrance']),
      nvr('closed-a', 'school-a', host.ip, ['entrance'], 443),
      nvr('gate-b', 'school-b', host.ip, ['entrance']),
      nvr('gate-c', 'school-c', host.ip, ['entrance']),
    ],
  };

  // The sidecar's inputs as the operator renders them: the node's allowlist and a flat credentials folder.
  const allowlist = renderProbeAllowlist(
    'node-a',
    fleet.nvrs.map((n) => ({
      namespace: 'posbon-fleet',
      name: n.metadata.name,
      publicHost: n.spec.publicHost!,
      publicRtspPort: n.spec.publicRtspPort,
      ...(n.spec.publicOnvifPort !== undefined ? { publicOnvifPort: n.spec.publicOnvifPort } : {}),
      ...(n.spec.publicHttpPort !== undefined ? { publicHttpPort: n.spec.publicHttpPort } : {}),
      credentialsSecret: n.spec.credentialsSecretRef.name,
    })),
    fleet.nodes.flatMap((n) => n.spec.egressIPs),
  );
  const credentials: Record<string, string> = {};
  for (const n of fleet.nvrs) {
    credentials[`posbon-fleet.${n.metadata.name}-credentials.username`] = camera.username;
    credentials[`posbon-fleet.${n.metadata.name}-credentials.password`] = n.metadata.name === 'wrongpw-a' ? WRONG_PASSWORD : camera.password;
  }
  // MediaMTX pauses about 2 s before answering a wrong password: a 10 s timeout leaves room for a loaded machine.
  // The loopback listener's port is added to the camera ports, so what refuses the loopback probes is the address.
  const probe = await startProbeSidecar({
    node: 'node-a',
    allowlist,
    credentials,
    token: PROBE_TOKEN,
    ticketKey: TICKET_KEY,
    timeoutMs: 10_000,
    burst: 100,
    ports: [...DEFAULT_PROBE_PORTS, loopbackPort],
  });
  sidecar = probe.service;
  sidecarUrl = probe.url;

  api = await startTestApi({
    fleet,
    probe: { urlFor: (n) => (n === 'node-a' ? sidecarUrl : 'http://127.0.0.1:1'), token: async () => PROBE_TOKEN, ticketKey: TICKET_KEY },
    connectionTestRate: { perMinute: 1, burst: BURST },
  });
  tokens.root = (await login(api, await createAccount(api, 'root', 'SUPER_ADMIN'))).accessToken;
  tokens.headA = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
  tokens.headC = (await login(api, await createAccount(api, 'head-c', 'SCHOOL_ADMIN', ['school-c']))).accessToken;
  tokens.viewerA = (await login(api, await createAccount(api, 'guard-a', 'VIEWER', ['school-a']))).accessToken;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await sidecar?.stop();
  await recorder?.stop();
  await nvrHost?.stop();
  loopbackListener?.close();
});

const test = (path: string, token: string, body: unknown) => call(api, 'POST', path, { token, body });
const base = { node: 'node-a', at: expect.any(String) };

describe('POST /nvrs/:id/test-connection: a merged NVR probed from its own node', () => {
  it('answers Ok for RTSP with the stream the NVR describes', async () => {
    const res = await test('/nvrs/gate-a/test-connection', tokens.headA, { kind: 'rtsp', path: 'Streaming/Channels/101' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      kind: 'rtsp',
      ...base,
      nvr: 'posbon-fleet/gate-a',
      reason: 'Ok',
      message: 'reachable',
      address: host.ip,
      latencyMs: expect.any(Number),
      port: 554,
      path: 'Streaming/Channels/101',
      status: 200,
      server: 'gortsplib',
      streams: [{ codec: 'H264', payloadType: expect.any(Number), width: expect.any(Number), height: expect.any(Number) }],
    });
  });

  it('answers Ok for ONVIF with the device\'s camera', async () => {
    const res = await test('/nvrs/gate-a/test-connection', tokens.headA, { kind: 'onvif' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'onvif', nvr: 'posbon-fleet/gate-a', reason: 'Ok', port: 80, cameras: [{ id: 'VideoSource_1', name: 'Main gate' }] });
  });

  it('answers AuthFailed when the NVR\'s Secret holds a wrong password', async () => {
    const res = await test('/nvrs/wrongpw-a/test-connection', tokens.headA, { kind: 'rtsp', path: 'Streaming/Channels/101' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'rtsp', nvr: 'posbon-fleet/wrongpw-a', reason: 'AuthFailed', message: 'the device rejected the username or password', status: 401 });
  });

  it('answers Refused for a closed port', async () => {
    const res = await test('/nvrs/closed-a/test-connection', tokens.root, { kind: 'tcp' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kind: 'tcp', ...base, nvr: 'posbon-fleet/closed-a', reason: 'Refused', message: 'connection refused', address: host.ip, port: 443 });
  });

  it('answers 400 naming the field for a bad body', async () => {
    const res = await test('/nvrs/gate-a/test-connection', tokens.headA, { kind: 'ping' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^kind: /);
  });
});

describe('POST /schools/:id/test-connection: a proposed NVR under a ticket', () => {
  const proposal = (extra: Record<string, unknown> = {}) => ({
    kind: 'rtsp',
    host: host.ip,
    rtspPort: 554,
    onvifPort: 80,
    path: 'Streaming/Channels/101',
    credentials: { username: camera.username, password: camera.password },
    ...extra,
  });

  it('answers Ok from the node serving the school, with the credentials from the request', async () => {
    const res = await test('/schools/school-a/test-connection', tokens.headA, proposal());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'rtsp', node: 'node-a', reason: 'Ok', address: host.ip, port: 554, status: 200, streams: [{ codec: 'H264' }] });
    expect(res.body.nvr).toMatch(/^posbon-fleet\/proposed-[0-9a-f]{12}$/);
  });

  it('answers AuthFailed for a wrong password typed by the caller, and Ok for ONVIF with the right one', async () => {
    const wrong = await test('/schools/school-a/test-connection', tokens.headA, proposal({ credentials: { username: camera.username, password: WRONG_PASSWORD } }));
    expect(wrong.body).toMatchObject({ reason: 'AuthFailed', status: 401 });
    const onvifRes = await test('/schools/school-a/test-connection', tokens.headA, proposal({ kind: 'onvif' }));
    expect(onvifRes.body).toMatchObject({ kind: 'onvif', reason: 'Ok', port: 80, cameras: [{ id: 'VideoSource_1' }] });
  });

  it('refuses a literal private address with a 400 naming the host, before any ticket', async () => {
    const res = await test('/schools/school-a/test-connection', tokens.headA, proposal({ host: '10.1.2.3' }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('host: 10.1.2.3 is a private address; only a public address can be probed');
  });

  it("refuses a media node's own egress address with a 400 naming the host, before any ticket", async () => {
    const res = await test('/schools/school-a/test-connection', tokens.headA, proposal({ host: '198.51.100.1', credentials: { username: 'admin', password: 'guess-1234' } }));
    expect([res.status, res.body.error]).toEqual([400, 'host: 198.51.100.1 is the egress address of media node node-a; media nodes are never probed']);
  });

  it('a port no camera uses (the kubelet\'s) is refused by the node without connecting', async () => {
    const res = await test('/schools/school-a/test-connection', tokens.headA, { kind: 'tcp', host: host.ip, rtspPort: 10250 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'tcp', reason: 'NotAllowlisted', port: 10250, message: expect.stringMatching(/^port 10250 is not a camera port this probe may reach/) });
    expect(res.body.address).toBeUndefined();
  });

  it('a name resolving to loopback is refused by the node after resolution, and nothing was connected', async () => {
    const res = await test('/schools/school-a/test-connection', tokens.headA, { kind: 'tcp', host: 'localhost', rtspPort: loopbackPort });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'tcp', reason: 'NotAllowlisted', port: loopbackPort });
    expect(res.body.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), which is a loopback address$/);
    expect(loopbackConnections).toEqual([]);
  });

  it('refuses another school\'s caller (403 for a school, 404 for an NVR) and a VIEWER', async () => {
    expect((await test('/schools/school-b/test-connection', tokens.headA, proposal())).status).toBe(403);
    expect((await test('/nvrs/gate-b/test-connection', tokens.headA, { kind: 'tcp' })).status).toBe(404);
    expect((await test('/schools/school-a/test-connection', tokens.viewerA, proposal())).status).toBe(403);
    expect((await test('/nvrs/gate-a/test-connection', tokens.viewerA, { kind: 'tcp' })).status).toBe(403);
  });
});

describe('the sidecar and tickets', () => {
  const client = () => ProbeClient.create({ baseUrl: sidecarUrl, token: PROBE_TOKEN, caller: 'test' });
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const ticket = (claims: Partial<Parameters<typeof signProbeTicket>[1]> = {}, key = TICKET_KEY) =>
    signProbeTicket(key, { nvr: 'posbon-fleet/proposed-recorder', host: host.ip, ports: [RECORDER_PORT], node: 'node-a', exp: nowSeconds() + 60, ...claims });

  it('refuses expired, forged, other-node and other-NVR tickets, and a ticket for a private address, without connecting', async () => {
    const refused = [
      [ticket({ exp: nowSeconds() - 1 }), 'posbon-fleet/proposed-recorder', 'ticket: expired'],
      [ticket({}, randomBytes(32)), 'posbon-fleet/proposed-recorder', 'ticket: bad signature'],
      [ticket({ node: 'node-b' }), 'posbon-fleet/proposed-recorder', 'ticket: issued for node node-b, not node-a'],
      [ticket(), 'posbon-fleet/proposed-other', 'ticket: issued for posbon-fleet/proposed-recorder, not posbon-fleet/proposed-other'],
    ] as const;
    for (const [t, nvrKey, message] of refused) {
      expect(await client().tcp(nvrKey, RECORDER_PORT, { ticket: t })).toMatchObject({ reason: 'NotAllowlisted', message });
    }
    const loopback = await client().tcp('posbon-fleet/proposed-loopback', loopbackPort, {
      ticket: ticket({ nvr: 'posbon-fleet/proposed-loopback', host: '127.0.0.1', ports: [loopbackPort] }),
    });
    expect(loopback).toMatchObject({ reason: 'NotAllowlisted', message: '127.0.0.1 is a loopback address' });
    expect(await recorded()).toEqual([]);
    expect(loopbackConnections).toEqual([]);
    // The control: a good ticket for the same target does connect, so the listener would have seen the others.
    expect(await client().tcp('posbon-fleet/proposed-recorder', RECORDER_PORT, { ticket: ticket() })).toMatchObject({ reason: 'Ok' });
    await eventually(async () => expect(await recorded()).toHaveLength(1));
  });

  it('refuses credentials in a request for an allowlisted NVR: those come only from its Secret', async () => {
    const result = await client().rtsp('posbon-fleet/gate-a', { credentials: { username: 'x', password: 'guess-1234' } });
    expect(result).toMatchObject({ reason: 'NotAllowlisted', message: 'credentials: accepted only with a ticket; an allowlisted NVR uses its Secret' });
  });
});

describe('limits, audit and secrecy', () => {
  it('rate-limits connection tests per school with 429, and other schools are unaffected', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= BURST; i++) statuses.push((await test('/nvrs/gate-c/test-connection', tokens.headC, { kind: 'tcp' })).status);
    expect(statuses).toEqual([...Array<number>(BURST).fill(200), 429]);
    expect((await test('/nvrs/gate-a/test-connection', tokens.headA, { kind: 'tcp' })).status).toBe(200);
  });

  it('audits every test with its caller, school, target and result', async () => {
    const merged = await call(api, 'GET', '/audit?action=nvr.test-connection&schoolId=school-a', { token: tokens.root });
    const results = merged.body.items.map((e: { params: { nvrId: string; kind: string }; result: string }) => `${e.params.nvrId} ${e.params.kind} ${e.result}`);
    expect(results).toEqual(
      expect.arrayContaining(['gate-a rtsp Ok', 'gate-a onvif Ok', 'wrongpw-a rtsp AuthFailed', 'closed-a tcp Refused']),
    );
    const proposed = await call(api, 'GET', '/audit?action=nvr.test-proposed', { token: tokens.headA });
    expect(proposed.body.items.map((e: { result: string }) => e.result).sort()).toEqual(['AuthFailed', 'NotAllowlisted', 'NotAllowlisted', 'Ok', 'Ok']);
    expect(proposed.body.items.find((e: { result: string; params: { kind: string } }) => e.result === 'Ok' && e.params.kind === 'rtsp')).toMatchObject({
      actorType: 'user',
      schoolId: 'school-a',
      requestId: expect.any(String),
      params: { host: host.ip, kind: 'rtsp', port: 554, node: 'node-a', nvr: expect.stringMatching(/^posbon-fleet\/proposed-/), withLogin: true },
    });
    const limited = await call(api, 'GET', '/audit?action=nvr.test-connection&schoolId=school-c', { token: tokens.root });
    expect(limited.body.items.map((e: { result: string }) => e.result)).toContain('rate-limited');
  });

  it('no password appears in the API log, the audit table or the sidecar log', async () => {
    const audit = JSON.stringify(await api.dataSource.query('SELECT * FROM audit_entry'));
    for (const text of [api.logLines().join('\n'), audit, await sidecar.logs()]) {
      expect(text).not.toContain(camera.password);
      expect(text).not.toContain(WRONG_PASSWORD);
      expect(text).not.toContain(PROBE_TOKEN);
    }
    // The sidecar did log the probes, with the caller the API named.
    expect(await sidecar.logs()).toContain('"caller":"api:head-a"');
  });
});
