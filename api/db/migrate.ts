// Migrations run by one process at a time (`posbon migrate`, or `npm start` in-process); every other process only checks.
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, migrations, openDatabase, type DatabaseOptions } from './data-source.js';

/** One key for every Posbon process: a second `posbon migrate` waits here, then finds nothing left to apply. */
const MIGRATE_LOCK = `SELECT pg_advisory_lock(hashtext('posbon.migrate'))`;
const MIGRATE_UNLOCK = `SELECT pg_advisory_unlock(hashtext('posbon.migrate'))`;

/** The migration this build's code was written against: the last one it knows. */
export const expectedSchemaVersion = (): string => new migrations[migrations.length - 1]!().name!;

/** The exit code of a process that refused to start on another schema version. */
export const SCHEMA_MISMATCH_EXIT = 3;

export class SchemaMismatchError extends Error {
  constructor(
    readonly found: string | undefined,
    readonly expected: string,
  ) {
    super(
      `database schema is ${found ?? 'empty'}, this build needs ${expected}: run \`posbon migrate\` (npm run migrate) first`,
    );
    this.name = 'SchemaMismatchError';
  }
}

/** The name of the last applied migration, or undefined on a database never migrated. */
export async function appliedSchemaVersion(dataSource: DataSource): Promise<string | undefined> {
  const [table] = (await dataSource.query(`SELECT to_regclass('public.migrations') AS t`)) as { t: string | null }[];
  if (!table?.t) return undefined;
  const [last] = (await dataSource.query('SELECT name FROM migrations ORDER BY timestamp DESC, id DESC LIMIT 1')) as {
    name: string;
  }[];
  return last?.name;
}

/** Refuses a database whose last migration is not exactly this build's; never migrates. */
export async function assertSchemaCurrent(dataSource: DataSource): Promise<void> {
  const found = await appliedSchemaVersion(dataSource);
  const expected = expectedSchemaVersion();
  if (found !== expected) throw new SchemaMismatchError(found, expected);
}

export interface MigrateResult {
  applied: string[];
  version: string;
  /** How long this process waited for another one's migration to finish. */
  waitedMs: number;
}

/**
 * Applies pending migrations under a session advisory lock, each in its own transaction: a failing one rolls back
 * whole and leaves the schema at the previous version.
 */
export async function migrateDatabase(url: string, list = migrations): Promise<MigrateResult> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    const started = Date.now();
    await lock.query(MIGRATE_LOCK);
    const waitedMs = Date.now() - started;
    const dataSource = createDataSource({ url, poolSize: 1, queryTimeoutMs: 0 }, list);
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return { applied: applied.map((m) => m.name), version: (await appliedSchemaVersion(dataSource)) ?? '', waitedMs };
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lock.query(MIGRATE_UNLOCK).catch(() => undefined);
    await lock.end();
  }
}

/** Migrates, then opens as every process does: what `npm start`, tools and tests use on a database they own. */
export async function openMigrated(
  url: string,
  options: Omit<DatabaseOptions, 'url'> = {},
): Promise<{ dataSource: DataSource }> {
  await migrateDatabase(url);
  return openDatabase({ url, ...options });
}
