// The admin API as the benchmark runs it: its own process, the production wiring (createApiServices, listenApi)
// over 10,000 schools held in memory. Prints one JSON line with its URL and a viewer's access token, then answers
// `mark` and `report` lines on stdin with what it measured in between: each request from its arrival to its last
// byte, the connections it accepted, its own CPU time, its event loop's delay and its GC pauses.
import { mkdir, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { PerformanceObserver, createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { openMigrated } from '../../api/db/migrate.js';
import { MemoryFleetSource } from '../../api/admin/fleet-view/source.js';
import { createApiServices, listenApi } from '../../api/admin/server.js';
import { createLogger } from '../../lib/log/logger.js';
import type { Fleet } from '../../operator/core/fleet.js';
import { node, nvr, school } from '../../test/api/fixture.js';

const SCHOOLS = Number(process.env.BENCH_SCHOOLS ?? 10_000);
/** Where a CPU profile and an allocation profile of each measured step go; unset, nothing is profiled. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error('BENCH_DATABASE_URL is required');

const fleet: Fleet = { nodes: [], schools: [], nvrs: [] };
for (let n = 0; n < 40; n++) fleet.nodes.push(node(`node-${n}`, 'r1', `198.51.100.${n + 10}`));
for (let i = 0; i < SCHOOLS; i++) {
  fleet.schools.push(school(`school-${i}`, 'r1'));
  fleet.nvrs.push(nvr(`nvr-${i}`, `school-${i}`, `203.0.113.${(i % 200) + 1}`, ['gate', 'yard']));
}

const logger = createLogger({ component: 'bench', level: 'warn' });
const { dataSource } = await openMigrated(url);
const source = MemoryFleetSource.create({ fleet });
const built = process.hrtime.bigint();
const services = await createApiServices({ dataSource, source, logger });
services.fleet.rebuild();
const buildMs = Number(process.hrtime.bigint() - built) / 1e6;
const api = await listenApi({
  services,
  dataSource,
  logger,
  host: '127.0.0.1',
  port: 0,
  http: { production: false, corsOrigins: [], loginPerMinute: 100, tokensPerMinute: 1_000_000, trustProxy: false },
});
const account = await services.accounts.create({
  username: 'bench',
  role: 'VIEWER',
  schools: Array.from({ length: 100 }, (_, i) => `school-${i * 97}`),
  mustChangePassword: false,
});
const { accessToken } = await services.sessions.start(account.account, 'bench');

let served = createHistogram();
let loop = monitorEventLoopDelay({ resolution: 1 });
let cpu = process.cpuUsage();
let requests = 0;
let connections = 0;
let gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
// A load generator that stops reusing its connections (when answers slow down) costs the API a socket per request.
api.server.on('connection', () => connections++);
api.server.on('request', (_req, res: ServerResponse) => {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    requests++;
    served.record(Number(process.hrtime.bigint() - started) || 1);
  });
});

// Profiles cover the measured window only, not the start-up's cache build or the module loading.
const inspector = PROFILE_DIR ? new Session() : undefined;
inspector?.connect();
let profiling: string | undefined;
const startProfiles = async (label: string) => {
  if (!inspector) return;
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
  await inspector.post('Profiler.start');
  await inspector.post('HeapProfiler.enable');
  // Every allocation sampled, not only what is still live at the end: the young generation's churn is the point.
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  profiling = label;
};
const writeProfiles = async () => {
  if (!inspector || !profiling) return;
  const { profile } = await inspector.post('Profiler.stop');
  const { profile: heap } = await inspector.post('HeapProfiler.stopSampling');
  await mkdir(PROFILE_DIR!, { recursive: true });
  await writeFile(join(PROFILE_DIR!, `${profiling}.cpuprofile`), JSON.stringify(profile));
  await writeFile(join(PROFILE_DIR!, `${profiling}.heapprofile`), JSON.stringify(heap));
  profiling = undefined;
};

const ms = (ns: number) => ns / 1e6;
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, label] = line.split(' ');
  if (command === 'mark') {
    served = createHistogram();
    loop.disable();
    loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    cpu = process.cpuUsage();
    requests = 0;
    connections = 0;
    gc = { count: 0, totalMs: 0, maxMs: 0 };
    void startProfiles(label ?? 'step').then(() => process.stdout.write('{"marked":true}\n'));
  } else if (command === 'report') {
    const used = process.cpuUsage(cpu);
    const report = JSON.stringify({
      requests,
      connections,
      servedP50: ms(served.percentile(50)),
      servedP99: ms(served.percentile(99)),
      cpuMsPerRequest: (used.user + used.system) / 1000 / Math.max(requests, 1),
      loopP99: ms(loop.percentile(99)),
      loopMax: ms(loop.max),
      gcCount: gc.count,
      gcTotalMs: gc.totalMs,
      gcMaxMs: gc.maxMs,
    });
    void writeProfiles().then(() => process.stdout.write(`${report}\n`));
  } else if (command === 'stop') {
    void api
      .close()
      .then(() => services.audit.close())
      .then(() => dataSource.destroy())
      .then(() => process.exit(0));
  }
});
process.stdout.write(
  `${JSON.stringify({ url: api.url, accessToken, buildMs, cameras: fleet.nvrs.length * 2, nodes: fleet.nodes.length })}\n`,
);
