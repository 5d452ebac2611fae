// The ingress service: which device a push is from, and storing what it carried.
import { TokenBucketLimiter, type RateLimit } from '../../lib/rate/token-bucket.js';
import { ForbiddenError, NotFoundError, TooManyRequestsError, UnauthorizedError } from '../../lib/errors/index.js';
import type { DeviceContext, DeviceVendor, EventAuth, EventSource, ParsedPush } from './attendance.js';
import type { AttendanceStore, StoreResult, WebhookReceipt } from './attendance-store.js';
import type { DeviceDirectory } from './devices.js';
import type { WebhookMetrics } from './metrics.js';
import type { DeviceSecrets } from './secrets.js';
import { verifyStandardWebhook, type SignedRequest } from './vendors/standard-webhooks.js';

export interface WebhookIngressDeps {
  directory: DeviceDirectory;
  secrets: DeviceSecrets;
  store: AttendanceStore;
  metrics: WebhookMetrics;
  /** Refused ZKTeco requests allowed per source address before it is answered 429 (default 10 a minute, burst 20). */
  serialFailures?: RateLimit;
  now?: () => Date;
  /** Told after a commit which device's events were stored (the FaceIdDevice Last-Event column); never awaited. */
  deviceStatus?: { stored(device: { schoolId: string; deviceId: string }): void };
}

/** A device and how its request proved it. */
export interface AuthenticatedDevice {
  device: DeviceContext;
  auth: EventAuth;
}

/** One answer for an unknown serial, a serial of another vendor and a known serial from an undeclared address. */
const SERIAL_REFUSED = 'SN: not accepted from this address';

export interface PushResult extends StoreResult {
  heartbeats: number;
  ignored: number;
}

export class WebhookIngress {
  private readonly serialFailures: TokenBucketLimiter;

  private constructor(
    private readonly directory: DeviceDirectory,
    private readonly secrets: DeviceSecrets,
    private readonly store: AttendanceStore,
    private readonly metrics: WebhookMetrics,
    private readonly now: () => Date,
    serialFailures: RateLimit,
    private readonly deviceStatus: WebhookIngressDeps['deviceStatus'],
  ) {
    this.serialFailures = new TokenBucketLimiter(serialFailures, () => this.now().getTime());
  }

  static create(deps: WebhookIngressDeps): WebhookIngress {
    return new WebhookIngress(deps.directory, deps.secrets, deps.store, deps.metrics, deps.now ?? (() => new Date()), deps.serialFailures ?? { perMinute: 10, burst: 20 }, deps.deviceStatus);
  }

  /**
   * A device authenticated by the token in its URL, which must belong to `schoolId` and be of `vendor`; when the
   * school declares source addresses, the request must also come from one of them.
   */
  async deviceByToken(schoolId: string, token: string, vendor: DeviceVendor, from: string): Promise<AuthenticatedDevice> {
    const ref = await this.secrets.verifyToken(schoolId, token);
    const device = this.directory.byId(ref.schoolId, ref.deviceId);
    if (!device) throw new ForbiddenError('deviceToken', 'the device is no longer registered');
    if (device.vendor !== vendor)
      throw new ForbiddenError('deviceToken', `the device is a ${device.vendor} terminal, not ${vendor}`);
    const sources = this.directory.sourcesOf(device.schoolId);
    if (!sources) return { device, auth: 'path-token' };
    if (!sources.allows(from)) throw new ForbiddenError('source', `${schoolId} does not declare the address this push came from`);
    return { device, auth: 'path-token+source-address' };
  }

  /**
   * A ZKTeco device: ADMS carries nothing secret, so its serial number counts only from an address its school
   * declares. Every refusal reads the same, and refusals are throttled per source address.
   */
  deviceBySerial(serialNumber: string, from: string): AuthenticatedDevice {
    const device = this.directory.bySerialNumber(serialNumber);
    const accepted = device?.vendor === 'zkteco' && this.directory.sourcesOf(device.schoolId)?.allows(from) === true;
    if (accepted) return { device, auth: 'serial+source-address' };
    if (!this.serialFailures.take(from)) throw new TooManyRequestsError('SN: too many refused requests from this address; retry later');
    throw new UnauthorizedError(SERIAL_REFUSED);
  }

  /** A signed request's device, after checking the signature with its current signing keys. */
  async verifySigned(
    schoolId: string,
    deviceId: string,
    request: SignedRequest,
  ): Promise<{ device: DeviceContext; receipt: WebhookReceipt }> {
    const device = this.directory.byId(schoolId, deviceId);
    if (!device) throw new NotFoundError('deviceId', `no FaceIdDevice ${deviceId} in school ${schoolId}`);
    const keys = await this.secrets.signingKeys(device);
    if (keys.length === 0) throw new ForbiddenError('deviceId', 'the device has no signing secret');
    const webhookId = verifyStandardWebhook(request, keys, this.now());
    return { device, receipt: { schoolId, deviceId, webhookId } };
  }

  async accept(source: EventSource, push: ParsedPush, auth: EventAuth, receipt?: WebhookReceipt): Promise<PushResult> {
    const result = await this.store.record(push.events.map((event) => ({ ...event, auth })), receipt);
    if (result.stored > 0 && push.events[0]) this.deviceStatus?.stored(push.events[0]);
    this.metrics.count(source, 'requests', 1);
    this.metrics.count(source, 'stored', result.stored);
    this.metrics.count(source, 'duplicates', result.duplicates);
    this.metrics.count(source, 'rate_limited', result.rateLimited);
    this.metrics.count(source, 'heartbeats', push.heartbeats);
    this.metrics.count(source, 'ignored', push.ignored);
    return { ...result, heartbeats: push.heartbeats, ignored: push.ignored };
  }
}
