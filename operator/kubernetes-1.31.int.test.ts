// The oldest supported Kubernetes (1.31, the first with CEL's IP and CIDR functions), on a control plane of its own:
// it takes the CRDs and their CEL rules, judges the examples and the valid and invalid tables as validate() does, and the
// operator applies its rendered workload (Deployments, Services, ConfigMaps) there and converges.
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { INVALID, VALID, loadExamples } from '../crds/fixtures.js';
import { GROUP, KINDS, VERSION, validate } from '../crds/index.js';
import { installCrds } from '../crds/install.js';
import { startController, type FleetCluster } from '../test/fixtures/operator.js';
import { kstatus } from '../test/fixtures/kstatus.js';
import { eventually, getRaw, startControlPlane, testNamespace, type ControlPlane } from '../test/harness/index.js';
import { OLDEST_KUBERNETES, oldestKubeApiserver } from '../test/tools/tools.js';
import type { FleetController } from './controller/fleet-controller.js';
import { configMapName } from './workload.js';

let plane: ControlPlane;
let kc: KubeConfig;
let cluster: FleetCluster;
let controller: FleetController | undefined;

beforeAll(async () => {
  plane = await startControlPlane({ apiserver: oldestKubeApiserver });
  kc = plane.kubeConfig();
  await installCrds(kc);
  cluster = { kc, core: kc.makeApiClient(CoreV1Api), objects: kc.makeApiClient(CustomObjectsApi), fleetNs: await testNamespace(kc, 'fleet'), mediaNs: await testNamespace(kc, 'media') };
}, 300_000);

afterAll(async () => {
  await controller?.stop();
  await plane?.stop();
});

const create = (kind: keyof typeof KINDS, body: Record<string, unknown>) =>
  KINDS[kind].scope === 'Namespaced'
    ? cluster.objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: KINDS[kind].plural, namespace: cluster.fleetNs, body, fieldValidation: 'Strict' })
    : cluster.objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural: KINDS[kind].plural, body, fieldValidation: 'Strict' });

it(`is Kubernetes ${OLDEST_KUBERNETES}`, async () => {
  expect(JSON.parse((await getRaw(kc, '/version')).body).gitVersion).toBe(`v${OLDEST_KUBERNETES}`);
});

it('refuses each invalid object as validate() does, CEL IP and CIDR rules included', async () => {
  const verdicts = [];
  for (const [i, row] of INVALID.entries()) {
    const named = row.field === 'metadata.name' ? row.object : { ...row.object, metadata: { ...row.object.metadata, name: `${row.object.metadata.name.slice(0, 50)}-${i}` } };
    const server = await create(row.kind, named).then(
      () => ({ refused: false, message: 'accepted' }),
      (error: unknown) => (error instanceof ApiException ? { refused: error.code === 422 || error.code === 400, message: String(error.body) } : Promise.reject(error)),
    );
    verdicts.push({ row: row.name, serverRefused: server.refused, serverNamesField: server.message.includes(row.field), localRefused: !validate(row.kind, named).ok });
  }
  expect(verdicts).toEqual(INVALID.map((r) => ({ row: r.name, serverRefused: true, serverNamesField: true, localRefused: true })));
});

it('admits each valid variation as validate() does, CIDR exposures with host bits and at the top of a range included', async () => {
  const verdicts = [];
  for (const [i, row] of VALID.entries()) {
    const named = { ...row.object, metadata: { ...row.object.metadata, name: `valid-${row.object.metadata.name.slice(0, 40)}-${i}` } };
    const server = await create(row.kind, named).then(
      () => 'accepted',
      (error: unknown) => (error instanceof ApiException ? String(error.body) : Promise.reject(error)),
    );
    verdicts.push({ row: row.name, server, local: validate(row.kind, named).ok });
  }
  expect(verdicts).toEqual(VALID.map((r) => ({ row: r.name, server: 'accepted', local: true })));
});

it("takes every example, and the operator's rendered workload converges every media node", async () => {
  const refused: Array<{ name: string; field: string | undefined }> = [];
  for (const example of loadExamples()) {
    await create(example.kind, example).catch((error: unknown) => {
      if (!(error instanceof ApiException)) throw error;
      const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as { details?: { causes?: Array<{ field?: string }> } };
      refused.push({ name: example.metadata.name, field: body.details?.causes?.[0]?.field });
    });
  }
  expect(refused).toEqual([]);
  controller = await startController(cluster);
  const nodes = loadExamples().filter((o) => o.kind === 'MediaNode').map((o) => o.metadata.name);
  const apps = kc.makeApiClient(AppsV1Api);
  const converged = await eventually(async () => {
    const seen = [];
    for (const name of nodes) {
      const node = (await cluster.objects.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', name })) as Parameters<typeof kstatus>[0];
      const ready = (node.status?.conditions?.find((c) => c.type === 'Ready') as { reason?: string } | undefined)?.reason;
      const deployment = await apps.readNamespacedDeployment({ name: configMapName(name), namespace: cluster.mediaNs }).then(() => true, () => false);
      const service = await cluster.core.readNamespacedService({ name: configMapName(name), namespace: cluster.mediaNs }).then(() => true, () => false);
      const config = await cluster.core.readNamespacedConfigMap({ name: configMapName(name), namespace: cluster.mediaNs }).then(() => true, () => false);
      seen.push({ name, ready, kstatus: kstatus(node), deployment, service, config });
    }
    if (seen.some((s) => s.kstatus !== 'Current')) throw new Error(`not converged: ${JSON.stringify(seen)}`);
    return seen;
  }, 120_000, 500);
  expect(converged).toEqual(nodes.map((name) => ({ name, ready: 'ConfigApplied', kstatus: 'Current', deployment: true, service: true, config: true })));
}, 180_000);
