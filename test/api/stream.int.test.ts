// End to end: a camera behind a "router" at a documentation address, a media node whose config the operator's pure
// core rendered with authJWTJWKS pointing at this API, and a VIEWER of school A reading HLS with the API's token.
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { DEFAULT_RENDER_OPTIONS, renderMediaMtxConfig } from '../../operator/core/mediamtx.js';
import { planFleet } from '../../operator/core/plan.js';
import type { Fleet } from '../../operator/core/fleet.js';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  createTestHost,
  eventually,
  freePort,
  mediaMtxApiSocket,
  startMediaMtx,
  startRtspCamera,
  type MediaMtx,
  type RtspCamera,
  type TestHost,
  testAddressOctet,
} from '../harness/index.js';
import { call, createAccount, login, node, nvr, school, startTestApi, type TestApi } from './fixture.js';

let api: TestApi;
let host: TestHost;
let camera: RtspCamera;
let mediamtx: MediaMtx;
let ports: Awaited<ReturnType<typeof allocateMediaMtxPorts>>;
let viewerToken: string;
let adminToken: string;

async function hlsStatus(url: string, token: string | undefined): Promise<number> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const index = await fetch(url, { headers });
  if (index.status !== 200) return index.status;
  const base = url.slice(0, url.lastIndexOf('/'));
  const variant = (await index.text()).split('\n').find((l) => /\.m3u8(\?|$)/.test(l));
  const media = await (await fetch(`${base}/${variant}`, { headers })).text();
  const segment = media.split('\n').find((l) => /\.(mp4|m4s|ts)(\?|$)/.test(l));
  if (!segment) throw new Error('no segment yet');
  const res = await fetch(`${base}/${segment}`, { headers });
  return (await res.arrayBuffer()).byteLength > 0 ? res.status : 0;
}

/** The node's public HLS base is this loopback server, so the URL the API returns is the one the test plays. */
const localHls = (url: string) => url.replace('https://node-a.media.example.org', `http://127.0.0.1:${ports.hls}`);

beforeAll(async () => {
  host = await createTestHost('nvr', `198.51.100.${testAddressOctet()}`);
  camera = await startRtspCamera({ on: host, port: 554, path: 'Streaming/Channels/101' });
  ports = await allocateMediaMtxPorts();
  const region = `r${randomBytes(2).toString('hex')}`;
  const fleet: Fleet = {
    nodes: [node('node-a', region, '198.51.100.1')],
    schools: [school('school-a', region), school('school-b', region)],
    nvrs: [nvr('gate-a', 'school-a', host.ip, ['entrance']), nvr('gate-b', 'school-b', host.ip, ['entrance'], 554)],
  };
  api = await startTestApi({ fleet });
  const plan = planFleet(fleet);
  const shard = plan.shards.get('node-a')!;
  const rendered = renderMediaMtxConfig(shard.node, shard.members, () => ({ username: camera.username, password: camera.password }), {
    ...DEFAULT_RENDER_OPTIONS,
    jwksUrl: `${api.url}/.well-known/jwks.json`,
        apiAddress: await mediaMtxApiSocket(),
    hlsAddress: `127.0.0.1:${ports.hls}`,
    webrtcAddress: `127.0.0.1:${ports.webrtc}`,
    webrtcLocalUDPAddress: `127.0.0.1:${await freePort()}`,
    metricsAddress: `127.0.0.1:${ports.metrics}`,
  });
  expect(rendered.config.authJWTJWKS).toBe(`${api.url}/.well-known/jwks.json`);
  const dir = await ConfigMapDir.create({ 'mediamtx.yml': stringify(rendered.config) });
  mediamtx = await startMediaMtx(dir, ports.hls);
  viewerToken = (await login(api, await createAccount(api, 'guard-a', 'VIEWER', ['school-a']))).accessToken;
  const root = await createAccount(api, 'root', 'SUPER_ADMIN');
  adminToken = (await login(api, root)).accessToken;
});

afterAll(async () => {
  await mediamtx?.stop();
  await camera?.stop();
  await host?.destroy();
  await api?.close();
});

