// End to end with the real control plane: the API reads the fleet through informers (ClusterFleetSource), the
// operator's FleetController renders the node's sealed config with authJWTJWKS = this API's JWKS, real MediaMTX loads
// it with MTX_CONFKEY, and a VIEWER of school A plays HLS from a camera behind a test host with the API's token.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ClusterFleetSource } from '../../api/admin/fleet-view/cluster-source.js';
import { GROUP, VERSION } from '../../crds/index.js';
import { installCrds } from '../../crds/install.js';
import { FleetController, defaultControllerConfig } from '../../operator/controller/fleet-controller.js';
import { createOperatorMetrics } from '../../operator/controller/metrics.js';
import { DEFAULT_RENDER_OPTIONS } from '../../operator/core/mediamtx.js';
import { openMediaMtxConfig } from '../../operator/core/seal.js';
import { configMapName, confKeySecretName } from '../../operator/workload.js';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  createTestHost,
  eventually,
  freePort,
  mediaMtxApiSocket,
  readHlsSegment,
  startMediaMtx,
  startRtspCamera,
  testKubeConfig,
  testNamespace,
  type MediaMtx,
  type RtspCamera,
  type TestHost,
  testAddressOctet,
} from '../harness/index.js';
import { call, createAccount, login, startTestApi, type TestApi } from './fixture.js';
import { quietLogger } from '../../lib/log/logger.js';
import { createMediaNode } from '../fixtures/operator.js';

const quiet = quietLogger();
const region = `e${randomBytes(3).toString('hex')}`;
const nodeName = `${region}-a`;
const A_CAMERA = 'school-a.gate-a.entrance';
const B_CAMERA = 'school-b.gate-b.entrance';

let kc: KubeConfig;
let core: CoreV1Api;
let objects: CustomObjectsApi;
let fleetNs: string;
let mediaNs: string;
let host: TestHost;
let camera: RtspCamera;
let source: ClusterFleetSource;
let api: TestApi;
let controller: FleetController;
let mediamtx: MediaMtx;
let ports: Awaited<ReturnType<typeof allocateMediaMtxPorts>>;
let confKey: string;
/** The sealed config MediaMTX was started with. */
let sealed: string;
const tokens = { root: '', viewerA: '' };

/** The MediaMTX path of an HLS URL the API returned; the test reads it from the node's loopback HLS server. */
const pathOf = (hlsUrl: string) => new URL(hlsUrl).pathname.replace(/^\//, '').replace(/\/index\.m3u8$/, '');

const create = (plural: string, body: object) => objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural, body });
const nvr = (name: string, schoolRef: string) =>
  create('nvrs', {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Nvr',
    metadata: { name },
    spec: {
      schoolRef,
      vendor: 'hikvision',
      publicHost: host.ip,
      credentialsSecretRef: { name: 'nvr-credentials' },
      cameras: [{ id: 'entrance', name: 'Entrance', channel: 1 }],
    },
  });

