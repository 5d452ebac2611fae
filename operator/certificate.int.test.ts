// Each media node's cert-manager Certificate and placement, applied by the operator under its own RBAC to a real API
// server that has cert-manager's CRDs (pinned, from its Go module).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { GROUP, VERSION } from '../crds/index.js';
import { fleetCluster, startController, type FleetCluster } from '../test/fixtures/operator.js';
import { eventually, testKubeconfigFor } from '../test/harness/index.js';
import { certManagerCrds, ensureTool } from '../test/tools/tools.js';
import type { FleetController } from './controller/fleet-controller.js';
import { createOperatorMetrics } from './controller/metrics.js';
import { DEFAULT_RENDER_OPTIONS, renderMediaMtxConfig } from './core/mediamtx.js';
import { sealMediaMtxConfig } from './core/seal.js';
import { mediaNode } from '../test/fixtures/fleet.js';
import { operatorRbac } from './rbac.js';
import { DEFAULT_WORKLOAD_OPTIONS, configMapName } from './workload.js';

const region = `c${randomBytes(3).toString('hex')}`;
const operatorIssuer = { name: 'letsencrypt', kind: 'ClusterIssuer' as const, group: 'cert-manager.io' };
let cluster: FleetCluster;
let controller: FleetController;
let certificates: CustomObjectsApi;
const metrics = createOperatorMetrics();
const render = { ...DEFAULT_RENDER_OPTIONS, certificateIssuer: operatorIssuer };
const MANY_IPS = ['198.51.100.21', '198.51.100.22', '198.51.100.23', '198.51.100.24', '198.51.100.25', '198.51.100.26', '198.51.100.27', '198.51.100.28'];

/** The sealed size of an empty shard: a node with eight egress IPs seals larger than one with one. */
const sealedSize = (egressIPs: string[]) =>
  sealMediaMtxConfig(renderMediaMtxConfig(mediaNode(`${region}-x`, { egressIPs }), [], () => undefined, render).yaml, 'k'.repeat(32)).length;

async function installCertManagerCrds(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = parseAllDocuments(await readFile(await ensureTool(certManagerCrds, console.log), 'utf8')).map((d) => d.toJS() as V1CustomResourceDefinition);
  for (const body of crds) {
    await api.createCustomResourceDefinition({ body }).catch((error: unknown) => {
      if (!(error instanceof ApiException && error.code === 409)) throw error;
    });
  }
  await eventually(async () => {
    for (const crd of crds) {
      const current = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
      expect(current.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }
  }, 30_000, 200);
}

const mediaNodeBody = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'MediaNode',
  metadata: { name },
  spec: { region, egressIPs: ['198.51.100.7'], webrtcBaseUrl: `https://${name}.media.example:8889`, hlsBaseUrl: `https://${name}.media.example:8888`, ...spec },
});

const readCertificate = (name: string) =>
  certificates.getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespace: cluster.mediaNs, name }) as Promise<
    KubernetesObject & { spec: Record<string, unknown> }
  >;

