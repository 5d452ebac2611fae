// The embedded default's keys, kept in its data folder (mode 0600) so that a restart keeps logins (sealed TOTP
// secrets), sessions (access tokens) and the viewer JWKS. Production passes its keys in the environment instead.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { z } from 'zod';
import { generateViewerKeyJwk } from './streams/viewer-keys.js';

export interface LocalKeys {
  accessTokenSecret: Buffer;
  /** Seals TOTP secrets; the admin CLI reads it too, to reset an admin on the embedded default. */
  totpSealingKey: Buffer;
  /** Names NVR credential Secrets, so a restart finds the Secrets it named. */
  credentialNamingKey: Buffer;
  viewerSigningKeys: JWK[];
  /** The example NVR's password: the local camera demands it, and the rendered config carries it. */
  nvrPassword: string;
}

const stored = z.object({
  accessTokenSecret: z.string(),
  totpSealingKey: z.string(),
  credentialNamingKey: z.string(),
  viewerSigningKeys: z.array(z.record(z.string(), z.unknown())).min(1),
  nvrPassword: z.string().min(16),
});

export const localKeysFile = (dataDir: string): string => join(dataDir, 'keys.json');

/** Reads the data folder's keys, or makes and writes them on the first run. */
export async function localKeys(dataDir: string): Promise<LocalKeys> {
  const file = localKeysFile(dataDir);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text !== undefined) {
    const parsed = stored.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${file} is not a Posbon key file (${parsed.error.issues[0]?.message}); move it away to start with new keys`);
    // Tightened on every start: a copy or an editor may have widened it.
    await chmod(file, 0o600);
    return {
      accessTokenSecret: Buffer.from(parsed.data.accessTokenSecret, 'base64'),
      totpSealingKey: Buffer.from(parsed.data.totpSealingKey, 'base64'),
      credentialNamingKey: Buffer.from(parsed.data.credentialNamingKey, 'base64'),
      viewerSigningKeys: parsed.data.viewerSigningKeys as JWK[],
      nvrPassword: parsed.data.nvrPassword,
    };
  }
  const keys: LocalKeys = {
    accessTokenSecret: randomBytes(32),
    totpSealingKey: randomBytes(32),
    credentialNamingKey: randomBytes(32),
    viewerSigningKeys: [await generateViewerKeyJwk()],
    nvrPassword: randomBytes(16).toString('base64url'),
  };
  await mkdir(dataDir, { recursive: true });
  const body = {
    accessTokenSecret: keys.accessTokenSecret.toString('base64'),
    totpSealingKey: keys.totpSealingKey.toString('base64'),
    credentialNamingKey: keys.credentialNamingKey.toString('base64'),
    viewerSigningKeys: keys.viewerSigningKeys,
    nvrPassword: keys.nvrPassword,
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return keys;
}
