// Forgets Standard Webhooks message ids once a replay of them would be refused for its timestamp anyway.
import type { DataSource } from 'typeorm';
import type { Logger } from '../../lib/log/logger.js';
import { SIGNATURE_TOLERANCE_S } from './vendors/standard-webhooks.js';

/**
 * A message accepted at T had a timestamp within T ± tolerance, so its replay passes the timestamp check only until
 * T + 2 × tolerance; the margin covers clock differences between ingress replicas and the database.
 */
export const WEBHOOK_ID_RETENTION_MS = 2 * SIGNATURE_TOLERANCE_S * 1000 + 5 * 60_000;

const SWEEP = `
  DELETE FROM seen_webhook_id
   WHERE ctid = ANY(ARRAY(SELECT ctid FROM seen_webhook_id WHERE seen_at < now() - $1 * interval '1 millisecond' LIMIT $2))`;

export interface WebhookIdRetentionDeps {
  dataSource: DataSource;
  logger: Logger;
  retainMs?: number;
  intervalMs?: number;
  /** Rows deleted per statement, so one sweep never holds many row locks at once. */
  chunk?: number;
}

export class WebhookIdRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly retainMs: number,
    private readonly intervalMs: number,
    private readonly chunk: number,
  ) {}

  static create(deps: WebhookIdRetentionDeps): WebhookIdRetention {
    const retainMs = deps.retainMs ?? WEBHOOK_ID_RETENTION_MS;
    if (retainMs < 2 * SIGNATURE_TOLERANCE_S * 1000)
      throw new Error(`retainMs must be at least twice the ${SIGNATURE_TOLERANCE_S} s signature tolerance`);
    return new WebhookIdRetention(
      deps.dataSource,
      deps.logger,
      retainMs,
      deps.intervalMs ?? 60_000,
      deps.chunk ?? 5000,
    );
  }

  /** Deletes every id seen longer ago than the retention; returns how many. */
  async sweep(): Promise<number> {
    let deleted = 0;
    for (;;) {
      const [, count] = (await this.dataSource.query(SWEEP, [this.retainMs, this.chunk])) as [unknown, number];
      deleted += count;
      if (count < this.chunk) return deleted;
    }
  }

  /** Sweeps every interval until `stop`; a failed sweep (database down) is retried at the next one. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((error: unknown) => {
          this.logger.debug('webhook id sweep failed; retrying at the next interval', { error });
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
