// Migrations run once: two `posbon migrate` at once, a refused start on an old schema, a failed migration rolled back.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { testDatabase } from '../../test/harness/index.js';
import { migrations } from './data-source.js';
import { appliedSchemaVersion, expectedSchemaVersion, migrateDatabase, SCHEMA_MISMATCH_EXIT } from './migrate.js';
import { createDataSource } from './data-source.js';

const tsx = (script: string, env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(process.cwd(), script)],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

const query = async (url: string, sql: string, params: unknown[] = []) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
};

const versionOf = async (url: string, list = migrations) => {
  const dataSource = createDataSource({ url, poolSize: 1 }, list);
  await dataSource.initialize();
  try {
    return await appliedSchemaVersion(dataSource);
  } finally {
    await dataSource.destroy();
  }
};

describe('posbon migrate', () => {
  it('two processes at once: one migrates while the other waits, then finds the same version', async () => {
    const url = await testDatabase('migrate_twice');
    // Held here first, so both processes are seen waiting on the lock before either migrates.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query(`SELECT pg_advisory_lock(hashtext('posbon.migrate'))`);
    const both = [
      tsx('api/db/migrate-cli.ts', { DATABASE_URL: url }),
      tsx('api/db/migrate-cli.ts', { DATABASE_URL: url }),
    ];
    for (;;) {
      const [{ waiting }] = await query(
        url,
        `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      if (waiting === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await holder.end();
    const results = await Promise.all(both);
    const expected = expectedSchemaVersion();
    const all = migrations.map((m) => new m().name).join(', ');
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    expect(results.map((r) => r.stdout).sort()).toEqual(
      [
        `posbon migrate: schema at ${expected}, applied ${all}\n`,
        `posbon migrate: schema at ${expected}, nothing to apply\n`,
      ].sort(),
    );
    expect(await query(url, 'SELECT count(*)::int AS n FROM migrations')).toEqual([{ n: migrations.length }]);
  }, 120_000);

  it('a migration that fails leaves the previous schema and version as they were', async () => {
    const url = await testDatabase('migrate_fail');
    await migrateDatabase(url);
    class Broken9999999999999 implements MigrationInterface {
      name = 'Broken9999999999999';
      async up(q: QueryRunner): Promise<void> {
        await q.query('CREATE TABLE half_done (id int)');
        await q.query('ALTER TABLE attendance_event ADD COLUMN half_done_col int');
        await q.query('ALTER TABLE attendance_event ADD COLUMN no_such_type_col no_such_type');
      }
      async down(): Promise<void> {}
    }
    const columnsBefore = await query(
      url,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'attendance_event' ORDER BY 1`,
    );
    await expect(migrateDatabase(url, [...migrations, Broken9999999999999])).rejects.toThrow(
      'type "no_such_type" does not exist',
    );
    expect(await versionOf(url)).toBe(expectedSchemaVersion());
    expect(await query(url, `SELECT to_regclass('public.half_done') AS t`)).toEqual([{ t: null }]);
    expect(
      await query(
        url,
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'attendance_event' ORDER BY 1`,
      ),
    ).toEqual(columnsBefore);
    const cli = await tsx('api/db/migrate-cli.ts', { DATABASE_URL: url });
    expect([cli.code, cli.stdout]).toEqual([
      0,
      `posbon migrate: schema at ${expectedSchemaVersion()}, nothing to apply\n`,
    ]);
  }, 60_000);
});

describe('a process on another schema version', () => {
  let oldUrl: string;
  const previous = new migrations[migrations.length - 2]!().name;

  beforeAll(async () => {
    oldUrl = await testDatabase('migrate_old');
    await migrateDatabase(oldUrl, migrations.slice(0, -1));
  }, 60_000);

  it('the API refuses with one line and exit code 3, without migrating', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'posbon-old-'));
    const result = await tsx('api/admin/start.ts', {
      DATABASE_URL: oldUrl,
      POSBON_MIGRATE_ON_START: 'false',
      POSBON_DATA_DIR: dataDir,
      POSBON_API_PORT: '0',
      KUBECONFIG: '',
      NODE_ENV: '',
    });
    expect([result.code, result.stderr]).toEqual([
      SCHEMA_MISMATCH_EXIT,
      `posbon: database schema is ${previous}, this build needs ${expectedSchemaVersion()}: run \`posbon migrate\` (npm run migrate) first\n`,
    ]);
    expect(await versionOf(oldUrl)).toBe(previous);
  }, 60_000);

  it('the webhook ingress refuses with one line and exit code 3, without migrating', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'posbon-old-'));
    await writeFile(join(dir, 'devices.json'), '[]');
    const key = Buffer.alloc(32, 1).toString('base64');
    const result = await tsx('api/webhook/main.ts', {
      DATABASE_URL: oldUrl,
      POSBON_WEBHOOK_DEVICES: join(dir, 'devices.json'),
      POSBON_WEBHOOK_PORT: '0',
      POSBON_TOKEN_HASH_KEY: key,
      POSBON_WEBHOOK_SEALING_KEY: Buffer.alloc(32, 2).toString('base64'),
    });
    expect([result.code, result.stderr]).toEqual([
      SCHEMA_MISMATCH_EXIT,
      `posbon webhook: database schema is ${previous}, this build needs ${expectedSchemaVersion()}: run \`posbon migrate\` (npm run migrate) first\n`,
    ]);
    expect(await versionOf(oldUrl)).toBe(previous);
  }, 60_000);

  it('an empty database is refused the same way', async () => {
    const url = await testDatabase('migrate_empty');
    const dataDir = await mkdtemp(join(tmpdir(), 'posbon-old-'));
    const result = await tsx('api/admin/start.ts', {
      DATABASE_URL: url,
      POSBON_MIGRATE_ON_START: 'false',
      POSBON_DATA_DIR: dataDir,
      POSBON_API_PORT: '0',
    });
    expect([result.code, result.stderr]).toEqual([
      SCHEMA_MISMATCH_EXIT,
      `posbon: database schema is empty, this build needs ${expectedSchemaVersion()}: run \`posbon migrate\` (npm run migrate) first\n`,
    ]);
  }, 60_000);
});