describe('a viewer token from the API in real MediaMTX', () => {
  it('lets a VIEWER of school A read HLS of an A camera from the camera\'s own node', async () => {
    const grant = await call(api, 'GET', '/cameras/school-a.gate-a.entrance/stream', { token: viewerToken });
    expect(grant.status).toBe(200);
    expect(grant.body).toMatchObject({
      cameraId: 'school-a.gate-a.entrance',
      mediaNode: 'node-a',
      whepUrl: 'https://node-a.media.example.org/school-a/gate-a/entrance/whep',
      hlsUrl: 'https://node-a.media.example.org/school-a/gate-a/entrance/index.m3u8',
    });
    expect(await hlsStatus(localHls(grant.body.hlsUrl), undefined)).toBe(401);
    await eventually(async () => expect(await hlsStatus(localHls(grant.body.hlsUrl), grant.body.token)).toBe(200), 30_000, 300);
  });

  it('refuses the A token for a camera of school B, and the API refuses the viewer a B token', async () => {
    const grant = await call(api, 'GET', '/cameras/school-a.gate-a.entrance/stream', { token: viewerToken });
    const bUrl = `http://127.0.0.1:${ports.hls}/school-b/gate-b/entrance/index.m3u8`;
    expect(await hlsStatus(bUrl, grant.body.token)).toBe(401);
    expect((await call(api, 'GET', '/cameras/school-b.gate-b.entrance/stream', { token: viewerToken })).status).toBe(403);
    // A B token from an admin does play B on the same node: the refusal above is about the token, not the path.
    const bGrant = await call(api, 'GET', '/cameras/school-b.gate-b.entrance/stream', { token: adminToken });
    await eventually(async () => expect(await hlsStatus(bUrl, bGrant.body.token)).toBe(200), 30_000, 300);
  });

  it('refuses a token once it has expired', async () => {
    // Issued six minutes in the past, so it expired a minute ago (viewer tokens live five).
    api.clock.offsetMs = -6 * 60_000;
    const old = await api.services.viewerKeys.sign('test', ['school-a/gate-a/entrance'], 'node-a');
    api.clock.offsetMs = 0;
    expect(await hlsStatus(`http://127.0.0.1:${ports.hls}/school-a/gate-a/entrance/index.m3u8`, old.token)).toBe(401);
  });

  it('keeps a live token valid across a key rotation, with the old key still published', async () => {
    const before = await call(api, 'GET', '/cameras/school-a.gate-a.entrance/stream', { token: viewerToken });
    const oldKid = api.services.viewerKeys.currentKid();
    const stagedKid = await api.services.viewerKeys.stage();
    const kids = async () => (await call(api, 'GET', '/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    expect(await kids()).toEqual([oldKid, stagedKid]);
    expect(await api.services.viewerKeys.rotate()).toBe(stagedKid);
    expect(await kids()).toEqual([stagedKid, oldKid]);
    const url = `http://127.0.0.1:${ports.hls}/school-a/gate-a/entrance/index.m3u8`;
    expect(await hlsStatus(url, before.body.token)).toBe(200);
  });

  it('gives no token while its audit entry cannot be written, and loses none of the entries it took', async () => {
    let requests = 0;
    const grant = () => call(api, 'GET', '/cameras/school-a.gate-a.entrance/stream', { token: viewerToken, headers: { 'x-request-id': `outage-${requests++}` } });
    await api.dataSource.query('ALTER TABLE audit_entry RENAME TO audit_entry_away');
    try {
      // Taken before the failing write came back: answered, and its entry retried.
      expect((await grant()).status).toBe(200);
      await api.services.audit.settled();
      const refused = await grant();
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ error: 'the audit log cannot be written; try again shortly', requestId: 'outage-1' });
    } finally {
      await api.dataSource.query('ALTER TABLE audit_entry_away RENAME TO audit_entry');
    }
    await eventually(async () => expect((await grant()).status).toBe(200));
    const audited = await call(api, 'GET', '/audit?action=stream.token&limit=200', { token: adminToken });
    const ids = (audited.body.items as { requestId: string }[]).map((e) => e.requestId).filter((id) => id.startsWith('outage-'));
    expect(ids.sort()).toEqual(['outage-0', `outage-${requests - 1}`]);
  });
});
