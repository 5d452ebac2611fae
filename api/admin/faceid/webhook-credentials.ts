// A FaceID terminal's webhook credential, issued through the admin API: the path token the terminal puts in its
// push URL (Hikvision, Dahua), stored by the webhook only as a keyed hash and shown here once. Issuing again
// rotates: the previous token keeps working for an overlap, so the terminal can be reconfigured meanwhile.
import type { DataSource } from 'typeorm';
import { UnavailableError } from '../../platform/errors.js';
import { DeviceSecrets, type SecretKeys } from '../../webhook/secrets.js';

export interface WebhookCredentialsConfig {
  /** Where terminals reach the webhook ingress, e.g. https://attendance.posbon.example.org. */
  publicUrl: string;
  /** The ingress's token hash key (POSBON_TOKEN_HASH_KEY), which both processes must share; never its sealing key. */
  keys: Pick<SecretKeys, 'tokenHashKey'>;
}

export interface IssuedWebhookCredential {
  schoolId: string;
  deviceId: string;
  token: string;
  /** The push URLs that carry it: Hikvision (per direction) and Dahua. */
  urls: { hikvisionIn: string; hikvisionOut: string; dahua: string };
  rotated: boolean;
  /** Until when the previous token still works (rotation only). */
  previousValidUntil: string | null;
}

export class WebhookCredentials {
  private constructor(
    private readonly secrets: DeviceSecrets | undefined,
    private readonly publicUrl: string,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; config?: WebhookCredentialsConfig; now?: () => Date }): WebhookCredentials {
    const now = deps.now ?? (() => new Date());
    const secrets = deps.config ? DeviceSecrets.create({ dataSource: deps.dataSource, keys: deps.config.keys, now, cacheTtlMs: 0 }) : undefined;
    return new WebhookCredentials(secrets, (deps.config?.publicUrl ?? '').replace(/\/+$/, ''), now);
  }

  async issue(schoolId: string, deviceId: string, overlapHours: number): Promise<IssuedWebhookCredential> {
    if (!this.secrets) {
      throw new UnavailableError('webhook credentials are not configured: set POSBON_WEBHOOK_PUBLIC_URL and POSBON_TOKEN_HASH_KEY');
    }
    const device = { schoolId, deviceId };
    const overlapMs = overlapHours * 3600_000;
    let token: string;
    let rotated = false;
    if (await this.secrets.hasActive(device, 'path-token')) {
      token = await this.secrets.rotate(device, 'path-token', overlapMs);
      rotated = true;
    } else {
      token = await this.secrets.issue(device, 'path-token');
    }
    const at = (path: string) => `${this.publicUrl}${path}`;
    const school = encodeURIComponent(schoolId);
    return {
      schoolId,
      deviceId,
      token,
      urls: { hikvisionIn: at(`/webhook/${school}/in/${token}`), hikvisionOut: at(`/webhook/${school}/out/${token}`), dahua: at(`/dahua/${school}/${token}`) },
      rotated,
      previousValidUntil: rotated ? new Date(this.now().getTime() + overlapMs).toISOString() : null,
    };
  }
}
