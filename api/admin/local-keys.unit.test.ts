import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localKeys, localKeysFile } from './local-keys.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'posbon-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the embedded default\'s kept keys', () => {
  it('are made once, readable by their owner only, and the same on the next start', async () => {
    const first = await localKeys(dir);
    expect((await stat(localKeysFile(dir))).mode & 0o777).toBe(0o600);
    const second = await localKeys(dir);
    expect(second).toEqual(first);
    expect([first.totpSealingKey.length, first.credentialNamingKey.length]).toEqual([32, 32]);
    expect(first.viewerSigningKeys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
  });

  it('refuse a file that is not a key file, naming it', async () => {
    await writeFile(localKeysFile(dir), '{"sealingKey":"x"}');
    await expect(localKeys(dir)).rejects.toThrow(`${localKeysFile(dir)} is not a Posbon key file`);
  });
});
