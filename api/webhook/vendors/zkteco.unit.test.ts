import { idempotencyKey, type DeviceContext } from '../attendance.js';
import { zktecoAttlog } from '../../../test/webhook/fixtures.js';
import { parseZktecoAttlog, zktecoOptions, zktecoSerial } from './zkteco.js';

const device: DeviceContext = {
  schoolId: 'school-7',
  deviceId: 'zk-1',
  vendor: 'zkteco',
  direction: 'both',
  timezone: 'Asia/Tashkent',
};

describe('parseZktecoAttlog', () => {
  it('converts local times with the school time zone and takes the direction from the status', () => {
    const text = zktecoAttlog([
      { pin: '1001', time: '2026-11-20 07:55:12', status: 0 },
      { pin: '1002', time: '2026-11-20 15:01:00', status: 1, verify: 1 },
    ]);
    expect(parseZktecoAttlog(text, device, 'CKJ123')).toEqual({
      heartbeats: 0,
      ignored: 0,
      events: [
        {
          idempotencyKey: idempotencyKey(device, ['zkteco', 'CKJ123', '1001', '2026-11-20 07:55:12', '0'], {
            personId: '1001',
            direction: 'in',
            occurredAt: new Date('2026-11-20T02:55:12Z'),
          }),
          schoolId: 'school-7',
          deviceId: 'zk-1',
          personId: '1001',
          direction: 'in',
          occurredAt: new Date('2026-11-20T02:55:12Z'),
          source: 'zkteco',
          rawEventType: 'ATTLOG/status=0/verify=15',
        },
        {
          idempotencyKey: idempotencyKey(device, ['zkteco', 'CKJ123', '1002', '2026-11-20 15:01:00', '1'], {
            personId: '1002',
            direction: 'out',
            occurredAt: new Date('2026-11-20T10:01:00Z'),
          }),
          schoolId: 'school-7',
          deviceId: 'zk-1',
          personId: '1002',
          direction: 'out',
          occurredAt: new Date('2026-11-20T10:01:00Z'),
          source: 'zkteco',
          rawEventType: 'ATTLOG/status=1/verify=1',
        },
      ],
    });
  });

  it('handles daylight saving time in zones that have it', () => {
    const berlin = { ...device, timezone: 'Europe/Berlin' };
    const [summer, winter] = parseZktecoAttlog(
      zktecoAttlog([
        { pin: '1', time: '2026-07-01 08:00:00' },
        { pin: '1', time: '2026-12-01 08:00:00' },
      ]),
      berlin,
      'SN',
    ).events;
    expect(summer?.occurredAt).toEqual(new Date('2026-07-01T06:00:00Z'));
    expect(winter?.occurredAt).toEqual(new Date('2026-12-01T07:00:00Z'));
  });

  it('uses the fixed direction of a one-way device', () => {
    const [event] = parseZktecoAttlog(
      zktecoAttlog([{ pin: '1', time: '2026-11-20 07:55:12', status: 1 }]),
      { ...device, direction: 'in' },
      'SN',
    ).events;
    expect(event?.direction).toBe('in');
  });

  it('accepts CRLF lines and an empty batch', () => {
    expect(parseZktecoAttlog('1\t2026-11-20 07:55:12\t0\t15\r\n\r\n', device, 'SN').events).toHaveLength(1);
    expect(parseZktecoAttlog('', device, 'SN')).toEqual({ events: [], heartbeats: 0, ignored: 0 });
  });

  it('rejects a batch with a malformed line, naming the line', () => {
    const good = zktecoAttlog([{ pin: '1', time: '2026-11-20 07:55:12' }]);
    expect(() => parseZktecoAttlog(`${good}2\t2026-11-2`, device, 'SN')).toThrow(/^ATTLOG line 2 time: /);
    expect(() => parseZktecoAttlog(`${good}2\t2026-02-30 07:00:00\t0`, device, 'SN')).toThrow(
      /^ATTLOG line 2 time: not a valid date/,
    );
    expect(() => parseZktecoAttlog(`2\t2026-11-20 07:55:12\t9`, device, 'SN')).toThrow(
      /^ATTLOG line 1: status must be 0-5/,
    );
    expect(() => parseZktecoAttlog(`\t2026-11-20 07:55:12\t0`, device, 'SN')).toThrow(/^ATTLOG line 1: /);
  });
});

describe('ADMS handshake', () => {
  it('tells the device to push attendance in real time', () => {
    expect(zktecoOptions('CKJ123').split('\n')).toEqual(
      expect.arrayContaining(['GET OPTION FROM: CKJ123', 'Realtime=1', 'TransFlag=TransData AttLog']),
    );
  });

  it('accepts only plain serial numbers', () => {
    expect(zktecoSerial('CKJ123')).toBe('CKJ123');
    expect(() => zktecoSerial('a/b')).toThrow('SN: expected the device serial number');
    expect(() => zktecoSerial(undefined)).toThrow('SN: ');
  });
});
