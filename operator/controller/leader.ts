// Leader election on a coordination.k8s.io Lease: only the holder writes; a lost lease stops this replica.
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log/logger.js';

export interface LeaseOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewEverySeconds: number;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;

  constructor(
    kc: KubeConfig,
    private readonly options: LeaseOptions,
    private readonly log: Logger,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Tries to take or renew the lease until stopped; calls back on each change of leadership. */
  run(onStartedLeading: () => void, onStoppedLeading: () => void): void {
    const tick = async () => {
      if (this.stopped) return;
      let holds = false;
      try {
        holds = await this.tryAcquireOrRenew();
      } catch (error) {
        this.log.warn('lease update failed', { resource: `Lease/${this.options.name}`, error: String(error) });
      }
      if (holds && !this.leading) {
        this.leading = true;
        this.log.info('became leader', { identity: this.options.identity });
        onStartedLeading();
      } else if (!holds && this.leading) {
        this.leading = false;
        this.log.warn('lost the lease', { identity: this.options.identity });
        onStoppedLeading();
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.options.renewEverySeconds * 1000);
    };
    void tick();
  }

  /** Stops renewing and, if leading, gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.options.name, namespace: this.options.namespace });
      if (lease.spec?.holderIdentity === this.options.identity) {
        lease.spec.holderIdentity = undefined as unknown as string;
        lease.spec.leaseDurationSeconds = 1;
        await this.api.replaceNamespacedLease({ name: this.options.name, namespace: this.options.namespace, body: lease });
      }
    } catch (error) {
      this.log.warn('could not release the lease', { error: String(error) });
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity, leaseDurationSeconds } = this.options;
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
      await this.api.createNamespacedLease({
        namespace,
        body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = Date.now() > renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (spec.holderIdentity && spec.holderIdentity !== identity && !expired) return false;
    const takeover = spec.holderIdentity !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      ...(takeover ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      // The resourceVersion in the body makes this a compare-and-swap: two candidates cannot both win.
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return false;
      throw error;
    }
  }
}
