// The attendance read routes over HTTP against real PostgreSQL: whole answers that match their schemas, scope enforced.
import express, { Router } from 'express';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { testDatabase } from '../../test/harness/index.js';
import { openMigrated } from '../db/migrate.js';
import { errorMiddleware } from '../platform/error-middleware.js';
import { createLogger } from '../../lib/log/logger.js';
import { AttendanceReader } from './reader.js';
import { schoolFilter } from '../admin/access.js';
import { mountRoutes } from '../admin/routes.js';
import { attendanceRoutes } from './routes.js';
import { attendanceList } from './schemas.js';

let dataSource: DataSource;
let server: Server;
let base: string;

const ZONES: Record<string, string> = { 'school-a': 'Asia/Tashkent', 'school-b': 'Europe/Berlin' };

async function insert(rows: [school: string, person: string, direction: string, at: string, duplicate?: boolean][]) {
  for (const [index, [school, person, direction, at, duplicate = false]] of rows.entries()) {
    await dataSource.query(
      `INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
                                     late, future_skew, duplicate, source, raw_event_type)
       VALUES ($1, $2, 'gate-1', $3, $4, $5, $5, false, false, $6, 'hikvision', 'AccessControllerEvent/5/75:face')`,
      [`k${index}`, school, person, direction, at, duplicate],
    );
  }
}

beforeAll(async () => {
  ({ dataSource } = await openMigrated(await testDatabase('reads')));
  await insert([
    ['school-a', 'p1', 'in', '2026-11-19T18:59:59Z'], // 23:59:59 on the 19th in Tashkent
    ['school-a', 'p1', 'in', '2026-11-19T19:00:00Z'], // 00:00 on the 20th
    ['school-a', 'p1', 'in', '2026-11-19T19:00:30Z', true], // a rate-limited repeat: kept, not counted
    ['school-a', 'p2', 'out', '2026-11-20T11:00:00Z'],
    ['school-a', 'p1', 'out', '2026-11-20T12:00:00Z'],
    ['school-b', 'p1', 'in', '2026-11-20T07:00:00Z'],
  ]);
  const logger = createLogger({ component: 'reads', stream: new Writable({ write: (_c, _e, done) => done() }) });
  const app = express();
  const router = Router();
  const routes = attendanceRoutes({ reader: AttendanceReader.create({ dataSource }), scopeOf: schoolFilter, timezoneOf: (schoolId) => ZONES[schoolId] });
  // The admin API authenticates a token; here a header names the one school of a school admin.
  mountRoutes(router, routes, async (req) => ({
    accountId: 'a1',
    username: 'head',
    role: 'SCHOOL_ADMIN',
    schools: new Set([req.get('x-test-school') ?? '']),
    sessionId: 's1',
  }));
  app.use(router);
  app.use(errorMiddleware(logger));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/attendance`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await dataSource?.destroy();
});

async function get(path: string, school = 'school-a'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, { headers: { 'x-test-school': school } });
  return { status: res.status, body: await res.json() };
}

const record = (personId: string, direction: string, occurredAt: string) => ({
  personId,
  direction,
  occurredAt,
  deviceId: 'gate-1',
  late: false,
  futureSkew: false,
});

it('answers a school day in the school time zone, without rate-limited repeats', async () => {
  const reply = await get('/schools/school-a/days/2026-11-20');
  expect(reply).toEqual({
    status: 200,
    body: {
      events: [
        record('p1', 'in', '2026-11-19T19:00:00.000Z'),
        record('p2', 'out', '2026-11-20T11:00:00.000Z'),
        record('p1', 'out', '2026-11-20T12:00:00.000Z'),
      ],
    },
  });
  expect(attendanceList.safeParse(reply.body).success).toBe(true);
});

it('answers one pupil over a range, both directions, this school only', async () => {
  const reply = await get('/schools/school-a/pupils/p1?from=2026-11-19T00:00:00Z&to=2026-11-21T00:00:00Z');
  expect(reply).toEqual({
    status: 200,
    body: {
      events: [
        record('p1', 'in', '2026-11-19T18:59:59.000Z'),
        record('p1', 'in', '2026-11-19T19:00:00.000Z'),
        record('p1', 'out', '2026-11-20T12:00:00.000Z'),
      ],
    },
  });
  expect(attendanceList.safeParse(reply.body).success).toBe(true);
});

it('refuses another school, a bad day, a bad pupil id, a reversed range and an unknown school with a 4xx', async () => {
  const replies = await Promise.all([
    get('/schools/school-b/days/2026-11-20'),
    get('/schools/school-a/days/20-11-2026'),
    get('/schools/school-a/pupils/a%2Fb?from=2026-11-19T00:00:00Z&to=2026-11-21T00:00:00Z'),
    get('/schools/school-a/pupils/p1?from=2026-11-21T00:00:00Z&to=2026-11-19T00:00:00Z'),
    get('/schools/school-z/days/2026-11-20', 'school-z'),
  ]);
  expect(replies.map((r) => [r.status, (r.body as { error: string }).error])).toEqual([
    [403, 'schoolId: not allowed to read attendance of school-b'],
    [400, 'day: expected YYYY-MM-DD'],
    [400, 'personId: expected 1-64 letters, digits or ._:@-'],
    [400, 'to: must not be before from'],
    [404, 'schoolId: no school school-z'],
  ]);
});

it('answers a school outside the scope the same whether it exists or not', async () => {
  const replies = await Promise.all([
    get('/schools/school-b/days/2026-11-20'),
    get('/schools/school-z/days/2026-11-20'),
    get('/schools/school-b/pupils/p1?from=2026-11-19T00:00:00Z&to=2026-11-21T00:00:00Z'),
    get('/schools/school-z/pupils/p1?from=2026-11-19T00:00:00Z&to=2026-11-21T00:00:00Z'),
  ]);
  expect(replies.map((r) => [r.status, (r.body as { error: string }).error.replace(/school-[bz]/, 'school-?')])).toEqual(
    Array(4).fill([403, 'schoolId: not allowed to read attendance of school-?']),
  );
});
