// The fleet as the cluster holds it, kept in memory by informers: requests never LIST.
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION, type FaceIdDevice, type MediaNode, type Nvr, type School } from '../../../crds/index.js';
import { ResourceInformer } from '../../../operator/controller/informers.js';
import type { Logger } from '../../../lib/log/logger.js';
import type { Fleet } from '../../../operator/core/index.js';
import type { FleetSource } from './source.js';

type Kind = 'School' | 'Nvr' | 'MediaNode' | 'FaceIdDevice';

export class ClusterFleetSource implements FleetSource {
  private readonly schools: ResourceInformer<School & KubernetesObject>;
  private readonly nvrs: ResourceInformer<Nvr & KubernetesObject>;
  private readonly nodes: ResourceInformer<MediaNode & KubernetesObject>;
  private readonly faceIdDevices: ResourceInformer<FaceIdDevice & KubernetesObject>;
  private listeners: Array<() => void> = [];
  private cached: Fleet | undefined;

  private constructor(kc: KubeConfig, namespace: string, log: Logger) {
    const objects = kc.makeApiClient(CustomObjectsApi);
    const plural = (kind: Kind) => KINDS[kind].plural;
    const path = (kind: Kind) =>
      KINDS[kind].scope === 'Cluster'
        ? `/apis/${GROUP}/${VERSION}/${plural(kind)}`
        : `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural(kind)}`;
    const list =
      <T>(kind: Kind) =>
      () =>
        (KINDS[kind].scope === 'Cluster'
          ? objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: plural(kind) })
          : objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: plural(kind) })) as Promise<
          KubernetesListObject<T & KubernetesObject>
        >;
    const changed = () => {
      this.cached = undefined;
      for (const listener of this.listeners) listener();
    };
    this.schools = new ResourceInformer(kc, path('School'), list<School>('School'), changed, log);
    this.nvrs = new ResourceInformer(kc, path('Nvr'), list<Nvr>('Nvr'), changed, log);
    this.nodes = new ResourceInformer(kc, path('MediaNode'), list<MediaNode>('MediaNode'), changed, log);
    this.faceIdDevices = new ResourceInformer(kc, path('FaceIdDevice'), list<FaceIdDevice>('FaceIdDevice'), changed, log);
  }

  static create(deps: { kc: KubeConfig; namespace: string; log: Logger }): ClusterFleetSource {
    return new ClusterFleetSource(deps.kc, deps.namespace, deps.log);
  }

  async start(): Promise<void> {
    await Promise.all([this.schools.start(), this.nvrs.start(), this.nodes.start(), this.faceIdDevices.start()]);
    this.cached = undefined;
    for (const listener of this.listeners) listener();
  }

  async stop(): Promise<void> {
    await Promise.all([this.schools.stop(), this.nvrs.stop(), this.nodes.stop(), this.faceIdDevices.stop()]);
  }

  isSynced(): boolean {
    return this.schools.isSynced() && this.nvrs.isSynced() && this.nodes.isSynced() && this.faceIdDevices.isSynced();
  }

  fleet(): Fleet {
    this.cached ??= { schools: [...this.schools.list()], nvrs: [...this.nvrs.list()], nodes: [...this.nodes.list()], faceIdDevices: [...this.faceIdDevices.list()] };
    return this.cached;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}
