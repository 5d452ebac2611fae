// Viewer tokens in real MediaMTX: checked for issuer and audience, verified only with keys fetched over the API's
// pinned TLS listener, and a WebRTC session ended by the node's session expiry once its token has run out.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { stringify } from 'yaml';
import { listenJwks, certificateFingerprint, type JwksServer } from '../../api/admin/streams/jwks-server.js';
import { generateViewerKeyJwk } from '../../api/admin/streams/viewer-keys.js';
import { DEFAULT_RENDER_OPTIONS, renderMediaMtxConfig, type RenderOptions } from '../../operator/core/mediamtx.js';
import type { Fleet } from '../../operator/core/fleet.js';
import { planFleet } from '../../operator/core/plan.js';
import { VIEWER_TOKEN_ISSUER, viewerTokenAudience } from '../../operator/core/viewer-token.js';
import { createLogger } from '../../lib/log/logger.js';
import { SessionExpiry, type MediaSession } from '../../operator/sessions/session-expiry.js';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  callMediaMtxApi,
  createTestHost,
  eventually,
  freePort,
  harnessDir,
  mediaMtxApiSocket,
  readHlsSegment,
  sleep,
  startMediaMtx,
  startRtspCamera,
  startWhepReader,
  type MediaMtx,
  type MediaMtxPorts,
  type RtspCamera,
  type TestHost,
  testAddressOctet,
} from '../harness/index.js';
import { node, nvr, school, startTestApi, type TestApi } from './fixture.js';

const run = promisify(execFile);
const PATH = 'school-a/gate-a/entrance';

interface Node {
  mediamtx: MediaMtx;
  ports: MediaMtxPorts;
  apiAddress: string;
}

let api: TestApi;
let jwks: JwksServer;
let host: TestHost;
let camera: RtspCamera;
let fleet: Fleet;
/** A key the API publishes (staged, as before a rotation), whose private half the test holds to sign odd claims. */
let published: JWK;
const started: MediaMtx[] = [];

/** A self-signed certificate for 127.0.0.1, as a cluster's issuer would give the API's JWKS listener. */
async function certificate(name: string): Promise<{ cert: Buffer; key: Buffer }> {
  const dir = await harnessDir(`tls-${name}`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'),
  ]);
  return { cert: await readFile(join(dir, 'tls.crt')), key: await readFile(join(dir, 'tls.key')) };
}

/** Media node A as the operator renders it, on this machine's free ports, with the given JWKS settings. */
async function startNodeA(jwksOptions: Pick<RenderOptions, 'jwksUrl' | 'jwksFingerprint'>): Promise<Node> {
  const ports = await allocateMediaMtxPorts();
  const apiAddress = await mediaMtxApiSocket();
  const shard = planFleet(fleet).shards.get('node-a')!;
  const rendered = renderMediaMtxConfig(shard.node, shard.members, () => ({ username: camera.username, password: camera.password }), {
    ...DEFAULT_RENDER_OPTIONS,
    ...jwksOptions,
    apiAddress,
    hlsAddress: `127.0.0.1:${ports.hls}`,
    webrtcAddress: `127.0.0.1:${ports.webrtc}`,
    // Every interface: the WHEP reader below offers its interface addresses as ICE candidates.
    webrtcLocalUDPAddress: `:${await freePort()}`,
    metricsAddress: `127.0.0.1:${ports.metrics}`,
  });
  const mediamtx = await startMediaMtx(await ConfigMapDir.create({ 'mediamtx.yml': stringify(rendered.config) }), ports.hls);
  started.push(mediamtx);
  return { mediamtx, ports, apiAddress };
}

