// A replica that does not hold the lease keeps its caches warm and writes nothing, whatever changes.
import { randomBytes } from 'node:crypto';
import { FleetController, defaultControllerConfig } from './controller/fleet-controller.js';
import { createOperatorMetrics } from './controller/metrics.js';
import { createMediaNode, fleetCluster, quietLog } from '../test/fixtures/operator.js';
import { eventually } from '../test/harness/index.js';

it('writes no ConfigMap, Secret or status while it follows', async () => {
  const cluster = await fleetCluster();
  const region = `f${randomBytes(3).toString('hex')}`;
  await createMediaNode(cluster, `${region}-a`, region);
  const follower = FleetController.create({
    kc: cluster.kc,
    config: defaultControllerConfig({ fleetNamespace: cluster.fleetNs, mediaNamespace: cluster.mediaNs }),
    log: quietLog,
    metrics: createOperatorMetrics(),
  });
  await follower.start();
  try {
    // Changes of every watched kind arrive while it follows.
    await cluster.core.createNamespacedSecret({ namespace: cluster.fleetNs, body: { metadata: { name: 'creds' }, stringData: { username: 'u', password: 'p' } } });
    await cluster.objects.createNamespacedCustomObject({
      group: 'posbon.io',
      version: 'v1alpha1',
      namespace: cluster.fleetNs,
      plural: 'schools',
      body: { apiVersion: 'posbon.io/v1alpha1', kind: 'School', metadata: { name: 's1' }, spec: { displayName: 'S1', region, timezone: 'UTC' } },
    });
    await eventually(() => expect(follower.isSynced()).toBe(true));
    await follower.settled();
    expect(follower.queueDepth()).toBe(0);
    const configMaps = await cluster.core.listNamespacedConfigMap({ namespace: cluster.mediaNs });
    const secrets = await cluster.core.listNamespacedSecret({ namespace: cluster.mediaNs });
    expect([...configMaps.items, ...secrets.items].map((o) => o.metadata?.name).filter((n) => n !== 'kube-root-ca.crt')).toEqual([]);
    const school = (await cluster.objects.getNamespacedCustomObject({ group: 'posbon.io', version: 'v1alpha1', namespace: cluster.fleetNs, plural: 'schools', name: 's1' })) as { status?: unknown };
    expect(school.status).toBeUndefined();
  } finally {
    await follower.stop();
  }
});
