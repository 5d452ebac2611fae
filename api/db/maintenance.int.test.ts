// Retention removes exactly what is past its age, across partitions and batches, and nothing else; a second pass removes nothing.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { testDatabase } from '../../test/harness/index.js';
import { createLogger } from '../../lib/log/logger.js';
import { addMonths, ensureMonthPartition, monthPartition, monthStart } from './attendance-partitions.js';
import { Maintenance } from './maintenance.js';
import { openMigrated } from './migrate.js';

const logger = createLogger({ component: 'test', level: 'error' });
const NOW = new Date('2030-06-15T12:00:00Z');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const COUNTS = `SELECT
  (SELECT count(*)::int FROM attendance_event) AS attendance,
  (SELECT count(*)::int FROM audit_entry) AS audit,
  (SELECT count(*)::int FROM session) AS session,
  (SELECT count(*)::int FROM refresh_token) AS refresh_token,
  (SELECT count(*)::int FROM agent_token) AS agent_token,
  (SELECT count(*)::int FROM seen_webhook_id) AS webhook_id`;

let dataSource: DataSource;
let url: string;

beforeAll(async () => {
  url = await testDatabase('maintenance');
  ({ dataSource } = await openMigrated(url));
  const db = dataSource;
  for (let m = monthStart(new Date('2029-01-01Z')); m < new Date('2030-10-01Z'); m = addMonths(m, 1))
    await ensureMonthPartition(db, monthPartition(m));
  // 10 events in each month from January 2029 to June 2030, and in the default partition 3 ancient and 2 far ahead.
  await db.query(`INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
      late, future_skew, source, raw_event_type)
    SELECT 'm' || m || '-' || n, 's', 'd', 'p' || n, 'in', timestamptz '2029-01-01 00:00:00+00' + m * interval '1 month' + n * interval '2 days 1 hour',
           now(), false, false, 'zkteco', 'x'
      FROM generate_series(0, 17) m, generate_series(0, 9) n`);
  await db.query(`INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at,
      late, future_skew, source, raw_event_type)
    SELECT 'd' || n, 's', 'd', 'p', 'in', t, now(), false, false, 'zkteco', 'x'
      FROM unnest(ARRAY['2020-01-05Z', '2020-02-05Z', '2021-03-01Z', '2040-01-01Z', '2041-01-01Z']::timestamptz[]) WITH ORDINALITY AS u(t, n)`);
  // Audit entries 170 to 199 days old: the 19 older than 180 days go, the one exactly 180 days old stays.
  await db.query(
    `INSERT INTO audit_entry (at, actor_type, actor_id, action, params, result)
    SELECT $1::timestamptz - (170 + i) * interval '1 day', 'system', 'x', 'a', '{}', 'ok' FROM generate_series(0, 29) i`,
    [NOW],
  );
  const [{ id: account }] = (await db.query(
    `INSERT INTO account (username, password_hash, role) VALUES ('u', 'x', 'VIEWER') RETURNING id`,
  )) as [{ id: string }];
  // Sessions: 4 expired 10 days ago (go, with their 8 refresh tokens), 2 expired yesterday and 3 live (stay).
  const expiries = [
    ...Array(4).fill(ago(10 * DAY)),
    ...Array(2).fill(ago(DAY)),
    ...Array(3).fill(new Date(NOW.getTime() + DAY)),
  ];
  for (const [i, expires] of expiries.entries()) {
    const [{ id }] = (await db.query(
      `INSERT INTO session (account_id, created_at, last_used_at, expires_at) VALUES ($1, $2, $2, $3) RETURNING id`,
      [account, ago(40 * DAY), expires],
    )) as [{ id: string }];
    await db.query(`INSERT INTO refresh_token (token_hash, session_id, created_at) VALUES ($1, $3, $4), ($2, $3, $4)`, [
      Buffer.from(`a${i}`),
      Buffer.from(`b${i}`),
      id,
      ago(40 * DAY),
    ]);
  }
  // Agent tokens: 3 expired 30 days ago go, 2 expired 2 days ago and 1 live stay.
  for (const expires of [
    ago(30 * DAY),
    ago(30 * DAY),
    ago(30 * DAY),
    ago(2 * DAY),
    ago(2 * DAY),
    new Date(NOW.getTime() + DAY),
  ]) {
    await db.query(
      `INSERT INTO agent_token (school_id, label, token_hash, issued_by, issued_by_username, created_at, expires_at)
       VALUES ('s', 'l', decode(md5(random()::text), 'hex'), $1, 'u', $2, $3)`,
      [account, ago(60 * DAY), expires],
    );
  }
  // Webhook ids: 5 seen an hour ago go, 4 seen a minute ago stay.
  await db.query(
    `INSERT INTO seen_webhook_id (school_id, device_id, webhook_id, seen_at)
    SELECT 's', 'd', 'w' || i, CASE WHEN i < 5 THEN $1::timestamptz ELSE $2::timestamptz END FROM generate_series(0, 8) i`,
    [ago(3600_000), ago(60_000)],
  );
}, 60_000);

