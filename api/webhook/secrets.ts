// Per-device credentials: path tokens stored only as keyed hashes, signing secrets sealed with AES-256-GCM.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { IsNull, MoreThan, type DataSource } from 'typeorm';
import { DeviceSecretRow, type DeviceSecretKind } from '../db/entities/device-secret.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
} from '../../lib/errors/index.js';
import type { OutageLog } from '../platform/outage-log.js';
import { whsecKey } from './vendors/standard-webhooks.js';

export interface DeviceRef {
  schoolId: string;
  deviceId: string;
}

export interface SecretKeys {
  /** Keys the HMAC that path tokens are stored as (32 bytes). */
  tokenHashKey: Buffer;
  /** Seals signing secrets, which must be readable to verify signatures (32 bytes); only the ingress holds it. */
  sealingKey?: Buffer;
}

export interface DeviceSecretsDeps {
  dataSource: DataSource;
  keys: SecretKeys;
  now?: () => Date;
  /** How long a verified credential is trusted from memory; bounds how late a revocation bites. */
  cacheTtlMs?: number;
  /** Told when a lookup fails for want of the database, and when one works again. */
  outage?: OutageLog;
}

/** Prefixes make a leaked credential recognisable (and let the logger redact it anywhere). */
const TOKEN_PREFIX = 'pdt_';
const SIGNING_PREFIX = 'whsec_';
const CACHE_LIMIT = 50_000;

interface Cached<T> {
  value: T;
  until: number;
}

export class DeviceSecrets {
  private readonly tokens = new Map<string, Cached<DeviceRef>>();
  private readonly signing = new Map<string, Cached<Buffer[]>>();

  private constructor(
    private readonly dataSource: DataSource,
    private readonly keys: SecretKeys,
    private readonly now: () => Date,
    private readonly cacheTtlMs: number,
    private readonly outage: OutageLog | undefined,
  ) {}

  static create(deps: DeviceSecretsDeps): DeviceSecrets {
    for (const [name, key] of Object.entries(deps.keys)) {
      if (key !== undefined && key.length !== 32) throw new Error(`${name} must be 32 bytes`);
    }
    return new DeviceSecrets(
      deps.dataSource,
      deps.keys,
      deps.now ?? (() => new Date()),
      deps.cacheTtlMs ?? 30_000,
      deps.outage,
    );
  }

  /** Whether the device has a credential of this kind that still works. */
  async hasActive(device: DeviceRef, kind: DeviceSecretKind): Promise<boolean> {
    return (await this.active(device, kind)).length > 0;
  }

  /** A device's first credential of a kind. The returned plaintext is shown once and never stored. */
  async issue(device: DeviceRef, kind: DeviceSecretKind): Promise<string> {
    const active = await this.active(device, kind);
    if (active.length > 0)
      throw new ConflictError('name', `${device.schoolId}/${device.deviceId} already has a ${kind}; rotate it instead`);
    return this.insert(device, kind);
  }

  /** A new credential; the current ones keep working for `overlapMs`, so the device can be reconfigured meanwhile. */
  async rotate(device: DeviceRef, kind: DeviceSecretKind, overlapMs: number): Promise<string> {
    const until = new Date(this.now().getTime() + overlapMs);
    const repo = this.dataSource.getRepository(DeviceSecretRow);
    const active = await this.active(device, kind);
    if (active.length === 0) throw new NotFoundError('name', `${device.schoolId}/${device.deviceId} has no ${kind} to rotate`);
    for (const row of active) {
      if (row.expiresAt === null || row.expiresAt > until) await repo.update({ id: row.id }, { expiresAt: until });
    }
    this.forget(device);
    return this.insert(device, kind);
  }

  /** The device a path token belongs to, which must be in `schoolId`. */
  async verifyToken(schoolId: string, token: string): Promise<DeviceRef> {
    const hash = this.tokenHash(token);
    const cacheKey = hash.toString('base64');
    const now = this.now().getTime();
    let device = this.fromCache(this.tokens, cacheKey, now);
    if (!device) {
      const row = await this.lookup(() =>
        this.dataSource.getRepository(DeviceSecretRow).findOne({
          where: [
            { kind: 'path-token', tokenHash: hash, expiresAt: IsNull() },
            { kind: 'path-token', tokenHash: hash, expiresAt: MoreThan(this.now()) },
          ],
        }),
      );
      if (!row) throw new UnauthorizedError('deviceToken: not a valid device token');
      device = { schoolId: row.schoolId, deviceId: row.deviceId };
      const until = Math.min(now + this.cacheTtlMs, row.expiresAt?.getTime() ?? Infinity);
      this.remember(this.tokens, cacheKey, { value: device, until });
    }
    if (device.schoolId !== schoolId) throw new ForbiddenError('schoolId', 'the device token belongs to another school');
    return device;
  }

