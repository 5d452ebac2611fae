// Where an NVR's credentials go instead of Git (ADR 0002): an immutable Secret whose name is a keyed hash of its content.
import { createHmac, hkdfSync } from 'node:crypto';

export interface NvrCredentials {
  username: string;
  password: string;
}

export interface CredentialsTarget {
  schoolId: string;
  /** The Nvr's object name. */
  nvr: string;
}

export interface CredentialsStore {
  /**
   * Stores the credentials and returns the Secret name an Nvr's `credentialsSecretRef` points at. The same
   * credentials for the same NVR always give the same name; other credentials give another Secret, never an update.
   */
  put(target: CredentialsTarget, credentials: NvrCredentials): Promise<string>;
}

/** The store could not keep the credentials; the message never holds them. */
export class CredentialsStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsStoreError';
  }
}

/** Derives the key that names credential Secrets from the API's sealing key, so no new secret needs deploying. */
export function credentialsNameKey(sealingKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', sealingKey, Buffer.alloc(0), 'posbon nvr credentials secret name', 32));
}

/**
 * `nvr-<school>-<nvr>-<16 hex>`, the NVR's name without its school prefix as in the fleet layout. The hash is keyed:
 * an unkeyed hash of a weak NVR password in Git would let anyone who reads the repository test guesses offline.
 */
export function credentialsSecretName(key: Buffer, target: CredentialsTarget, credentials: NvrCredentials): string {
  const short = target.nvr.startsWith(`${target.schoolId}-`) ? target.nvr.slice(target.schoolId.length + 1) : target.nvr;
  const mac = createHmac('sha256', key).update(`${target.schoolId}\0${target.nvr}\0${credentials.username}\0${credentials.password}`).digest('hex');
  return `nvr-${target.schoolId}-${short}-${mac.slice(0, 16)}`;
}

/** Labels every credential Secret carries, for the operator's garbage collection and for people reading the cluster. */
export const credentialsLabels = (target: CredentialsTarget): Record<string, string> => ({
  'app.kubernetes.io/managed-by': 'posbon-api',
  'posbon.io/credentials-for': 'nvr',
  'posbon.io/school': target.schoolId,
  'posbon.io/nvr': target.nvr,
});

/** The embedded `npm start` store: credentials live in this process only and go when it stops. */
export class MemoryCredentialsStore implements CredentialsStore {
  private readonly secrets = new Map<string, NvrCredentials>();

  private constructor(private readonly key: Buffer) {}

  static create(deps: { nameKey: Buffer }): MemoryCredentialsStore {
    return new MemoryCredentialsStore(deps.nameKey);
  }

  async put(target: CredentialsTarget, credentials: NvrCredentials): Promise<string> {
    const name = credentialsSecretName(this.key, target, credentials);
    if (!this.secrets.has(name)) this.secrets.set(name, { ...credentials });
    return name;
  }

  /** Names stored so far; never the values. */
  names(): string[] {
    return [...this.secrets.keys()].sort();
  }
}
