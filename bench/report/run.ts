// `npm run bench`: every benchmark once with short settings, one after the other, into one table of figures, limits
// and ratios with the machine's core count and load average (bench/report/latest.md and .json). The run before is
// kept as previous.json and shown beside this one, so two runs compare side by side. Asserts nothing.
//   BENCH_ONLY (comma-separated names to run), BENCH_REPORT_DIR (bench/report)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, loadAverage, type BenchResult } from './result.js';
import { renderMarkdown, type Report, type RunOutcome } from './table.js';

interface Bench {
  name: string;
  args: string[];
  env?: Record<string, string>;
  timeoutMs: number;
  /** Why it does not run here; it is listed in the report as skipped. */
  skip?: string;
}

const BENCHES: Bench[] = [
  {
    name: 'api',
    args: ['bench/api/api.bench.ts'],
    env: { BENCH_SECONDS: '5', BENCH_WARMUP_SECONDS: '3', BENCH_RATES: '500,1000,2000' },
    timeoutMs: 240_000,
  },
  {
    name: 'webhook-1',
    args: ['bench/webhook/run.ts'],
    env: { BENCH_SECONDS: '10', BENCH_CEILING_SECONDS: '5', BENCH_WORKERS: '1' },
    timeoutMs: 180_000,
  },
  {
    name: 'webhook-2',
    args: ['bench/webhook/run.ts'],
    env: { BENCH_SECONDS: '10', BENCH_CEILING_SECONDS: '5', BENCH_WORKERS: '2' },
    timeoutMs: 180_000,
  },
  { name: 'operator', args: ['bench/operator/run.ts', '--schools', '200'], timeoutMs: 240_000 },
  { name: 'probe', args: ['bench/probe.ts', '5'], timeoutMs: 120_000 },
  { name: 'tunnel', args: ['bench/tunnel.ts', '2', '5'], timeoutMs: 180_000 },
  { name: 'media-tls', args: ['bench/media-tls.ts', '2', '5'], timeoutMs: 180_000 },
  { name: 'console', args: ['bench/console/run.ts'], env: { BENCH_PLAYS: '3' }, timeoutMs: 180_000 },
  {
    name: 'data-reads',
    args: ['bench/data/reads.ts'],
    env: { BENCH_ROWS: '200000', BENCH_QUERIES: '100' },
    timeoutMs: 180_000,
  },
  { name: 'data-convert', args: ['bench/data/convert.ts'], env: { BENCH_ROWS: '200000' }, timeoutMs: 180_000 },
  {
    name: 'data-restore',
    args: ['bench/data/restore.ts'],
    timeoutMs: 0,
    skip: 'a base backup, WAL archive and replay of at least 1 GB take several minutes; run npm run bench:data:restore alone',
  },
];

const dir = process.env.BENCH_REPORT_DIR ?? 'bench/report';
const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);

/** Runs one benchmark as its own process and keeps the tail of what it printed. */
function runBench(bench: Bench, resultPath: string): Promise<{ code: number | null; seconds: number; tail: string[] }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...bench.args], {
      env: { ...process.env, ...bench.env, BENCH_RESULT: resultPath },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
      process.stdout.write(chunk);
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // The benchmark's own children (servers, PostgreSQL) go with it: they share its process group.
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), bench.timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, seconds: (Date.now() - started) / 1000, tail: lines.slice(-8) });
    });
  });
}

const outcomes: RunOutcome[] = [];
for (const bench of BENCHES) {
  if (only && !only.includes(bench.name)) continue;
  if (bench.skip) {
    outcomes.push({ name: bench.name, status: 'skipped', reason: bench.skip, loadAverage: loadAverage() });
    continue;
  }
  console.log(`\n== ${bench.name}`);
  const resultPath = join(tmpdir(), `posbon-bench-${process.pid}-${bench.name}.json`);
  const { code, seconds, tail } = await runBench(bench, resultPath);
  const result = existsSync(resultPath) ? (JSON.parse(readFileSync(resultPath, 'utf8')) as BenchResult) : undefined;
  rmSync(resultPath, { force: true });
  outcomes.push({
    name: bench.name,
    status: code === 0 ? 'ok' : 'failed',
    seconds,
    loadAverage: result?.loadAverage ?? loadAverage(),
    ...(result ? { result } : { output: tail }),
    ...(code === 0 ? {} : { reason: code === null ? `stopped after ${bench.timeoutMs / 1000} s` : `exit ${code}` }),
  });
}

// Scaling across worker processes is a ratio between two benchmarks of this run.
const rate = (name: string) =>
  outcomes.find((o) => o.name === name)?.result?.figures.find((f) => f.name === 'ingress')?.value;
const one = rate('webhook-1');
const two = rate('webhook-2');
const derived =
  one !== undefined && two !== undefined
    ? [
        figure('webhook ingress, 2 workers / 1 worker', two, 'events/s', {
          limit: { name: '1-worker ingress', value: one },
          target: '>= 1.6x where the cores allow',
          met: two >= 1.6 * one,
        }),
      ]
    : [];

const report: Report = {
  startedAt: new Date().toISOString(),
  commit: await gitCommit(),
  cores: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  loadAverage: loadAverage(),
  benches: outcomes,
  derived,
};
const latest = join(dir, 'latest.json');
const previousPath = join(dir, 'previous.json');
if (existsSync(latest)) renameSync(latest, previousPath);
const previous = existsSync(previousPath) ? (JSON.parse(readFileSync(previousPath, 'utf8')) as Report) : undefined;
writeFileSync(latest, `${JSON.stringify(report, null, 1)}\n`);
writeFileSync(join(dir, 'latest.md'), renderMarkdown(report, previous));
console.log(`\n${renderMarkdown(report, previous)}`);
process.exit(outcomes.some((o) => o.status === 'failed') ? 1 : 0);

function gitCommit(): Promise<string> {
  return new Promise((resolve) => {
    const git = spawn('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    git.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    git.once('close', () => resolve(out.trim() || 'unknown'));
    git.once('error', () => resolve('unknown'));
  });
}
