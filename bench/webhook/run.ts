// Benchmark of the webhook ingress: sustained events/s and latency under the realistic mix, beside PostgreSQL's own
// insert ceiling for the same rows measured in the same run, and where the two cores went. Prints figures; asserts
// nothing. The ingress runs as `npm run webhook` would (api/webhook/main.ts), the load from a third process.
//   BENCH_SECONDS (30), BENCH_CONCURRENCY (64), BENCH_WORKERS (1: ingress processes sharing the port),
//   BENCH_CEILING_SECONDS (10), BENCH_INGRESS_NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { openMigrated } from '../../api/db/migrate.js';
import type { FaceIdDeviceRecord } from '../../api/webhook/devices.js';
import { DeviceSecrets } from '../../api/webhook/secrets.js';
import { createDatabase, eventually, freePort, startPostgres } from '../../test/harness/index.js';
import { machineBusySeconds, postmasterPid, treeCpuSeconds } from './cpu.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const INGRESS_NODE_OPTIONS = (process.env.BENCH_INGRESS_NODE_OPTIONS ?? '').split(' ').filter(Boolean);

/** The load generator runs on loopback: the bench school declares it, so ZKTeco pushes are accepted. */
const BENCH_SOURCES = ['127.0.0.0/8', '::1/128'];

const DEVICES: FaceIdDeviceRecord[] = [
  {
    schoolId: 'bench',
    deviceId: 'hik',
    vendor: 'hikvision',
    direction: 'both',
    serialNumber: 'BENCHHIK',
    timezone: 'Asia/Tashkent',
    sourceAddresses: BENCH_SOURCES,
  },
  {
    schoolId: 'bench',
    deviceId: 'zk',
    vendor: 'zkteco',
    direction: 'both',
    serialNumber: 'BENCHZK',
    timezone: 'Asia/Tashkent',
    sourceAddresses: BENCH_SOURCES,
  },
  {
    schoolId: 'bench',
    deviceId: 'gw',
    vendor: 'hikvision',
    direction: 'both',
    serialNumber: 'BENCHGW',
    timezone: 'Asia/Tashkent',
    sourceAddresses: BENCH_SOURCES,
  },
];

interface CpuSnapshot {
  ingress: number;
  postgres: number;
  machine: number;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const postgres = await startPostgres();
let ingress: ChildProcess | undefined;
try {
  const url = await createDatabase(postgres.url, 'bench');
  const keys = { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) };
  const { dataSource } = await openMigrated(url);
  const secrets = DeviceSecrets.create({ dataSource, keys });
  const token = await secrets.issue({ schoolId: 'bench', deviceId: 'hik' }, 'path-token');
  const whsec = await secrets.issue({ schoolId: 'bench', deviceId: 'gw' }, 'signing-secret');
  await dataSource.destroy();

