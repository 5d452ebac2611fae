// ADR 0002 §5: credential Secrets the API wrote, that no Nvr references any more, go after a day.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { FaceIdDevice, Nvr } from '../../crds/index.js';
import type { Logger } from '../../lib/log/logger.js';
import { isNotFound } from './cluster-writer.js';

/** The label the API puts on every credential Secret it writes; nothing else is ever deleted here. */
export const CREDENTIALS_LABEL = 'posbon.io/credentials-for';
export const DAY_MS = 24 * 60 * 60_000;

/** Credential Secrets to delete: written by the API for an NVR, older than `minAgeMs`, referenced by nothing. */
export function unreferencedCredentials(secrets: readonly V1Secret[], nvrs: readonly Nvr[], devices: readonly FaceIdDevice[], now: number, minAgeMs: number): string[] {
  const referenced = new Set([...nvrs.map((n) => n.spec.credentialsSecretRef.name), ...devices.flatMap((d) => (d.spec.webhookSecretRef ? [d.spec.webhookSecretRef.name] : []))]);
  return secrets
    .filter((s) => s.metadata?.labels?.[CREDENTIALS_LABEL] === 'nvr' && s.metadata.name?.startsWith('nvr-'))
    .filter((s) => !referenced.has(s.metadata!.name!))
    .filter((s) => now - new Date(s.metadata?.creationTimestamp ?? now).getTime() >= minAgeMs)
    .map((s) => s.metadata!.name!)
    .sort();
}

export class CredentialSecretCollector {
  private constructor(private readonly deps: { core: CoreV1Api; namespace: string; log: Logger; minAgeMs: number }) {}

  static create(deps: { core: CoreV1Api; namespace: string; log: Logger; minAgeMs?: number }): CredentialSecretCollector {
    return new CredentialSecretCollector({ ...deps, minAgeMs: deps.minAgeMs ?? DAY_MS });
  }

  /** Deletes the unreferenced ones; the caches passed in are complete, as only the leader's full plan calls this. */
  async collect(secrets: readonly V1Secret[], nvrs: readonly Nvr[], devices: readonly FaceIdDevice[]): Promise<void> {
    for (const name of unreferencedCredentials(secrets, nvrs, devices, Date.now(), this.deps.minAgeMs)) {
      await this.deps.core.deleteNamespacedSecret({ name, namespace: this.deps.namespace }).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
      this.deps.log.info('unreferenced credentials deleted', { resource: `Secret/${name}` });
    }
  }
}
