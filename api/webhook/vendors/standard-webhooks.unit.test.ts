import { randomBytes } from 'node:crypto';
import type { DeviceContext } from '../attendance.js';
import { signedBody } from '../../../test/webhook/fixtures.js';
import { parseSignedAttendance, signStandardWebhook, verifyStandardWebhook, whsecKey } from './standard-webhooks.js';

const device: DeviceContext = {
  schoolId: 'school-7',
  deviceId: 'gw-1',
  vendor: 'hikvision',
  direction: 'both',
  timezone: 'Asia/Tashkent',
};
const key = randomBytes(32);
const now = new Date('2026-11-20T03:00:00Z');
const ts = String(now.getTime() / 1000);
const body = Buffer.from(signedBody([{ personId: '1001', direction: 'in', occurredAt: '2026-11-20T07:55:12+05:00' }]));

describe('verifyStandardWebhook', () => {
  it("signs the Standard Webhooks specification's published vector byte for byte", () => {
    const signature = signStandardWebhook(whsecKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), 'msg_p5jXN8AQM9LWM0D4loKWxJek', '1614265330', Buffer.from('{"test": 2432232314}'));
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('accepts a valid signature and returns the webhook id', () => {
    const signature = signStandardWebhook(key, 'msg_1', ts, body);
    expect(verifyStandardWebhook({ id: 'msg_1', timestamp: ts, signature, body }, [key], now)).toBe('msg_1');
  });

  it('accepts a signature by the new or the old key during a rotation, and any of several signatures', () => {
    const old = randomBytes(32);
    const signature = `v1,${randomBytes(32).toString('base64')} ${signStandardWebhook(old, 'msg_1', ts, body)}`;
    expect(verifyStandardWebhook({ id: 'msg_1', timestamp: ts, signature, body }, [key, old], now)).toBe('msg_1');
  });

  it('accepts timestamps within 120 s either way and refuses beyond', () => {
    for (const offset of [-120, 120]) {
      const at = String(Number(ts) + offset);
      expect(
        verifyStandardWebhook(
          { id: 'm', timestamp: at, signature: signStandardWebhook(key, 'm', at, body), body },
          [key],
          now,
        ),
      ).toBe('m');
    }
    for (const offset of [-121, 121]) {
      const at = String(Number(ts) + offset);
      expect(() =>
        verifyStandardWebhook(
          { id: 'm', timestamp: at, signature: signStandardWebhook(key, 'm', at, body), body },
          [key],
          now,
        ),
      ).toThrow(expect.objectContaining({ status: 401, message: 'webhook-timestamp: outside the 120 s tolerance' }));
    }
  });

  it('refuses a changed body, a wrong key and missing headers, naming the header', () => {
    const signature = signStandardWebhook(key, 'm', ts, body);
    const cases: [Parameters<typeof verifyStandardWebhook>[0], string][] = [
      [
        { id: 'm', timestamp: ts, signature, body: Buffer.concat([body, Buffer.from(' ')]) },
        'webhook-signature: does not match',
      ],
      [{ id: 'other', timestamp: ts, signature, body }, 'webhook-signature: does not match'],
      [{ id: undefined, timestamp: ts, signature, body }, 'webhook-id: expected'],
      [{ id: 'm', timestamp: 'soon', signature, body }, 'webhook-timestamp: expected seconds'],
      [{ id: 'm', timestamp: ts, signature: undefined, body }, 'webhook-signature: missing'],
      [{ id: 'm', timestamp: ts, signature: 'v1,', body }, 'webhook-signature: does not match'],
    ];
    for (const [request, message] of cases) expect(() => verifyStandardWebhook(request, [key], now)).toThrow(message);
    expect(() => verifyStandardWebhook({ id: 'm', timestamp: ts, signature, body }, [randomBytes(32)], now)).toThrow(
      'webhook-signature: does not match',
    );
  });

  it('reads the key of a whsec_ secret', () => {
    expect(whsecKey(`whsec_${key.toString('base64')}`)).toEqual(key);
  });
});

describe('parseSignedAttendance', () => {
  it('reads events, keyed by the sender event id when given', () => {
    const push = parseSignedAttendance(
      signedBody([
        { eventId: 'e-1', personId: '1001', direction: 'in', occurredAt: '2026-11-20T07:55:12+05:00' },
        { personId: '1002', direction: 'out', occurredAt: '2026-11-20T07:56:00' },
      ]),
      device,
    );
    expect(
      push.events.map(({ personId, direction, occurredAt, source }) => ({ personId, direction, occurredAt, source })),
    ).toEqual([
      { personId: '1001', direction: 'in', occurredAt: new Date('2026-11-20T02:55:12Z'), source: 'standard-webhooks' },
      { personId: '1002', direction: 'out', occurredAt: new Date('2026-11-20T02:56:00Z'), source: 'standard-webhooks' },
    ]);
  });

  it('names the field of a bad event', () => {
    expect(() => parseSignedAttendance('{"type":"other"}', device)).toThrow(/^type: /);
    expect(() => parseSignedAttendance(signedBody([{ personId: '1', occurredAt: 'x' }]), device)).toThrow(
      /^data.events.0.occurredAt: /,
    );
    expect(() =>
      parseSignedAttendance(signedBody([{ personId: '1', occurredAt: '2026-11-20T07:55:12Z' }]), device),
    ).toThrow('data.events.0.direction: direction is required');
    expect(() =>
      parseSignedAttendance(signedBody([{ personId: '1', direction: 'out', occurredAt: '2026-11-20T07:55:12Z' }]), {
        ...device,
        direction: 'in',
      }),
    ).toThrow("data.events.0.direction: this device records only 'in'");
  });
});
