// The credential Secrets Git does not hold: exported sealed, the namespace wiped, imported back byte for byte.
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { testKubeConfig, testNamespace } from '../../test/harness/index.js';
import { CredentialsBackup } from './credentials-backup.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

const nvrSecrets = async (namespace: string) =>
  (await core.listNamespacedSecret({ namespace, labelSelector: 'posbon.io/credentials-for=nvr' })).items
    .map((s) => [s.metadata!.name, s.immutable, s.metadata!.labels, s.data])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe('credentials backup', () => {
  it('restores every NVR credential Secret as it was, only with its own key', async () => {
    const namespace = await testNamespace(kc, 'creds');
    for (const [name, password] of [
      ['nvr-school-a-gate-0123456789abcdef', 's3cret-a'],
      ['nvr-school-b-yard-fedcba9876543210', 's3cret-b'],
    ] as const) {
      await core.createNamespacedSecret({
        namespace,
        body: {
          metadata: {
            name,
            labels: { 'app.kubernetes.io/managed-by': 'posbon-api', 'posbon.io/credentials-for': 'nvr' },
          },
          type: 'Opaque',
          immutable: true,
          stringData: { username: 'admin', password },
        },
      });
    }
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'unrelated' }, stringData: { a: 'b' } } });
    const before = await nvrSecrets(namespace);
    const key = randomBytes(32);
    const backup = CredentialsBackup.create({ kc, namespace, key });
    const { sealed, count } = await backup.export();
    expect(count).toBe(2);
    expect(sealed.toString('latin1')).not.toContain('s3cret');

    for (const [name] of before) await core.deleteNamespacedSecret({ name: String(name), namespace });
    expect(await nvrSecrets(namespace)).toEqual([]);
    await expect(CredentialsBackup.create({ kc, namespace, key: randomBytes(32) }).import(sealed)).rejects.toThrow(
      'the file does not open with this key: a different key, or not a credentials backup',
    );
    expect(await backup.import(sealed)).toEqual({ created: before.map((b) => b[0]), present: [] });
    expect(await nvrSecrets(namespace)).toEqual(before);
    expect(await backup.import(sealed)).toEqual({ created: [], present: before.map((b) => b[0]) });
  });
});
