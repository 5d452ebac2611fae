// `posbon migrate` (npm run migrate): brings DATABASE_URL's schema to this build's version; the chart runs it as a Job.
import { redactText } from '../../lib/log/logger.js';
import { migrateDatabase } from './migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('posbon migrate: DATABASE_URL is not set\n');
  process.exit(2);
}
try {
  const result = await migrateDatabase(url);
  const applied = result.applied.length > 0 ? `applied ${result.applied.join(', ')}` : 'nothing to apply';
  process.stdout.write(`posbon migrate: schema at ${result.version}, ${applied}\n`);
} catch (error) {
  // The failed migration's transaction rolled back: the schema is still the previous version.
  process.stderr.write(`posbon migrate: failed, schema left as it was: ${redactText((error as Error).message)}\n`);
  process.exit(1);
}
