// NVRs probed from their media node's sidecar: reachability with a reason, ONVIF cameras into status, config and playback.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/index.js';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  eventually,
  freePort,
  readHlsSegment,
  spawnService,
  startJwks,
  startMediaMtx,
  waitForPort,
  type Jwks,
  type MediaMtx,
  type RtspCamera,
  type Service,
  type TestHost,
} from '../test/harness/index.js';
import { startFakeNvr, type FakeNvr } from '../test/fixtures/fake-nvr.js';
import { createMediaNode, fleetCluster, loopbackRenderOptions, startController } from '../test/fixtures/operator.js';
import type { FleetController } from './controller/fleet-controller.js';
import { openMediaMtxConfig } from './core/seal.js';
import { PROBE_TOKEN_SECRET, configMapName, confKeySecretName, probeConfigMapName, probeCredentialsSecretName } from './workload.js';

const TOKEN = randomBytes(24).toString('hex');
const region = `p${randomBytes(3).toString('hex')}`;
const nodeName = `${region}-a`;

let core: CoreV1Api;
let objects: CustomObjectsApi;
let fleetNs: string;
let mediaNs: string;
let host: TestHost;
let camera: RtspCamera;
let nvrHost: FakeNvr;
let sidecar: Service;
let controller: FleetController;
let kubelet: NodeJS.Timeout;
let jwks: Jwks;
let ports: Awaited<ReturnType<typeof allocateMediaMtxPorts>>;

const nvrStatus = async (name: string): Promise<Record<string, any>> =>
  ((await objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural: 'nvrs', name })) as any).status ?? {};

/** Copies the sidecar's ConfigMap and Secret into folders, as the kubelet does for the pod's volumes. */
async function mountProbeInputs(allowlist: ConfigMapDir, credentials: ConfigMapDir): Promise<void> {
  const cm = await core.readNamespacedConfigMap({ name: probeConfigMapName(nodeName), namespace: mediaNs }).catch(() => undefined);
  const secret = await core.readNamespacedSecret({ name: probeCredentialsSecretName(nodeName), namespace: mediaNs }).catch(() => undefined);
  if (cm?.data) await allowlist.swap(cm.data);
  if (secret?.data) await credentials.swap(Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])));
}

beforeAll(async () => {
  const cluster = await fleetCluster();
  ({ core, objects, fleetNs, mediaNs } = cluster);
  await core.createNamespacedSecret({ namespace: mediaNs, body: { metadata: { name: PROBE_TOKEN_SECRET }, stringData: { token: TOKEN } } });

  nvrHost = await startFakeNvr({ rtspAuthMethods: ['digest'] });
  ({ host, camera } = nvrHost);

  // The sidecar, with its allowlist and credentials "mounted" from what the operator writes.
  const allowlist = await ConfigMapDir.create({ 'allowlist.json': JSON.stringify({ node: nodeName, targets: [] }) });
  const credentials = await ConfigMapDir.create({});
  kubelet = setInterval(() => void mountProbeInputs(allowlist, credentials).catch(() => undefined), 300);
  const probePort = await freePort();
  sidecar = await spawnService('probe', process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'probe/main.ts')], {
    env: {
      ...process.env,
      POSBON_PROBE_NODE: nodeName,
      POSBON_PROBE_ALLOWLIST: allowlist.path('allowlist.json'),
      POSBON_PROBE_TOKEN: TOKEN,
      POSBON_PROBE_CREDENTIALS_DIR: credentials.dir,
      POSBON_PROBE_LISTEN: `127.0.0.1:${probePort}`,
      POSBON_PROBE_TIMEOUT_MS: '4000',
      POSBON_PROBE_RATE_PER_MINUTE: '600',
      POSBON_PROBE_BURST: '50',
    },
  });
  await waitForPort(probePort, sidecar);

  jwks = await startJwks(nodeName);
  ports = await allocateMediaMtxPorts();
  controller = await startController(cluster, {
    applyWorkloads: false,
    probe: { intervalMs: 60_000, urlFor: () => `http://127.0.0.1:${probePort}` },
    render: await loopbackRenderOptions(ports, jwks.url),
  });
  await createMediaNode(cluster, nodeName, region);
  const create = (plural: string, body: object) => objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural, body });
  await create('schools', { apiVersion: `${GROUP}/${VERSION}`, kind: 'School', metadata: { name: 'school-p' }, spec: { displayName: 'P', region, timezone: 'UTC' } });
  const secret = (name: string, password: string) =>
    core.createNamespacedSecret({ namespace: fleetNs, body: { metadata: { name }, stringData: { username: camera.username, password } } });
  await secret('good', camera.password);
  await secret('bad', 'not-the-password');
  const nvr = (name: string, spec: Record<string, unknown>) =>
    create('nvrs', {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'Nvr',
      metadata: { name },
      spec: { schoolRef: 'school-p', publicHost: host.ip, ...spec },
    });
  await nvr('gate', { vendor: 'onvif', onvifSync: true, publicRtspPort: 554, publicOnvifPort: 80, credentialsSecretRef: { name: 'good' } });
  await nvr('wrongpw', { vendor: 'hikvision', publicRtspPort: 554, credentialsSecretRef: { name: 'bad' }, cameras: [{ id: 'c1', name: 'C1', channel: 1 }] });
  await nvr('closed', { vendor: 'hikvision', publicRtspPort: 443, credentialsSecretRef: { name: 'good' }, cameras: [{ id: 'c1', name: 'C1', channel: 1 }] });
});

