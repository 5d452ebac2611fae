// Benchmark of the webhook ingress: sustained events/s and latency under the realistic mix, as a share of four
// limits measured in the same run: the transport ceiling (a bare Node.js server on the same port setup reading and
// discarding the same mix, bench/webhook/bare.ts), the floor (the least work a correct ingress must do for the mix,
// storing into the same PostgreSQL, bench/webhook/floor.ts) and PostgreSQL's one-INSERT-per-row and 500-row-batch
// ceilings for the same rows; and where the cores went. Prints figures; asserts nothing. The ingress runs as
// `npm run webhook` would (api/webhook/main.ts), the load from a third process.
//   BENCH_SECONDS (30), BENCH_CONCURRENCY (64), BENCH_WORKERS (1: ingress processes sharing the port),
//   BENCH_CEILING_SECONDS (10), BENCH_INGRESS_NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { openMigrated } from '../../api/db/migrate.js';
import type { FaceIdDeviceRecord } from '../../api/webhook/devices.js';
import { DeviceSecrets } from '../../api/webhook/secrets.js';
import { createDatabase, eventually, freePort, startPostgres } from '../../test/harness/index.js';
import { figure, loadAverage, writeResult } from '../report/result.js';
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

interface LoadFigures {
  eventsPerSecond: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  cpuCores: number;
  failures: Record<string, number>;
  concurrency: number;
}

