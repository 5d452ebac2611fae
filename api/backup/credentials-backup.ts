// The NVR credential Secrets that Git does not hold (ADR 0002), exported sealed under a key kept apart from the backups.
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { seal, unseal } from '../admin/identity/sealing.js';

const SELECTOR = 'posbon.io/credentials-for=nvr';
/** Bound into the seal: a file of another kind or version does not open as this one. */
const FORMAT = 'posbon-credentials-backup/v1';

interface ExportedSecret {
  name: string;
  labels: Record<string, string>;
  /** Base64 values as the API returns them. */
  data: Record<string, string>;
}

export interface CredentialsBackupDeps {
  kc: KubeConfig;
  namespace: string;
  /** 32 bytes, held where the database and cluster backups are not (see docs/operations/backup-restore.md). */
  key: Buffer;
}

export class CredentialsBackup {
  private constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
    private readonly key: Buffer,
  ) {}

  static create(deps: CredentialsBackupDeps): CredentialsBackup {
    if (deps.key.length !== 32) throw new Error('the credentials backup key must be 32 bytes');
    return new CredentialsBackup(deps.kc.makeApiClient(CoreV1Api), deps.namespace, deps.key);
  }

  /** Every NVR credential Secret of the namespace, sealed; returns the file's bytes and how many it holds. */
  async export(): Promise<{ sealed: Buffer; count: number }> {
    const list = await this.core.listNamespacedSecret({ namespace: this.namespace, labelSelector: SELECTOR });
    const secrets: ExportedSecret[] = list.items
      .map((s) => ({ name: s.metadata!.name!, labels: s.metadata?.labels ?? {}, data: s.data ?? {} }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { sealed: seal(this.key, JSON.stringify(secrets), FORMAT), count: secrets.length };
  }

  /** Recreates the Secrets as they were (immutable, same names, so the Nvrs in Git find them); present ones are kept. */
  async import(sealed: Buffer): Promise<{ created: string[]; present: string[] }> {
    let secrets: ExportedSecret[];
    try {
      secrets = JSON.parse(unseal(this.key, sealed, FORMAT)) as ExportedSecret[];
    } catch {
      throw new Error('the file does not open with this key: a different key, or not a credentials backup');
    }
    const created: string[] = [];
    const present: string[] = [];
    for (const secret of secrets) {
      try {
        await this.core.createNamespacedSecret({
          namespace: this.namespace,
          body: {
            metadata: { name: secret.name, labels: secret.labels },
            type: 'Opaque',
            immutable: true,
            data: secret.data,
          },
        });
        created.push(secret.name);
      } catch (error) {
        if (!(error instanceof ApiException && error.code === 409)) throw error;
        present.push(secret.name);
      }
    }
    return { created, present };
  }
}
