// NVR credentials as immutable Secrets in the fleet namespace, written under a Role that may only create them.
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import {
  CredentialsStoreError,
  credentialsLabels,
  credentialsSecretName,
  type CredentialsStore,
  type CredentialsTarget,
  type NvrCredentials,
} from './credentials-store.js';

export class KubernetesCredentialsStore implements CredentialsStore {
  private constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
    private readonly key: Buffer,
  ) {}

  static create(deps: { kc: KubeConfig; namespace: string; nameKey: Buffer }): KubernetesCredentialsStore {
    return new KubernetesCredentialsStore(deps.kc.makeApiClient(CoreV1Api), deps.namespace, deps.nameKey);
  }

  async put(target: CredentialsTarget, credentials: NvrCredentials): Promise<string> {
    const name = credentialsSecretName(this.key, target, credentials);
    try {
      await this.core.createNamespacedSecret({
        namespace: this.namespace,
        body: {
          metadata: { name, labels: credentialsLabels(target) },
          type: 'Opaque',
          immutable: true,
          stringData: { username: credentials.username, password: credentials.password },
        },
      });
    } catch (error) {
      // The name is a keyed hash of the content: an existing Secret of that name already holds these credentials.
      if (error instanceof ApiException && error.code === 409) return name;
      // Only the status goes on: the client's error may carry the request, and with it the password.
      const status = error instanceof ApiException ? `HTTP ${error.code}` : 'no answer';
      throw new CredentialsStoreError(`credentials: the cluster did not store Secret ${name} in ${this.namespace} (${status})`);
    }
    return name;
  }
}

export interface CredentialsRbacOptions {
  namespace: string;
  subject: { kind: 'ServiceAccount' | 'User'; name: string; namespace?: string };
  name?: string;
}

/** The one permission the store needs: create Secrets in the fleet namespace. No get, list, update or delete. */
export function credentialsStoreRbac(options: CredentialsRbacOptions): Array<Record<string, unknown>> {
  const name = options.name ?? 'posbon-api-credentials';
  const subject = { ...options.subject, ...(options.subject.kind === 'User' ? { apiGroup: 'rbac.authorization.k8s.io' } : {}) };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: options.namespace },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: options.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [subject],
    },
  ];
}