afterAll(async () => {
  clearInterval(kubelet);
  await controller?.stop();
  await sidecar?.stop();
  await nvrHost?.stop();
  await jwks?.stop();
});

describe('NVRs probed from their media node', () => {
  it('fills an ONVIF NVR\'s status with its cameras, publishes them, and plays them on demand', async () => {
    const status = await eventually(async () => {
      const s = await nvrStatus('gate');
      expect(s.discoveredCameras).toHaveLength(1);
      return s;
    }, 60_000, 300);
    expect(status.reachability).toMatchObject({ reachable: true, reason: 'Ok', node: nodeName });
    expect(status.discoveredCameras[0]).toMatchObject({ mainPath: '/Streaming/Channels/101', codec: 'H264', width: 640, height: 360, name: 'Main gate' });
    expect(status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Reachable', status: 'True', reason: 'Ok' })]));
    const path = `school-p/gate/${status.discoveredCameras[0].id}`;

    const key = await core.readNamespacedSecret({ name: confKeySecretName(nodeName), namespace: mediaNs });
    const confKey = Buffer.from(key.data!.key!, 'base64').toString('utf8');
    const sealed = await eventually(async () => {
      const cm = await core.readNamespacedConfigMap({ name: configMapName(nodeName), namespace: mediaNs });
      const text = cm.data!['mediamtx.yml']!;
      expect(openMediaMtxConfig(text, confKey)).toContain(`${path}:`);
      return text;
    }, 30_000, 300);
    const dir = await ConfigMapDir.create({ 'mediamtx.yml': sealed });
    let node: MediaMtx | undefined;
    try {
      node = await startMediaMtx(dir, ports.hls, 'mediamtx.yml', undefined, { MTX_CONFKEY: confKey });
      expect(await camera.readers()).toBe(0);
      const token = await jwks.sign(path);
      await eventually(async () => expect(await readHlsSegment(ports.hls, path, token)).toBe(200), 30_000, 300);
      expect(await camera.readers()).toBe(1);
    } finally {
      await node?.stop();
    }
  });

  it.each([
    ['wrongpw', 'AuthFailed'],
    ['closed', 'Refused'],
  ])('reports %s as unreachable with reason %s', async (name, reason) => {
    await eventually(async () => {
      const s = await nvrStatus(name);
      expect(s.reachability).toMatchObject({ reachable: false, reason, node: nodeName });
      expect(s.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Reachable', status: 'False', reason })]));
      expect(s.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Ready' })]));
    }, 60_000, 300);
  });

  it('never writes the NVR credentials into the allowlist or any status', async () => {
    const cm = await core.readNamespacedConfigMap({ name: probeConfigMapName(nodeName), namespace: mediaNs });
    const statuses = JSON.stringify(await objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural: 'nvrs' }));
    for (const text of [JSON.stringify(cm), statuses, await sidecar.logs()]) {
      expect(text).not.toContain(camera.password);
    }
  });
});
