// WHEP and HLS over TLS in real MediaMTX with the rendered config, and a certificate renewal that viewers never notice.
import { mediaNode, nvr } from '../test/fixtures/fleet.js';
import { loopbackRenderOptions } from '../test/fixtures/operator.js';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  callMediaMtxApi,
  createTestCa,
  eventually,
  httpsRequest,
  startFfmpegHlsReader,
  startJwks,
  startMediaMtx,
  startRtspCamera,
  startWhepReader,
  type HlsReader,
  type Jwks,
  type MediaMtx,
  type MediaMtxPorts,
  type RtspCamera,
  type ServerCertificate,
  type TestCa,
  type WhepReader,
} from '../test/harness/index.js';
import { publishedCameras } from './core/fleet.js';
import { MEDIAMTX_TLS_FILES } from './core/media-tls.js';
import { renderMediaMtxConfig } from './core/mediamtx.js';
import { sealMediaMtxConfig } from './core/seal.js';

const NODE = 'tls-a';
const HOSTS = [`${NODE}.media.example`, '127.0.0.1'];
const PATH = 'school-a/gate/entrance';
const CONF_KEY = 'k'.repeat(32);

let camera: RtspCamera;
let jwks: Jwks;
let ca: TestCa;
let first: ServerCertificate;
let renewed: ServerCertificate;
let secretDir: ConfigMapDir;
let ports: MediaMtxPorts;
let node: MediaMtx;
let apiAddress: string;
const started: Array<{ stop(): Promise<void> }> = [];

/** The Secret volume as the kubelet lays it out; MediaMTX reads the rendered /tls paths through MTX_ env overrides. */
const tlsEnv = (dir: ConfigMapDir) => ({
  MTX_HLSSERVERCERT: dir.path('tls.crt'),
  MTX_HLSSERVERKEY: dir.path('tls.key'),
  MTX_WEBRTCSERVERCERT: dir.path('tls.crt'),
  MTX_WEBRTCSERVERKEY: dir.path('tls.key'),
});

/** The HLS index with a token; over https a refused request is first redirected once to check for a cookie. */
async function hls(token: string): Promise<{ status: number; serial: string }> {
  const headers = { authorization: `Bearer ${token}` };
  let res = await httpsRequest(`https://127.0.0.1:${ports.hls}/${PATH}/index.m3u8`, ca.cert, { headers });
  if (res.status === 302) {
    const cookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
    res = await httpsRequest(`https://127.0.0.1:${ports.hls}${res.headers.location!}`, ca.cert, { headers: { ...headers, cookie } });
  }
  return { status: res.status, serial: res.serial };
}

/** Another MediaMTX reading the node over WHEP on TLS, trusting exactly one certificate. */
async function startTlsWhepReader(token: string, fingerprint: string): Promise<WhepReader> {
  const reader = await startWhepReader(`wheps://127.0.0.1:${ports.webrtc}/${PATH}/whep`, token, fingerprint);
  started.push(reader);
  return reader;
}

const webrtcSessions = async (): Promise<Array<{ id: string; bytesSent: number }>> =>
  ((await callMediaMtxApi(apiAddress, 'GET', '/v3/webrtcsessions/list')).body as { items: Array<{ id: string; bytesSent: number }> }).items;

/** The node's HLS muxers and when each was created: a muxer recreated would mean players were cut off. */
const hlsMuxers = async (): Promise<Array<{ path: string; created: string }>> =>
  ((await callMediaMtxApi(apiAddress, 'GET', '/v3/hlsmuxers/list')).body as { items: Array<{ path: string; created: string }> }).items.map((m) => ({
    path: m.path,
    created: m.created,
  }));

