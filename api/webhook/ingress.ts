// The ingress service: which device a push is from, and storing what it carried.
import { ForbiddenError, NotFoundError } from '../platform/errors.js';
import type { DeviceContext, DeviceVendor, EventSource, ParsedPush } from './attendance.js';
import type { AttendanceStore, StoreResult, WebhookReceipt } from './attendance-store.js';
import type { DeviceDirectory } from './devices.js';
import type { DeviceSecrets } from './secrets.js';
import { verifyStandardWebhook, type SignedRequest } from './vendors/standard-webhooks.js';

export interface WebhookIngressDeps {
  directory: DeviceDirectory;
  secrets: DeviceSecrets;
  store: AttendanceStore;
  now?: () => Date;
}

export interface PushResult extends StoreResult {
  heartbeats: number;
  ignored: number;
}

type Counter = 'requests' | 'stored' | 'duplicates' | 'heartbeats' | 'ignored';

export class WebhookIngress {
  readonly counters = new Map<string, number>();

  private constructor(
    private readonly directory: DeviceDirectory,
    private readonly secrets: DeviceSecrets,
    private readonly store: AttendanceStore,
    private readonly now: () => Date,
  ) {}

  static create(deps: WebhookIngressDeps): WebhookIngress {
    return new WebhookIngress(deps.directory, deps.secrets, deps.store, deps.now ?? (() => new Date()));
  }

  /** A device authenticated by the token in its URL, which must belong to `schoolId` and be of `vendor`. */
  async deviceByToken(schoolId: string, token: string, vendor: DeviceVendor): Promise<DeviceContext> {
    const ref = await this.secrets.verifyToken(schoolId, token);
    const device = this.directory.byId(ref.schoolId, ref.deviceId);
    if (!device) throw new ForbiddenError('deviceToken: the device is no longer registered');
    if (device.vendor !== vendor)
      throw new ForbiddenError(`deviceToken: the device is a ${device.vendor} terminal, not ${vendor}`);
    return device;
  }

  deviceBySerial(serialNumber: string): DeviceContext {
    const device = this.directory.bySerialNumber(serialNumber);
    if (!device || device.vendor !== 'zkteco')
      throw new ForbiddenError('SN: no ZKTeco FaceIdDevice has this serial number');
    return device;
  }

  /** A signed request's device, after checking the signature with its current signing keys. */
  async verifySigned(
    schoolId: string,
    deviceId: string,
    request: SignedRequest,
  ): Promise<{ device: DeviceContext; receipt: WebhookReceipt }> {
    const device = this.directory.byId(schoolId, deviceId);
    if (!device) throw new NotFoundError(`deviceId: no FaceIdDevice ${deviceId} in school ${schoolId}`);
    const keys = await this.secrets.signingKeys(device);
    if (keys.length === 0) throw new ForbiddenError('deviceId: the device has no signing secret');
    const webhookId = verifyStandardWebhook(request, keys, this.now());
    return { device, receipt: { schoolId, deviceId, webhookId } };
  }

  async accept(source: EventSource, push: ParsedPush, receipt?: WebhookReceipt): Promise<PushResult> {
    const result = await this.store.record(push.events, receipt);
    this.count(source, 'requests', 1);
    this.count(source, 'stored', result.stored);
    this.count(source, 'duplicates', result.duplicates);
    this.count(source, 'heartbeats', push.heartbeats);
    this.count(source, 'ignored', push.ignored);
    return { ...result, heartbeats: push.heartbeats, ignored: push.ignored };
  }

  /** Prometheus text of the counters and of the store's group commits. */
  metrics(): string {
    const lines = ['# TYPE posbon_webhook_total counter'];
    for (const [key, value] of [...this.counters].sort()) {
      const [source, counter] = key.split(' ');
      lines.push(`posbon_webhook_total{source="${source}",counter="${counter}"} ${value}`);
    }
    const { batches, events, commitMs } = this.store.stats;
    lines.push(
      '# TYPE posbon_webhook_commit_batches_total counter',
      `posbon_webhook_commit_batches_total ${batches}`,
      '# TYPE posbon_webhook_commit_events_total counter',
      `posbon_webhook_commit_events_total ${events}`,
      '# TYPE posbon_webhook_commit_seconds_total counter',
      `posbon_webhook_commit_seconds_total ${(commitMs / 1000).toFixed(6)}`,
    );
    return `${lines.join('\n')}\n`;
  }

  private count(source: EventSource, counter: Counter, by: number): void {
    const key = `${source} ${counter}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }
}
