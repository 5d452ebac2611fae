// The reconcile shell against the real API server: failed applies as conditions, level-based shards, owner
// references, no rewrite after a restart, credential garbage collection and FaceIdDevice status.
import { randomBytes } from 'node:crypto';
import { AdmissionregistrationV1Api, AppsV1Api, PatchStrategy, Watch, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/index.js';
import { kstatus } from '../test/fixtures/kstatus.js';
import { addSchool, createMediaNode, isolatedFleetCluster, startController, type FleetCluster } from '../test/fixtures/operator.js';
import { eventually } from '../test/harness/index.js';
import type { FleetController } from './controller/fleet-controller.js';
import { NODE_LABEL, configMapName, confKeySecretName } from './workload.js';

// Its own API server: a restart that writes nothing is seen only where no other suite's controller writes.
let cluster: FleetCluster & { stop(): Promise<void> };
let controller: FleetController | undefined;
const region = `s${randomBytes(3).toString('hex')}`;
const node = `${region}-a`;

const create = (plural: string, body: object) => cluster.objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.fleetNs, plural, body });
const get = async (plural: string, name: string): Promise<Record<string, any>> =>
  (plural === 'medianodes'
    ? await cluster.objects.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name })
    : await cluster.objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.fleetNs, plural, name })) as Record<string, any>;
const readyOf = async (plural: string, name: string) => ((await get(plural, name)).status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');

/** Every object the operator may write, with its resourceVersion: equal snapshots mean nothing was written. */
async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const put = (kind: string, items: Array<{ metadata?: { name?: string; resourceVersion?: string } }>) => {
    for (const i of items) out[`${kind}/${i.metadata?.name}`] = i.metadata?.resourceVersion ?? '';
  };
  const apps = cluster.kc.makeApiClient(AppsV1Api);
  put('ConfigMap', (await cluster.core.listNamespacedConfigMap({ namespace: cluster.mediaNs })).items);
  put('Secret', (await cluster.core.listNamespacedSecret({ namespace: cluster.mediaNs })).items);
  put('Deployment', (await apps.listNamespacedDeployment({ namespace: cluster.mediaNs })).items);
  put('Service', (await cluster.core.listNamespacedService({ namespace: cluster.mediaNs })).items);
  for (const plural of ['schools', 'nvrs', 'faceiddevices']) {
    put(plural, ((await cluster.objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.fleetNs, plural })) as { items: [] }).items);
  }
  put('medianodes', [await get('medianodes', node)]);
  // An apply of identical content leaves the resourceVersion alone; the Events each write records do not.
  for (const namespace of ['default', cluster.fleetNs]) {
    const events = (await cluster.core.listNamespacedEvent({ namespace })).items.filter((e) => [node, 's1', 's1-nvr'].includes(e.involvedObject.name ?? ''));
    out[`Events/${namespace}`] = String(events.length);
  }
  return out;
}

beforeAll(async () => {
  cluster = await isolatedFleetCluster();
  await createMediaNode(cluster, node, region);
  await addSchool(cluster, 's1', region);
  controller = await startController(cluster, { credentialMinAgeMs: 0 });
  await eventually(async () => expect(await readyOf('medianodes', node)).toMatchObject({ status: 'True', reason: 'ConfigApplied' }), 60_000, 200);
}, 300_000);

afterAll(async () => {
  await controller?.stop();
  await cluster?.stop();
});