beforeAll(async () => {
  camera = await startRtspCamera();
  started.push(camera);
  jwks = await startJwks(NODE);
  started.push(jwks);
  ca = await createTestCa();
  first = await ca.issue('1001', HOSTS);
  renewed = await ca.issue('1002', HOSTS);

  ports = await allocateMediaMtxPorts();
  const gate = nvr('gate', 'school-a', 0, {
    publicHost: '127.0.0.1',
    publicRtspPort: camera.port,
    cameras: [{ id: 'entrance', name: 'Entrance', enabled: true, stream: 'main', channel: 1 }],
  });
  const options = await loopbackRenderOptions(ports, jwks.url);
  apiAddress = options.apiAddress;
  const rendered = renderMediaMtxConfig(
    mediaNode(NODE, { tls: { issuerRef: { name: 'media-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } } }),
    [{ nvr: gate, cameras: publishedCameras(gate) }],
    () => ({ username: camera.username, password: camera.password }),
    options,
  );
  expect(rendered.config).toMatchObject({
    hlsEncryption: true,
    hlsServerCert: MEDIAMTX_TLS_FILES.cert,
    hlsServerKey: MEDIAMTX_TLS_FILES.key,
    webrtcEncryption: true,
    webrtcServerCert: MEDIAMTX_TLS_FILES.cert,
    webrtcServerKey: MEDIAMTX_TLS_FILES.key,
  });
  secretDir = await ConfigMapDir.create({ 'tls.crt': first.cert, 'tls.key': first.key });
  // Sealed as the operator writes it.
  const sealed = sealMediaMtxConfig(rendered.yaml, CONF_KEY);
  node = await startMediaMtx(await ConfigMapDir.create({ 'mediamtx.yml': sealed }), ports.hls, 'mediamtx.yml', undefined, {
    MTX_CONFKEY: CONF_KEY,
    ...tlsEnv(secretDir),
    // What the workload sets from status.hostIP; 127.0.0.2 stands in for the machine's private address.
    MTX_METRICSADDRESS: `127.0.0.2:${ports.metrics}`,
  });
  started.push(node);
}, 120_000);

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
});

describe('a media node with its certificate', () => {
  it('serves HLS over https with the Secret\'s certificate, verified against the test CA, and no plain HTTP', async () => {
    const token = await jwks.sign(PATH);
    expect(await hls(await jwks.sign('school-a/gate/other'))).toEqual({ status: 401, serial: first.serial });
    await eventually(async () => expect(await hls(token)).toEqual({ status: 200, serial: first.serial }), 30_000, 300);
    const plain = await fetch(`http://127.0.0.1:${ports.hls}/${PATH}/index.m3u8`, { headers: { authorization: `Bearer ${token}` } }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
  });

  it('serves WHEP over https: a WebRTC reader trusting only that certificate plays the camera', async () => {
    const offer = await httpsRequest(`https://127.0.0.1:${ports.webrtc}/${PATH}/whep`, ca.cert, { method: 'OPTIONS' });
    expect(offer.serial).toBe(first.serial);
    const reader = await startTlsWhepReader(await jwks.sign(PATH), first.fingerprint);
    await eventually(async () => expect((await reader.state())?.ready).toBe(true), 30_000, 300);
    await reader.stop();
  });
});

describe("the node's metrics", () => {
  it('listen on the address the workload gives, not on the one in the sealed config', async () => {
    const scrape = (host: string) =>
      fetch(`http://${host}:${ports.metrics}/metrics`).then(
        async (r) => (r.status === 200 && (await r.text()).includes('paths{') ? 'metrics' : `HTTP ${r.status}`),
        () => 'refused',
      );
    expect(await scrape('127.0.0.2')).toBe('metrics');
    expect(await scrape('127.0.0.1')).toBe('refused');
  });
});

describe('a renewed certificate', () => {
  let hlsReader: HlsReader;

  afterAll(async () => {
    await hlsReader?.stop();
  });

  it('is served to new connections while an HLS player and a WHEP reader keep playing without a reconnect', async () => {
    const token = await jwks.sign(PATH, '10m');
    hlsReader = await startFfmpegHlsReader(`https://127.0.0.1:${ports.hls}/${PATH}/index.m3u8`, token, ca.cert);
    const whep = await startTlsWhepReader(token, first.fingerprint);
    await eventually(async () => expect(await hlsReader.frames()).toBeGreaterThan(30), 60_000, 300);
    await eventually(async () => expect((await whep.state())?.ready).toBe(true), 30_000, 300);
    const sessionsBefore = (await webrtcSessions()).map((s) => s.id);
    expect(sessionsBefore).toHaveLength(1);
    const hlsMuxersBefore = await hlsMuxers();

    // What the kubelet does when cert-manager rewrites the Secret: a new ..data folder swapped in by one rename.
    await secretDir.swap({ 'tls.crt': renewed.cert, 'tls.key': renewed.key });
    await eventually(async () => expect((await hls(token)).serial).toBe(renewed.serial), 30_000, 100);
    const whepServed = await httpsRequest(`https://127.0.0.1:${ports.webrtc}/${PATH}/whep`, ca.cert, { method: 'OPTIONS' });
    expect(whepServed.serial).toBe(renewed.serial);
    expect(await node.service.logs()).toMatch(/certificate reloaded/);

    // Both players keep receiving: the player decodes more frames, the WHEP session is the same and still sends.
    const framesAtRenewal = await hlsReader.frames();
    const bytesAtRenewal = (await webrtcSessions())[0]!.bytesSent;
    await eventually(async () => {
      expect(await hlsReader.frames()).toBeGreaterThan(framesAtRenewal + 30);
      expect((await webrtcSessions())[0]!.bytesSent).toBeGreaterThan(bytesAtRenewal);
    }, 30_000, 300);
    expect(hlsReader.service.exited()).toBe(false);
    expect((await webrtcSessions()).map((s) => s.id)).toEqual(sessionsBefore);
    expect((await whep.state())?.ready).toBe(true);
    expect(await hlsMuxers()).toEqual(hlsMuxersBefore);
    expect(node.service.exited()).toBe(false);
  });
});

