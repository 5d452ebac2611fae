// Benchmark of the webhook ingress: sustained events/s and latency under the realistic mix, beside PostgreSQL's own
// insert ceiling for the same rows measured in the same run. Prints figures; asserts nothing.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pg from 'pg';
import { createLogger } from '../../api/platform/logger.js';
import { InMemoryDeviceDirectory } from '../../api/webhook/devices.js';
import { startWebhookServer } from '../../api/webhook/server.js';
import { createDatabase, startPostgres } from '../../test/harness/index.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CEILING_SECONDS = 10;

const postgres = await startPostgres();
try {
  const url = await createDatabase(postgres.url, 'bench');
  const errors: string[] = [];
  const logger = createLogger({
    service: 'webhook-bench',
    level: 'warn',
    stream: new Writable({ write: (chunk: Buffer, _e, done) => (errors.push(chunk.toString()), done()) }),
  });
  const ingress = await startWebhookServer({
    config: {
      databaseUrl: url,
      port: 0,
      keys: { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) },
      logLevel: 'warn',
      poolSize: 8,
    },
    directory: InMemoryDeviceDirectory.create([
      {
        schoolId: 'bench',
        deviceId: 'hik',
        vendor: 'hikvision',
        direction: 'both',
        serialNumber: 'BENCHHIK',
        timezone: 'Asia/Tashkent',
      },
      {
        schoolId: 'bench',
        deviceId: 'zk',
        vendor: 'zkteco',
        direction: 'both',
        serialNumber: 'BENCHZK',
        timezone: 'Asia/Tashkent',
      },
      {
        schoolId: 'bench',
        deviceId: 'gw',
        vendor: 'hikvision',
        direction: 'both',
        serialNumber: 'BENCHGW',
        timezone: 'Asia/Tashkent',
      },
    ]),
    logger,
    host: '127.0.0.1',
  });
  const token = await ingress.secrets.issue({ schoolId: 'bench', deviceId: 'hik' }, 'path-token');
  const whsec = await ingress.secrets.issue({ schoolId: 'bench', deviceId: 'gw' }, 'signing-secret');

  console.log(
    `load: ${SECONDS} s of 70% Hikvision multipart (30 KB JPEG), 20% ZKTeco ATTLOG x10, 10% signed JSON, from a second process`,
  );
  const { stdout } = await run('npx', ['tsx', 'bench/webhook/load.ts'], {
    env: {
      ...process.env,
      BENCH_BASE: `http://127.0.0.1:${ingress.port}`,
      BENCH_TOKEN: token,
      BENCH_WHSEC: whsec,
      BENCH_SECONDS: String(SECONDS),
    },
    maxBuffer: 1 << 20,
  });
  const load = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  const [{ n: storedRows }] = (await ingress.dataSource.query('SELECT count(*)::int AS n FROM attendance_event')) as [
    { n: number },
  ];
  await ingress.close();

  // The ceiling: the same rows inserted straight into the same PostgreSQL, in fresh tables of the same shape.
  const client = new pg.Pool({ connectionString: url, max: 16 });
  await client.query('CREATE TABLE ceiling (LIKE attendance_event INCLUDING ALL)');
  const row = (i: number) => [
    `ceiling-${i}`,
    'bench',
    'hik',
    `p${i}`,
    'in',
    new Date(),
    new Date(),
    false,
    false,
    false,
    'hikvision',
    'AccessControllerEvent/5/75:face',
  ];
  const insertOne = `INSERT INTO ceiling (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at, late, future_skew, duplicate, source, raw_event_type)
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (idempotency_key) DO NOTHING`;
  let single = 0;
  const singleEnd = Date.now() + CEILING_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (Date.now() < singleEnd) await client.query(insertOne, row(single++));
    }),
  );
  await client.query('TRUNCATE ceiling');
  let batched = 0;
  const batchEnd = Date.now() + CEILING_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < batchEnd) {
        const rows = Array.from({ length: 500 }, () => row(batched++));
        const cols = rows[0]!.map((_, c) => rows.map((r) => r[c]));
        await client.query(
          `INSERT INTO ceiling (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at, late, future_skew, duplicate, source, raw_event_type)
           SELECT * FROM unnest($1::text[],$2::text[],$3::text[],$4::text[],$5::text[],$6::timestamptz[],$7::timestamptz[],$8::bool[],$9::bool[],$10::bool[],$11::text[],$12::text[])
           ON CONFLICT (idempotency_key) DO NOTHING`,
          cols,
        );
      }
    }),
  );
  await client.end();

  const eps = Number(load.eventsPerSecond);
  const singleRate = single / CEILING_SECONDS;
  const batchRate = batched / CEILING_SECONDS;
  console.log(JSON.stringify({ load, storedRows, ingressWarnings: errors.length }, null, 1));
  console.log(
    `ingress sustained:        ${eps.toFixed(0)} events/s (${Number(load.requestsPerSecond).toFixed(0)} requests/s), p50 ${Number(load.p50).toFixed(1)} ms, p99 ${Number(load.p99).toFixed(1)} ms`,
  );
  console.log(
    `ceiling, one INSERT/row:  ${singleRate.toFixed(0)} rows/s (16 connections)  -> ingress at ${((100 * eps) / singleRate).toFixed(0)}%`,
  );
  console.log(
    `ceiling, 500-row batches: ${batchRate.toFixed(0)} rows/s (4 connections)   -> ingress at ${((100 * eps) / batchRate).toFixed(0)}%`,
  );
  console.log(`target: 5600 events/s with p99 < 100 ms, or >= 70% of the ceiling`);
} finally {
  await postgres.stop();
}
