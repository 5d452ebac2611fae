// The benchmark report as one markdown table, with the previous run's value beside each figure. Pure: no I/O.
import type { BenchResult, Figure } from './result.js';

export interface RunOutcome {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  seconds?: number;
  loadAverage: number[];
  result?: BenchResult;
  /** The last lines a benchmark printed when it wrote no figures of its own. */
  output?: string[];
  reason?: string;
}

export interface Report {
  startedAt: string;
  commit: string;
  cores: number;
  cpuModel: string;
  loadAverage: number[];
  benches: RunOutcome[];
  /** Figures computed across benchmarks of the run, such as scaling between worker counts. */
  derived: Figure[];
}

const number = (n: number): string =>
  !Number.isFinite(n) ? String(n) : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function previousValue(previous: Report | undefined, bench: string, name: string): Figure | undefined {
  if (bench === 'derived') return previous?.derived.find((f) => f.name === name);
  return previous?.benches.find((b) => b.name === bench)?.result?.figures.find((f) => f.name === name);
}

function row(bench: string, f: Figure, load: number[], previous: Report | undefined): string {
  const before = previousValue(previous, bench, f.name);
  const cells = [
    bench,
    f.name,
    `${number(f.value)} ${f.unit}`,
    f.limit ? `${f.limit.name}: ${number(f.limit.value)}` : '',
    f.ratio === undefined ? '' : `${(100 * f.ratio).toFixed(0)}%`,
    f.target ?? '',
    f.met === undefined ? '' : f.met ? 'met' : 'missed',
    before
      ? `${number(before.value)}${before.ratio === undefined ? '' : ` (${(100 * before.ratio).toFixed(0)}%)`}`
      : '',
    load.join(' '),
  ];
  return `| ${cells.map(cell).join(' | ')} |`;
}

export function renderMarkdown(report: Report, previous?: Report): string {
  const lines = [
    `# Benchmark report`,
    '',
    `${report.startedAt}, commit ${report.commit}; ${report.cores} cores (${report.cpuModel}); load average ${report.loadAverage.join(' ')} at the end` +
      (previous
        ? `; previous run ${previous.startedAt}, commit ${previous.commit}, load average ${previous.loadAverage.join(' ')}`
        : ''),
    '',
    '| bench | figure | value | limit (same run) | share | target | | previous run | load average |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const bench of report.benches) {
    for (const f of bench.result?.figures ?? []) lines.push(row(bench.name, f, bench.loadAverage, previous));
  }
  for (const f of report.derived) lines.push(row('derived', f, report.loadAverage, previous));
  lines.push('', '| bench | status | seconds | note |', '|---|---|---|---|');
  for (const bench of report.benches) {
    const note = [bench.reason, ...(bench.result?.notes ?? []), ...(bench.output ?? [])].filter(Boolean).join(' / ');
    lines.push(
      `| ${bench.name} | ${bench.status} | ${bench.seconds === undefined ? '' : bench.seconds.toFixed(0)} | ${cell(note)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