describe('the reconcile shell', () => {
  it('gives every shard object an owner reference to its MediaNode, so Kubernetes collects them with it', async () => {
    const uid = (await get('medianodes', node)).metadata.uid as string;
    const owner = [{ apiVersion: `${GROUP}/${VERSION}`, kind: 'MediaNode', name: node, uid, controller: true }];
    const apps = cluster.kc.makeApiClient(AppsV1Api);
    await eventually(async () => {
      const owners = [
        (await cluster.core.readNamespacedConfigMap({ name: configMapName(node), namespace: cluster.mediaNs })).metadata?.ownerReferences,
        (await cluster.core.readNamespacedSecret({ name: confKeySecretName(node), namespace: cluster.mediaNs })).metadata?.ownerReferences,
        (await apps.readNamespacedDeployment({ name: configMapName(node), namespace: cluster.mediaNs })).metadata?.ownerReferences,
        (await cluster.core.readNamespacedService({ name: configMapName(node), namespace: cluster.mediaNs })).metadata?.ownerReferences,
      ];
      expect(owners).toEqual([owner, owner, owner, owner]);
    }, 30_000, 200);
  });

  it('writes nothing when a restarted operator finds the fleet unchanged', async () => {
    await controller!.settled();
    await controller!.stop();
    const before = await versions();
    controller = await startController(cluster, { credentialMinAgeMs: 0 });
    await eventually(() => expect(controller!.isSynced()).toBe(true));
    // Two settles: the first plan queues shards, whose barrier then releases the statuses.
    await controller.settled();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await controller.settled();
    expect(await versions()).toEqual(before);
  });

  it('deletes the shard objects of a node no plan knows, found by listing, not remembered', async () => {
    await controller!.stop();
    await cluster.core.createNamespacedConfigMap({ namespace: cluster.mediaNs, body: { metadata: { name: configMapName('ghost'), labels: { [NODE_LABEL]: 'ghost' } }, data: { 'mediamtx.yml': 'x' } } });
    controller = await startController(cluster, { credentialMinAgeMs: 0 });
    await eventually(async () => {
      const names = (await cluster.core.listNamespacedConfigMap({ namespace: cluster.mediaNs, labelSelector: NODE_LABEL })).items.map((c: V1ConfigMap) => c.metadata?.name);
      expect(names).not.toContain(configMapName('ghost'));
      expect(names).toContain(configMapName(node));
    }, 30_000, 200);
  });

  it('sets Ready=False ApplyFailed when the API server refuses the apply, and Ready=True once it accepts it again', async () => {
    const admission = cluster.kc.makeApiClient(AdmissionregistrationV1Api);
    const policy = `deny-${region}`;
    await admission.createValidatingAdmissionPolicy({
      body: {
        metadata: { name: policy },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }] },
          validations: [{ expression: `object.metadata.name != '${configMapName(node)}'`, message: 'media configs are frozen' }],
        },
      },
    });
    await admission.createValidatingAdmissionPolicyBinding({
      body: { metadata: { name: policy }, spec: { policyName: policy, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': cluster.mediaNs } } } } },
    });
    try {
      const generation = (await get('medianodes', node)).metadata.generation as number;
      // The binding takes effect asynchronously: keep changing the shard until a write is refused.
      let n = 0;
      await eventually(async () => {
        await cluster.objects.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.fleetNs, plural: 'nvrs', name: 's1-nvr', body: [{ op: 'replace', path: '/spec/publicRtspPort', value: 20000 + n++ }] });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await readyOf('medianodes', node)).toMatchObject({ status: 'False', reason: 'ApplyFailed', message: expect.stringContaining('media configs are frozen') });
      }, 60_000, 100);
      const failed = await get('medianodes', node);
      expect([failed.status.observedGeneration, kstatus(failed)]).toEqual([generation, 'InProgress']);
    } finally {
      await admission.deleteValidatingAdmissionPolicyBinding({ name: policy });
      await admission.deleteValidatingAdmissionPolicy({ name: policy });
    }
    await eventually(async () => expect(await readyOf('medianodes', node)).toMatchObject({ status: 'True', reason: 'ConfigApplied' }), 60_000, 200);
    expect(kstatus(await get('medianodes', node))).toBe('Current');
  });

  it('deletes unreferenced credential Secrets the API wrote, and nothing else', async () => {
    const labels = { 'app.kubernetes.io/managed-by': 'posbon-api', 'posbon.io/credentials-for': 'nvr' };
    const secret = (name: string, withLabels: boolean) =>
      cluster.core.createNamespacedSecret({ namespace: cluster.fleetNs, body: { metadata: { name, ...(withLabels ? { labels } : {}) }, stringData: { username: 'u', password: 'p' } } });
    await secret('nvr-s1-old-0123456789abcdef', true);
    await secret('nvr-s1-hand-made', false);
    await cluster.core.patchNamespacedSecret(
      { name: 's1-nvr', namespace: cluster.fleetNs, body: { metadata: { labels } } },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', (await import('@kubernetes/client-node')).PatchStrategy.MergePatch),
    );
    // A full plan collects: the one a forced run starts.
    await cluster.objects.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: 'medianodes', name: node, body: { metadata: { annotations: { 'posbon.io/requested-at': new Date().toISOString() } } } },
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', (await import('@kubernetes/client-node')).PatchStrategy.MergePatch),
    );
    await eventually(async () => {
      const names = (await cluster.core.listNamespacedSecret({ namespace: cluster.fleetNs })).items.map((s) => s.metadata?.name);
      expect(names).not.toContain('nvr-s1-old-0123456789abcdef');
      expect(names).toEqual(expect.arrayContaining(['nvr-s1-hand-made', 's1-nvr']));
    }, 30_000, 200);
  });

  it('owns FaceIdDevice readiness: its School exists and its signing Secret resolves', async () => {
    await create('faceiddevices', {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'FaceIdDevice',
      metadata: { name: 'door-1' },
      spec: { schoolRef: 's1', vendor: 'hikvision', direction: 'in', serialNumber: 'DS-1', lan: { localIp: '192.168.1.20' }, webhookSecretRef: { name: 'door-1-signing' } },
    });
    await eventually(async () => expect(await readyOf('faceiddevices', 'door-1')).toMatchObject({ status: 'False', reason: 'SecretNotFound' }), 30_000, 200);
    await cluster.core.createNamespacedSecret({ namespace: cluster.fleetNs, body: { metadata: { name: 'door-1-signing' }, stringData: { secret: 'whsec_x' } } });
    await eventually(async () => expect(await readyOf('faceiddevices', 'door-1')).toMatchObject({ status: 'True', reason: 'Resolved' }), 30_000, 200);
    const device = await get('faceiddevices', 'door-1');
    expect([device.status.observedGeneration, kstatus(device)]).toEqual([1, 'Current']);
  });

  it('reads School and Nvr as kstatus does: InProgress with Reconciling while a new generation is applied, Current after, Failed on a bad spec', async () => {
    type Seen = { metadata: { name: string; generation: number }; status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string; reason: string }> } };
    const seen: Array<{ kind: string; name: string; generation: number; observed: number | undefined; reconciling: string | undefined; kstatus: string }> = [];
    const watches = await Promise.all(
      ['schools', 'nvrs'].map((plural) =>
        new Watch(cluster.kc).watch(`/apis/${GROUP}/${VERSION}/namespaces/${cluster.fleetNs}/${plural}`, {}, (_type, o: Seen) => {
          const reconciling = o.status?.conditions?.find((c) => c.type === 'Reconciling' && c.status === 'True')?.reason;
          seen.push({ kind: plural, name: o.metadata.name, generation: o.metadata.generation, observed: o.status?.observedGeneration, reconciling, kstatus: kstatus(o) });
        }, () => undefined),
      ),
    );
    try {
      // WHEN both get a new generation
      const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      const patch = (plural: string, name: string, spec: object) =>
        cluster.objects.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.fleetNs, plural, name, body: { spec } }, merge) as Promise<Seen>;
      const school = await patch('schools', 's1', { displayName: 'School one' });
      const nvr = await patch('nvrs', 's1-nvr', { cameras: [{ id: 'c1', name: 'Gate', channel: 1 }] });
      // THEN each converges to Current at that generation
      await eventually(async () => {
        const [s, n] = [await get('schools', 's1'), await get('nvrs', 's1-nvr')];
        expect([s.status.observedGeneration, kstatus(s), n.status.observedGeneration, kstatus(n)]).toEqual([school.metadata.generation, 'Current', nvr.metadata.generation, 'Current']);
      }, 30_000, 200);
      // AND on the way it was written as in progress with Reconciling=True at the new generation, before it was done
      for (const [kind, name, generation] of [['schools', 's1', school.metadata.generation], ['nvrs', 's1-nvr', nvr.metadata.generation]] as const) {
        const history = seen.filter((e) => e.kind === kind && e.name === name && e.generation === generation);
        const marked = history.findIndex((e) => e.reconciling === 'Progressing');
        expect([history[marked], history.at(-1)]).toEqual([
          { kind, name, generation, observed: generation - 1, reconciling: 'Progressing', kstatus: 'InProgress' },
          { kind, name, generation, observed: generation, reconciling: undefined, kstatus: 'Current' },
        ]);
      }

      // WHEN a School's and an Nvr's spec cannot be admitted THEN both read Failed at their generation
      await create('schools', { apiVersion: `${GROUP}/${VERSION}`, kind: 'School', metadata: { name: 'tz-bad' }, spec: { displayName: 'Bad', region, timezone: 'Mars/Olympus_Mons' } });
      await create('nvrs', {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Nvr',
        metadata: { name: 'no-login' },
        spec: { schoolRef: 's1', vendor: 'dahua', publicHost: '203.0.113.10', credentialsSecretRef: { name: 'no-such-secret' }, cameras: [{ id: 'c1', name: 'C1', channel: 1 }] },
      });
      await eventually(async () => {
        const [s, n] = [await get('schools', 'tz-bad'), await get('nvrs', 'no-login')];
        expect([s.status?.observedGeneration, kstatus(s), n.status?.observedGeneration, kstatus(n)]).toEqual([1, 'Failed', 1, 'Failed']);
      }, 30_000, 200);
    } finally {
      for (const w of watches) w.abort();
    }
  });
});