  const dir = await mkdtemp(join(tmpdir(), 'posbon-webhook-bench-'));
  const devicesPath = join(dir, 'devices.json');
  await writeFile(devicesPath, JSON.stringify(DEVICES));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logLines: string[] = [];
  ingress = spawn(process.execPath, [...INGRESS_NODE_OPTIONS, '--import', 'tsx', 'api/webhook/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      POSBON_WEBHOOK_PORT: String(port),
      POSBON_TOKEN_HASH_KEY: keys.tokenHashKey.toString('base64'),
      POSBON_WEBHOOK_SEALING_KEY: keys.sealingKey.toString('base64'),
      POSBON_LOG_LEVEL: 'warn',
      POSBON_DB_POOL_SIZE: '8',
      POSBON_WEBHOOK_DEVICES: devicesPath,
      POSBON_WEBHOOK_WORKERS: String(WORKERS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [ingress.stdout!, ingress.stderr!])
    createInterface({ input: stream }).on('line', (line) => logLines.push(line));
  await eventually(async () => {
    if (ingress!.exitCode !== null) throw new Error(`ingress exited:\n${logLines.join('\n')}`);
    const res = await fetch(`${base}/healthz`);
    if (!res.ok) throw new Error(`healthz ${res.status}`);
  }, 60_000);
  const pgPid = postmasterPid(postgres.port);
  const snapshot = (): CpuSnapshot => ({
    ingress: treeCpuSeconds(ingress!.pid!),
    postgres: pgPid === undefined ? NaN : treeCpuSeconds(pgPid),
    machine: machineBusySeconds(),
  });

  console.log(
    `load: ${SECONDS} s of 70% Hikvision multipart (30 KB JPEG), 20% ZKTeco ATTLOG x10, 10% signed JSON; ingress with ${WORKERS} process(es)`,
  );
  const generator = spawn(process.execPath, ['--import', 'tsx', 'bench/webhook/load.ts'], {
    env: { ...process.env, BENCH_BASE: base, BENCH_TOKEN: token, BENCH_WHSEC: whsec, BENCH_SECONDS: String(SECONDS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let before: CpuSnapshot | undefined;
  let after: CpuSnapshot | undefined;
  let load: Record<string, number | Record<string, number>> | undefined;
  createInterface({ input: generator.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { phase: string };
    if (message.phase === 'measuring') before = snapshot();
    if (message.phase === 'done') {
      after = snapshot();
      load = message as unknown as typeof load;
    }
  });
  await exited(generator);
  if (!load || !before || !after) throw new Error('the load generator ended without figures');

  const metrics = await (await fetch(`${base}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  const batches = metric('posbon_webhook_commit_batches_total');
  ingress.kill('SIGTERM');
  const code = await exited(ingress);
  ingress = undefined;

  const client = new pg.Pool({ connectionString: url, max: 16 });
  const [{ n: storedRows }] = (await client.query('SELECT count(*)::int AS n FROM attendance_event')).rows as [
    { n: number },
  ];

  // The ceiling: the same rows inserted straight into the same PostgreSQL, in a fresh table of the same shape.
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
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (idempotency_key, occurred_at) DO NOTHING`;
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
           ON CONFLICT (idempotency_key, occurred_at) DO NOTHING`,
          cols,
        );
      }
    }),
  );
  await client.end();

  const cores = (what: keyof CpuSnapshot) => (after![what] - before![what]) / SECONDS;
  const loadCores = Number(load.cpuCores);
  const cpu = {
    ingress: cores('ingress'),
    postgres: cores('postgres'),
    loadGenerator: loadCores,
    machineBusy: cores('machine'),
    other: cores('machine') - cores('ingress') - cores('postgres') - loadCores,
  };
  const commits = {
    batches,
    eventsPerBatch: metric('posbon_webhook_commit_events_total') / batches,
    msPerBatch: (1000 * metric('posbon_webhook_commit_seconds_total')) / batches,
  };
  const warnings = logLines.filter((line) => /"level":"(warn|error)"/.test(line));
  console.log(
    JSON.stringify(
      { load, storedRows, commits, cpuCores: cpu, ingressExit: code, warnings: warnings.slice(0, 5) },
      null,
      1,
    ),
  );
  const eps = Number(load.eventsPerSecond);
  const singleRate = single / CEILING_SECONDS;
  const batchRate = batched / CEILING_SECONDS;
  const f = (n: number) => n.toFixed(2);
  console.log(
    `ingress sustained:        ${eps.toFixed(0)} events/s (${Number(load.requestsPerSecond).toFixed(0)} requests/s), p50 ${Number(load.p50).toFixed(1)} ms, p99 ${Number(load.p99).toFixed(1)} ms`,
  );
  console.log(
    `cores used (of 2):        ingress ${f(cpu.ingress)}, postgres ${f(cpu.postgres)}, load generator ${f(cpu.loadGenerator)}, others on the machine ${f(cpu.other)}`,
  );
  console.log(
    `ceiling, one INSERT/row:  ${singleRate.toFixed(0)} rows/s (16 connections)  -> ingress at ${((100 * eps) / singleRate).toFixed(0)}%`,
  );
  console.log(
    `ceiling, 500-row batches: ${batchRate.toFixed(0)} rows/s (4 connections)   -> ingress at ${((100 * eps) / batchRate).toFixed(0)}%`,
  );
  console.log(`target: 5600 events/s with p99 < 100 ms, or >= 70% of the ceiling`);
} finally {
  ingress?.kill('SIGKILL');
  await postgres.stop();
}
