// A cold start against the real API server: every shard's ConfigMap goes out before any MediaNode's final status or
// Event, and each node reads in progress (Reconciling) until then, never current without a config.
import { randomBytes } from 'node:crypto';
import { Watch } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/index.js';
import { kstatus } from '../test/fixtures/kstatus.js';
import { addSchool, createMediaNode, isolatedFleetCluster, startController, type FleetCluster } from '../test/fixtures/operator.js';
import { eventually } from '../test/harness/index.js';
import type { FleetController } from './controller/fleet-controller.js';
import { confKeySecretName, configMapName } from './workload.js';

let cluster: FleetCluster & { stop(): Promise<void> };
let controller: FleetController | undefined;
const region = `c${randomBytes(3).toString('hex')}`;
// More nodes than shards in flight (8), so that without the ordering some statuses would precede later ConfigMaps.
const nodes = Array.from({ length: 12 }, (_, i) => `${region}-${String.fromCharCode(97 + i)}`);

type SeenNode = { metadata: { name: string; resourceVersion: string; generation: number }; status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string; reason: string }> } };

// Its own API server: the order of writes is this controller's alone only where no other suite's controller writes.
beforeAll(async () => {
  cluster = await isolatedFleetCluster();
  for (const [i, node] of nodes.entries()) await createMediaNode(cluster, node, region, `198.51.100.${30 + i}`);
  for (let i = 0; i < 24; i++) await addSchool(cluster, `${region}-school-${i}`, region);
}, 300_000);

afterAll(async () => {
  await controller?.stop();
  await cluster?.stop();
});

it('writes every ConfigMap of a cold start before any MediaNode status or Event, and shows each node in progress until then', async () => {
  const seen: Array<{ name: string; resourceVersion: number; ready: string | undefined; kstatus: string }> = [];
  const watch = await new Watch(cluster.kc).watch(`/apis/${GROUP}/${VERSION}/medianodes`, {}, (_type, o: SeenNode) => {
    const ready = o.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
    seen.push({ name: o.metadata.name, resourceVersion: Number(o.metadata.resourceVersion), ready, kstatus: kstatus(o) });
  }, () => undefined);
  try {
    // WHEN the operator starts on a fleet it has never seen, elected before its caches are complete
    controller = await startController(cluster, {}, undefined, undefined, { leadFirst: true });
    await eventually(async () => expect(nodes.map((n) => seen.some((e) => e.name === n && e.ready === 'ConfigApplied'))).toEqual(nodes.map(() => true)), 60_000, 200);
    // THEN the last ConfigMap was created before the first final status (etcd revisions order the writes)
    const configs = await Promise.all(nodes.map((n) => cluster.core.readNamespacedConfigMap({ name: configMapName(n), namespace: cluster.mediaNs })));
    const firstReady = Math.min(...seen.filter((e) => e.ready === 'ConfigApplied').map((e) => e.resourceVersion));
    const lastConfig = Math.max(...configs.map((c) => Number(c.metadata!.resourceVersion)));
    expect(firstReady).toBeGreaterThan(lastConfig);
    // AND each node's ConfigApplied Event came after the last ConfigMap too
    const applied = async () => (await cluster.core.listNamespacedEvent({ namespace: 'default' })).items.filter((e) => e.reason === 'ConfigApplied' && nodes.includes(e.involvedObject.name!));
    await eventually(async () => expect((await applied()).map((e) => e.involvedObject.name).sort()).toEqual(nodes), 30_000, 200);
    expect((await applied()).filter((e) => Number(e.metadata.resourceVersion) < lastConfig).map((e) => e.involvedObject.name)).toEqual([]);
    // AND each node's config key was written before its ConfigMap
    const keys = await Promise.all(nodes.map((n) => cluster.core.readNamespacedSecret({ name: confKeySecretName(n), namespace: cluster.mediaNs })));
    expect(nodes.filter((_, i) => Number(keys[i]!.metadata!.resourceVersion) > Number(configs[i]!.metadata!.resourceVersion))).toEqual([]);
    // AND from its Reconciling mark to its final status each node read in progress, never current without a config
    for (const node of nodes) {
      const history = seen.filter((e) => e.name === node).map((e) => e.kstatus);
      const [marked, done] = [history.indexOf('InProgress'), seen.filter((e) => e.name === node).findIndex((e) => e.ready === 'ConfigApplied')];
      expect([marked >= 0 && marked < done, history.slice(marked, done).every((k) => k === 'InProgress'), history[done]]).toEqual([true, true, 'Current']);
    }
  } finally {
    watch.abort();
  }
});
