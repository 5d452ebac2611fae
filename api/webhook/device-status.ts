// Writes FaceIdDevice status.lastEventAt (the Last-Event column) when the ingress stores a device's events. The
// operator owns Ready; this owns the time, throttled per device, off the ack's path: a failed write is logged and
// counted, never answered to the terminal.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { Counter, type Registry } from 'prom-client';
import { GROUP, VERSION } from '../../crds/index.js';
import type { Logger } from '../../lib/log/logger.js';
import type { DeviceContext } from './attendance.js';

export interface DeviceStatusDeps {
  kc: KubeConfig;
  /** The fleet namespace, where the FaceIdDevice resources live. */
  namespace: string;
  logger: Logger;
  /** Where the write counter goes (the ingress's metrics registry). */
  registry: Registry;
  /** At most one write per device in this window (default 30 s). */
  throttleMs?: number;
  now?: () => Date;
}

export class DeviceStatusWriter {
  /** The time last written (or being written) per device; a write is due only once this is `throttleMs` old. */
  private readonly written = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly objects: CustomObjectsApi,
    private readonly namespace: string,
    private readonly logger: Logger,
    private readonly writes: Counter<'result'>,
    private readonly throttleMs: number,
    private readonly now: () => Date,
  ) {}

  static create(deps: DeviceStatusDeps): DeviceStatusWriter {
    const writes = new Counter({
      name: 'posbon_webhook_device_status_writes_total',
      help: 'Writes of FaceIdDevice status.lastEventAt, by result (ok, failed).',
      labelNames: ['result'],
      registers: [deps.registry],
    });
    return new DeviceStatusWriter(deps.kc.makeApiClient(CustomObjectsApi), deps.namespace, deps.logger, writes, deps.throttleMs ?? 30_000, deps.now ?? (() => new Date()));
  }

  /** The device's events were stored now: schedules a write when the last one is older than the throttle window. */
  stored(device: Pick<DeviceContext, 'schoolId' | 'deviceId'>): void {
    const at = this.now().getTime();
    const last = this.written.get(device.deviceId);
    if (last !== undefined && at - last < this.throttleMs) return;
    this.written.set(device.deviceId, at);
    const write = this.write(device, new Date(at)).finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  /** Waits for the writes under way (a graceful stop). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async write(device: Pick<DeviceContext, 'schoolId' | 'deviceId'>, at: Date): Promise<void> {
    try {
      await this.objects.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace: this.namespace, plural: 'faceiddevices', name: device.deviceId, body: { status: { lastEventAt: at.toISOString() } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.writes.inc({ result: 'ok' });
    } catch (error) {
      // The throttle holds on failure too, so an unreachable API server sees one try per device per window.
      this.writes.inc({ result: 'failed' });
      const status = (error as { code?: unknown }).code;
      this.logger.warn('FaceIdDevice status write failed', { schoolId: device.schoolId, resource: `faceiddevices/${device.deviceId}`, status: typeof status === 'number' ? status : undefined, error: (error as Error).message });
    }
  }
}
