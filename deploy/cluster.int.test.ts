// The chart on a real node: the images built here from deploy/Dockerfile, loaded into containerd, installed by
// `helm install` as the README's Deploy section says; the operator converges the example fleet from its pod, and the
// media node's MediaMTX pod (host network) plays the example camera to a token the in-cluster API signed.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { exportJWK, generateKeyPair } from 'jose';
import { base32Decode, totpCode, totpStep } from '../api/admin/identity/totp.js';
import { GROUP, VERSION } from '../crds/index.js';
import { CHART_DIR } from './chart.js';
import { IMAGES, type ImageName } from './stage.js';
import { missingClusterTools, NODE_NAME, startCluster, type Cluster } from '../test/harness/cluster.js';
import { buildImages, missingImageTools, saveImage, scratchImage } from '../test/harness/images.js';
import { issueCert } from '../test/harness/control-plane.js';
import {
  createDatabase,
  createTestHost,
  eventually,
  harnessDir,
  readHlsSegment,
  startPostgres,
  startRtspCamera,
  type Postgres,
  type RtspCamera,
  type TestHost,
} from '../test/harness/index.js';
import { ensureTool, helm as helmTool, mediamtx } from '../test/tools/tools.js';

const run = promisify(execFile);
const missing = [...missingClusterTools(), ...missingImageTools()];
const describeCluster = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) console.warn(`cluster test skipped: ${missing.join(', ')} not installed (.ci/run installs them)`);

const log = (line: string) => console.log(`[cluster] ${line}`);
const RELEASE = 'posbon';
const NS = { system: 'posbon-system', fleet: 'posbon', media: 'posbon-media' };
const EXAMPLE = join(import.meta.dirname, '..', 'gitops', 'example', 'clusters', 'dev');
// The example camera this node serves: school-42's yard on the Dahua NVR at 203.0.113.20, placed on fsn1-b.
const MEDIA_NODE = 'fsn1-b';
const CAMERA = 'school-42.school-42-yard.yard';
const NVR = { address: '203.0.113.20', path: 'cam/realmonitor' };
const NVR_SECRETS = ['nvr-school-42-yard-0c4d7e99', 'nvr-school-17-entrance-5f2c9a1b'];