/** Someone who answers the JWKS fetch in the API's place: their own certificate, their own key. */
async function startImpostor(): Promise<{ httpsUrl: string; httpUrl: string; fingerprint: string; sign(): Promise<string>; stop(): void }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'impostor', alg: 'ES256', use: 'sig' }] });
  const { cert, key } = await certificate('impostor');
  const answer = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  const tls = createServer({ cert, key }, answer).listen(0, '127.0.0.1');
  const plain = (await import('node:http')).createServer(answer).listen(0, '127.0.0.1');
  await Promise.all([tls, plain].map((s) => new Promise((resolve) => s.once('listening', resolve))));
  const portOf = (s: { address(): unknown }) => (s.address() as { port: number }).port;
  return {
    httpsUrl: `https://127.0.0.1:${portOf(tls)}/.well-known/jwks.json`,
    httpUrl: `http://127.0.0.1:${portOf(plain)}/.well-known/jwks.json`,
    fingerprint: certificateFingerprint(cert),
    sign: () =>
      new SignJWT({ mediamtx_permissions: [{ action: 'read', path: PATH }] })
        .setProtectedHeader({ alg: 'ES256', kid: 'impostor' })
        .setIssuer(VIEWER_TOKEN_ISSUER)
        .setAudience(viewerTokenAudience('node-a'))
        .setSubject('impostor')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    stop: () => {
      tls.close();
      plain.close();
    },
  };
}

/** 200 once a segment of the camera played with `token`, or the status MediaMTX refused it with. */
const play = (node: Node, token: string) => eventually(() => readHlsSegment(node.ports.hls, PATH, token), 30_000, 300);

/** A token of the API's current key for media node `node`, expiring `secondsLeft` from now. */
async function tokenFor(nodeName: string, secondsLeft = 300): Promise<{ token: string; expiresAt: Date }> {
  api.clock.offsetMs = -(300 - secondsLeft) * 1000;
  try {
    return await api.services.viewerKeys.sign('account-1', [PATH], nodeName);
  } finally {
    api.clock.offsetMs = 0;
  }
}

