// Leader election on a coordination.k8s.io Lease, as client-go does it: expiry is judged on the local clock from
// the moment a change of the record was observed, and a failed renew retries until the renew deadline.
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log/logger.js';

export interface LeaseOptions {
  namespace: string;
  name: string;
  identity: string;
  /** How long a candidate waits, after it last saw the record change, before it takes the lease over. */
  leaseDurationSeconds: number;
  /** How long the leader keeps retrying a failed renew before it gives leadership up. */
  renewDeadlineSeconds: number;
  /** Time between attempts to acquire or renew. */
  retryPeriodSeconds: number;
}

/** client-go's defaults keep these ratios: 15 s lease, 10 s renew deadline, 2 s retry period. */
export const leaseTimings = (leaseDurationSeconds: number): Pick<LeaseOptions, 'leaseDurationSeconds' | 'renewDeadlineSeconds' | 'retryPeriodSeconds'> => ({
  leaseDurationSeconds,
  renewDeadlineSeconds: (leaseDurationSeconds * 2) / 3,
  retryPeriodSeconds: leaseDurationSeconds / 7.5,
});

/** The fields whose change proves the holder is alive; compared as a whole, never against the local clock. */
const recordOf = (spec: V1LeaseSpec | undefined): string =>
  JSON.stringify([spec?.holderIdentity ?? '', String(spec?.renewTime ?? ''), String(spec?.acquireTime ?? ''), spec?.leaseTransitions ?? 0, spec?.leaseDurationSeconds ?? 0]);

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private observedRecord = '';
  /** Local time at which `observedRecord` was last seen to change. */
  private observedAt = 0;
  /** Local time of the last successful renew, the start of the renew deadline. */
  private renewedAt = 0;

  constructor(
    kc: KubeConfig,
    private readonly options: LeaseOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
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
      if (this.stopped) return;
      if (holds) this.renewedAt = this.now();
      if (holds && !this.leading) {
        this.leading = true;
        this.log.info('became leader', { identity: this.options.identity });
        onStartedLeading();
      } else if (!holds && this.leading && this.now() - this.renewedAt > this.options.renewDeadlineSeconds * 1000) {
        this.leading = false;
        this.log.warn('lost the lease', { identity: this.options.identity, renewDeadlineSeconds: this.options.renewDeadlineSeconds });
        onStoppedLeading();
      }
      this.timer = setTimeout(() => void tick(), this.options.retryPeriodSeconds * 1000);
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
      const spec = { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 };
      await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
      this.observe(spec);
      return true;
    }
    const spec = lease.spec ?? {};
    const record = recordOf(spec);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = this.now();
    }
    const held = Boolean(spec.holderIdentity) && spec.holderIdentity !== identity;
    if (held && this.observedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 > this.now()) return false;
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
      const written = await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.observe(written.spec);
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return false;
      throw error;
    }
  }

  private observe(spec: V1LeaseSpec | undefined): void {
    this.observedRecord = recordOf(spec);
    this.observedAt = this.now();
  }
}