describeCluster('the chart on a kubelet node', () => {
  let cluster: Cluster;
  let postgres: Postgres;
  let host: TestHost;
  let camera: RtspCamera;
  let core: CoreV1Api;
  let helm: string;
  let apiUrl: string;
  let tag: string;
  let tls: string;

  beforeAll(async () => {
    const started = Date.now();
    helm = await ensureTool(helmTool, log);
    const images = await buildImages(log);
    const mediamtxImage = await scratchImage('posbon-mediamtx', { mediamtx: await ensureTool(mediamtx, log) }, ['/mediamtx']);
    cluster = await startCluster(log);
    log(`node Ready after ${Math.round((Date.now() - started) / 1000)} s`);
    for (const image of Object.keys(IMAGES) as ImageName[]) {
      const archive = join(cluster.dir, `${image}.tar`);
      await saveImage(images[image], archive);
      await cluster.importImage(archive);
    }
    await cluster.importImage(mediamtxImage.archive);
    core = cluster.kubeConfig().makeApiClient(CoreV1Api);

    // PostgreSQL on the host, reached by the pods at the bridge's address.
    postgres = await startPostgres({ extraListen: { address: cluster.gateway, clients: cluster.podCidr } });
    const databaseUrl = new URL(await createDatabase(postgres.url, 'cluster'));
    databaseUrl.hostname = cluster.gateway;

    host = await createTestHost('nvr', NVR.address);
    camera = await startRtspCamera({ on: host, port: 554, path: NVR.path });

    // The README's install, with a JWKS certificate from the test CA instead of cert-manager (api.jwks.existingSecret).
    await cluster.kubectl(['create', 'namespace', NS.system]);
    await cluster.kubectl(['label', 'namespace', NS.system, 'pod-security.kubernetes.io/enforce=restricted']);
    await cluster.kubectl(['create', 'namespace', NS.media]);
    await cluster.kubectl(['label', 'namespace', NS.media, 'pod-security.kubernetes.io/enforce=privileged']);
    await cluster.kubectl(['create', 'namespace', NS.fleet]);
    await cluster.kubectl(['-n', NS.system, 'create', 'secret', 'generic', 'posbon-database', `--from-literal=url=${databaseUrl.toString()}`]);
    tls = await harnessDir('jwks');
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(tls, 'ca.key')]);
    await run('openssl', ['req', '-x509', '-new', '-key', join(tls, 'ca.key'), '-out', join(tls, 'ca.crt'), '-days', '2', '-subj', '/CN=posbon-test-jwks-ca']);
    const service = `${RELEASE}-api.${NS.system}.svc`;
    await issueCert(tls, 'jwks', `/CN=${service}`, `subjectAltName=DNS:${service},DNS:${service}.cluster.local\nextendedKeyUsage=serverAuth\n`);
    await cluster.kubectl(['-n', NS.system, 'create', 'secret', 'tls', 'posbon-jwks-tls', `--cert=${join(tls, 'jwks.crt')}`, `--key=${join(tls, 'jwks.key')}`]);
    const fingerprint = createHash('sha256').update(new X509Certificate(await readFile(join(tls, 'jwks.crt'))).raw).digest('hex');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const keysFile = join(tls, 'viewer-signing-keys.json');
    await writeFile(keysFile, JSON.stringify([{ ...(await exportJWK(privateKey)), kid: 'cluster', alg: 'ES256' }]), { mode: 0o600 });
    tag = images.api.split(':').pop()!;
    log('helm install');
    await run(
      helm,
      ['install', RELEASE, CHART_DIR, '--kubeconfig', cluster.kubeconfigPath, '-n', NS.system,
        '--set', 'database.existingSecret=posbon-database', '--set', 'database.existingSecretKey=url',
        '--set-file', `secrets.viewerSigningKeys=${keysFile}`,
        '--set', 'api.jwks.existingSecret=posbon-jwks-tls', '--set', `operator.jwksFingerprint=${fingerprint}`,
        // The images as this machine built them: no registry, already in containerd.
        '--set', 'image.registry=localhost', '--set', `image.tag=${tag}`, '--set', `images.mediamtx=${mediamtxImage.ref}`,
        // Two cores shared by many: one API and one webhook; the operator keeps its two replicas and their Lease.
        '--set', 'api.replicas=1', '--set', 'webhook.replicas=1',
        '--wait', '--timeout', '10m'],
      { maxBuffer: 16 * 1024 * 1024 },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await cluster.kubectl(['get', 'pods,events', '-A']).catch(() => '')}`);
    });
    const api = await core.readNamespacedService({ name: `${RELEASE}-api`, namespace: NS.system });
    apiUrl = `http://${api.spec!.clusterIP}`;
    log(`installed after ${Math.round((Date.now() - started) / 1000)} s`);
  }, 1_800_000);

  afterAll(async () => {
    await cluster?.stop();
    await camera?.stop();
    await host?.destroy();
    await postgres?.stop();
    if (tls) await rm(tls, { recursive: true, force: true });
  }, 300_000);

  it('brings the operator, API and webhook pods to Ready under PSS restricted', async () => {
    const pods = await core.listNamespacedPod({ namespace: NS.system, labelSelector: `app.kubernetes.io/instance=${RELEASE}` });
    const running = pods.items.filter((p) => p.status?.phase === 'Running');
    const ready = running.map((p) => [
      p.metadata!.labels!['app.kubernetes.io/component'],
      p.status!.conditions!.find((c) => c.type === 'Ready')!.status,
      p.spec!.containers[0]!.image,
    ]);
    expect(ready.sort()).toEqual([
      ['api', 'True', `localhost/posbon-api:${tag}`],
      ['operator', 'True', `localhost/posbon-operator:${tag}`],
      ['operator', 'True', `localhost/posbon-operator:${tag}`],
      ['webhook', 'True', `localhost/posbon-webhook:${tag}`],
    ]);
    // The API answers through its Service's ClusterIP, once kube-proxy has synced the Ready pod's endpoint.
    await eventually(async () => expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200), 60_000, 500);
  });

  it('converges the example fleet from inside the cluster: ConfigMaps rendered, MediaNodes Ready, the node\'s MediaMTX available', async () => {
    for (const name of NVR_SECRETS) {
      await core.createNamespacedSecret({ namespace: NS.fleet, body: { metadata: { name }, stringData: { username: camera.username, password: camera.password } } });
    }
    // This machine is the media node fsn1-b; fsn1-a has none, so its pod stays Pending.
    await cluster.kubectl(['label', 'node', NODE_NAME, `posbon.io/media-node=${MEDIA_NODE}`]);
    await cluster.kubectl(['apply', '-n', NS.fleet, '-R', '-f', EXAMPLE]);
    const objects = cluster.kubeConfig().makeApiClient(CustomObjectsApi);
    const nodes = await eventually(async () => {
      const list = (await objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes' })) as {
        items: Array<{ metadata: { name: string }; status?: { configMapName?: string; conditions?: Array<{ type: string; status: string }> } }>;
      };
      const ready = list.items.map((n) => [n.metadata.name, n.status?.configMapName, n.status?.conditions?.find((c) => c.type === 'Ready')?.status]);
      expect(ready.sort()).toEqual([
        ['fsn1-a', 'mediamtx-fsn1-a', 'True'],
        ['fsn1-b', 'mediamtx-fsn1-b', 'True'],
      ]);
      return ready;
    }, 180_000, 1000);
    for (const [, configMap] of nodes) {
      const cm = await core.readNamespacedConfigMap({ name: configMap as string, namespace: NS.media });
      expect(Object.keys(cm.data ?? {})).toEqual(['mediamtx.yml']);
    }
    const apps = cluster.kubeConfig().makeApiClient(AppsV1Api);
    await eventually(async () => {
      const deployment = await apps.readNamespacedDeployment({ name: `mediamtx-${MEDIA_NODE}`, namespace: NS.media });
      expect(deployment.status?.availableReplicas).toBe(1);
    }, 300_000, 1000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await cluster.kubectl(['-n', NS.media, 'get', 'pods,events']).catch(() => '')}`);
    });
  }, 600_000);

  it('plays the example camera from the node\'s MediaMTX to a viewer token the in-cluster API signed', async () => {
    // The bootstrap admin's credential, which the API wrote to its pod's emptyDir (never to its log).
    const [pod] = (await core.listNamespacedPod({ namespace: NS.system, labelSelector: `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=api` })).items;
    const file = join(cluster.podDir(pod!.metadata!.uid!), 'volumes', 'kubernetes.io~empty-dir', 'tmp', 'posbon', 'bootstrap-credential');
    const credential = Object.fromEntries((await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    // In production the API hands its tokens out only as cookies (httpOnly), as the console uses them.
    const session = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('posbon_access='));
    const post = async (path: string, body: unknown, cookie?: string) => {
      const res = await fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, cookie: session(res) };
    };
    const totp = totpCode(base32Decode(credential.totp_secret!), totpStep(new Date()));
    const login = await post('/auth/login', { username: credential.username, password: credential.password, totp });
    expect([login.status, login.cookie]).toEqual([200, expect.stringMatching(/^posbon_access=./)]);
    const changed = await post('/auth/password', { currentPassword: credential.password, newPassword: 'a-long-cluster-passphrase' }, login.cookie);
    expect([changed.status, changed.cookie]).toEqual([200, expect.stringMatching(/^posbon_access=./)]);

    const res = await fetch(`${apiUrl}/cameras/${CAMERA}/stream`, { headers: { cookie: changed.cookie! } });
    const grant = (await res.json()) as { mediaNode: string; hlsUrl: string; token: string };
    expect([res.status, grant.mediaNode, grant.hlsUrl]).toEqual([200, MEDIA_NODE, 'https://fsn1-b.media.posbon.example.org:8888/school-42/school-42-yard/yard/index.m3u8']);
    const path = new URL(grant.hlsUrl).pathname.replace(/^\//, '').replace(/\/index\.m3u8$/, '');
    // No certificate issuer is set, so the node serves HLS over plain HTTP on the machine's port 8888.
    expect(await readHlsSegment(8888, path, undefined)).toBe(401);
    await eventually(async () => expect(await readHlsSegment(8888, path, grant.token)).toBe(200), 90_000, 1000);
  }, 300_000);
});