/** Runs the load generator against `base` for `seconds` and reads `snapshot` at the edges of its measured window. */
async function runLoad(
  base: string,
  seconds: number,
  snapshot: () => CpuSnapshot,
): Promise<{ load: LoadFigures; before: CpuSnapshot; after: CpuSnapshot }> {
  const generator = spawn(process.execPath, ['--import', 'tsx', 'bench/webhook/load.ts'], {
    env: { ...process.env, BENCH_BASE: base, BENCH_TOKEN: token, BENCH_WHSEC: whsec, BENCH_SECONDS: String(seconds) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let before: CpuSnapshot | undefined;
  let after: CpuSnapshot | undefined;
  let load: LoadFigures | undefined;
  createInterface({ input: generator.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { phase: string };
    if (message.phase === 'measuring') before = snapshot();
    if (message.phase === 'done') {
      after = snapshot();
      load = message as unknown as LoadFigures;
    }
  });
  await exited(generator);
  if (!load || !before || !after) throw new Error('the load generator ended without figures');
  return { load, before, after };
}

const postgres = await startPostgres();
let token = '';
let whsec = '';
let ingress: ChildProcess | undefined;
try {
  const url = await createDatabase(postgres.url, 'bench');
  const keys = { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) };
  const { dataSource } = await openMigrated(url);
  const secrets = DeviceSecrets.create({ dataSource, keys });
  token = await secrets.issue({ schoolId: 'bench', deviceId: 'hik' }, 'path-token');
  whsec = await secrets.issue({ schoolId: 'bench', deviceId: 'gw' }, 'signing-secret');
  await dataSource.destroy();

  const dir = await mkdtemp(join(tmpdir(), 'posbon-webhook-bench-'));
  const devicesPath = join(dir, 'devices.json');
  await writeFile(devicesPath, JSON.stringify(DEVICES));
  const port = await freePort();
  const metricsPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logLines: string[] = [];
  ingress = spawn(process.execPath, [...INGRESS_NODE_OPTIONS, '--import', 'tsx', 'api/webhook/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      POSBON_WEBHOOK_PORT: String(port),
      POSBON_WEBHOOK_METRICS_PORT: String(metricsPort),
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
    // Each worker compiles the sources at start; on a busy machine two of them take minutes.
  }, 300_000);
  const pgPid = postmasterPid(postgres.port);
  const postgresSeconds = () => (pgPid === undefined ? NaN : treeCpuSeconds(pgPid));
  const snapshot = (): CpuSnapshot => ({
    ingress: treeCpuSeconds(ingress!.pid!),
    postgres: postgresSeconds(),
    machine: machineBusySeconds(),
  });

  console.log(
    `load: 70% Hikvision multipart (30 KB JPEG), 20% ZKTeco ATTLOG x10, 10% signed JSON; ${WORKERS} process(es) on the port`,
  );
  // The transport ceiling first, on its own port with the same process count, while PostgreSQL idles.
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/webhook/bare.ts'], {
    env: { ...process.env, BENCH_PORT: String(barePort), BENCH_WORKERS: String(WORKERS) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await eventually(async () => {
    if (bare.exitCode !== null) throw new Error('the bare server exited');
    await (await fetch(`http://127.0.0.1:${barePort}/`)).arrayBuffer();
  }, 60_000);
  const transport = await runLoad(`http://127.0.0.1:${barePort}`, CEILING_SECONDS, () => ({
    ingress: treeCpuSeconds(bare.pid!),
    postgres: 0,
    machine: machineBusySeconds(),
  }));
  bare.kill('SIGTERM');
  await exited(bare);

  const { load, before, after } = await runLoad(base, SECONDS, snapshot);
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  const batches = metric('posbon_webhook_commit_batches_total');
  ingress.kill('SIGTERM');
  const code = await exited(ingress);
  ingress = undefined;

  const client = new pg.Pool({ connectionString: url, max: 16 });
  // The floor: the least work a correct ingress must do for the same mix, storing into the same PostgreSQL.
  await client.query('CREATE TABLE floor (LIKE attendance_event INCLUDING ALL)');
  const floorPort = await freePort();
  const floorServer = spawn(process.execPath, ['--import', 'tsx', 'bench/webhook/floor.ts'], {
    env: {
      ...process.env,
      BENCH_PORT: String(floorPort),
      BENCH_WORKERS: String(WORKERS),
      BENCH_DATABASE_URL: url,
      BENCH_TOKEN: token,
      BENCH_WHSEC: whsec,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await eventually(async () => {
    if (floorServer.exitCode !== null) throw new Error('the floor server exited');
    await (await fetch(`http://127.0.0.1:${floorPort}/healthz`)).arrayBuffer();
  }, 60_000);
  const floor = await runLoad(`http://127.0.0.1:${floorPort}`, CEILING_SECONDS, () => ({
    ingress: treeCpuSeconds(floorServer.pid!),
    postgres: postgresSeconds(),
    machine: machineBusySeconds(),
  }));
  floorServer.kill('SIGTERM');
  await exited(floorServer);
  const [{ n: floorRows }] = (await client.query('SELECT count(*)::int AS n FROM floor')).rows as [{ n: number }];
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
  const batchPostgresBefore = postgresSeconds();
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
  const batchPostgresCores = (postgresSeconds() - batchPostgresBefore) / CEILING_SECONDS;
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
  const eps = load.eventsPerSecond;
  const transportRate = transport.load.eventsPerSecond;
  const transportCores = (transport.after.ingress - transport.before.ingress) / CEILING_SECONDS;
  const floorRate = floor.load.eventsPerSecond;
  const floorCores = (what: keyof CpuSnapshot) => (floor.after[what] - floor.before[what]) / CEILING_SECONDS;
  const singleRate = single / CEILING_SECONDS;
  const batchRate = batched / CEILING_SECONDS;
  // The CPU budget: what the ingress (all its workers) may spend per event at 60% of the transport ceiling, once
  // the load generator and PostgreSQL have what they need for that rate. Their costs per event are the lowest this run
  // measured (the load generator's at the ceiling, the floor and the ingress; PostgreSQL's for the 500-row batches,
  // the floor and the ingress), so the budget is the most the ingress could have. Kernel time outside the processes
  // (loopback, interrupts) is left out, which makes it larger still.
  const usPerEvent = (coresUsed: number, rate: number) => (1e6 * coresUsed) / rate;
  const loadUs = Math.min(
    usPerEvent(Number(transport.load.cpuCores), transportRate),
    usPerEvent(Number(floor.load.cpuCores), floorRate),
    usPerEvent(loadCores, eps),
  );
  const postgresUs = Math.min(
    usPerEvent(batchPostgresCores, batchRate),
    usPerEvent(floorCores('postgres'), floorRate),
    usPerEvent(cpu.postgres, eps),
  );
  const targetRate = 0.6 * transportRate;
  const budgetUs = usPerEvent(cpus().length, targetRate) - loadUs - postgresUs;
  const ingressUs = usPerEvent(cpu.ingress, eps);
  const floorUs = usPerEvent(floorCores('ingress'), floorRate);
  const f = (n: number) => n.toFixed(2);
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(0)}%`;
  console.log(
    `transport ceiling:        ${transportRate.toFixed(0)} events/s (${transport.load.requestsPerSecond.toFixed(0)} requests/s), p99 ${transport.load.p99.toFixed(1)} ms, ${f(transportCores)} core(s)`,
  );
  console.log(
    `ingress sustained:        ${eps.toFixed(0)} events/s (${load.requestsPerSecond.toFixed(0)} requests/s), p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms -> ${pct(eps, transportRate)} of the transport ceiling`,
  );
  console.log(
    `ingress floor:            ${floorRate.toFixed(0)} events/s (${floor.load.requestsPerSecond.toFixed(0)} requests/s), p99 ${floor.load.p99.toFixed(1)} ms, ${f(floorCores('ingress'))} core(s), postgres ${f(floorCores('postgres'))}, load generator ${f(Number(floor.load.cpuCores))}; ${floorRows} rows -> floor at ${pct(floorRate, transportRate)} of the transport ceiling, ingress at ${pct(eps, floorRate)} of the floor`,
  );
  console.log(
    `cores used (of ${cpus().length}):        ingress ${f(cpu.ingress)}, postgres ${f(cpu.postgres)}, load generator ${f(cpu.loadGenerator)}, others on the machine ${f(cpu.other)}`,
  );
  console.log(
    `ceiling, one INSERT/row:  ${singleRate.toFixed(0)} rows/s (16 connections)  -> ingress at ${pct(eps, singleRate)}`,
  );
  console.log(
    `ceiling, 500-row batches: ${batchRate.toFixed(0)} rows/s (4 connections)   -> ingress at ${pct(eps, batchRate)}`,
  );
  console.log(
    `CPU per event:            ingress ${ingressUs.toFixed(1)} µs, floor ${floorUs.toFixed(1)} µs; load generator ${loadUs.toFixed(1)} µs and postgres ${postgresUs.toFixed(1)} µs at their lowest -> budget at 60% of the transport ceiling (${targetRate.toFixed(0)} events/s on ${cpus().length} cores): ${budgetUs.toFixed(1)} µs`,
  );
  console.log(`load average:             ${loadAverage().join(' ')}`);
  const target = WORKERS === 1 ? '>= 60% of the transport ceiling at p99 < 50 ms' : '>= 1.6x the one-worker rate';
  writeResult({
    bench: `webhook (${WORKERS} worker${WORKERS === 1 ? '' : 's'})`,
    settings: {
      seconds: SECONDS,
      ceilingSeconds: CEILING_SECONDS,
      concurrency: Number(load.concurrency ?? 64),
      workers: WORKERS,
    },
    figures: [
      figure('transport ceiling', transportRate, 'events/s', { target: `p99 ${transport.load.p99.toFixed(1)} ms` }),
      figure('ingress', eps, 'events/s', {
        limit: { name: 'transport ceiling', value: transportRate },
        target,
        ...(WORKERS === 1 ? { met: eps >= 0.6 * transportRate && load.p99 < 50 } : {}),
      }),
      figure('ingress p99', load.p99, 'ms', { target: '< 50 ms', met: load.p99 < 50 }),
      figure('ingress floor', floorRate, 'events/s', {
        limit: { name: 'transport ceiling', value: transportRate },
        target: `p99 ${floor.load.p99.toFixed(1)} ms`,
      }),
      figure('ingress / floor', eps, 'events/s', { limit: { name: 'ingress floor', value: floorRate } }),
      figure('ingress / batched-insert ceiling', eps, 'events/s', {
        limit: { name: 'PostgreSQL 500-row batches', value: batchRate },
      }),
      figure('ingress / one-INSERT-per-row ceiling', eps, 'events/s', {
        limit: { name: 'PostgreSQL one INSERT per row', value: singleRate },
      }),
      figure('ingress CPU', cpu.ingress, 'cores'),
      figure('PostgreSQL CPU', cpu.postgres, 'cores'),
      figure('other processes on the machine', cpu.other, 'cores'),
      figure('CPU budget per event at 60% of the transport ceiling', budgetUs, 'µs', {
        target: `${cpus().length} cores less the load generator's ${loadUs.toFixed(1)} µs and PostgreSQL's ${postgresUs.toFixed(1)} µs an event`,
      }),
      figure('ingress CPU per event', ingressUs, 'µs', {
        limit: { name: 'CPU budget at 60% of the ceiling', value: budgetUs },
      }),
      figure('floor CPU per event', floorUs, 'µs', {
        limit: { name: 'CPU budget at 60% of the ceiling', value: budgetUs },
      }),
      figure('commit batch', commits.eventsPerBatch, 'events'),
      figure('commit time', commits.msPerBatch, 'ms/batch'),
    ],
    notes: Object.keys(load.failures).length > 0 ? [`non-200 answers: ${JSON.stringify(load.failures)}`] : [],
  });
} finally {
  ingress?.kill('SIGKILL');
  await postgres.stop();
}
