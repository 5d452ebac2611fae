// What a test file uses: the run's cluster and database, a namespace and a database of its own.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createDatabase } from './postgres.js';

export * from './process.js';
export * from './mediamtx.js';
export * from './netns.js';
export { getRaw, startControlPlane, userKubeconfig, type ControlPlane } from './control-plane.js';
import { userKubeconfig } from './control-plane.js';
export { createDatabase, startPostgres, type Postgres } from './postgres.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: integration tests run under the harness's Jest global setup`);
  return value;
}

export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(required('POSBON_TEST_KUBECONFIG'));
  return kc;
}

/** A fresh namespace for one test file. */
export async function testNamespace(kc: KubeConfig = testKubeConfig(), prefix = 't'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** A fresh, empty database on the run's PostgreSQL cluster. */
export const testDatabase = (prefix?: string): Promise<string> => createDatabase(required('POSBON_TEST_PG_URL'), prefix);

/** A kubeconfig file for another identity on the run's cluster, to test what RBAC lets it do. */
export const testKubeconfigFor = (user: string, groups: string[] = []): Promise<string> =>
  userKubeconfig(required('POSBON_TEST_CONTROL_PLANE_DIR'), testKubeConfig().getCurrentCluster()!.server, user, groups);
export * from './viewer.js';
export * from './tls.js';
