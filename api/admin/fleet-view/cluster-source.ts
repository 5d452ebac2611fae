// The fleet as the cluster holds it, kept in memory by informers: requests never LIST.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION, type FaceIdDevice, type MediaNode, type Nvr, type School } from '../../../crds/index.js';
import { ResourceInformer, customObjectPath, listCustomObjects } from '../../../lib/kube/index.js';
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
    const changed = () => {
      this.cached = undefined;
      for (const listener of this.listeners) listener();
    };
    const informer = <T extends KubernetesObject>(kind: Kind) => {
      const custom = { group: GROUP, version: VERSION, ...KINDS[kind] };
      return new ResourceInformer<T>(kc, customObjectPath(custom, namespace), listCustomObjects<T>(kc, custom, namespace), changed, log);
    };
    this.schools = informer('School');
    this.nvrs = informer('Nvr');
    this.nodes = informer('MediaNode');
    this.faceIdDevices = informer('FaceIdDevice');
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
