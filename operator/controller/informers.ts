// Informers that never stay down: a watch error restarts the list-and-watch after a backoff.
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export type ChangeType = 'add' | 'update' | 'delete';

export class ResourceInformer<T extends KubernetesObject> {
  private readonly informer;
  private synced = false;
  private stopped = false;
  private restarts = 0;

  constructor(
    kc: KubeConfig,
    readonly path: string,
    list: () => Promise<KubernetesListObject<T>>,
    onChange: (type: ChangeType, object: T) => void,
    private readonly log: Logger,
    labelSelector?: string,
  ) {
    this.informer = makeInformer<T>(kc, path, list, labelSelector);
    for (const type of ['add', 'update', 'delete'] as const) this.informer.on(type, (object) => onChange(type, object));
    this.informer.on('error', (error) => {
      if (this.stopped) return;
      const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
      this.log.warn('watch failed, restarting', { resource: path, retryInMs: delay, error: String(error) });
      setTimeout(() => void this.start().catch(() => undefined), delay).unref();
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.synced = true;
    this.restarts = 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  isSynced(): boolean {
    return this.synced;
  }

  list(): ReadonlyArray<T> {
    return this.informer.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }
}
