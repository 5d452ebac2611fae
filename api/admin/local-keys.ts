// Keys of the embedded default, kept under the data folder (mode 0600) so that a restart, and the admin CLI, can
// still unseal what an earlier run sealed. Production takes its keys from the environment instead.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The key stored at `<dataDir>/<name>`, created on first use. */
export async function localKey(dataDir: string, name: string): Promise<Buffer> {
  const path = join(resolve(dataDir), name);
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    const key = Buffer.from(existing.trim(), 'base64');
    if (key.length !== 32)
      throw new Error(`${path}: not a base64 32-byte key; remove it to start over (sealed TOTP secrets are then lost)`);
    return key;
  }
  await mkdir(resolve(dataDir), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    await writeFile(path, key.toString('base64'), { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return localKey(dataDir, name);
    throw error;
  }
}
