// The data's maintenance: attendance months created ahead, and every data class removed once past its retention.
import { Counter, Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../lib/log/logger.js';
import { WEBHOOK_ID_RETENTION_MS } from '../webhook/webhook-id-retention.js';
import {
  addMonths,
  createPartitionsAhead,
  DEFAULT_PARTITION,
  listMonthPartitions,
  monthStart,
} from './attendance-partitions.js';

const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  /**
   * Whole UTC months of attendance kept before the current one. Schools carry no retention of their own in the fleet's
   * resources, so one figure applies to every school.
   */
  attendanceMonths: number;
  /** 180 by default; 365 where compliance asks. */
  auditDays: number;
  /** Sessions (with their refresh tokens) and agent tokens are kept this long after they expired, for the account views. */
  expiredCredentialDays: number;
  /** Months of attendance partitions kept ready ahead of the current one. */
  monthsAhead: number;
  /** Rows per DELETE: no statement holds many row locks or runs long. */
  batch: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  attendanceMonths: 36,
  auditDays: 180,
  expiredCredentialDays: 7,
  monthsAhead: 3,
  batch: 5000,
};

export interface MaintenanceReport {
  partitionsCreated: string[];
  partitionsDropped: string[];
  /** Rows removed per data class (attendance counts the rows of dropped partitions and of the default one). */
  rows: Record<DataClass, number>;
}

export type DataClass = 'attendance' | 'audit' | 'session' | 'refresh_token' | 'agent_token' | 'webhook_id';

export interface MaintenanceMetrics {
  registry: Registry;
  rows: Counter<'class'>;
  partitions: Counter<'action'>;
  lastSuccess: Gauge;
  failures: Counter;
}

export function createMaintenanceMetrics(registry = new Registry()): MaintenanceMetrics {
  return {
    registry,
    rows: new Counter({
      name: 'posbon_retention_rows_removed_total',
      help: 'Rows removed past their retention, by data class.',
      labelNames: ['class'],
      registers: [registry],
    }),
    partitions: new Counter({
      name: 'posbon_attendance_partitions_total',
      help: 'Attendance partitions created ahead or dropped past retention.',
      labelNames: ['action'],
      registers: [registry],
    }),
    lastSuccess: new Gauge({
      name: 'posbon_maintenance_last_success_timestamp_seconds',
      help: 'When the maintenance last ran to its end.',
      registers: [registry],
    }),
    failures: new Counter({
      name: 'posbon_maintenance_failures_total',
      help: 'Maintenance runs that stopped on an error.',
      registers: [registry],
    }),
  };
}

/** Deletes matching rows `batch` at a time by ctid, each its own statement; returns how many went. */
async function deleteInBatches(
  db: DataSource,
  table: string,
  where: string,
  params: unknown[],
  batch: number,
): Promise<number> {
  const n = params.length + 1;
  const sql = `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${where} LIMIT $${n}))`;
  let deleted = 0;
  for (;;) {
    const [, count] = (await db.query(sql, [...params, batch])) as [unknown, number];
    deleted += count;
    if (count < batch) return deleted;
  }
}

export interface MaintenanceDeps {
  dataSource: DataSource;
  logger: Logger;
  policy?: Partial<RetentionPolicy>;
  metrics?: MaintenanceMetrics;
  now?: () => Date;
}

export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    readonly policy: RetentionPolicy,
    readonly metrics: MaintenanceMetrics,
    private readonly now: () => Date,
  ) {}

  static create(deps: MaintenanceDeps): Maintenance {
    const policy = { ...DEFAULT_RETENTION, ...deps.policy };
    for (const [name, value] of Object.entries(policy)) {
      if (!Number.isInteger(value) || value < (name === 'monthsAhead' ? 0 : 1))
        throw new Error(`retention ${name} must be a positive integer`);
    }
    return new Maintenance(
      deps.dataSource,
      deps.logger,
      policy,
      deps.metrics ?? createMaintenanceMetrics(),
      deps.now ?? (() => new Date()),
    );
  }

  /** One pass; running it again at once removes nothing more. */
  async run(): Promise<MaintenanceReport> {
    try {
      const report = await this.pass();
      this.metrics.lastSuccess.set(Date.now() / 1000);
      return report;
    } catch (error) {
      this.metrics.failures.inc();
      throw error;
    }
  }

  private async pass(): Promise<MaintenanceReport> {
    const db = this.dataSource;
    const now = this.now();
    const { batch } = this.policy;
    const rows: Record<DataClass, number> = {
      attendance: 0,
      audit: 0,
      session: 0,
      refresh_token: 0,
      agent_token: 0,
      webhook_id: 0,
    };

    const partitionsCreated = await createPartitionsAhead(db, now, this.policy.monthsAhead);
    // Attendance before this instant has passed its retention; it is always the first of a month.
    const attendanceCutoff = addMonths(monthStart(now), -this.policy.attendanceMonths);
    const partitionsDropped: string[] = [];
    for (const month of await listMonthPartitions(db)) {
      if (month.to.getTime() > attendanceCutoff.getTime()) continue;
      // Detached first, so the count is final: nothing can be routed into the month any more.
      await db.query(`ALTER TABLE attendance_event DETACH PARTITION ${month.name}`);
      const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM ${month.name}`)) as [{ n: number }];
      await db.query(`DROP TABLE ${month.name}`);
      rows.attendance += n;
      partitionsDropped.push(month.name);
    }
    rows.attendance += await deleteInBatches(db, DEFAULT_PARTITION, 'occurred_at < $1', [attendanceCutoff], batch);

    const auditCutoff = new Date(now.getTime() - this.policy.auditDays * DAY_MS);
    rows.audit = await deleteInBatches(db, 'audit_entry', 'at < $1', [auditCutoff], batch);

    const credentialCutoff = new Date(now.getTime() - this.policy.expiredCredentialDays * DAY_MS);
    rows.refresh_token = await deleteInBatches(
      db,
      'refresh_token',
      'session_id IN (SELECT id FROM session WHERE expires_at < $1)',
      [credentialCutoff],
      batch,
    );
    rows.session = await deleteInBatches(db, 'session', 'expires_at < $1', [credentialCutoff], batch);
    rows.agent_token = await deleteInBatches(db, 'agent_token', 'expires_at < $1', [credentialCutoff], batch);
    rows.webhook_id = await deleteInBatches(
      db,
      'seen_webhook_id',
      'seen_at < $1',
      [new Date(now.getTime() - WEBHOOK_ID_RETENTION_MS)],
      batch,
    );

    for (const [dataClass, count] of Object.entries(rows)) this.metrics.rows.inc({ class: dataClass }, count);
    this.metrics.partitions.inc({ action: 'created' }, partitionsCreated.length);
    this.metrics.partitions.inc({ action: 'dropped' }, partitionsDropped.length);
    return { partitionsCreated, partitionsDropped, rows };
  }

  /** Runs now and every `everyMs` until `stop`; a failed run is logged and tried again at the next. */
  start(everyMs = 3600_000): void {
    const tick = () => {
      if (this.running) return;
      this.running = this.run()
        .then(
          (report) => this.logger.info('maintenance done', { ...report }),
          (error: unknown) => this.logger.warn('maintenance failed', { error }),
        )
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
