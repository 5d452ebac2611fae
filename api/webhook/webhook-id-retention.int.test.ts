// Old webhook ids are forgotten once a replay would fail its timestamp check anyway; recent ones are kept.
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { testDatabase } from '../../test/harness/index.js';
import { openMigrated } from '../db/migrate.js';
import { createLogger } from '../../lib/log/logger.js';
import { WEBHOOK_ID_RETENTION_MS, WebhookIdRetention } from './webhook-id-retention.js';
import { SIGNATURE_TOLERANCE_S } from './vendors/standard-webhooks.js';

let dataSource: DataSource;
const logger = createLogger({ component: 'retention', stream: new Writable({ write: (_c, _e, done) => done() }) });

beforeAll(async () => {
  ({ dataSource } = await openMigrated(await testDatabase('retention')));
});
afterAll(async () => dataSource?.destroy());

const seenAgo = (id: string, ms: number) =>
  dataSource.query(
    `INSERT INTO seen_webhook_id (school_id, device_id, webhook_id, seen_at) VALUES ('school-a', 'gw-1', $1, now() - $2 * interval '1 millisecond')`,
    [id, ms],
  );

it('keeps ids for longer than twice the signature tolerance', () => {
  expect(WEBHOOK_ID_RETENTION_MS).toBeGreaterThan(2 * SIGNATURE_TOLERANCE_S * 1000);
  expect(() => WebhookIdRetention.create({ dataSource, logger, retainMs: SIGNATURE_TOLERANCE_S * 1000 })).toThrow(
    'retainMs must be at least twice the 120 s signature tolerance',
  );
});

it('deletes every id older than the retention, in chunks, and keeps the recent ones', async () => {
  for (let i = 0; i < 7; i++) await seenAgo(`old-${i}`, WEBHOOK_ID_RETENTION_MS + 60_000 + i);
  await seenAgo('recent', 60_000);
  await seenAgo('at-the-edge', WEBHOOK_ID_RETENTION_MS - 60_000);
  const retention = WebhookIdRetention.create({ dataSource, logger, chunk: 3 });
  expect(await retention.sweep()).toBe(7);
  const left = (await dataSource.query('SELECT webhook_id FROM seen_webhook_id ORDER BY webhook_id')) as {
    webhook_id: string;
  }[];
  expect(left.map((row) => row.webhook_id)).toEqual(['at-the-edge', 'recent']);
  expect(await retention.sweep()).toBe(0);
});
