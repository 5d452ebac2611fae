// Every write the operator makes: server-side apply under one field manager (a create when the object is known to be
// absent), status merge patches, Events.
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1OwnerReference } from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION, type MediaNode } from '../../crds/index.js';
import type { Logger } from '../../lib/log/logger.js';

export const FIELD_MANAGER = 'posbon-operator';
export const HASH_ANNOTATION = 'posbon.io/config-hash';

export type FleetKind = 'School' | 'Nvr' | 'MediaNode' | 'FaceIdDevice';

export type Manifest = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; ownerReferences?: V1OwnerReference[] } & Record<string, unknown>;
};

/** The owner reference that lets Kubernetes collect a shard object with its MediaNode. */
export const ownedBy = (node: MediaNode): V1OwnerReference[] =>
  node.metadata.uid ? [{ apiVersion: `${GROUP}/${VERSION}`, kind: 'MediaNode', name: node.metadata.name, uid: node.metadata.uid, controller: true }] : [];

export const isNotFound = (error: unknown): boolean => error instanceof ApiException && error.code === 404;
export const isAlreadyExists = (error: unknown): boolean => error instanceof ApiException && error.code === 409;

const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** A failed write as a person reads it: the object, the status code and the API server's own message. */
export function apiErrorMessage(error: unknown, what: string): string {
  if (!(error instanceof ApiException)) return `${what}: ${error instanceof Error ? error.message : String(error)}`;
  const body = typeof error.body === 'string' ? (() => { try { return JSON.parse(error.body) as { message?: string }; } catch { return {}; } })() : ((error.body ?? {}) as { message?: string });
  return `${what}: ${error.code} ${body.message ?? 'API error'}`.slice(0, 1024);
}

export class ClusterWriter {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  private readonly objects: CustomObjectsApi;

  private constructor(
    kc: KubeConfig,
    private readonly fleetNamespace: string,
    private readonly log: Logger,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.objects = kc.makeApiClient(CustomObjectsApi);
  }

  static create(deps: { kc: KubeConfig; fleetNamespace: string; log: Logger }): ClusterWriter {
    return new ClusterWriter(deps.kc, deps.fleetNamespace, deps.log);
  }

  async apply(object: Manifest): Promise<void> {
    // Only the metadata comes back: nothing reads the applied object, and echoing a 600 kB ConfigMap costs the API
    // server its serialisation and this process its parse.
    const options = setHeaderOptions('Accept', METADATA_ONLY, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply));
    const common = { name: object.metadata.name, namespace: object.metadata.namespace!, body: object, fieldManager: FIELD_MANAGER, force: true };
    if (object.kind === 'ConfigMap') await this.core.patchNamespacedConfigMap(common, options);
    else if (object.kind === 'Service') await this.core.patchNamespacedService(common, options);
    else if (object.kind === 'Deployment') await this.apps.patchNamespacedDeployment(common, options);
    else if (object.kind === 'Secret') await this.core.patchNamespacedSecret(common, options);
    else if (object.kind === 'Certificate') {
      await this.objects.patchNamespacedCustomObject({ ...common, group: 'cert-manager.io', version: 'v1', plural: 'certificates' }, options);
    } else throw new Error(`cannot apply ${String(object.apiVersion)} ${object.kind}`);
  }

  /**
   * Creates an object a list just showed absent, under the same field manager; false when it exists after all (the
   * caller then applies). The API server parses an apply's body as YAML, which for a 600 kB ConfigMap costs it several
   * times the create: a cold start writes every shard this way. The create's managed-fields entry keeps the fields
   * no later apply changes (the labels and the owner); a shard object never drops one of them.
   */
  async create(object: Manifest & { kind: 'ConfigMap' }): Promise<boolean> {
    const options = setHeaderOptions('Accept', METADATA_ONLY);
    try {
      await this.core.createNamespacedConfigMap({ namespace: object.metadata.namespace!, body: object, fieldManager: FIELD_MANAGER }, options);
      return true;
    } catch (error) {
      if (isAlreadyExists(error)) return false;
      throw error;
    }
  }

  /** Deletes an object of the media namespace; one already gone is fine. */
  async remove(kind: 'ConfigMap' | 'Secret' | 'Service' | 'Deployment', name: string, namespace: string): Promise<void> {
    const target = { name, namespace };
    const deleting =
      kind === 'ConfigMap'
        ? this.core.deleteNamespacedConfigMap(target)
        : kind === 'Secret'
          ? this.core.deleteNamespacedSecret(target)
          : kind === 'Service'
            ? this.core.deleteNamespacedService(target)
            : this.apps.deleteNamespacedDeployment(target);
    await deleting.catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }

  /** Deletes a node's cert-manager Certificate; a 404 also when cert-manager is absent. */
  async removeCertificate(name: string, namespace: string): Promise<void> {
    await this.objects.deleteNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespace, name }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }

  /** A merge patch of status; with a resourceVersion it fails with 409 instead of overwriting a newer status. */
  async patchStatus(kind: FleetKind, name: string, status: unknown, resourceVersion?: string): Promise<void> {
    const def = KINDS[kind];
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), status };
    if (def.scope === 'Cluster') {
      await this.objects.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: def.plural, name, body }, options);
    } else {
      await this.objects.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace: this.fleetNamespace, plural: def.plural, name, body }, options);
    }
  }

  /** Records an Event on a fleet object; a failure to record never fails the reconcile. */
  async event(kind: FleetKind, name: string, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    // The API server keeps events of cluster-scoped objects in the default namespace only.
    const namespace = KINDS[kind].scope === 'Cluster' ? 'default' : this.fleetNamespace;
    const now = new Date();
    await this.core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind, name, ...(KINDS[kind].scope === 'Cluster' ? {} : { namespace }) },
          type,
          reason,
          message,
          source: { component: FIELD_MANAGER },
          reportingComponent: FIELD_MANAGER,
          reportingInstance: FIELD_MANAGER,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((error: unknown) => this.log.warn('event not recorded', { resource: `${kind}/${name}`, reason, error: String(error) }));
  }
}