afterAll(async () => {
  await dataSource?.destroy();
});

describe('maintenance', () => {
  it('removes exactly what is past its retention, in batches and whole partitions, and is idempotent', async () => {
    expect((await dataSource.query(COUNTS))[0]).toEqual({
      attendance: 185,
      audit: 30,
      session: 9,
      refresh_token: 18,
      agent_token: 6,
      webhook_id: 9,
    });
    const maintenance = Maintenance.create({
      dataSource,
      logger,
      now: () => NOW,
      policy: { attendanceMonths: 12, auditDays: 180, expiredCredentialDays: 7, monthsAhead: 3, batch: 4 },
    });
    const realNow = monthStart(new Date());
    const migrationMonths = [0, 1, 2].map((n) => monthPartition(addMonths(realNow, n)).name);
    const report = await maintenance.run();
    expect(report).toEqual({
      partitionsCreated: [],
      // Cutoff June 2029: January to May go whole, with the months the conversion made ahead in its own present.
      partitionsDropped: [
        ...migrationMonths,
        ...['01', '02', '03', '04', '05'].map((m) => `attendance_event_y2029m${m}`),
      ].sort(),
      rows: { attendance: 53, audit: 19, session: 4, refresh_token: 8, agent_token: 3, webhook_id: 5 },
    });
    expect((await dataSource.query(COUNTS))[0]).toEqual({
      attendance: 132,
      audit: 11,
      session: 5,
      refresh_token: 10,
      agent_token: 3,
      webhook_id: 4,
    });
    // What stayed: nothing from before June 2029 but the far-ahead pair; the audit entry exactly 180 days old.
    expect(
      await dataSource.query(`SELECT min(occurred_at) AS min FROM attendance_event WHERE occurred_at < '2035-01-01Z'`),
    ).toEqual([{ min: new Date('2029-06-01T00:00:00Z') }]);
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM attendance_event_default`)).toEqual([{ n: 2 }]);
    expect(await dataSource.query(`SELECT max($1::timestamptz - at) AS oldest FROM audit_entry`, [NOW])).toEqual([
      { oldest: { days: 180 } },
    ]);

    expect(await maintenance.run()).toEqual({
      partitionsCreated: [],
      partitionsDropped: [],
      rows: { attendance: 0, audit: 0, session: 0, refresh_token: 0, agent_token: 0, webhook_id: 0 },
    });
    expect((await dataSource.query(COUNTS))[0]).toEqual({
      attendance: 132,
      audit: 11,
      session: 5,
      refresh_token: 10,
      agent_token: 3,
      webhook_id: 4,
    });

    const rows = Object.fromEntries(
      (await maintenance.metrics.rows.get()).values.map((v) => [v.labels.class, v.value]),
    );
    expect(rows).toEqual({ attendance: 53, audit: 19, session: 4, refresh_token: 8, agent_token: 3, webhook_id: 5 });
    const partitions = Object.fromEntries(
      (await maintenance.metrics.partitions.get()).values.map((v) => [v.labels.action, v.value]),
    );
    expect(partitions).toEqual({ created: 0, dropped: 8 });
    expect((await maintenance.metrics.lastSuccess.get()).values[0]!.value).toBeGreaterThan(0);
  });

  it('posbon maintain runs one pass as a CronJob would, and writes its metrics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'posbon-maintain-'));
    const metricsFile = join(dir, 'maintain.prom');
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', join(process.cwd(), 'api/db/maintain-cli.ts'), '--metrics-file', metricsFile],
        {
          env: {
            ...process.env,
            DATABASE_URL: url,
            POSBON_ATTENDANCE_RETENTION_MONTHS: '120',
            POSBON_ATTENDANCE_MONTHS_AHEAD: '1',
          },
        },
        (error, out, err) =>
          error ? reject(new Error(`${error.message}\n${err}`)) : resolve({ stdout: out, stderr: err }),
      ),
    );
    const realNow = monthStart(new Date());
    expect(stderr).toBe('');
    // In its own present (not the test's 2030) only this month and the next are made; nothing is old enough to go.
    expect(JSON.parse(stdout)).toEqual({
      partitionsCreated: [0, 1].map((n) => monthPartition(addMonths(realNow, n)).name),
      partitionsDropped: [],
      rows: { attendance: 0, audit: 0, session: 0, refresh_token: 0, agent_token: 0, webhook_id: 0 },
    });
    const metrics = await readFile(metricsFile, 'utf8');
    expect(metrics).toContain('posbon_attendance_partitions_total{action="created"} 2');
    expect(metrics).toMatch(/posbon_maintenance_last_success_timestamp_seconds \d+/);
  }, 60_000);
});
