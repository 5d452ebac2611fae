// What every benchmark hands to the report: named figures, each with its unit and, where one was measured in the
// same run, the limit it is a share of. Written as JSON to BENCH_RESULT when `npm run bench` runs the benchmark.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The limit measured in the same run that this figure is a share of. */
  limit?: { name: string; value: number };
  /** value / limit.value. */
  ratio?: number;
  /** The target in words, and whether this run met it. */
  target?: string;
  met?: boolean;
}

export interface BenchResult {
  bench: string;
  settings: Record<string, string | number>;
  figures: Figure[];
  /** Load averages (1, 5, 15 min) when the benchmark ended. */
  loadAverage: number[];
  cores: number;
  notes?: string[];
}

export function figure(
  name: string,
  value: number,
  unit: string,
  extra: Omit<Figure, 'name' | 'value' | 'unit'> = {},
): Figure {
  const ratio = extra.limit && extra.limit.value > 0 ? value / extra.limit.value : undefined;
  return { name, value, unit, ...extra, ...(ratio === undefined ? {} : { ratio }) };
}

export const loadAverage = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

/** Writes the result where `npm run bench` asked for it; a benchmark run on its own only prints. */
export function writeResult(result: Omit<BenchResult, 'loadAverage' | 'cores'>): void {
  const path = process.env.BENCH_RESULT;
  if (!path) return;
  const full: BenchResult = { ...result, loadAverage: loadAverage(), cores: cpus().length };
  writeFileSync(path, `${JSON.stringify(full, null, 1)}\n`);
}
