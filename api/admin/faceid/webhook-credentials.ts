// A FaceID terminal's push settings, issued through the admin API for a device of the fleet, in its vendor's terms:
// Hikvision and Dahua carry a path token (stored by the webhook only as a keyed hash, shown here once; issuing again
// rotates, the previous token working for an overlap); ZKTeco's ADMS carries no secret, so it gets the server settings
// and the school's declared source addresses, which are what the webhook checks.
import type { DataSource } from 'typeorm';
import { NotFoundError, UnavailableError } from '../../../lib/errors/index.js';
import { DeviceSecrets, type SecretKeys } from '../../webhook/secrets.js';
import { vendorOf } from '../../webhook/vendors/registry.js';
import type { FaceIdDeviceEntry } from '../fleet-view/fleet-view.js';
import { actorOf, type Principal } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';

export interface WebhookCredentialsConfig {
  /** Where terminals reach the webhook ingress, e.g. https://attendance.posbon.example.org. */
  publicUrl: string;
  /** The ingress's token hash key (POSBON_TOKEN_HASH_KEY), which both processes must share; never its sealing key. */
  keys: Pick<SecretKeys, 'tokenHashKey'>;
}

/** What a terminal's push configuration screen asks for. */
export interface PushSettings {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  /** Full URLs: Hikvision per direction it records (`in`, `out`), Dahua `upload`, ZKTeco `server` (ADMS appends iclock/…). */
  urls: Record<string, string>;
  /** ZKTeco: the serial the device reports, and the addresses its pushes must come from (none: every push is refused). */
  serialNumber?: string;
  sourceAddresses?: string[];
}

export interface IssuedWebhookCredential {
  schoolId: string;
  deviceId: string;
  vendor: FaceIdDeviceEntry['vendor'];
  /** The path token, shown once; null for ZKTeco, whose protocol has no place for one. */
  token: string | null;
  push: PushSettings;
  rotated: boolean;
  /** Until when the previous token still works (rotation only). */
  previousValidUntil: string | null;
}

export type FaceIdDeviceLookup = (schoolId: string, deviceId: string) => FaceIdDeviceEntry | undefined;

export class WebhookCredentials {
  private constructor(
    private readonly secrets: DeviceSecrets | undefined,
    private readonly publicUrl: string,
    private readonly devices: FaceIdDeviceLookup,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; devices: FaceIdDeviceLookup; audit: AuditLog; config?: WebhookCredentialsConfig; now?: () => Date }): WebhookCredentials {
    const now = deps.now ?? (() => new Date());
    const secrets = deps.config ? DeviceSecrets.create({ dataSource: deps.dataSource, keys: deps.config.keys, now, cacheTtlMs: 0 }) : undefined;
    return new WebhookCredentials(secrets, (deps.config?.publicUrl ?? '').replace(/\/+$/, ''), deps.devices, deps.audit, now);
  }

  /** Issues (or rotates) a device's credential and records it in the audit trail (never the token). */
  async issue(principal: Principal, requestId: string, schoolId: string, deviceId: string, overlapHours: number): Promise<IssuedWebhookCredential> {
    const issued = await this.issueFor(schoolId, deviceId, overlapHours);
    await this.audit.record({ ...actorOf(principal), schoolId, requestId, action: 'faceid.webhook-credential', params: { device: deviceId, rotated: issued.rotated, overlapHours }, result: 'ok' });
    return issued;
  }

  private async issueFor(schoolId: string, deviceId: string, overlapHours: number): Promise<IssuedWebhookCredential> {
    if (!this.secrets) {
      throw new UnavailableError('webhook credentials are not configured: set POSBON_WEBHOOK_PUBLIC_URL and POSBON_TOKEN_HASH_KEY');
    }
    const device = this.devices(schoolId, deviceId);
    if (!device) throw new NotFoundError('name', `school ${schoolId} has no FaceIdDevice ${deviceId} in the fleet`);
    const url = new URL(this.publicUrl);
    const base = {
      protocol: url.protocol === 'http:' ? ('http' as const) : ('https' as const),
      host: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443,
    };
    const at = (path: string) => `${this.publicUrl}${path}`;
    const vendor = vendorOf(device.vendor);
    if (vendor.credential !== 'path-token') {
      const push = { ...base, urls: vendor.pushUrls?.(at, device, '') ?? {}, serialNumber: device.serialNumber, sourceAddresses: device.schoolSourceAddresses };
      return { schoolId, deviceId, vendor: device.vendor, token: null, push, rotated: false, previousValidUntil: null };
    }
    const ref = { schoolId, deviceId };
    const overlapMs = overlapHours * 3600_000;
    const rotated = await this.secrets.hasActive(ref, 'path-token');
    const token = rotated ? await this.secrets.rotate(ref, 'path-token', overlapMs) : await this.secrets.issue(ref, 'path-token');
    const urls = vendor.pushUrls?.(at, device, token) ?? {};
    return {
      schoolId,
      deviceId,
      vendor: device.vendor,
      token,
      push: { ...base, urls },
      rotated,
      previousValidUntil: rotated ? new Date(this.now().getTime() + overlapMs).toISOString() : null,
    };
  }
}
