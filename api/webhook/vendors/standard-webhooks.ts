// Signed JSON per Standard Webhooks, for senders that can sign (a gateway, another system).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { InputError, UnauthorizedError } from '../../../lib/errors/index.js';
import {
  deviceTimeToInstant,
  emptyPush,
  attendanceEvent,
  parseJson,
  personId,
  resolveDirection,
  type DeviceContext,
  type ParsedPush,
} from '../attendance.js';

export const SIGNATURE_TOLERANCE_S = 120;

export interface SignedRequest {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
}

const WEBHOOK_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The signature of `id.timestamp.body` with a `whsec_` secret's key bytes. */
export function signStandardWebhook(key: Buffer, id: string, timestamp: string, body: Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

export function whsecKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

/**
 * Checks the headers and the signature against every key the device currently has (two during a rotation).
 * Returns the webhook id, which the caller remembers to refuse a replay.
 */
export function verifyStandardWebhook(
  request: SignedRequest,
  keys: readonly Buffer[],
  now: Date,
  toleranceS = SIGNATURE_TOLERANCE_S,
): string {
  const { id, timestamp, signature, body } = request;
  if (!id || !WEBHOOK_ID.test(id))
    throw new InputError('webhook-id', 'expected 1-128 characters of A-Z a-z 0-9 . _ : -');
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    throw new InputError('webhook-timestamp', 'expected seconds since 1970');
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceS) {
    throw new UnauthorizedError(`webhook-timestamp: outside the ${toleranceS} s tolerance`);
  }
  if (!signature) throw new InputError('webhook-signature', 'missing');
  const offered = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  for (const key of keys) {
    const expected = Buffer.from(signStandardWebhook(key, id, timestamp, body).slice(3), 'base64');
    if (offered.some((mac) => mac.length === expected.length && timingSafeEqual(mac, expected))) return id;
  }
  throw new UnauthorizedError('webhook-signature: does not match');
}

const signedEvent = z.object({
  eventId: z.string().min(1).max(128).optional(),
  personId: z.union([z.string(), z.number()]),
  direction: z.enum(['in', 'out']).optional(),
  occurredAt: z.string().max(40),
});

export const signedPayload = z.object({
  type: z.literal('attendance.recorded'),
  data: z.object({ events: z.array(signedEvent).min(1).max(500) }),
});

export type SignedPayload = z.infer<typeof signedPayload>;

/** The verified body: `{ type: 'attendance.recorded', data: { events: [{ eventId?, personId, direction?, occurredAt }] } }`. */
export function parseSignedAttendance(text: string, device: DeviceContext): ParsedPush {
  const result = signedPayload.safeParse(parseJson(text, 'body'));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(issue ? issue.path.join('.') || 'body' : 'body', issue?.message ?? 'invalid');
  }
  const push = emptyPush();
  result.data.data.events.forEach((event, index) => {
    const field = `data.events.${index}`;
    const pupil = personId(event.personId, `${field}.personId`);
    const occurredAt = deviceTimeToInstant(event.occurredAt, device.timezone, `${field}.occurredAt`);
    const direction = resolveDirection(device, event.direction, `${field}.direction`);
    if (event.direction && event.direction !== direction) {
      throw new InputError(`${field}.direction`, `this device records only '${direction}'`);
    }
    push.events.push(
      attendanceEvent(device, 'standard-webhooks', {
        personId: pupil,
        direction,
        occurredAt,
        rawEventType: result.data.type,
        identity: event.eventId ? ['eventId', event.eventId] : undefined,
      }),
    );
  });
  return push;
}
