// The pure core of the ingress: what an attendance event is, its idempotency key, its flags and local times.
import { hash } from 'node:crypto';
import { InputError } from '../../lib/errors/index.js';

export type Direction = 'in' | 'out';
export type DeviceVendor = 'hikvision' | 'zkteco' | 'dahua';
export type EventSource = DeviceVendor | 'standard-webhooks';

/** What the ingress knows about the device a push came from. */
export interface DeviceContext {
  schoolId: string;
  deviceId: string;
  vendor: DeviceVendor;
  direction: Direction | 'both';
  /** The school's IANA time zone, for devices that send local times without an offset. */
  timezone: string;
}

/** An event as stored: with how its sender was authenticated. */
export type AuthenticatedEvent = AttendanceEvent & { auth: EventAuth };

/**
 * How a push's sender proved who it is: a path token, a path token from a declared source address, a ZKTeco
 * serial number from a declared source address, or a Standard Webhooks signature.
 */
export type EventAuth = 'path-token' | 'path-token+source-address' | 'serial+source-address' | 'signature';

export interface AttendanceEvent {
  idempotencyKey: string;
  schoolId: string;
  deviceId: string;
  personId: string;
  direction: Direction;
  occurredAt: Date;
  source: EventSource;
  rawEventType: string;
}

/** A parsed push: the attendance events in it, and how many other messages it carried. */
export interface ParsedPush {
  events: AttendanceEvent[];
  heartbeats: number;
  ignored: number;
}

export const emptyPush = (): ParsedPush => ({ events: [], heartbeats: 0, ignored: 0 });

/** Windows the fallback key rounds to, so a re-sent event with a jittered time keeps its key. */
const FALLBACK_WINDOW_MS = 30_000;

/** The device's own identity of an event when it has one, else device, person, direction and time to 30 s. */
export function idempotencyKey(
  device: Pick<DeviceContext, 'schoolId' | 'deviceId'>,
  identity: readonly (string | number)[] | undefined,
  fallback: { personId: string; direction: Direction; occurredAt: Date },
): string {
  const parts = identity
    ? ['device-identity', device.schoolId, device.deviceId, ...identity.map(String)]
    : [
        'normalised',
        device.schoolId,
        device.deviceId,
        fallback.personId,
        fallback.direction,
        String(Math.floor(fallback.occurredAt.getTime() / FALLBACK_WINDOW_MS)),
      ];
  // The one-shot digest: a Hash object per event was a measurable share of the ingress's CPU.
  return hash('sha256', JSON.stringify(parts), 'base64url');
}

/** What a vendor's parser read from one pass; the factory adds the device, the source and the idempotency key. */
export interface ParsedPass {
  personId: string;
  direction: Direction;
  occurredAt: Date;
  rawEventType: string;
  /** The device's own identity of the event when it sends one (a serial number, a record number). */
  identity: readonly (string | number)[] | undefined;
}

/** The one way an attendance event is built, whichever vendor's push it came from. */
export function attendanceEvent(device: DeviceContext, source: EventSource, pass: ParsedPass): AttendanceEvent {
  const { personId: person, direction, occurredAt, rawEventType, identity } = pass;
  return {
    idempotencyKey: idempotencyKey(device, identity, { personId: person, direction, occurredAt }),
    schoolId: device.schoolId,
    deviceId: device.deviceId,
    personId: person,
    direction,
    occurredAt,
    source,
    rawEventType,
  };
}

export interface TimePolicy {
  /** Older than this when received: accepted, flagged late (a terminal replaying its buffer). */
  lateAfterMs: number;
  /** Further in the future than this: accepted, flagged as clock skew. */
  futureSkewMs: number;
}

export function timeFlags(
  occurredAt: Date,
  receivedAt: Date,
  policy: TimePolicy,
): { late: boolean; futureSkew: boolean } {
  const age = receivedAt.getTime() - occurredAt.getTime();
  return { late: age > policy.lateAfterMs, futureSkew: -age > policy.futureSkewMs };
}

/** The direction an event gets: the device's fixed one, else what the device reported. */
export function resolveDirection(device: DeviceContext, reported: Direction | undefined, field: string): Direction {
  if (device.direction !== 'both') return device.direction;
  if (!reported) throw new InputError(field, 'direction is required for a device that serves both directions');
  return reported;
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Offsets by zone and UTC minute: zone transitions fall on whole minutes, and a morning's passes share few minutes. */
const offsetByMinute = new Map<string, number>();
const OFFSET_CACHE_LIMIT = 100_000;

function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const key = `${timeZone} ${Math.floor(utcMs / 60_000)}`;
  let offset = offsetByMinute.get(key);
  if (offset === undefined) {
    offset = computeZoneOffsetMs(utcMs, timeZone);
    if (offsetByMinute.size >= OFFSET_CACHE_LIMIT) offsetByMinute.clear();
    offsetByMinute.set(key, offset);
  }
  return offset;
}

function computeZoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(new Date(utcMs))) parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})$/;

/** A wall-clock time in a zone ("2026-11-20 07:55:12") as an instant; in a DST gap or overlap, the earlier offset wins. */
export function localTimeToInstant(local: string, timeZone: string, field: string): Date {
  const m = LOCAL_TIME.exec(local);
  if (!m)
    throw new InputError(field, `expected a local time YYYY-MM-DD HH:MM:SS, got ${JSON.stringify(local.slice(0, 40))}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new InputError(field, `not a valid date and time: ${JSON.stringify(local)}`);
  }
  let guess = wall - zoneOffsetMs(wall, timeZone);
  guess = wall - zoneOffsetMs(guess, timeZone);
  return new Date(guess);
}

const ZONED_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** An ISO time from a device: with an offset as given, without one in the school's zone. */
export function deviceTimeToInstant(text: unknown, timeZone: string, field: string): Date {
  if (typeof text !== 'string') throw new InputError(field, 'expected a date-time string');
  const m = ZONED_TIME.exec(text.trim());
  if (!m) throw new InputError(field, `expected an ISO 8601 date-time, got ${JSON.stringify(text.slice(0, 40))}`);
  const [, base, fraction, zone] = m;
  if (!zone) return localTimeToInstant(base!, timeZone, field);
  const offset = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const instant = new Date(`${base}${fraction ?? ''}${offset}`);
  if (Number.isNaN(instant.getTime()))
    throw new InputError(field, `not a valid date-time: ${JSON.stringify(text.slice(0, 40))}`);
  return instant;
}

const PERSON_ID = /^[\p{L}\p{N}._:@-]{1,64}$/u;

export function personId(value: unknown, field: string): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !PERSON_ID.test(text))
    throw new InputError(field, 'expected a person id of 1-64 letters, digits or ._:@-');
  return text;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as text, refusing invalid UTF-8 rather than storing replacement characters. */
export function utf8(bytes: Uint8Array, field: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new InputError(field, 'body is not valid UTF-8');
  }
}

export function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InputError(field, 'not valid JSON');
  }
}
