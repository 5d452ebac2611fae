// The operator's ConfigMap, mounted the way a pod mounts it, in real MediaMTX with a real camera behind a router.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { GROUP, VERSION } from '../crds/index.js';
import { installCrds } from '../crds/install.js';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  createTestHost,
  eventually,
  freePort,
  startMediaMtx,
  startRtspCamera,
  testKubeConfig,
  testNamespace,
  type MediaMtx,
  type RtspCamera,
  type TestHost,
} from '../test/harness/index.js';
import { FleetController, defaultControllerConfig } from './controller/fleet-controller.js';
import { createOperatorMetrics } from './controller/metrics.js';
import { DEFAULT_RENDER_OPTIONS } from './core/mediamtx.js';
import { configMapName, confKeySecretName } from './workload.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let kc: KubeConfig;
let core: CoreV1Api;
let objects: CustomObjectsApi;
let fleetNs: string;
let mediaNs: string;
let host: TestHost;
let camera: RtspCamera;
let controller: FleetController;
let node: MediaMtx;
let jwks: Server;
let sign: (path: string, expiresIn?: string) => Promise<string>;
let ports: Awaited<ReturnType<typeof allocateMediaMtxPorts>>;
let configDir: ConfigMapDir;
const region = `m${randomBytes(3).toString('hex')}`;
const nodeName = `${region}-a`;

async function sealedConfig(): Promise<{ sealed: string; hash: string }> {
  const cm = await core.readNamespacedConfigMap({ name: configMapName(nodeName), namespace: mediaNs });
  return { sealed: cm.data!['mediamtx.yml']!, hash: cm.metadata!.annotations!['posbon.io/config-hash']! };
}

async function hlsSegment(path: string, token: string | undefined): Promise<number> {
  const base = `http://127.0.0.1:${ports.hls}/${path}`;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const index = await fetch(`${base}/index.m3u8`, { headers });
  if (index.status !== 200) return index.status;
  const variant = (await index.text()).split('\n').find((l) => /\.m3u8(\?|$)/.test(l));
  const media = await (await fetch(`${base}/${variant}`, { headers })).text();
  const segment = media.split('\n').find((l) => /\.(mp4|m4s|ts)(\?|$)/.test(l));
  if (!segment) throw new Error('no segment yet');
  const res = await fetch(`${base}/${segment}`, { headers });
  return (await res.arrayBuffer()).byteLength > 0 ? res.status : 0;
}

/** The camera's view of who pulls it: the ids of its reader sessions. */
async function cameraReaders(): Promise<string[]> {
  const res = await fetch(`http://${host.ip}:${camera.apiPort}/v3/paths/get/${camera.path}`);
  const body = (await res.json()) as { readers: Array<{ id: string }> };
  return body.readers.map((r) => r.id);
}

