// The ingress floor: the least work any correct ingress must do for the bench's mix, with the ingress's port setup
// (BENCH_WORKERS processes sharing one port, keep-alive). It reads each body, finds the event JSON part of a
// Hikvision push by Buffer's native search, parses the three formats, checks the path token and the Standard Webhooks
// signature, and answers only after the events are committed: one INSERT of arrays per group of waiting requests,
// up to four in flight, into a table of attendance_event's shape. It skips all the ingress does besides: device
// lookup, source addresses, validation, idempotency hashing, time zones, duplicates, metrics, logs and errors.
// Whatever the ingress does beyond this is what it adds to the least possible work.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { onWorkers } from './workers.js';

const table = process.env.BENCH_FLOOR_TABLE ?? 'floor';
const token = Buffer.from(process.env.BENCH_TOKEN ?? '');
const signingKey = Buffer.from((process.env.BENCH_WHSEC ?? '').replace(/^whsec_/, ''), 'base64');
const HEADER_END = Buffer.from('\r\n\r\n');
const IN_FLIGHT = 4;
const TASHKENT_MS = 5 * 3_600_000;

type Row = [key: string, person: string, direction: string, occurredAt: Date, source: string, type: string];
interface Waiting {
  rows: Row[];
  res: ServerResponse;
}

onWorkers(() => {
  const db = new pg.Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: IN_FLIGHT });
  const insert = `INSERT INTO ${table} (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at, late, future_skew, duplicate, source, raw_event_type)
    SELECT k, 'bench', 'floor', p, d, o, now(), false, false, false, s, t FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[]) AS u(k, p, d, o, s, t)
    ON CONFLICT (idempotency_key, occurred_at) DO NOTHING`;
  let queue: Waiting[] = [];
  let inFlight = 0;

  const answer = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const commit = () => {
    if (inFlight >= IN_FLIGHT || queue.length === 0) return;
    const batch = queue;
    queue = [];
    inFlight += 1;
    const columns: unknown[][] = [[], [], [], [], [], []];
    for (const waiting of batch) for (const row of waiting.rows) for (let c = 0; c < 6; c++) columns[c]!.push(row[c]);
    db.query(insert, columns)
      .then(
        () => {
          for (const w of batch) answer(w.res, 200, `{"stored":${w.rows.length}}`);
        },
        (error: Error) => {
          for (const w of batch) answer(w.res, 503, JSON.stringify({ error: error.message }));
        },
      )
      .finally(() => {
        inFlight -= 1;
        commit();
      });
  };

  const hikvision = (body: Buffer): Row[] => {
    const start = body.indexOf(HEADER_END) + HEADER_END.length;
    const end = body.indexOf('\r\n--', start);
    const event = JSON.parse(body.toString('utf8', start, end)) as {
      dateTime: string;
      AccessControllerEvent: {
        employeeNoString: string;
        serialNo: number;
        majorEventType: number;
        subEventType: number;
      };
    };
    const access = event.AccessControllerEvent;
    const type = `AccessControllerEvent/${access.majorEventType}/${access.subEventType}`;
    return [[`hik:${access.serialNo}`, access.employeeNoString, 'in', new Date(event.dateTime), 'hikvision', type]];
  };

  const zkteco = (body: Buffer): Row[] =>
    body
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [pin, time, status] = line.split('\t') as [string, string, string];
        const occurredAt = new Date(Date.parse(`${time.replace(' ', 'T')}Z`) - TASHKENT_MS);
        return [`zk:${pin}:${time}`, pin, status === '0' ? 'in' : 'out', occurredAt, 'zkteco', 'ATTLOG'];
      });

  const signed = (req: IncomingMessage, body: Buffer): Row[] | undefined => {
    const id = String(req.headers['webhook-id']);
    const expected = createHmac('sha256', signingKey)
      .update(`${id}.${String(req.headers['webhook-timestamp'])}.`)
      .update(body)
      .digest();
    const given = Buffer.from(String(req.headers['webhook-signature']).replace(/^v1,/, ''), 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const { data } = JSON.parse(body.toString('utf8')) as {
      data: { events: { eventId: string; personId: string; direction: string; occurredAt: string }[] };
    };
    return data.events.map((e) => [
      `sw:${e.eventId}`,
      e.personId,
      e.direction,
      new Date(e.occurredAt),
      'standard-webhooks',
      'attendance',
    ]);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const url = req.url ?? '';
      let rows: Row[] | undefined;
      try {
        if (url.startsWith('/webhook/')) {
          const given = Buffer.from(url.slice(url.lastIndexOf('/') + 1));
          if (given.length === token.length && timingSafeEqual(given, token)) rows = hikvision(body);
        } else if (url.startsWith('/iclock/cdata')) rows = zkteco(body);
        else if (url.startsWith('/signed/')) rows = signed(req, body);
        else if (url === '/healthz') return answer(res, 200, '{"ok":true}');
      } catch {
        return answer(res, 400, '{"error":"malformed"}');
      }
      if (!rows) return answer(res, 401, '{"error":"not authenticated"}');
      queue.push({ rows, res });
      commit();
    });
  });
  return { server, stop: () => db.end() };
});
