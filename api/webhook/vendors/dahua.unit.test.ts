import { idempotencyKey, type DeviceContext } from '../attendance.js';
import { dahuaData, dahuaHeartbeat, dahuaText, deflated } from '../../../test/webhook/fixtures.js';
import { inflateDahuaBody, parseDahuaUpload } from './dahua.js';

const device: DeviceContext = {
  schoolId: 'school-7',
  deviceId: 'dh-1',
  vendor: 'dahua',
  direction: 'both',
  timezone: 'Asia/Tashkent',
};

describe('parseDahuaUpload', () => {
  it('reads the text form, keyed by the record number', () => {
    expect(parseDahuaUpload(dahuaText([dahuaData({ recNo: 812, type: 'Exit' })]), device)).toEqual({
      heartbeats: 0,
      ignored: 0,
      events: [
        {
          idempotencyKey: idempotencyKey(device, ['RecNo', 812], {
            personId: '2001',
            direction: 'out',
            occurredAt: new Date(1_763_607_312_000),
          }),
          schoolId: 'school-7',
          deviceId: 'dh-1',
          personId: '2001',
          direction: 'out',
          occurredAt: new Date(1_763_607_312_000),
          source: 'dahua',
          rawEventType: 'AccessControl/Pulse/method=15',
        },
      ],
    });
  });

  it('reads several messages, the JSON form, heartbeats and refused passes', () => {
    const text =
      dahuaText([dahuaData({ recNo: 1 }), dahuaData({ recNo: 2, status: 0 })]) +
      dahuaHeartbeat() +
      dahuaText([{}], 'VideoMotion');
    expect(parseDahuaUpload(text, device)).toMatchObject({
      heartbeats: 1,
      ignored: 2,
      events: [{ personId: '2001', direction: 'in' }],
    });
    const json = JSON.stringify({
      Code: 'AccessControl',
      Action: 'Pulse',
      Index: 0,
      Data: dahuaData({ userId: '2002' }),
    });
    expect(parseDahuaUpload(json, device).events.map((e) => e.personId)).toEqual(['2002']);
    const many = JSON.stringify({
      Events: [{ Code: 'AccessControl', Action: 'Pulse', Data: dahuaData({ recNo: 9 }) }, { Code: 'HeartBeat' }],
    });
    expect(parseDahuaUpload(many, device)).toMatchObject({ heartbeats: 1, ignored: 0, events: [{ personId: '2001' }] });
  });

  it("stores the reader's own Type over the device's configured direction, and the configured one without a Type", () => {
    const entryOnly: DeviceContext = { ...device, direction: 'in' };
    const untyped = { ...dahuaData({ recNo: 2 }) };
    delete untyped.Type;
    const events = parseDahuaUpload(dahuaText([dahuaData({ recNo: 1, type: 'Exit' }), untyped]), entryOnly).events;
    expect(events.map((e) => e.direction)).toEqual(['out', 'in']);
  });

  it('reads pretty-printed data spanning lines', () => {
    const text = `Code=AccessControl;action=Pulse;index=0;data=${JSON.stringify(dahuaData({ recNo: 5 }), null, 2)}\r\n`;
    expect(parseDahuaUpload(text, device).events).toHaveLength(1);
  });

  it('names what is wrong', () => {
    expect(() => parseDahuaUpload('hello', device)).toThrow('body: expected Code=');
    expect(() => parseDahuaUpload('Code=AccessControl;action=Pulse;index=0;data={"UTC":', device)).toThrow(
      'data: not valid JSON',
    );
    expect(() => parseDahuaUpload(dahuaText([{ ...dahuaData(), UTC: 'now' }]), device)).toThrow('events[0].data.UTC: ');
    expect(() => parseDahuaUpload(dahuaText([{ ...dahuaData(), Type: 'Sideways' }]), device)).toThrow(
      'events[0].data.Type: direction is required',
    );
  });
});

describe('inflateDahuaBody', () => {
  const text = dahuaText([dahuaData({ recNo: 1 })]);

  it('inflates zlib and raw deflate bodies and passes text through', () => {
    expect(inflateDahuaBody(deflated(text), 1 << 20).toString()).toBe(text);
    expect(inflateDahuaBody(deflated(text, true), 1 << 20).toString()).toBe(text);
    expect(inflateDahuaBody(Buffer.from(text), 1 << 20).toString()).toBe(text);
  });

  it('refuses a body that inflates beyond the limit with 413', () => {
    expect(() => inflateDahuaBody(deflated('C'.repeat(100_000)), 1000)).toThrow(
      expect.objectContaining({ status: 413 }),
    );
  });

  it('refuses a broken zlib stream with 400', () => {
    const broken = deflated(text).subarray(0, 10);
    expect(() => inflateDahuaBody(broken, 1 << 20)).toThrow(
      expect.objectContaining({ status: 400, message: 'body: not a valid deflate stream' }),
    );
  });
});
