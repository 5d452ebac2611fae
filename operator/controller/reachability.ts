// Reachability and ONVIF sync of each NVR, probed from the sidecar of the media node that serves it.
import type { Nvr } from '../../crds/index.js';
import { ProbeClient, ProbeClientError } from '../../lib/probe-protocol/client.js';
import { discoveredCamerasOf } from '../../lib/devices/discovered-cameras.js';
import { publishedCameras } from '../core/fleet.js';
import type { FleetPlan } from '../core/plan.js';
import type { Logger } from '../../lib/log/logger.js';
import { setCondition, sameStatus, type ConditionInput } from './conditions.js';
import { WorkQueue } from './queue.js';

export interface ProbeEndpoints {
  /** Base URL of the sidecar on `node`. */
  urlFor(node: string): string;
  /** The bearer token the sidecars accept. */
  token(): Promise<string>;
}

export interface ReachabilityDeps {
  namespace: string;
  nvr(name: string): Nvr | undefined;
  nvrs(): ReadonlyArray<Nvr>;
  plan(): FleetPlan | undefined;
  endpoints: ProbeEndpoints;
  patchStatus(name: string, status: Record<string, unknown>, resourceVersion: string | undefined): Promise<void>;
  log: Logger;
  /** Period of the probe of each NVR; each run is jittered by ±10 %. */
  intervalMs: number;
}

const REASON_MESSAGES: Record<string, string> = {
  Ok: 'the media node reaches the NVR',
  Refused: 'the router refused the connection: check the port forward',
  Timeout: "no answer: the router may not admit the media node's egress IP",
  AuthFailed: 'the NVR refused the credentials in the referenced Secret',
  NotAllowlisted: 'the NVR is not (yet) in the probe allowlist of its media node',
  DnsFailed: 'the public host does not resolve',
  ProtocolError: 'the NVR answered something that is not RTSP or ONVIF',
  Unreachable: 'the public host cannot be reached from the media node',
  TooLarge: 'the NVR sent more than the probe reads from one connection',
};

export class ReachabilityReconciler {
  private readonly queue: WorkQueue;
  private readonly seen = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private leading = false;

  private constructor(private readonly deps: ReachabilityDeps) {
    this.queue = new WorkQueue((name) => this.reconcile(name), {
      concurrency: 4,
      baseDelayMs: 1000,
      maxDelayMs: 120_000,
      onError: (key, error, retryInMs) => deps.log.warn('probe failed', { resource: `Nvr/${key}`, retryInMs, error: (error as Error).message }),
    });
  }

  static create(deps: ReachabilityDeps): ReachabilityReconciler {
    return new ReachabilityReconciler(deps);
  }

  lead(): void {
    this.leading = true;
    for (const nvr of this.deps.nvrs()) this.queue.add(nvr.metadata.name);
  }

  /** Probes on creation and on every spec change; status writes (ours included) do not count. */
  onChange(type: 'add' | 'update' | 'delete', nvr: Nvr): void {
    const name = nvr.metadata.name;
    if (type === 'delete') {
      clearTimeout(this.timers.get(name));
      this.timers.delete(name);
      this.seen.delete(name);
      return;
    }
    const generation = nvr.metadata.generation ?? 0;
    if (this.seen.get(name) === generation) return;
    this.seen.set(name, generation);
    if (this.leading) this.queue.add(name);
  }

  /** After a shard changed hands, the NVRs on it are probed from their new node. */
  reprobe(names: Iterable<string>): void {
    if (!this.leading) return;
    for (const name of names) this.queue.add(name);
  }

  stop(): void {
    this.leading = false;
    this.queue.stop();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private schedule(name: string, delayMs: number): void {
    clearTimeout(this.timers.get(name));
    const timer = setTimeout(() => this.queue.add(name), delayMs * (0.9 + Math.random() * 0.2));
    timer.unref();
    this.timers.set(name, timer);
  }

  private async reconcile(name: string): Promise<void> {
    const nvr = this.deps.nvr(name);
    const node = nvr ? this.deps.plan()?.assignments.get(nvr.spec.schoolRef)?.node : undefined;
    if (!nvr || !node) return;
    const key = `${this.deps.namespace}/${name}`;
    const client = ProbeClient.create({ baseUrl: this.deps.endpoints.urlFor(node), token: await this.deps.endpoints.token(), caller: 'operator' });
    const camera = publishedCameras(nvr)[0];
    // A new NVR reaches its node's allowlist through a ConfigMap volume, which takes a while: ask again soon.
    let next = this.deps.intervalMs;
    try {
      const probe = camera
        ? await client.rtsp(key, { path: camera.rtspPath.replace(/^\//, '') })
        : await client.tcp(key, nvr.spec.publicRtspPort);
      const onvif = nvr.spec.onvifSync && probe.reason === 'Ok' ? await client.onvif(key) : undefined;
      const reason = onvif && onvif.reason !== 'Ok' ? onvif.reason : probe.reason;
      if (reason === 'NotAllowlisted') next = Math.min(this.deps.intervalMs, 5000);
      const reachable: ConditionInput = {
        type: 'Reachable',
        status: reason === 'Ok' ? 'True' : 'False',
        reason,
        message: `${REASON_MESSAGES[reason] ?? reason} (probed from ${node})`,
      };
      const status: Record<string, unknown> = {
        reachability: {
          reachable: reason === 'Ok',
          reason,
          ...(probe.latencyMs !== undefined ? { latencyMs: Math.round(probe.latencyMs) } : {}),
          node,
          checkedAt: new Date().toISOString(),
        },
        conditions: setCondition(nvr.status?.conditions, reachable, new Date().toISOString(), nvr.metadata.generation),
        ...(onvif?.reason === 'Ok' ? { discoveredCameras: discoveredCamerasOf(onvif.cameras ?? []) } : {}),
      };
      // checkedAt and latency move on every probe; a write for them alone is due only when the last one grows old.
      const previous = nvr.status?.reachability;
      const stale = !previous || Date.now() - new Date(previous.checkedAt).getTime() > 3 * this.deps.intervalMs;
      const same =
        previous?.reason === reason &&
        previous.node === node &&
        sameStatus(nvr.status?.conditions, status.conditions) &&
        (status.discoveredCameras === undefined || sameStatus(nvr.status?.discoveredCameras, status.discoveredCameras));
      if (stale || !same) {
        await this.deps.patchStatus(name, status, nvr.metadata.resourceVersion);
        this.deps.log.info('probed', { resource: `Nvr/${name}`, node, reason });
      }
    } catch (error) {
      if (!(error instanceof ProbeClientError)) throw error;
      throw new Error(`probe sidecar of ${node}: ${error.code}: ${error.message}`);
    } finally {
      this.schedule(name, next);
    }
  }
}