beforeAll(async () => {
  kc = testKubeConfig();
  await installCrds(kc);
  core = kc.makeApiClient(CoreV1Api);
  objects = kc.makeApiClient(CustomObjectsApi);
  fleetNs = await testNamespace(kc, 'fleet');
  mediaNs = await testNamespace(kc, 'media');
  host = await createTestHost('nvr', `198.51.100.${testAddressOctet()}`);
  camera = await startRtspCamera({ on: host, port: 554, path: 'Streaming/Channels/101' });
  ports = await allocateMediaMtxPorts();

  // The API in cluster mode: informers over the harness's kube-apiserver, no fleet in memory.
  source = ClusterFleetSource.create({ kc, namespace: fleetNs, log: quiet });
  await source.start();
  api = await startTestApi({ source });
  tokens.root = (await login(api, await createAccount(api, 'root', 'SUPER_ADMIN'))).accessToken;
  tokens.viewerA = (await login(api, await createAccount(api, 'guard-a', 'VIEWER', ['school-a']))).accessToken;

  // The operator in-process, rendering the node's config with the API's JWKS for viewer tokens.
  controller = FleetController.create({
    kc,
    config: defaultControllerConfig({
      fleetNamespace: fleetNs,
      mediaNamespace: mediaNs,
      applyWorkloads: false,
      render: {
        ...DEFAULT_RENDER_OPTIONS,
        jwksUrl: `${api.url}/.well-known/jwks.json`,
        apiAddress: await mediaMtxApiSocket(),
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

  const base = `https://${nodeName}.media.example`;
  await createMediaNode({ objects }, nodeName, region, '198.51.100.1', { webrtcBaseUrl: base, hlsBaseUrl: base });
  await core.createNamespacedSecret({
    namespace: fleetNs,
    body: { metadata: { name: 'nvr-credentials' }, stringData: { username: camera.username, password: camera.password } },
  });
  for (const id of ['school-a', 'school-b']) {
    await create('schools', { apiVersion: `${GROUP}/${VERSION}`, kind: 'School', metadata: { name: id }, spec: { displayName: id, region, timezone: 'Asia/Tashkent' } });
  }
  await nvr('gate-a', 'school-a');
  await nvr('gate-b', 'school-b');

  const key = await eventually(() => core.readNamespacedSecret({ name: confKeySecretName(nodeName), namespace: mediaNs }), 30_000, 200);
  confKey = Buffer.from(key.data!.key!, 'base64').toString('utf8');
  // The first render may predate the NVRs; mount the one that publishes both.
  sealed = await eventually(async () => {
    const cm = await core.readNamespacedConfigMap({ name: configMapName(nodeName), namespace: mediaNs });
    const text = cm.data!['mediamtx.yml']!;
    const open = openMediaMtxConfig(text, confKey);
    if (!open.includes('school-a/gate-a/entrance:') || !open.includes('school-b/gate-b/entrance:')) throw new Error('NVRs not rendered yet');
    return text;
  }, 60_000, 200);
  const dir = await ConfigMapDir.create({ 'mediamtx.yml': sealed });
  mediamtx = await startMediaMtx(dir, ports.hls, 'mediamtx.yml', undefined, { MTX_CONFKEY: confKey });
}, 180_000);

afterAll(async () => {
  await controller?.stop();
  await mediamtx?.stop();
  await api?.close();
  await source?.stop();
  await camera?.stop();
  await host?.destroy();
});

describe('the API in cluster mode with the operator and real MediaMTX', () => {
  it('serves the fleet from informers: the schools, their node from the operator\'s status, and the cameras', async () => {
    const school = await eventually(async () => {
      const res = await call(api, 'GET', '/schools/school-a', { token: tokens.root });
      expect(res.body).toMatchObject({ id: 'school-a', mediaNode: nodeName, cameraCount: 1 });
      expect(res.body.conditions.map((c: { type: string }) => c.type)).toContain('Ready');
      return res.body;
    }, 30_000, 200);
    expect(school.allowlistIPs).toEqual(['198.51.100.1']);
    const cameras = await call(api, 'GET', '/schools/school-a/cameras', { token: tokens.viewerA });
    expect(cameras.body.items.map((c: { id: string }) => c.id)).toEqual([A_CAMERA]);
  });

  it('the sealed config MediaMTX loaded points authJWTJWKS at this API', () => {
    expect(parse(openMediaMtxConfig(sealed, confKey))).toMatchObject({ authMethod: 'jwt', authJWTJWKS: `${api.url}/.well-known/jwks.json` });
  });

  it('lets a VIEWER of school A read HLS of an A camera from the node with the API\'s token', async () => {
    const grant = await call(api, 'GET', `/cameras/${A_CAMERA}/stream`, { token: tokens.viewerA });
    expect(grant.status).toBe(200);
    expect(grant.body).toMatchObject({ cameraId: A_CAMERA, mediaNode: nodeName, hlsUrl: `https://${nodeName}.media.example/school-a/gate-a/entrance/index.m3u8` });
    const path = pathOf(grant.body.hlsUrl);
    expect(await readHlsSegment(ports.hls, path, undefined)).toBe(401);
    await eventually(async () => expect(await readHlsSegment(ports.hls, path, grant.body.token)).toBe(200), 30_000, 300);
  });

  it('refuses the same token for a camera of school B, and the API refuses the viewer a B token', async () => {
    const grant = await call(api, 'GET', `/cameras/${A_CAMERA}/stream`, { token: tokens.viewerA });
    expect(await readHlsSegment(ports.hls, 'school-b/gate-b/entrance', grant.body.token)).toBe(401);
    expect((await call(api, 'GET', `/cameras/${B_CAMERA}/stream`, { token: tokens.viewerA })).status).toBe(403);
    // The path itself plays for a token that grants it: the refusal is about the token.
    const bGrant = await call(api, 'GET', `/cameras/${B_CAMERA}/stream`, { token: tokens.root });
    await eventually(async () => expect(await readHlsSegment(ports.hls, pathOf(bGrant.body.hlsUrl), bGrant.body.token)).toBe(200), 30_000, 300);
  });

  it('refuses the token once it has expired', async () => {
    // Issued by the route six minutes in the past, so it expired a minute ago (viewer tokens live five).
    api.clock.offsetMs = -6 * 60_000;
    const grant = await call(api, 'GET', `/cameras/${A_CAMERA}/stream`, { token: tokens.viewerA });
    api.clock.offsetMs = 0;
    expect(grant.status).toBe(200);
    expect(new Date(grant.body.expiresAt).getTime()).toBeLessThan(Date.now());
    expect(await readHlsSegment(ports.hls, pathOf(grant.body.hlsUrl), grant.body.token)).toBe(401);
  });

  it('follows a change in the cluster without a restart', async () => {
    await objects.patchNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: fleetNs,
      plural: 'schools',
      name: 'school-a',
      body: [{ op: 'replace', path: '/spec/displayName', value: 'School A, renamed' }],
    });
    await eventually(async () => {
      expect((await call(api, 'GET', '/schools/school-a', { token: tokens.viewerA })).body.displayName).toBe('School A, renamed');
    }, 30_000, 200);
  });
});

