// What real terminals send, replayed against the ingress on real PostgreSQL, and how ZKTeco pushes are authenticated.
import { request } from 'node:http';
import { testDatabase } from '../../test/harness/index.js';
import {
  dahuaData,
  dahuaText,
  hikvisionEventJson,
  hikvisionEventXml,
  hikvisionHeartbeat,
  hikvisionMultipart,
  jpeg,
  rawDeflateStartingLikeText,
  signedBody,
  zktecoAttlog,
} from '../../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../../test/webhook/ingress.js';
import { parsePrometheusText, sampleValue } from '../../test/harness/prometheus.js';

let ingress: TestIngress;

beforeAll(async () => {
  ingress = await startTestIngress(await testDatabase('webhook_terminals'));
});
afterAll(async () => ingress?.close());

interface Reply {
  status: number;
  text: string;
}

/** A POST (or GET without a body) from a chosen loopback address: school a declares only 127.0.0.1. */
function send(path: string, body: string | Buffer | undefined, headers: Record<string, string> = {}, from = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${ingress.base}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, localAddress: from }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (reply: Reply) => [reply.status, JSON.parse(reply.text) as unknown];
const one = { stored: 1, duplicates: 0, rateLimited: 0, heartbeats: 0, ignored: 0 };
const hikPath = (direction = 'in') => `/webhook/school-a/${direction}/${ingress.tokens.hikvision}`;

async function stored(person: string): Promise<Record<string, unknown>[]> {
  return ingress.dataSource.query(
    'SELECT person_id, direction, occurred_at, duplicate, source, raw_event_type, auth FROM attendance_event WHERE person_id = $1 ORDER BY occurred_at',
    [person],
  );
}

describe('Hikvision firmwares', () => {
  it('takes a multipart push whose lines end with a bare LF, picture and all', async () => {
    const { body, contentType } = hikvisionMultipart({
      json: hikvisionEventJson({ serialNo: 101, employeeNoString: 'lf1' }),
      picture: jpeg(20_000),
      newline: '\n',
    });
    expect(json(await send(hikPath(), body, { 'content-type': contentType }))).toEqual([200, one]);
    expect(await stored('lf1')).toEqual([
      {
        person_id: 'lf1',
        direction: 'in',
        occurred_at: new Date('2026-11-20T02:55:12Z'),
        duplicate: false,
        source: 'hikvision',
        raw_event_type: 'AccessControllerEvent/5/75:face',
        auth: 'path-token+source-address',
      },
    ]);
  });

  it('takes the XML EventNotificationAlert as a bare body and as a multipart part, and XML heartbeats', async () => {
    const bare = hikvisionEventXml(hikvisionEventJson({ serialNo: 102, employeeNoString: 'xml1', subEventType: 38 }));
    expect(json(await send(hikPath('out'), bare, { 'content-type': 'application/xml' }))).toEqual([200, one]);
    const { body, contentType } = hikvisionMultipart({
      json: hikvisionEventXml(hikvisionEventJson({ serialNo: 103, employeeNoString: '007' })),
      partName: 'EventNotificationAlert',
      picture: jpeg(5000),
    });
    expect(json(await send(hikPath(), body, { 'content-type': contentType }))).toEqual([200, one]);
    expect(json(await send(hikPath(), hikvisionEventXml(hikvisionHeartbeat()), { 'content-type': 'application/xml' }))).toEqual([
      200,
      { ...one, stored: 0, heartbeats: 1 },
    ]);
    // The same event again as XML is the same event: its serialNo is its identity in both forms.
    expect(json(await send(hikPath('out'), bare, { 'content-type': 'application/xml' }))).toEqual([200, { ...one, stored: 0, duplicates: 1 }]);
    expect((await stored('xml1')).map((r) => [r.person_id, r.direction, r.raw_event_type])).toEqual([
      ['xml1', 'out', 'AccessControllerEvent/5/38:fingerprint'],
    ]);
    expect((await stored('007')).map((r) => [r.person_id, r.direction])).toEqual([['007', 'in']]);
  });

  it('refuses XML that is not well-formed with a 400 naming the event', async () => {
    const reply = await send(hikPath(), '<EventNotificationAlert><eventType>Access', { 'content-type': 'application/xml' });
    expect([reply.status, JSON.parse(reply.text).error]).toEqual([400, 'event: not well-formed XML']);
  });
});