beforeAll(async () => {
  cluster = await fleetCluster();
  await installCertManagerCrds(cluster.kc);
  const user = `operator-${region}`;
  const generic = KubernetesObjectApi.makeApiClient(cluster.kc);
  for (const manifest of operatorRbac({ fleetNamespace: cluster.fleetNs, mediaNamespace: cluster.mediaNs, subject: { kind: 'User', name: user }, name: `posbon-operator-${region}` })) {
    await generic.create(manifest as KubernetesObject);
  }
  // The operator runs as its own user, bound by the roles the chart installs: they must cover Certificates.
  const kc = new KubeConfig();
  kc.loadFromFile(await testKubeconfigFor(user));
  certificates = cluster.kc.makeApiClient(CustomObjectsApi);
  controller = await startController(
    { ...cluster, kc },
    {
      applyWorkloads: true,
      render,
      // Between the two sizes: a node with eight egress IPs cannot be applied, every other node can.
      maxConfigBytes: Math.floor((sealedSize(['198.51.100.7']) + sealedSize(MANY_IPS)) / 2),
      workload: { ...DEFAULT_WORKLOAD_OPTIONS, certificateIssuer: operatorIssuer, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' }] },
    },
    undefined,
    metrics,
  );
});

afterAll(async () => {
  await controller?.stop();
});

describe("a media node's certificate", () => {
  it("is a cert-manager Certificate for the hosts of the node's base URLs, from the operator's issuer or the node's own", async () => {
    const [a, b] = [`${region}-a`, `${region}-b`];
    await cluster.objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', body: mediaNodeBody(a) });
    await cluster.objects.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'medianodes',
      body: mediaNodeBody(b, {
        hlsBaseUrl: `https://${b}-hls.media.example:8888`,
        tls: { issuerRef: { name: 'media-ca', kind: 'Issuer' } },
        placement: { tolerations: [{ key: 'hetzner/dedicated', operator: 'Exists' }], nodeSelector: { 'posbon.io/pool': 'media' } },
      }),
    });
    const labels = (node: string) => ({
      'app.kubernetes.io/managed-by': 'posbon-operator',
      'app.kubernetes.io/name': 'mediamtx',
      'app.kubernetes.io/part-of': 'posbon',
      'posbon.io/media-node': node,
    });
    const spec = (node: string, dnsNames: string[], issuerRef: Record<string, string>) => ({
      secretName: `mediamtx-${node}-tls`,
      dnsNames,
      issuerRef,
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
      duration: '2160h',
      renewBefore: '720h',
      secretTemplate: { labels: labels(node) },
    });
    const certA = await eventually(() => readCertificate(`mediamtx-${a}-tls`), 30_000, 200);
    expect([certA.metadata!.labels, certA.spec]).toEqual([labels(a), spec(a, [`${a}.media.example`], operatorIssuer)]);
    const certB = await eventually(() => readCertificate(`mediamtx-${b}-tls`), 30_000, 200);
    expect(certB.spec).toEqual(spec(b, [`${b}-hls.media.example`, `${b}.media.example`], { name: 'media-ca', kind: 'Issuer', group: 'cert-manager.io' }));

    const deployment = await cluster.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: configMapName(b), namespace: cluster.mediaNs });
    const pod = deployment.spec!.template.spec!;
    expect(pod.volumes!.find((v) => v.name === 'tls')).toEqual({ name: 'tls', secret: { secretName: `mediamtx-${b}-tls`, defaultMode: 0o440 } });
    expect(pod.tolerations).toEqual([
      { key: 'posbon.io/media-node', operator: 'Equal', value: b, effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' },
      { key: 'hetzner/dedicated', operator: 'Exists' },
    ]);
    expect(pod.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'posbon.io/media-node', operator: 'In', values: [b] },
          { key: 'posbon.io/pool', operator: 'In', values: ['media'] },
        ],
      },
    ]);
  });

  it('goes with its node', async () => {
    const name = `${region}-c`;
    await cluster.objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', body: mediaNodeBody(name) });
    await eventually(() => readCertificate(`mediamtx-${name}-tls`), 30_000, 200);
    await cluster.objects.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', name });
    await eventually(async () => {
      const gone = await readCertificate(`mediamtx-${name}-tls`).then(
        () => false,
        (e: unknown) => e instanceof ApiException && e.code === 404,
      );
      expect(gone).toBe(true);
    }, 30_000, 200);
  });
});

describe("the operator's media node metrics", () => {
  const sample = async (name: string, node: string) => {
    const text = await metrics.registry.metrics();
    return new RegExp(`^${name}\\{node="${node}"\\} (\\d+)$`, 'm').exec(text)?.[1];
  };

  it('report a node Ready and its shard applied, and a shard that cannot be applied as stalled and its node not ready', async () => {
    const [good, big] = [`${region}-d`, `${region}-e`];
    await cluster.objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', body: mediaNodeBody(good) });
    await cluster.objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', body: mediaNodeBody(big, { egressIPs: MANY_IPS }) });
    await eventually(async () => {
      expect([await sample('posbon_operator_media_node_ready', good), await sample('posbon_operator_shard_stalled', good)]).toEqual(['1', '0']);
      expect([await sample('posbon_operator_media_node_ready', big), await sample('posbon_operator_shard_stalled', big)]).toEqual(['0', '1']);
    }, 30_000, 200);
  });
});