  /** The keys of every signing secret the device currently has (two during a rotation). */
  async signingKeys(device: DeviceRef): Promise<Buffer[]> {
    const cacheKey = `${device.schoolId}/${device.deviceId}`;
    const now = this.now().getTime();
    const cached = this.fromCache(this.signing, cacheKey, now);
    if (cached) return cached;
    const rows = await this.lookup(() => this.active(device, 'signing-secret'));
    const keys = rows.map((row) => whsecKey(this.unseal(row.sealedSecret!, cacheKey)));
    const until = Math.min(now + this.cacheTtlMs, ...rows.map((row) => row.expiresAt?.getTime() ?? Infinity));
    this.remember(this.signing, cacheKey, { value: keys, until });
    return keys;
  }

  /**
   * A read on the request path: a database failure is a 503 the device retries, and counts toward the outage.
   * Callers are unauthenticated, so the answer is generic; the detail goes to the outage log only.
   */
  private async lookup<T>(read: () => Promise<T>): Promise<T> {
    try {
      const result = await read();
      this.outage?.succeeded();
      return result;
    } catch (error) {
      this.outage?.failed(error);
      throw new UnavailableError('device credentials cannot be checked now; retry later');
    }
  }

  private active(device: DeviceRef, kind: DeviceSecretKind): Promise<DeviceSecretRow[]> {
    const base = { schoolId: device.schoolId, deviceId: device.deviceId, kind };
    return this.dataSource.getRepository(DeviceSecretRow).find({
      where: [
        { ...base, expiresAt: IsNull() },
        { ...base, expiresAt: MoreThan(this.now()) },
      ],
      order: { id: 'ASC' },
    });
  }

  private async insert(device: DeviceRef, kind: DeviceSecretKind): Promise<string> {
    const row = new DeviceSecretRow();
    Object.assign(row, {
      schoolId: device.schoolId,
      deviceId: device.deviceId,
      kind,
      createdAt: this.now(),
      expiresAt: null,
    });
    let plaintext: string;
    if (kind === 'path-token') {
      plaintext = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      row.tokenHash = this.tokenHash(plaintext);
      row.sealedSecret = null;
    } else {
      plaintext = `${SIGNING_PREFIX}${randomBytes(32).toString('base64')}`;
      row.sealedSecret = this.seal(plaintext, `${device.schoolId}/${device.deviceId}`);
      row.tokenHash = null;
    }
    await this.dataSource.getRepository(DeviceSecretRow).insert(row);
    return plaintext;
  }

  private tokenHash(token: string): Buffer {
    return createHmac('sha256', this.keys.tokenHashKey).update(token).digest();
  }

  /** iv ‖ tag ‖ ciphertext, bound to the device so a sealed secret cannot be moved to another. */
  private seal(plaintext: string, device: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealingKey(), iv).setAAD(Buffer.from(device));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
  }

  private unseal(sealed: Buffer, device: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.sealingKey(), sealed.subarray(0, 12)).setAAD(
      Buffer.from(device),
    );
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  }

  private sealingKey(): Buffer {
    if (!this.keys.sealingKey) throw new Error('signing secrets need the ingress\'s sealing key, which this process does not hold');
    return this.keys.sealingKey;
  }

  private fromCache<T>(cache: Map<string, Cached<T>>, key: string, now: number): T | undefined {
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.value;
    if (hit) cache.delete(key);
    return undefined;
  }

  private remember<T>(cache: Map<string, Cached<T>>, key: string, entry: Cached<T>): void {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, entry);
  }

  private forget(device: DeviceRef): void {
    this.signing.delete(`${device.schoolId}/${device.deviceId}`);
    for (const [key, entry] of this.tokens) {
      if (entry.value.schoolId === device.schoolId && entry.value.deviceId === device.deviceId) this.tokens.delete(key);
    }
  }
}
