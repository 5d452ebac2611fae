import { idempotencyKey, type DeviceContext } from '../attendance.js';
import { hikvisionEventJson, hikvisionHeartbeat, hikvisionMultipart } from '../../../test/webhook/fixtures.js';
import { actualBoundary, isHikvisionEventPart, parseHikvisionEvent } from './hikvision.js';

const device: DeviceContext = {
  schoolId: 'school-7',
  deviceId: 'gate-1',
  vendor: 'hikvision',
  direction: 'both',
  timezone: 'Asia/Tashkent',
};

describe('parseHikvisionEvent', () => {
  it('turns a face pass into one attendance event keyed by the device serial number', () => {
    const push = parseHikvisionEvent(JSON.stringify(hikvisionEventJson({ serialNo: 4711 })), device, 'in');
    expect(push).toEqual({
      heartbeats: 0,
      ignored: 0,
      events: [
        {
          idempotencyKey: idempotencyKey(device, ['serialNo', 4711], {
            personId: '1001',
            direction: 'in',
            occurredAt: new Date('2026-11-20T02:55:12Z'),
          }),
          schoolId: 'school-7',
          deviceId: 'gate-1',
          personId: '1001',
          direction: 'in',
          occurredAt: new Date('2026-11-20T02:55:12Z'),
          source: 'hikvision',
          rawEventType: 'AccessControllerEvent/5/75:face',
        },
      ],
    });
  });

  it('reads the event wrapped in EventNotificationAlert', () => {
    const wrapped = JSON.stringify({ EventNotificationAlert: hikvisionEventJson({ serialNo: 1, subEventType: 38 }) });
    const [event] = parseHikvisionEvent(wrapped, device, 'out').events;
    expect(event?.rawEventType).toBe('AccessControllerEvent/5/38:fingerprint');
    expect(event?.direction).toBe('out');
  });

  it('reads a local time without offset in the school time zone', () => {
    const [event] = parseHikvisionEvent(
      JSON.stringify(hikvisionEventJson({ dateTime: '2026-11-20T07:55:12' })),
      device,
      'in',
    ).events;
    expect(event?.occurredAt).toEqual(new Date('2026-11-20T02:55:12Z'));
  });

  it('accepts an offset without a colon', () => {
    const [event] = parseHikvisionEvent(
      JSON.stringify(hikvisionEventJson({ dateTime: '2026-11-20T07:55:12+0500' })),
      device,
      'in',
    ).events;
    expect(event?.occurredAt).toEqual(new Date('2026-11-20T02:55:12Z'));
  });

  it('keys an event without serialNo by person, direction and time to 30 s', () => {
    const a = parseHikvisionEvent(
      JSON.stringify(hikvisionEventJson({ dateTime: '2026-11-20T07:55:01+05:00' })),
      device,
      'in',
    );
    const b = parseHikvisionEvent(
      JSON.stringify(hikvisionEventJson({ dateTime: '2026-11-20T07:55:29+05:00' })),
      device,
      'in',
    );
    const c = parseHikvisionEvent(
      JSON.stringify(hikvisionEventJson({ dateTime: '2026-11-20T07:55:31+05:00' })),
      device,
      'in',
    );
    expect(a.events[0]?.idempotencyKey).toBe(b.events[0]?.idempotencyKey);
    expect(c.events[0]?.idempotencyKey).not.toBe(a.events[0]?.idempotencyKey);
  });

  it('counts a heartbeat and records nothing', () => {
    expect(parseHikvisionEvent(JSON.stringify(hikvisionHeartbeat()), device, 'in')).toEqual({
      events: [],
      heartbeats: 1,
      ignored: 0,
    });
  });

  it('acknowledges and counts events that are not passes', () => {
    const refused = hikvisionEventJson({ subEventType: 76 });
    const stranger = hikvisionEventJson({ employeeNoString: '' });
    const motion = { ...hikvisionEventJson(), eventType: 'VMD', AccessControllerEvent: undefined };
    for (const json of [refused, stranger, motion]) {
      expect(parseHikvisionEvent(JSON.stringify(json), device, 'in')).toEqual({
        events: [],
        heartbeats: 0,
        ignored: 1,
      });
    }
  });

  it('names the field of a bad time or person', () => {
    expect(() =>
      parseHikvisionEvent(JSON.stringify(hikvisionEventJson({ dateTime: 'yesterday' })), device, 'in'),
    ).toThrow(/^event.dateTime: /);
    expect(() =>
      parseHikvisionEvent(JSON.stringify(hikvisionEventJson({ employeeNoString: 'a b' })), device, 'in'),
    ).toThrow(/^event.AccessControllerEvent.employeeNoString: /);
    expect(() => parseHikvisionEvent('{"eventType":', device, 'in')).toThrow('event: not valid JSON');
    expect(() => parseHikvisionEvent('[1]', device, 'in')).toThrow('event: expected a JSON object');
  });
});

describe('multipart parts', () => {
  it('recognises the JSON part under every name firmwares use, and JSON by type', () => {
    for (const name of ['event_log', 'AccessControllerEvent', 'event', 'EventNotificationAlert'])
      expect(isHikvisionEventPart(name, 'text/plain')).toBe(true);
    expect(isHikvisionEventPart('anything', 'application/json; charset=utf-8')).toBe(true);
    expect(isHikvisionEventPart('Picture', 'image/jpeg')).toBe(false);
  });

  it('uses the body spelling of a boundary whose letter case differs from the header', () => {
    const { body } = hikvisionMultipart({
      json: hikvisionEventJson(),
      headerBoundary: 'MIME_boundary',
      bodyBoundary: 'mime_BOUNDARY',
    });
    expect(actualBoundary('MIME_boundary', body)).toBe('mime_BOUNDARY');
  });

  it('keeps the header boundary when the body uses another one', () => {
    const { body } = hikvisionMultipart({ json: hikvisionEventJson(), bodyBoundary: 'other' });
    expect(actualBoundary('MIME_boundary', body)).toBe('MIME_boundary');
    expect(actualBoundary('MIME_boundary', Buffer.from('no dashes here'))).toBe('MIME_boundary');
  });
});
