// A wiped fleet namespace converges back: the example fleet tree applied again (and its credential Secrets restored)
// gives MediaMTX ConfigMaps byte-identical to the ones before the wipe. The media namespace (ConfigMaps and each
// node's MTX_CONFKEY Secret) and the cluster-scoped MediaNodes are not in the fleet namespace and stay.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GROUP, KINDS, VERSION } from '../crds/index.js';
import { fleetCluster, startController, type FleetCluster } from '../test/fixtures/operator.js';
import { eventually } from '../test/harness/index.js';
import type { FleetController } from './controller/fleet-controller.js';
import { configMapName } from './workload.js';

const TREE = 'gitops/example/clusters/dev';
interface Resource {
  kind: keyof typeof KINDS;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

let cluster: FleetCluster;
let controller: FleetController;
// Cluster-scoped MediaNodes and their region get names of their own, so other tests' nodes never share the shards.
const suffix = randomBytes(3).toString('hex');
const rename = (text: string) => text.replaceAll('fsn1-', `w${suffix}-`).replaceAll('eu-central', `wipe-${suffix}`);

async function tree(dir = TREE): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await tree(path)));
    else if (entry.name.endsWith('.yaml')) out.push(parse(rename(await readFile(path, 'utf8'))) as Resource);
  }
  return out;
}

async function apply(resources: Resource[], passwords: Map<string, string>) {
  for (const r of resources) {
    const plural = KINDS[r.kind].plural;
    if (r.kind === 'Nvr') {
      const name = (r.spec.credentialsSecretRef as { name: string }).name;
      // As `credentials-backup import` restores them: the same names and values.
      await cluster.core.createNamespacedSecret({
        namespace: cluster.fleetNs,
        body: {
          metadata: { name },
          immutable: true,
          stringData: { username: 'viewer', password: passwords.get(name)! },
        },
      });
    }
    // MediaNodes are cluster-scoped: a wiped fleet namespace leaves them, and applying the tree again finds them.
    if (r.kind === 'MediaNode') {
      await cluster.objects
        .createClusterCustomObject({ group: GROUP, version: VERSION, plural, body: r })
        .catch((error: { code?: number }) => {
          if (error.code !== 409) throw error;
        });
    } else
      await cluster.objects.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: cluster.fleetNs,
        plural,
        body: r,
      });
  }
}

const configMapHashes = async (nodes: string[]) => {
  const hashes: Record<string, string> = {};
  for (const node of nodes) {
    const cm = await cluster.core.readNamespacedConfigMap({ name: configMapName(node), namespace: cluster.mediaNs });
    hashes[node] = createHash('sha256')
      .update(JSON.stringify([cm.data, cm.binaryData ?? null]))
      .digest('hex');
  }
  return hashes;
};

beforeAll(async () => {
  cluster = await fleetCluster();
  controller = await startController(cluster);
});

afterAll(async () => {
  await controller?.stop();
});

it('the example fleet applied again after a wipe gives ConfigMaps with the same hashes', async () => {
  const resources = await tree();
  const nodes = resources.filter((r) => r.kind === 'MediaNode').map((r) => r.metadata.name);
  const passwords = new Map(
    resources
      .filter((r) => r.kind === 'Nvr')
      .map((r) => [(r.spec.credentialsSecretRef as { name: string }).name, randomBytes(9).toString('hex')]),
  );
  // Rendered once every school is placed on a node (the ConfigMaps are sealed, so their text cannot tell).
  const placed = async () => {
    for (const r of resources.filter((x) => x.kind === 'School')) {
      const school = (await cluster.objects.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: cluster.fleetNs,
        plural: 'schools',
        name: r.metadata.name,
      })) as { status?: { mediaNode?: string } };
      if (!school.status?.mediaNode) throw new Error(`${r.metadata.name} not placed yet`);
    }
  };
  // Settled: the same bytes on two reads a second apart.
  const settled = async () => {
    const first = await configMapHashes(nodes);
    await new Promise((r) => setTimeout(r, 1000));
    const second = await configMapHashes(nodes);
    if (JSON.stringify(first) !== JSON.stringify(second)) throw new Error('still changing');
    return second;
  };

  await apply(resources, passwords);
  await eventually(placed, 60_000, 250);
  const before = await eventually(settled, 60_000, 250);

  for (const r of resources.filter((x) => x.kind !== 'MediaNode')) {
    await cluster.objects.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: cluster.fleetNs,
      plural: KINDS[r.kind].plural,
      name: r.metadata.name,
    });
  }
  for (const name of passwords.keys()) await cluster.core.deleteNamespacedSecret({ name, namespace: cluster.fleetNs });
  await eventually(
    async () => {
      const left = await configMapHashes(nodes).catch(() => undefined);
      if (left && JSON.stringify(left) === JSON.stringify(before)) throw new Error('not wiped yet');
    },
    60_000,
    250,
  );

  await apply(resources, passwords);
  await eventually(placed, 60_000, 250);
  expect(await eventually(settled, 60_000, 250)).toEqual(before);
}, 180_000);
