// The ingress against real PostgreSQL: vendor replays stored once, 4xx for bad input, no secret or picture kept.
import { request } from 'node:http';
import { testDatabase } from '../../test/harness/index.js';
import {
  dahuaData,
  dahuaHeartbeat,
  dahuaText,
  deflated,
  hikvisionEventJson,
  hikvisionHeartbeat,
  hikvisionMultipart,
  jpeg,
  signedBody,
  zktecoAttlog,
} from '../../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../../test/webhook/ingress.js';
import { AttendanceReader } from '../attendance/reader.js';

let ingress: TestIngress;
const PICTURE_MARKER = 'JPEG-BYTES-MUST-NOT-BE-KEPT';

beforeAll(async () => {
  ingress = await startTestIngress(await testDatabase('webhook'));
});
afterAll(async () => ingress?.close());

interface Reply {
  status: number;
  text: string;
}

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${ingress.base}${path}`, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}

const hikPath = (direction = 'in', token = ingress.tokens.hikvision, school = 'school-a') =>
  `/webhook/${school}/${direction}/${token}`;

function postMultipart(path: string, init: Parameters<typeof hikvisionMultipart>[0]): Promise<Reply> {
  const { body, contentType } = hikvisionMultipart(init);
  return post(path, body, { 'content-type': contentType });
}

async function rows(): Promise<Record<string, unknown>[]> {
  return ingress.dataSource.query(
    `SELECT school_id, device_id, person_id, direction, occurred_at, late, future_skew, duplicate, source, raw_event_type
       FROM attendance_event ORDER BY occurred_at, person_id, source, direction`,
  );
}

const countRows = async (): Promise<number> =>
  Number((await ingress.dataSource.query('SELECT count(*) AS n FROM attendance_event'))[0].n);

describe('Hikvision pushes', () => {
  it('stores one event per pass from every multipart shape and bare JSON, and counts heartbeats', async () => {
    const replies = [
      await postMultipart(hikPath(), {
        json: hikvisionEventJson({ serialNo: 1, employeeNoString: 'h1' }),
        picture: jpeg(30_000, PICTURE_MARKER),
      }),
      await postMultipart(hikPath(), {
        json: hikvisionEventJson({ serialNo: 2, employeeNoString: 'h2' }),
        partName: 'AccessControllerEvent',
      }),
      await postMultipart(hikPath(), {
        json: hikvisionEventJson({ serialNo: 3, employeeNoString: 'h3' }),
        partName: 'event',
        jsonAsFile: true,
        picture: jpeg(5000, PICTURE_MARKER),
        pictureFirst: true,
      }),
      await postMultipart(hikPath('out'), {
        json: {
          EventNotificationAlert: hikvisionEventJson({
            serialNo: 4,
            employeeNoString: 'h4',
            dateTime: '2026-11-20T07:58:00',
          }),
        },
        partName: 'EventNotificationAlert',
        headerBoundary: 'MIME_boundary',
        bodyBoundary: 'mime_BOUNDARY',
        picture: jpeg(30_000, PICTURE_MARKER),
      }),
      await post(
        hikPath(),
        JSON.stringify(hikvisionEventJson({ serialNo: 5, employeeNoString: 'h5', subEventType: 1 })),
        { 'content-type': 'application/json' },
      ),
      await post(
        `/webhook/school-a/in?secret=${ingress.tokens.hikvision}`,
        JSON.stringify(hikvisionEventJson({ serialNo: 6, employeeNoString: 'h6', subEventType: 38 })),
      ),
      await postMultipart(hikPath(), { json: hikvisionHeartbeat() }),
    ];
    expect(replies.map((r) => [r.status, JSON.parse(r.text)])).toEqual([
      ...[1, 2, 3, 4, 5, 6].map(() => [200, { stored: 1, duplicates: 0, rateLimited: 0, heartbeats: 0, ignored: 0 }]),
      [200, { stored: 0, duplicates: 0, rateLimited: 0, heartbeats: 1, ignored: 0 }],
    ]);
    const hik = (await rows()).filter((r) => r.source === 'hikvision');
    expect(hik).toEqual(
      [
        ['h1', 'in', '2026-11-20T02:55:12Z', 'AccessControllerEvent/5/75:face'],
        ['h2', 'in', '2026-11-20T02:55:12Z', 'AccessControllerEvent/5/75:face'],
        ['h3', 'in', '2026-11-20T02:55:12Z', 'AccessControllerEvent/5/75:face'],
        ['h5', 'in', '2026-11-20T02:55:12Z', 'AccessControllerEvent/5/1:card'],
        ['h6', 'in', '2026-11-20T02:55:12Z', 'AccessControllerEvent/5/38:fingerprint'],
        ['h4', 'out', '2026-11-20T02:58:00Z', 'AccessControllerEvent/5/75:face'],
      ].map(([person, direction, at, type]) => ({
        school_id: 'school-a',
        device_id: 'gate-1',
        person_id: person,
        direction,
        occurred_at: new Date(at!),
        late: true,
        future_skew: false,
        duplicate: false,
        source: 'hikvision',
        raw_event_type: type,
      })),
    );
  });

  it('stores nothing new when the same pushes are replayed', async () => {
    const before = await countRows();
    const reply = await postMultipart(hikPath(), {
      json: hikvisionEventJson({ serialNo: 1, employeeNoString: 'h1' }),
      picture: jpeg(30_000, PICTURE_MARKER),
    });
    expect(JSON.parse(reply.text)).toEqual({ stored: 0, duplicates: 1, rateLimited: 0, heartbeats: 0, ignored: 0 });
    expect(await countRows()).toBe(before);
  });
});

describe('ZKTeco ADMS', () => {
  const batch = [
    { pin: 'z1', time: '2026-11-20 07:50:00', status: 0 },
    { pin: 'z2', time: '2026-11-20 07:50:05', status: 0 },
    { pin: 'z3', time: '2026-11-20 14:00:00', status: 1 },
  ];

  it('answers the handshake and polls of a registered serial number', async () => {
    const options = await fetch(`${ingress.base}/iclock/cdata?SN=CKJ0001&options=all&pushver=2.4.1`);
    expect(options.status).toBe(200);
    expect(await options.text()).toContain('GET OPTION FROM: CKJ0001\n');
    const poll = await fetch(`${ingress.base}/iclock/getrequest?SN=CKJ0001`);
    expect([poll.status, await poll.text()]).toEqual([200, 'OK']);
    expect(await post('/iclock/devicecmd?SN=CKJ0001', 'ID=1&Return=0&CMD=INFO')).toEqual({ status: 200, text: 'OK' });
  });

  it('stores an ATTLOG batch in the school time zone; the batch again, reordered, stores nothing new', async () => {
    expect(await post('/iclock/cdata?SN=CKJ0001&table=ATTLOG&Stamp=9999', zktecoAttlog(batch))).toEqual({
      status: 200,
      text: 'OK: 3',
    });
    const before = await countRows();
    expect(await post('/iclock/cdata?SN=CKJ0001&table=ATTLOG&Stamp=9999', zktecoAttlog([...batch].reverse()))).toEqual({
      status: 200,
      text: 'OK: 3',
    });
    expect(await countRows()).toBe(before);
    const zk = (await rows())
      .filter((r) => r.source === 'zkteco')
      .map((r) => [r.person_id, r.direction, r.occurred_at]);
    expect(zk).toEqual([
      ['z1', 'in', new Date('2026-11-20T02:50:00Z')],
      ['z2', 'in', new Date('2026-11-20T02:50:05Z')],
      ['z3', 'out', new Date('2026-11-20T09:00:00Z')],
    ]);
  });

  it('acknowledges other tables without keeping them', async () => {
    const before = await countRows();
    expect(
      await post('/iclock/cdata?SN=CKJ0001&table=OPERLOG', 'OPLOG 4\t0\t2026-11-20 07:00:00\t0\t0\t0\t0\n'),
    ).toEqual({ status: 200, text: 'OK: 1' });
    expect(await countRows()).toBe(before);
  });
});

describe('Dahua uploads', () => {
  it('stores text, JSON and deflated uploads and counts heartbeats', async () => {
    const path = `/dahua/school-a/${ingress.tokens.dahua}`;
    const replies = [
      await post(path, dahuaText([dahuaData({ recNo: 10, userId: 'd1' })]) + dahuaHeartbeat()),
      await post(path, deflated(dahuaText([dahuaData({ recNo: 11, userId: 'd2', type: 'Exit' })]))),
      await post(path, deflated(dahuaText([dahuaData({ recNo: 12, userId: 'd3' })]), true)),
      await post(
        path,
        deflated(
          JSON.stringify({
            Code: 'AccessControl',
            Action: 'Pulse',
            Index: 0,
            Data: dahuaData({ recNo: 13, userId: 'd4' }),
          }),
        ),
        {
          'content-encoding': 'deflate',
        },
      ),
    ];
    expect(replies.map((r) => [r.status, JSON.parse(r.text).stored])).toEqual([
      [200, 1],
      [200, 1],
      [200, 1],
      [200, 1],
    ]);
    expect(JSON.parse(replies[0]!.text).heartbeats).toBe(1);
    const dh = (await rows()).filter((r) => r.source === 'dahua').map((r) => [r.person_id, r.direction]);
    expect(dh).toEqual([
      ['d1', 'in'],
      ['d2', 'out'],
      ['d3', 'in'],
      ['d4', 'in'],
    ]);
  });
});

describe('signed JSON (Standard Webhooks)', () => {
  it('stores a signed message once and refuses its replay', async () => {
    const body = signedBody([
      { eventId: 's-1', personId: 's1', direction: 'in', occurredAt: new Date().toISOString() },
    ]);
    const headers = ingress.sign(body, 'msg_0001');
    const first = await post('/signed/school-a/gw-1', body, headers);
    expect([first.status, JSON.parse(first.text)]).toEqual([
      200,
      { stored: 1, duplicates: 0, rateLimited: 0, heartbeats: 0, ignored: 0 },
    ]);
    const again = await post('/signed/school-a/gw-1', body, headers);
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text).error).toBe('webhook-id: this message was already received');
    const stored = (await rows()).filter((r) => r.source === 'standard-webhooks');
    expect(stored.map((r) => [r.person_id, r.late, r.future_skew])).toEqual([['s1', false, false]]);
  });

  it('flags an event from the future beyond the skew, and keeps a second pass within 60 s as rate-limited', async () => {
    const future = new Date(Date.now() + 3600_000).toISOString();
    const now = Date.now();
    const body = signedBody([
      { eventId: 'f-1', personId: 'f1', direction: 'in', occurredAt: future },
      { eventId: 'r-1', personId: 'r1', direction: 'out', occurredAt: new Date(now - 20_000).toISOString() },
      { eventId: 'r-2', personId: 'r1', direction: 'out', occurredAt: new Date(now - 5_000).toISOString() },
    ]);
    const reply = await post('/signed/school-a/gw-1', body, ingress.sign(body, 'msg_0002'));
    expect(JSON.parse(reply.text)).toEqual({ stored: 2, duplicates: 0, rateLimited: 1, heartbeats: 0, ignored: 0 });
    const later = signedBody([
      { eventId: 'r-3', personId: 'r1', direction: 'out', occurredAt: new Date(now).toISOString() },
    ]);
    expect(
      JSON.parse((await post('/signed/school-a/gw-1', later, ingress.sign(later, 'msg_0003'))).text),
    ).toMatchObject({ stored: 0, duplicates: 0, rateLimited: 1 });
    const flagged = (await rows())
      .filter((r) => ['f1', 'r1'].includes(r.person_id as string))
      .map((r) => [r.person_id, r.future_skew, r.duplicate]);
    expect(flagged).toEqual([
      ['r1', false, false],
      ['r1', false, true],
      ['r1', false, true],
      ['f1', true, false],
    ]);
  });
});

describe('bad requests get a 4xx naming what is wrong', () => {
  const event = () => JSON.stringify(hikvisionEventJson({ serialNo: 999, employeeNoString: 'bad' }));

  function rawPost(path: string, headers: Record<string, string>, body: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(`${ingress.base}${path}`, { method: 'POST', headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it.each([
    ['wrong secret', () => post(hikPath('in', 'pdt_wrong'), event()), 401, 'deviceToken: not a valid device token'],
    [
      'wrong school',
      () => post(hikPath('in', ingress.tokens.otherSchool), event()),
      403,
      'schoolId: the device token belongs to another school',
    ],
    [
      'a token of another vendor',
      () => post(hikPath('in', ingress.tokens.dahua), event()),
      403,
      'deviceToken: the device is a dahua terminal, not hikvision',
    ],
    [
      'a direction the device does not serve',
      () => post(hikPath('out', ingress.tokens.otherSchool, 'school-b'), event()),
      400,
      "direction: this device records only 'in'",
    ],
    ['a bad direction', () => post(hikPath('sideways'), event()), 400, 'direction: '],
    [
      'unknown serial',
      () => post('/iclock/cdata?SN=NOPE&table=ATTLOG', zktecoAttlog([{ pin: '1', time: '2026-11-20 07:00:00' }])),
      401,
      'SN: not accepted from this address',
    ],
    [
      'unknown serial on handshake',
      async () => {
        const r = await fetch(`${ingress.base}/iclock/cdata?SN=NOPE&options=all`);
        return { status: r.status, text: await r.text() };
      },
      401,
      'SN: not accepted from this address',
    ],
    [
      'a malformed ATTLOG line',
      () => post('/iclock/cdata?SN=CKJ0001&table=ATTLOG', '1\t2026-11-2'),
      400,
      'ATTLOG line 1 time: ',
    ],
    [
      'bad signature',
      () => {
        const b = signedBody([{ personId: 'x', direction: 'in', occurredAt: new Date().toISOString() }]);
        return post('/signed/school-a/gw-1', b, { ...ingress.sign(b, 'msg_bad'), 'webhook-signature': 'v1,AAAA' });
      },
      401,
      'webhook-signature: does not match',
    ],
    [
      'stale signature',
      () => {
        const b = signedBody([{ personId: 'x', direction: 'in', occurredAt: new Date().toISOString() }]);
        return post('/signed/school-a/gw-1', b, ingress.sign(b, 'msg_old', new Date(Date.now() - 600_000)));
      },
      401,
      'webhook-timestamp: outside',
    ],
    [
      'an unknown signing device',
      () => post('/signed/school-a/nobody', '{}', ingress.sign('{}', 'msg_x')),
      404,
      'deviceId: ',
    ],
    [
      'oversized multipart body',
      () => postMultipart(hikPath(), { json: event(), picture: jpeg(3 * 1024 * 1024) }),
      413,
      'body: body is larger than',
    ],
    [
      'oversized JSON part',
      () => postMultipart(hikPath(), { json: `{"pad":"${'x'.repeat(100_000)}"}` }),
      413,
      'part event_log is larger than',
    ],
    [
      'oversized ATTLOG batch',
      () => post('/iclock/cdata?SN=CKJ0001&table=ATTLOG', 'x'.repeat(1024 * 1024 + 1)),
      413,
      'request entity too large',
    ],
    [
      'oversized Dahua body after inflating',
      () => post(`/dahua/school-a/${ingress.tokens.dahua}`, deflated('C'.repeat(300 * 1024))),
      413,
      'inflated body is larger than',
    ],
    [
      'truncated multipart',
      () => {
        const { body, contentType } = hikvisionMultipart({ json: event(), picture: jpeg(20_000) });
        return post(hikPath(), body.subarray(0, body.length - 9000), { 'content-type': contentType });
      },
      400,
      'body: malformed multipart',
    ],
    [
      'multipart without the event part',
      () => {
        const { body, contentType } = hikvisionMultipart({ json: event(), partName: 'Picture', jsonAsFile: false });
        return post(
          hikPath(),
          Buffer.from(
            body
              .toString()
              .replace('application/json', 'image/jpeg')
              .replace(/\{.*\}/, 'xx'),
          ),
          { 'content-type': contentType },
        );
      },
      400,
      'event: the multipart body has no event JSON part',
    ],
    [
      'bad UTF-8 in a JSON part',
      () => {
        const { body, contentType } = hikvisionMultipart({ json: event().replace('"Pupil"', '"P\u00ffupil"') });
        return post(hikPath(), Buffer.from(body.toString('utf8').replace('\u00ff', '\udcff'), 'latin1'), {
          'content-type': contentType,
        });
      },
      400,
      'not valid UTF-8',
    ],
    [
      'bad UTF-8 in an ATTLOG batch',
      () => post('/iclock/cdata?SN=CKJ0001&table=ATTLOG', Buffer.from([0x31, 0x09, 0xc3, 0x28])),
      400,
      'body: body is not valid UTF-8',
    ],
    [
      'bad UTF-8 in signed JSON',
      () => {
        const b = Buffer.from([0x7b, 0xff, 0x7d]);
        return post('/signed/school-a/gw-1', b, ingress.sign(b, 'msg_utf8'));
      },
      400,
      'body: body is not valid UTF-8',
    ],
    [
      'a multipart part without a name (found by the fuzz run)',
      () =>
        post(hikPath(), Buffer.from('--b\r\nContent-Disposition: form-data; filename="x.jpg"\r\n\r\nxx\r\n--b--\r\n'), {
          'content-type': 'multipart/form-data; boundary=b',
        }),
      400,
      'event: the multipart body has no event JSON part',
    ],
    [
      'a multipart body without a boundary',
      () => post(hikPath(), 'x', { 'content-type': 'multipart/form-data' }),
      400,
      'content-type: ',
    ],
    ['an unknown route', () => post('/webhook', 'x'), 404, 'path: no webhook route'],
  ])('%s', async (_name, send, status, message) => {
    const reply = await send();
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.text).error).toContain(message);
  });

  it('refuses a request that declares more body than the limit before reading it', async () => {
    const reply = await rawPost(
      hikPath(),
      { 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(3 * 1024 * 1024) },
      Buffer.alloc(0),
    );
    expect(reply.status).toBe(413);
  });
});

describe('device secrets', () => {
  it('keeps the old path token working through the overlap of a rotation, and only then', async () => {
    const device = { schoolId: 'school-a', deviceId: 'gate-1' };
    const old = ingress.tokens.hikvision;
    const fresh = await ingress.secrets.rotate(device, 'path-token', 3600_000);
    expect(fresh).toMatch(/^pdt_/);
    const body = () => JSON.stringify(hikvisionEventJson({ serialNo: 500, employeeNoString: 'rot' }));
    expect((await post(hikPath('in', old), body())).status).toBe(200);
    expect((await post(hikPath('in', fresh), body())).status).toBe(200);
    const newest = await ingress.secrets.rotate(device, 'path-token', 0);
    expect((await post(hikPath('in', newest), body())).status).toBe(200);
    expect((await post(hikPath('in', fresh), body())).status).toBe(401);
    expect((await post(hikPath('in', old), body())).status).toBe(401);
    ingress.tokens.hikvision = newest;
  });

  it('verifies signatures by the old and the new signing secret during the overlap', async () => {
    const device = { schoolId: 'school-a', deviceId: 'gw-1' };
    const body = signedBody([
      { eventId: 'rot-1', personId: 'rot', direction: 'in', occurredAt: new Date().toISOString() },
    ]);
    const signedByOld = ingress.sign(body, 'msg_rot_1');
    const fresh = await ingress.secrets.rotate(device, 'signing-secret', 3600_000);
    expect(fresh).toMatch(/^whsec_/);
    expect((await post('/signed/school-a/gw-1', body, signedByOld)).status).toBe(200);
    ingress.signingSecret = fresh;
  });

  it('stores no credential and no picture byte, and logs neither', async () => {
    const secrets = [ingress.tokens.hikvision, ingress.tokens.dahua, ingress.tokens.otherSchool, ingress.signingSecret];
    const dump: string = (
      await ingress.dataSource.query(
        `SELECT string_agg(t::text, E'\\n') AS all FROM (
           SELECT row_to_json(a)::text AS t FROM attendance_event a
           UNION ALL SELECT row_to_json(d)::text FROM device_secret d
           UNION ALL SELECT row_to_json(s)::text FROM seen_webhook_id s) x`,
      )
    )[0].all;
    const logs = ingress.logs.join('\n');
    expect(ingress.logs.length).toBeGreaterThan(50);
    for (const haystack of [dump, logs]) {
      for (const secret of secrets) {
        expect(haystack).not.toContain(secret);
        expect(haystack).not.toContain(secret.slice(4, 24));
      }
      expect(haystack).not.toContain(PICTURE_MARKER);
      expect(haystack).not.toContain('JFIF');
    }
    expect(logs).toContain('[REDACTED]');
    expect(dump).not.toContain(Buffer.from(ingress.signingSecret.slice(6), 'base64').toString('hex'));
  });
});

describe('attendance reads', () => {
  it('reads a school day in its time zone and one pupil over a range, within scope only', async () => {
    const reader = AttendanceReader.create({ dataSource: ingress.dataSource });
    const onlyA = (schoolId: string) => schoolId === 'school-a';
    const day = await reader.schoolDay(onlyA, 'school-a', '2026-11-20', 'Asia/Tashkent');
    expect(day.filter((e) => e.personId.startsWith('z'))).toEqual([
      {
        personId: 'z1',
        direction: 'in',
        occurredAt: '2026-11-20T02:50:00.000Z',
        deviceId: 'zk-1',
        late: true,
        futureSkew: false,
      },
      {
        personId: 'z2',
        direction: 'in',
        occurredAt: '2026-11-20T02:50:05.000Z',
        deviceId: 'zk-1',
        late: true,
        futureSkew: false,
      },
      {
        personId: 'z3',
        direction: 'out',
        occurredAt: '2026-11-20T09:00:00.000Z',
        deviceId: 'zk-1',
        late: true,
        futureSkew: false,
      },
    ]);
    expect(await reader.schoolDay(onlyA, 'school-a', '2026-11-19', 'Asia/Tashkent')).toEqual([]);
    const pupil = await reader.pupilRange(
      onlyA,
      'school-a',
      'h4',
      new Date('2026-11-01T00:00:00Z'),
      new Date('2026-11-30T00:00:00Z'),
    );
    expect(pupil).toEqual([
      {
        personId: 'h4',
        direction: 'out',
        occurredAt: '2026-11-20T02:58:00.000Z',
        deviceId: 'gate-1',
        late: true,
        futureSkew: false,
      },
    ]);
    await expect(reader.schoolDay(onlyA, 'school-b', '2026-11-20', 'Europe/Berlin')).rejects.toMatchObject({
      status: 403,
    });
    await expect(
      reader.pupilRange(onlyA, 'school-a', 'h4', new Date('2026-11-30'), new Date('2026-11-01')),
    ).rejects.toThrow('to: must not be before from');
  });
});
