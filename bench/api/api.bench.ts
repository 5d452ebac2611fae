// GET /schools/:id and GET /cameras/:id/stream with 10,000 schools in the cache, at 500 requests/s from a second
// process (autocannon) on loopback. Prints p50/p99 latency; target p99 under 10 ms.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createLogger } from '../../api/platform/logger.js';
import { openDatabase } from '../../api/db/data-source.js';
import { MemoryFleetSource } from '../../api/admin/fleet/source.js';
import { createApiServices, listenApi } from '../../api/admin/server.js';
import { createDatabase, startPostgres } from '../../test/harness/index.js';
import { node, nvr, school } from '../../test/api/fixture.js';
import type { Fleet } from '../../operator/core/fleet.js';

const SCHOOLS = 10_000;
const RATE = 500;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const run = promisify(execFile);

const fleet: Fleet = { nodes: [], schools: [], nvrs: [] };
for (let n = 0; n < 40; n++) fleet.nodes.push(node(`node-${n}`, 'r1', `198.51.100.${n + 10}`));
for (let i = 0; i < SCHOOLS; i++) {
  fleet.schools.push(school(`school-${i}`, 'r1'));
  fleet.nvrs.push(nvr(`nvr-${i}`, `school-${i}`, `203.0.113.${(i % 200) + 1}`, ['gate', 'yard']));
}

const postgres = await startPostgres();
const logger = createLogger({ service: 'bench', level: 'warn' });
const { dataSource } = await openDatabase({ url: await createDatabase(postgres.url, 'bench') });
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
  http: { production: false, corsOrigins: [], loginPerMinute: 100, tokensPerMinute: 1_000_000, trustProxy: 'loopback' },
});
const account = await services.accounts.create({ username: 'bench', role: 'VIEWER', schools: Array.from({ length: 100 }, (_, i) => `school-${i * 97}`) });
const { accessToken } = await services.sessions.start(account.account, 'bench');

const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function load(name: string, path: string): Promise<void> {
  // CPU time of this process (the API) per request and the event loop's delay: figures the machine's load skews less.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const cpu = process.cpuUsage();
  loop.enable();
  const before = loadAverage();
  const { stdout } = await run(
    'node_modules/.bin/autocannon',
    ['--json', '-c', '10', '-R', String(RATE), '-d', String(SECONDS), '-H', `authorization=Bearer ${accessToken}`, `${api.url}${path}`],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  loop.disable();
  const used = process.cpuUsage(cpu);
  const r = JSON.parse(stdout) as { latency: Record<string, number>; requests: { average: number; total: number }; non2xx: number; errors: number };
  const cpuPerRequest = (used.user + used.system) / 1000 / Math.max(r.requests.total, 1);
  console.log(
    `${name.padEnd(26)} ${String(Math.round(r.requests.average)).padStart(4)} req/s  p50 ${r.latency.p50} ms  p90 ${r.latency.p90} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms  non-2xx ${r.non2xx}  errors ${r.errors}`,
  );
  console.log(
    `${''.padEnd(26)} API CPU ${cpuPerRequest.toFixed(3)} ms/request  event-loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms max ${(loop.max / 1e6).toFixed(1)} ms  load average ${before} -> ${loadAverage()}`,
  );
}

console.log(`fleet of ${SCHOOLS} schools, ${fleet.nvrs.length * 2} cameras, ${fleet.nodes.length} nodes; cache built in ${buildMs.toFixed(0)} ms`);
await load('GET /schools/:id', '/schools/school-4850');
await load('GET /cameras/:id/stream', '/cameras/school-4850.nvr-4850.gate/stream');
await api.close();
await dataSource.destroy();
await postgres.stop();