beforeAll(async () => {
  host = await createTestHost('nvr', `198.51.100.${testAddressOctet()}`);
  camera = await startRtspCamera({ on: host, port: 554, path: 'Streaming/Channels/101' });
  const region = `r${randomBytes(2).toString('hex')}`;
  fleet = { nodes: [node('node-a', region, '198.51.100.1')], schools: [school('school-a', region)], nvrs: [nvr('gate-a', 'school-a', host.ip, ['entrance'])] };
  api = await startTestApi({ fleet });
  published = await generateViewerKeyJwk();
  await api.services.viewerKeys.stage(published);
  jwks = await listenJwks({ viewerKeys: api.services.viewerKeys, ...(await certificate('posbon-api')), host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  for (const mediamtx of started) await mediamtx.stop();
  await jwks?.close();
  await camera?.stop();
  await host?.destroy();
  await api?.close();
});

describe('viewer tokens against the pinned JWKS', () => {
  let nodeA: Node;
  beforeAll(async () => {
    nodeA = await startNodeA({ jwksUrl: jwks.url, jwksFingerprint: jwks.fingerprint });
  });

  it('play on the node they name, with keys fetched over the API\'s TLS listener', async () => {
    expect(await play(nodeA, (await tokenFor('node-a')).token)).toBe(200);
  });

  it('are refused without the API as their issuer, even signed by a published key', async () => {
    const signed = async (issuer: string) =>
      new SignJWT({ mediamtx_permissions: [{ action: 'read', path: PATH }] })
        .setProtectedHeader({ alg: 'ES256', kid: published.kid! })
        .setIssuer(issuer)
        .setAudience(viewerTokenAudience('node-a'))
        .setSubject('account-1')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(await importJWK(published, 'ES256'));
    expect(await play(nodeA, await signed(VIEWER_TOKEN_ISSUER))).toBe(200);
    expect(await play(nodeA, await signed('someone-else'))).toBe(401);
  });

  it('are refused on a node they do not name', async () => {
    expect(await play(nodeA, (await tokenFor('node-b')).token)).toBe(401);
  });

  it('cannot be forged by whoever answers the JWKS fetch in the API\'s place', async () => {
    const impostor = await startImpostor();
    try {
      // Today's setting, plain HTTP and nothing pinned: the impostor's own key signs a token that plays.
      const unpinned = await startNodeA({ jwksUrl: impostor.httpUrl });
      expect(await play(unpinned, await impostor.sign())).toBe(200);
      // Pinned to the API's certificate, the node refuses the impostor's answer and so every token it signs.
      const pinned = await startNodeA({ jwksUrl: impostor.httpsUrl, jwksFingerprint: jwks.fingerprint });
      expect(await play(pinned, await impostor.sign())).toBe(401);
    } finally {
      impostor.stop();
    }
  });
});

/** An HLS viewer: the multivariant playlist with the token, then the media playlist by the session it opened. */
async function openHls(node: Node, token: string): Promise<() => Promise<number>> {
  const base = `http://127.0.0.1:${node.ports.hls}/${PATH}`;
  const variant = await eventually(async () => {
    const index = await fetch(`${base}/index.m3u8`, { headers: { authorization: `Bearer ${token}` } });
    if (index.status !== 200) throw new Error(`HLS index: ${index.status}`);
    const line = (await index.text()).split('\n').find((l) => /\.m3u8\?.*session=/.test(l));
    if (!line) throw new Error('no media playlist with a session yet');
    return line;
  }, 30_000, 300);
  // Without the token: from here on the session alone lets the viewer in.
  return async () => {
    const res = await fetch(`${base}/${variant}`);
    await res.arrayBuffer();
    return res.status;
  };
}

describe('sessions whose token expires', () => {
  it('are ended by the node\'s session expiry, WebRTC and HLS, which MediaMTX alone never does', async () => {
    const nodeA = await startNodeA({ jwksUrl: jwks.url, jwksFingerprint: jwks.fingerprint });
    const { token, expiresAt } = await tokenFor('node-a', 25);
    // A WHEP viewer: another MediaMTX that reads the camera from node A over WebRTC with the token.
    const reader = await startWhepReader(`whep://127.0.0.1:${nodeA.ports.webrtc}/${PATH}/whep`, token);
    started.push(reader);
    await eventually(async () => expect((await reader.state())?.ready).toBe(true), 30_000, 300);
    const hlsPlaylist = await openHls(nodeA, token);
    expect(await hlsPlaylist()).toBe(200);
    const sessions = async () => {
      const lists = await Promise.all(['webrtcsessions', 'hlssessions'].map((kind) => callMediaMtxApi(nodeA.apiAddress, 'GET', `/v3/${kind}/list`)));
      return lists.flatMap(({ body }) => (body as { items: { id: string; user: string; path: string }[] }).items.map((i) => ({ id: i.id, user: i.user, path: i.path })));
    };
    const before = await sessions();
    const user = `account-1@${expiresAt.getTime() / 1000}`;
    expect(before.map((s) => [s.user, s.path])).toEqual([
      [user, PATH],
      [user, PATH],
    ]);

    const expiry = SessionExpiry.create({ apiAddress: nodeA.apiAddress, log: createLogger({ component: 'session-expiry', level: 'error' }) });
    expect(await expiry.sweep()).toEqual([]);

    // Past the token's expiry, MediaMTX keeps both sessions and both viewers keep watching (HLS needs a request
    // within 30 s to stay open, so it asks once on the way).
    await sleep(Math.max(0, (expiresAt.getTime() - Date.now()) / 2));
    expect(await hlsPlaylist()).toBe(200);
    await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 2000);
    expect(await sessions()).toEqual(before);
    expect([(await reader.state())?.ready, await hlsPlaylist()]).toEqual([true, 200]);

    // One sweep ends both; the WHEP viewer's retries with the expired token are refused, so it stays ended.
    const ended: MediaSession[] = await expiry.sweep();
    expect(ended.map((s) => [s.kind, s.id, s.path])).toEqual([
      ['webrtc', before[0]!.id, PATH],
      ['hls', before[1]!.id, PATH],
    ]);
    expect(await hlsPlaylist()).toBe(401);
    await eventually(async () => expect((await reader.state())?.ready).toBe(false), 30_000, 300);
    expect((await sessions()).filter((s) => s.user === user)).toEqual([]);
  });
});
