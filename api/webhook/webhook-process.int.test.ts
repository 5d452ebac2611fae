// The ingress as `npm run webhook` runs it: only its own keys, and nothing of the database's errors in its answers.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually, freePort, harnessDir, spawnService, testDatabase, type Service } from '../../test/harness/index.js';
import { DEVICES, startTestIngress, type TestIngress } from '../../test/webhook/ingress.js';
import { hikvisionEventJson } from '../../test/webhook/fixtures.js';
import { parsePrometheusText, sampleValue } from '../../test/harness/prometheus.js';
import { openDatabase } from '../db/data-source.js';
import { migrateDatabase } from '../db/migrate.js';

const key = () => randomBytes(32).toString('base64');

async function runIngress(env: Record<string, string>): Promise<{ service: Service; port: number; metricsPort: number }> {
  const dir = await harnessDir('webhook-keys');
  await writeFile(join(dir, 'devices.yaml'), stringify(DEVICES));
  const port = await freePort();
  const metricsPort = await freePort();
  const service = await spawnService('webhook', process.execPath, ['--import', 'tsx', join(process.cwd(), 'api/webhook/main.ts')], {
    env: {
      PATH: process.env.PATH,
      POSBON_WEBHOOK_DEVICES: join(dir, 'devices.yaml'),
      POSBON_WEBHOOK_PORT: String(port),
      POSBON_WEBHOOK_METRICS_PORT: String(metricsPort),
      ...env,
    },
  });
  return { service, port, metricsPort };
}

/** Waits for a process that must stop by itself; one still running after the wait is stopped and fails the test. */
async function exitOf(service: Service): Promise<void> {
  try {
    await eventually(() => {
      if (!service.exited()) throw new Error(`${service.name} is still running`);
    });
  } finally {
    await service.stop();
  }
}

describe('the ingress process holds only its own keys', () => {
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await testDatabase('webhook_keys');
    // `posbon migrate` runs first, as the chart's Job does: the ingress only checks the schema.
    await migrateDatabase(databaseUrl);
  });

  it('refuses to start when given the admin API\'s sealing key, in one line naming it', async () => {
    const { service } = await runIngress({
      DATABASE_URL: databaseUrl,
      POSBON_TOKEN_HASH_KEY: key(),
      POSBON_WEBHOOK_SEALING_KEY: key(),
      POSBON_SECRET_SEALING_KEY: key(),
    });
    await exitOf(service);
    expect((await service.logs()).trim().split('\n')).toEqual([
      'posbon webhook: POSBON_SECRET_SEALING_KEY must not be given to the webhook ingress: it holds only POSBON_TOKEN_HASH_KEY and POSBON_WEBHOOK_SEALING_KEY',
    ]);
  });

  it('refuses to start without its own sealing key, naming it', async () => {
    const { service } = await runIngress({ DATABASE_URL: databaseUrl, POSBON_TOKEN_HASH_KEY: key() });
    await exitOf(service);
    expect((await service.logs()).trim().split('\n')).toEqual(['posbon webhook: POSBON_WEBHOOK_SEALING_KEY is required: 32 random bytes, base64']);
  });

  it('serves with its two keys alone', async () => {
    const { service, port } = await runIngress({ DATABASE_URL: databaseUrl, POSBON_TOKEN_HASH_KEY: key(), POSBON_WEBHOOK_SEALING_KEY: key() });
    try {
      const health = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).json(), 60_000, 200);
      expect(health).toEqual({ ok: true });
    } finally {
      await service.stop();
    }
  });
});

describe('the metrics of a cluster of workers', () => {
  it('are served summed over the workers on the metrics port, and not on the public port', async () => {
    const databaseUrl = await testDatabase('webhook_metrics');
    await migrateDatabase(databaseUrl);
    const { service, port, metricsPort } = await runIngress({ DATABASE_URL: databaseUrl, POSBON_TOKEN_HASH_KEY: key(), POSBON_WEBHOOK_SEALING_KEY: key(), POSBON_WEBHOOK_WORKERS: '2' });
    try {
      await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200), 60_000, 200);
      const scrape = async () => parsePrometheusText(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
      const misses = (families: Awaited<ReturnType<typeof scrape>>) =>
        sampleValue(families, 'posbon_webhook_http_request_duration_seconds', { method: 'POST', route: 'unmatched', code: '404' }, 'posbon_webhook_http_request_duration_seconds_count') ?? 0;
      // The primary hands connections to the workers in turn, so these land on both.
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/nowhere/${i}`, { method: 'POST', headers: { connection: 'close' } });
        expect(res.status).toBe(404);
      }
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      await eventually(async () => expect(misses(await scrape())).toBe(20), 30_000, 200);
      const families = await scrape();
      expect([...families].filter(([, f]) => !f.help || !f.type).map(([name]) => name)).toEqual([]);
    } finally {
      await service.stop();
    }
  });
});

describe('a database failure behind an unauthenticated push', () => {
  let ingress: TestIngress;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await testDatabase('webhook_leak');
    ingress = await startTestIngress(databaseUrl);
  });
  afterAll(async () => {
    await ingress?.close();
  });

  it('answers a generic 503 and logs the detail on the server only', async () => {
    // The credentials table disappears from under the ingress: every lookup fails with PostgreSQL's own message.
    const { dataSource } = await openDatabase({ url: databaseUrl });
    await dataSource.query('ALTER TABLE device_secret RENAME TO device_secret_moved');
    try {
      const res = await fetch(`${ingress.base}/webhook/school-a/in/pdt_${randomBytes(32).toString('base64url')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(hikvisionEventJson({ serialNo: 1, employeeNoString: 'p1', dateTime: '2026-11-20T07:55:12+05:00' })),
      });
      const body = (await res.json()) as { error: string; requestId: string };
      expect([res.status, body]).toEqual([503, { error: 'device credentials cannot be checked now; retry later', requestId: body.requestId }]);
      const warning = ingress.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.message === 'database unavailable; answering 503 until it is back');
      expect(JSON.stringify(warning)).toContain('device_secret');
    } finally {
      await dataSource.query('ALTER TABLE device_secret_moved RENAME TO device_secret');
      await dataSource.destroy();
    }
  });
});
