// The Kubernetes credentials store against the real API server, under the only permission it is given: create Secrets.
import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { testKubeConfig, testKubeconfigFor, testNamespace } from '../../../test/harness/index.js';
import { credentialsNameKey, credentialsSecretName } from './credentials-store.js';
import { credentialsStoreRbac, KubernetesCredentialsStore } from './kubernetes-credentials-store.js';

const admin = testKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const key = credentialsNameKey(randomBytes(32));
const user = `posbon-api-${randomBytes(3).toString('hex')}`;
let namespace: string;
let narrow: KubeConfig;

const statusOf = (promise: Promise<unknown>) => promise.then(() => 200, (e: unknown) => (e instanceof ApiException ? e.code : -1));

beforeAll(async () => {
  namespace = await testNamespace(admin, 'creds');
  const generic = KubernetesObjectApi.makeApiClient(admin);
  for (const manifest of credentialsStoreRbac({ namespace, subject: { kind: 'User', name: user } })) await generic.create(manifest as KubernetesObject);
  narrow = new KubeConfig();
  narrow.loadFromFile(await testKubeconfigFor(user));
});

describe('KubernetesCredentialsStore', () => {
  it('writes an immutable Secret named by the keyed hash, and answers the same name for the same credentials', async () => {
    const store = KubernetesCredentialsStore.create({ kc: narrow, namespace, nameKey: key });
    const target = { schoolId: 'school-17', nvr: 'school-17-gate' };
    const credentials = { username: 'viewer', password: `pw-${randomBytes(6).toString('hex')}` };
    const name = await store.put(target, credentials);
    expect(name).toBe(credentialsSecretName(key, target, credentials));
    expect(await store.put(target, { ...credentials })).toBe(name);

    const secret = await core.readNamespacedSecret({ name, namespace });
    expect({
      immutable: secret.immutable,
      type: secret.type,
      labels: secret.metadata?.labels,
      data: Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
    }).toEqual({
      immutable: true,
      type: 'Opaque',
      labels: { 'app.kubernetes.io/managed-by': 'posbon-api', 'posbon.io/credentials-for': 'nvr', 'posbon.io/school': 'school-17', 'posbon.io/nvr': 'school-17-gate' },
      data: credentials,
    });

    const other = await store.put(target, { username: 'viewer', password: 'another' });
    expect(other).not.toBe(name);
    const names = (await core.listNamespacedSecret({ namespace })).items.map((s) => s.metadata!.name).sort();
    expect(names).toEqual([name, other].sort());
  });

  it('runs under a Role that cannot read, list, change or delete any Secret', async () => {
    const mine = narrow.makeApiClient(CoreV1Api);
    const name = await KubernetesCredentialsStore.create({ kc: narrow, namespace, nameKey: key }).put({ schoolId: 's', nvr: 's-n' }, { username: 'u', password: 'p' });
    expect({
      get: await statusOf(mine.readNamespacedSecret({ name, namespace })),
      list: await statusOf(mine.listNamespacedSecret({ namespace })),
      delete: await statusOf(mine.deleteNamespacedSecret({ name, namespace })),
      replace: await statusOf(mine.replaceNamespacedSecret({ name, namespace, body: { metadata: { name }, stringData: { username: 'x', password: 'y' } } })),
    }).toEqual({ get: 403, list: 403, delete: 403, replace: 403 });
  });

  it('fails with a message naming the Secret and the status, never the password', async () => {
    const elsewhere = KubernetesCredentialsStore.create({ kc: narrow, namespace: 'default', nameKey: key });
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const error = await elsewhere.put({ schoolId: 'school-17', nvr: 'school-17-gate' }, { username: 'viewer', password }).then(() => null, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/^credentials: the cluster did not store Secret nvr-school-17-gate-[0-9a-f]{16} in default \(HTTP 403\)$/);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(password);
  });
});
