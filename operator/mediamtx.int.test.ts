// The operator's ConfigMap, mounted the way a pod mounts it, in real MediaMTX with a real camera behind a router.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/index.js';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  createTestHost,
  eventually,
  startMediaMtx,
  readHlsSegment,
  startJwks,
  startRtspCamera,
  type Jwks,
  type MediaMtx,
  type RtspCamera,
  type TestHost,
  testAddressOctet,
} from '../test/harness/index.js';
import { createMediaNode, fleetCluster, loopbackRenderOptions, startController } from '../test/fixtures/operator.js';
import type { FleetController } from './controller/fleet-controller.js';
import { openMediaMtxConfig } from './core/seal.js';
import { configMapName, confKeySecretName } from './workload.js';

let core: CoreV1Api;
let objects: CustomObjectsApi;
let fleetNs: string;
let mediaNs: string;
let host: TestHost;
let camera: RtspCamera;
let controller: FleetController;
let node: MediaMtx;
let jwks: Jwks;
let sign: (path: string, expiresIn?: string) => Promise<string>;
let ports: Awaited<ReturnType<typeof allocateMediaMtxPorts>>;
let configDir: ConfigMapDir;
const region = `m${randomBytes(3).toString('hex')}`;
const nodeName = `${region}-a`;

async function sealedConfig(): Promise<{ sealed: string; hash: string }> {
  const cm = await core.readNamespacedConfigMap({ name: configMapName(nodeName), namespace: mediaNs });
  return { sealed: cm.data!['mediamtx.yml']!, hash: cm.metadata!.annotations!['posbon.io/config-hash']! };
}

/** The camera's view of who pulls it: the ids of its reader sessions. */
async function cameraReaders(): Promise<string[]> {
  const res = await fetch(`http://${host.ip}:${camera.apiPort}/v3/paths/get/${camera.path}`);
  const body = (await res.json()) as { readers: Array<{ id: string }> };
  return body.readers.map((r) => r.id);
}

beforeAll(async () => {
  const cluster = await fleetCluster();
  ({ core, objects, fleetNs, mediaNs } = cluster);

  // The NVR sits behind a "router" at a documentation address, reached through a veth pair.
  host = await createTestHost('nvr', `198.51.100.${testAddressOctet()}`);
  camera = await startRtspCamera({ on: host, port: 554, path: 'Streaming/Channels/101' });

  jwks = await startJwks(nodeName);
  sign = jwks.sign;

  ports = await allocateMediaMtxPorts();
  controller = await startController(cluster, { applyWorkloads: false, render: await loopbackRenderOptions(ports, jwks.url) });
  await createMediaNode(cluster, nodeName, region);
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
  const key = await eventually(() => core.readNamespacedSecret({ name: confKeySecretName(nodeName), namespace: mediaNs }), 30_000, 200);
  const confKey = Buffer.from(key.data!.key!, 'base64').toString('utf8');
  // The first render may predate the NVR; wait for the one that publishes it.
  const { sealed } = await eventually(async () => {
    const current = await sealedConfig();
    if (!openMediaMtxConfig(current.sealed, confKey).includes('school-a/gate/entrance:')) throw new Error('NVR not rendered yet');
    return current;
  }, 30_000, 200);
  configDir = await ConfigMapDir.create({ 'mediamtx.yml': sealed });
  node = await startMediaMtx(configDir, ports.hls, 'mediamtx.yml', undefined, {
    MTX_CONFKEY: confKey,
  });
});

afterAll(async () => {
  await controller?.stop();
  await node?.stop();
  await camera?.stop();
  await host?.destroy();
  await jwks?.stop();
});

describe('the sealed config in real MediaMTX', () => {
  it('serves the camera on demand to an HLS reader holding a token for its path, and refuses others', async () => {
    expect(await camera.readers()).toBe(0);
    expect(await readHlsSegment(ports.hls, 'school-a/gate/entrance', undefined)).toBe(401);
    expect(await readHlsSegment(ports.hls, 'school-a/gate/entrance', await sign('school-a/gate/other'))).toBe(401);
    expect(await readHlsSegment(ports.hls, 'school-a/gate/entrance', await sign('school-a/gate/entrance', '-1m'))).toBe(401);
    expect(await camera.readers()).toBe(0);

    const token = await sign('school-a/gate/entrance');
    await eventually(async () => expect(await readHlsSegment(ports.hls, 'school-a/gate/entrance', token)).toBe(200), 30_000, 300);
    expect(await camera.readers()).toBe(1);
  });

  it('adds a camera by hot reload without interrupting a reader of another path', async () => {
    const token = await sign('school-a/gate/entrance');
    await eventually(async () => expect(await readHlsSegment(ports.hls, 'school-a/gate/entrance', token)).toBe(200), 30_000, 300);
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
      expect(await readHlsSegment(ports.hls, 'school-a/gate/entrance', token)).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(await cameraReaders()).toEqual(readersBefore);
    expect(node.service.exited()).toBe(false);
  });
});