beforeAll(async () => {
  kc = testKubeConfig();
  await installCrds(kc);
  core = kc.makeApiClient(CoreV1Api);
  objects = kc.makeApiClient(CustomObjectsApi);
  fleetNs = await testNamespace(kc, 'fleet');
  mediaNs = await testNamespace(kc, 'media');

  // The NVR sits behind a "router" at a documentation address, reached through a veth pair.
  host = await createTestHost('nvr', `198.51.100.${100 + Math.floor(Math.random() * 100)}`);
  camera = await startRtspCamera({ on: host, port: 554, path: 'Streaming/Channels/101' });

  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  const jwksPort = await freePort();
  await new Promise<void>((resolve) => jwks.listen(jwksPort, '127.0.0.1', resolve));
  sign = (path, expiresIn = '5m') =>
    new SignJWT({ mediamtx_permissions: [{ action: 'read', path }] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(privateKey);

  ports = await allocateMediaMtxPorts();
  controller = FleetController.create({
    kc,
    config: defaultControllerConfig({
      fleetNamespace: fleetNs,
      mediaNamespace: mediaNs,
      applyWorkloads: false,
      render: {
        ...DEFAULT_RENDER_OPTIONS,
        jwksUrl: `http://127.0.0.1:${jwksPort}/jwks.json`,
        hlsAddress: `127.0.0.1:${ports.hls}`,
        webrtcAddress: `127.0.0.1:${ports.webrtc}`,
        webrtcLocalUDPAddress: `127.0.0.1:${await freePort()}`,
        metricsAddress: `127.0.0.1:${ports.metrics}`,
      },
    }),
    log: quiet,
    metrics: createOperatorMetrics(),
  });
  await controller.start();
  controller.lead();

  await objects.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'medianodes',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'MediaNode',
      metadata: { name: nodeName },
      spec: { region, egressIPs: ['198.51.100.1'], webrtcBaseUrl: 'https://a.media.example', hlsBaseUrl: 'https://a.media.example' },
    },
  });
  await core.createNamespacedSecret({
    namespace: fleetNs,
    body: { metadata: { name: 'gate-credentials' }, stringData: { username: camera.username, password: camera.password } },
  });
  for (const plural of ['schools', 'nvrs']) {
    const body =
      plural === 'schools'
        ? { apiVersion: `${GROUP}/${VERSION}`, kind: 'School', metadata: { name: 'school-a' }, spec: { displayName: 'A', region, timezone: 'Asia/Tashkent' } }
        : {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'Nvr',
            metadata: { name: 'gate' },
            spec: {
              schoolRef: 'school-a',
              vendor: 'hikvision',
              publicHost: host.ip,
              credentialsSecretRef: { name: 'gate-credentials' },
              cameras: [{ id: 'entrance', name: 'Entrance', channel: 1 }],
            },
          };
    await objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural, body });
  }
  const { sealed } = await eventually(sealedConfig, 30_000, 200);
  const key = await core.readNamespacedSecret({ name: confKeySecretName(nodeName), namespace: mediaNs });
  configDir = await ConfigMapDir.create({ 'mediamtx.yml': sealed });
  node = await startMediaMtx(configDir, ports.hls, 'mediamtx.yml', undefined, {
    MTX_CONFKEY: Buffer.from(key.data!.key!, 'base64').toString('utf8'),
  });
});

afterAll(async () => {
  await controller?.stop();
  await node?.stop();
  await camera?.stop();
  await host?.destroy();
  jwks?.close();
});

describe('the sealed config in real MediaMTX', () => {
  it('serves the camera on demand to an HLS reader holding a token for its path, and refuses others', async () => {
    expect(await camera.readers()).toBe(0);
    expect(await hlsSegment('school-a/gate/entrance', undefined)).toBe(401);
    expect(await hlsSegment('school-a/gate/entrance', await sign('school-a/gate/other'))).toBe(401);
    expect(await hlsSegment('school-a/gate/entrance', await sign('school-a/gate/entrance', '-1m'))).toBe(401);
    expect(await camera.readers()).toBe(0);

    const token = await sign('school-a/gate/entrance');
    await eventually(async () => expect(await hlsSegment('school-a/gate/entrance', token)).toBe(200), 30_000, 300);
    expect(await camera.readers()).toBe(1);
  });

  it('adds a camera by hot reload without interrupting a reader of another path', async () => {
    const token = await sign('school-a/gate/entrance');
    await eventually(async () => expect(await hlsSegment('school-a/gate/entrance', token)).toBe(200), 30_000, 300);
    const readersBefore = await cameraReaders();
    expect(readersBefore).toHaveLength(1);
    const { hash: before } = await sealedConfig();

    await objects.patchNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: fleetNs,
      plural: 'nvrs',
      name: 'gate',
      body: [{ op: 'add', path: '/spec/cameras/-', value: { id: 'yard', name: 'Yard', channel: 2 } }],
    });
    const { sealed } = await eventually(async () => {
      const current = await sealedConfig();
      if (current.hash === before) throw new Error('config not updated yet');
      return current;
    }, 30_000, 200);
    await configDir.swap({ 'mediamtx.yml': sealed });
    await eventually(async () => expect(await node.service.logs()).toMatch(/reloading configuration/), 30_000, 200);

    // The reader keeps its session on the camera and keeps getting segments.
    for (let i = 0; i < 3; i++) {
      expect(await hlsSegment('school-a/gate/entrance', token)).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(await cameraReaders()).toEqual(readersBefore);
    expect(node.service.exited()).toBe(false);
  });
});