describe('Dahua controllers', () => {
  it('takes raw deflate without Content-Encoding whose first byte reads as text', async () => {
    const body = rawDeflateStartingLikeText(JSON.stringify({ Code: 'AccessControl', Action: 'Pulse', Index: 0, Data: dahuaData({ recNo: 201, userId: 'raw1' }) }));
    expect(/^[\s{Cc-]/.test(String.fromCharCode(body[0]!))).toBe(true);
    expect(json(await send(`/dahua/school-a/${ingress.tokens.dahua}`, body))).toEqual([200, one]);
    expect((await stored('raw1')).map((r) => [r.person_id, r.source, r.auth])).toEqual([['raw1', 'dahua', 'path-token+source-address']]);
  });

  it("stores the reader's Exit on a controller configured for entry", async () => {
    const path = `/dahua/school-a/${ingress.tokens.dahuaIn}`;
    expect(json(await send(path, dahuaText([dahuaData({ recNo: 301, userId: 'door1', type: 'Exit', utc: 1_763_607_000 })])))).toEqual([200, one]);
    // Without a Type the configured direction still decides.
    const untyped = { ...dahuaData({ recNo: 302, userId: 'door1', utc: 1_763_607_100 }) };
    delete untyped.Type;
    expect(json(await send(path, dahuaText([untyped])))).toEqual([200, one]);
    expect((await stored('door1')).map((r) => r.direction)).toEqual(['out', 'in']);
  });
});

describe('rate-limited passes', () => {
  it('are answered and counted apart from duplicates', async () => {
    const first = hikvisionEventJson({ serialNo: 401, employeeNoString: 'rl1', dateTime: '2026-11-20T08:00:00+05:00' });
    const second = hikvisionEventJson({ serialNo: 402, employeeNoString: 'rl1', dateTime: '2026-11-20T08:00:20+05:00' });
    const push = (event: Record<string, unknown>) => send(hikPath(), JSON.stringify(event), { 'content-type': 'application/json' });
    expect(json(await push(first))).toEqual([200, one]);
    expect(json(await push(second))).toEqual([200, { ...one, stored: 0, rateLimited: 1 }]);
    expect(json(await push(second))).toEqual([200, { ...one, stored: 0, duplicates: 1 }]);
    expect((await stored('rl1')).map((r) => r.duplicate)).toEqual([false, true]);
    const metrics = parsePrometheusText(await (await fetch(`${ingress.metricsBase}/metrics`)).text());
    expect(sampleValue(metrics, 'posbon_webhook_events_rate_limited_total', { source: 'hikvision' })).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'posbon_webhook_events_duplicate_total', { source: 'hikvision' })).toBeGreaterThan(0);
  });

  it('are scraped from the metrics port with HELP lines, process metrics and durations by route template', async () => {
    expect((await fetch(`${ingress.base}/metrics`)).status).toBe(404);
    const text = await (await fetch(`${ingress.metricsBase}/metrics`)).text();
    const metrics = parsePrometheusText(text);
    expect([...metrics].filter(([, f]) => !f.help || !f.type).map(([name]) => name)).toEqual([]);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'posbon_webhook_commit_batches_total']) {
      expect({ name, present: metrics.has(name) }).toEqual({ name, present: true });
    }
    const routes = new Set(metrics.get('posbon_webhook_http_request_duration_seconds')!.samples.map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.code}`));
    expect(routes).toContain('POST /webhook/:schoolId/:direction/:deviceToken 200');
    // Control: the token is a real one, and appears in no label.
    expect(hikPath()).toContain(ingress.tokens.hikvision);
    expect(text).not.toContain(ingress.tokens.hikvision);
  });
});

describe('ZKTeco devices', () => {
  const attlog = (pin: string) => zktecoAttlog([{ pin, time: '2026-11-20 07:40:00' }]);

  it('are accepted from an address their school declares, and each event records how it was authenticated', async () => {
    expect(await send('/iclock/cdata?SN=CKJ0001&table=ATTLOG', attlog('zk1'))).toEqual({ status: 200, text: 'OK: 1' });
    const signed = signedBody([{ eventId: 'auth-1', personId: 'sig1', direction: 'in', occurredAt: new Date().toISOString() }]);
    expect((await send('/signed/school-a/gw-1', signed, ingress.sign(signed, 'msg_auth_1'))).status).toBe(200);
    const other = JSON.stringify(hikvisionEventJson({ serialNo: 501, employeeNoString: 'b1' }));
    expect((await send(`/webhook/school-b/in/${ingress.tokens.otherSchool}`, other, {}, '127.0.0.2')).status).toBe(200);
    const auth = await ingress.dataSource.query("SELECT person_id, auth FROM attendance_event WHERE person_id IN ('zk1', 'sig1', 'b1') ORDER BY person_id");
    expect(auth).toEqual([
      { person_id: 'b1', auth: 'path-token' },
      { person_id: 'sig1', auth: 'signature' },
      { person_id: 'zk1', auth: 'serial+source-address' },
    ]);
  });

  it('answer a known serial from elsewhere, an unknown serial and a school without addresses alike, and store nothing', async () => {
    const before = await ingress.dataSource.query('SELECT count(*)::int AS n FROM attendance_event');
    const refusals = [
      await send('/iclock/cdata?SN=CKJ0001&table=ATTLOG', attlog('zk2'), {}, '127.0.0.2'),
      await send('/iclock/cdata?SN=NOPE0001&table=ATTLOG', attlog('zk2'), {}, '127.0.0.2'),
      await send('/iclock/cdata?SN=DH-0001&table=ATTLOG', attlog('zk2'), {}, '127.0.0.2'),
      await send('/iclock/cdata?SN=CKJ0009&table=ATTLOG', attlog('zk2')),
      await send('/iclock/cdata?SN=CKJ0001&options=all', undefined, {}, '127.0.0.2'),
      await send('/iclock/getrequest?SN=CKJ0001', undefined, {}, '127.0.0.2'),
    ];
    const answer = (r: Reply) => [r.status, (JSON.parse(r.text) as { error: string }).error];
    expect(refusals.map(answer)).toEqual(refusals.map(() => [401, 'SN: not accepted from this address']));
    expect(await ingress.dataSource.query('SELECT count(*)::int AS n FROM attendance_event')).toEqual(before);
  });

  it('throttle refusals per source address, without shutting out a declared address', async () => {
    const replies: Reply[] = [];
    for (let i = 0; i < 30; i++) replies.push(await send(`/iclock/getrequest?SN=GUESS${i}`, undefined, {}, '127.0.0.3'));
    const statuses = [...new Set(replies.map((r) => r.status))].sort();
    expect(statuses).toEqual([401, 429]);
    expect(replies.at(-1)!.status).toBe(429);
    expect(await send('/iclock/getrequest?SN=CKJ0001', undefined)).toEqual({ status: 200, text: 'OK' });
  });

  it('a Hikvision token of a school with declared addresses is refused from elsewhere', async () => {
    const event = JSON.stringify(hikvisionEventJson({ serialNo: 601, employeeNoString: 'far1' }));
    const reply = await send(hikPath(), event, { 'content-type': 'application/json' }, '127.0.0.2');
    expect([reply.status, JSON.parse(reply.text).error]).toEqual([403, 'source: school-a does not declare the address this push came from']);
    expect(await stored('far1')).toEqual([]);
  });
});
