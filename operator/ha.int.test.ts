// Two operator processes under the least-privilege role: one leads, and when it dies the other takes over.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KubernetesObjectApi, type CoreV1Api, type CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/index.js';
import { addSchool, createMediaNode, fleetCluster } from '../test/fixtures/operator.js';
import { eventually, freePort, spawnService, testKubeconfigFor, type Service } from '../test/harness/index.js';
import { configMapName } from './workload.js';
import { operatorRbac } from './rbac.js';

interface OperatorProcess {
  name: string;
  port: number;
  service: Service;
}

let kc: KubeConfig;
let core: CoreV1Api;
let objects: CustomObjectsApi;
let fleetNs: string;
let mediaNs: string;
const operators: OperatorProcess[] = [];
const region = `h${randomBytes(3).toString('hex')}`;

async function startOperator(name: string, kubeconfig: string): Promise<OperatorProcess> {
  const port = await freePort();
  const service = await spawnService(name, process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'main.ts')], {
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      POD_NAME: name,
      POSBON_FLEET_NAMESPACE: fleetNs,
      POSBON_MEDIA_NAMESPACE: mediaNs,
      POSBON_LEASE_SECONDS: '4',
      POSBON_OPERATOR_PORT: String(port),
      POSBON_APPLY_WORKLOADS: 'true',
    },
  });
  return { name, port, service };
}

async function isLeader(op: OperatorProcess): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${op.port}/metrics`).catch(() => undefined);
  return res ? /^posbon_operator_leader 1$/m.test(await res.text()) : false;
}

async function leader(): Promise<OperatorProcess> {
  return eventually(async () => {
    const leading = [];
    for (const op of operators) if (!op.service.exited() && (await isLeader(op))) leading.push(op);
    if (leading.length !== 1) throw new Error(`${leading.length} leaders`);
    return leading[0]!;
  }, 60_000, 250);
}

const configHash = async () =>
  (await core.readNamespacedConfigMap({ name: configMapName(`${region}-a`), namespace: mediaNs })).metadata?.annotations?.['posbon.io/config-hash'];

beforeAll(async () => {
  ({ kc, core, objects, fleetNs, mediaNs } = await fleetCluster());
  const user = `operator-${region}`;
  const generic = KubernetesObjectApi.makeApiClient(kc);
  for (const manifest of operatorRbac({ fleetNamespace: fleetNs, mediaNamespace: mediaNs, subject: { kind: 'User', name: user }, name: `posbon-operator-${region}` })) {
    await generic.create(manifest as KubernetesObject);
  }
  const kubeconfig = await testKubeconfigFor(user);
  operators.push(await startOperator('operator-1', kubeconfig), await startOperator('operator-2', kubeconfig));
  await createMediaNode({ objects }, `${region}-a`, region, '198.51.100.3');
});

afterAll(async () => {
  for (const op of operators) await op.service.stop();
});

describe('two operator replicas with least-privilege RBAC', () => {
  it('converge under one leader, and the other takes over when the leader is killed', async () => {
    await addSchool({ objects, core, fleetNs }, 'before', region);
    const first = await leader();
    const hash = await eventually(async () => {
      const h = await configHash();
      if (!h) throw new Error('no config yet');
      return h;
    }, 60_000, 250);
    await eventually(async () => {
      const school = (await objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural: 'schools', name: 'before' })) as any;
      expect(school.status?.mediaNode).toBe(`${region}-a`);
    }, 30_000, 250);

    process.kill(-first.service.pid, 'SIGKILL');
    await eventually(() => expect(first.service.exited()).toBe(true), 10_000, 50);
    await addSchool({ objects, core, fleetNs }, 'after', region);

    const second = await leader();
    expect(second.name).not.toBe(first.name);
    await eventually(async () => expect(await configHash()).not.toBe(hash), 60_000, 250);
    const logs = await second.service.logs();
    expect(logs).toMatch(/became leader/);
    expect(logs).not.toMatch(/forbidden/i);
  });
});
