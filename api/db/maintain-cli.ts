// `posbon maintain` (npm run maintain): one maintenance pass over DATABASE_URL, as the chart's CronJob runs it.
// Prints the report as one JSON line; with --metrics-file PATH also writes the metrics for a textfile collector.
import { writeFile } from 'node:fs/promises';
import { createLogger, redactText } from '../../lib/log/logger.js';
import { openDatabase } from './data-source.js';
import { Maintenance } from './maintenance.js';
import { SCHEMA_MISMATCH_EXIT, SchemaMismatchError } from './migrate.js';
import { retentionFromEnv } from './retention-env.js';

const fail = (message: string, code: number): never => {
  process.stderr.write(`posbon maintain: ${message}\n`);
  process.exit(code);
};

const args = process.argv.slice(2);
const metricsAt = args.indexOf('--metrics-file');
const metricsFile = metricsAt >= 0 ? args[metricsAt + 1] : undefined;
if (metricsAt >= 0 && !metricsFile) fail('--metrics-file needs a path', 2);
const url = process.env.DATABASE_URL ?? fail('DATABASE_URL is not set', 2);
let policy;
try {
  policy = retentionFromEnv(process.env);
} catch (error) {
  fail((error as Error).message, 2);
}
try {
  const { dataSource } = await openDatabase({ url, poolSize: 1 });
  try {
    const maintenance = Maintenance.create({
      dataSource,
      logger: createLogger({ component: 'posbon-maintain', level: 'warn' }),
      ...(policy ? { policy } : {}),
    });
    const report = await maintenance.run();
    if (metricsFile) await writeFile(metricsFile, await maintenance.metrics.registry.metrics());
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await dataSource.destroy();
  }
} catch (error) {
  if (error instanceof SchemaMismatchError) fail(error.message, SCHEMA_MISMATCH_EXIT);
  fail(`failed: ${redactText((error as Error).message)}`, 1);
}
