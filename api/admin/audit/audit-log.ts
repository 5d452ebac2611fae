// The audit trail: logins, token issues, stream tokens and every mutating call, with redacted parameters.
import { LessThan, type DataSource, type FindOptionsWhere } from 'typeorm';
import { AuditEntryRow } from '../../db/entities/audit-entry.js';
import { UnavailableError } from '../../platform/errors.js';
import { redact } from '../../platform/logger.js';
import type { Logger } from '../../platform/logger.js';

export type ActorType = 'user' | 'agent' | 'device' | 'system';

export interface AuditRecord {
  actorType: ActorType;
  actorId: string;
  schoolId?: string | null;
  requestId?: string | null;
  action: string;
  params?: Record<string, unknown>;
  /** ok, denied, failed, or a short reason such as locked or reuse. */
  result: string;
}

export interface AuditFilter {
  /** Only these schools (a scoped reader); undefined means every school and the fleet-wide entries. */
  schools?: ReadonlySet<string>;
  schoolId?: string;
  action?: string;
  before?: number;
  limit: number;
}

export interface AuditView {
  id: string;
  at: string;
  actorType: ActorType;
  actorId: string;
  schoolId: string | null;
  requestId: string | null;
  action: string;
  params: Record<string, unknown>;
  result: string;
}

const DAY_MS = 24 * 3600_000;

interface Waiting {
  values: [Date, ActorType, string, string | null, string | null, string, string, string];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** One multi-row INSERT: one statement, one commit, however many entries waited for it. */
const INSERT = `INSERT INTO audit_entry (at, actor_type, actor_id, school_id, request_id, action, params, result)
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[])`;

export interface AuditBatching {
  /** Entries in one INSERT at most. */
  maxBatch: number;
  /** Entries waiting at most; beyond it a request is refused (503) rather than answered unaudited. */
  maxWaiting: number;
}

export class AuditLog {
  private timer: NodeJS.Timeout | undefined;
  private waiting: Waiting[] = [];
  private writing = false;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly now: () => Date,
    private readonly batching: AuditBatching,
  ) {}

  static create(deps: { dataSource: DataSource; logger: Logger; now?: () => Date; batching?: AuditBatching }): AuditLog {
    return new AuditLog(deps.dataSource, deps.logger, deps.now ?? (() => new Date()), deps.batching ?? { maxBatch: 500, maxWaiting: 10_000 });
  }

  /**
   * Resolves once the entry is committed: an action that cannot be audited is not done. Entries that arrive while
   * an INSERT is in flight are committed together by the next one (group commit, docs/adr/0006-audit-group-commit.md).
   */
  record(entry: AuditRecord): Promise<void> {
    if (this.waiting.length >= this.batching.maxWaiting) {
      return Promise.reject(new UnavailableError('the audit log is behind; try again shortly'));
    }
    const values: Waiting['values'] = [
      this.now(),
      entry.actorType,
      entry.actorId,
      entry.schoolId ?? null,
      entry.requestId ?? null,
      entry.action,
      JSON.stringify(redact(entry.params ?? {})),
      entry.result,
    ];
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ values, resolve, reject });
      if (!this.writing) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.batching.maxBatch);
        const columns = batch[0]!.values.map((_, i) => batch.map((w) => w.values[i]));
        try {
          await this.dataSource.query(INSERT, columns);
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  async list(filter: AuditFilter): Promise<AuditView[]> {
    const repo = this.dataSource.getRepository(AuditEntryRow);
    const base: FindOptionsWhere<AuditEntryRow> = {};
    if (filter.action) base.action = filter.action;
    if (filter.before) base.id = LessThan(String(filter.before));
    let rows: AuditEntryRow[];
    if (filter.schoolId !== undefined) {
      rows = await repo.find({ where: { ...base, schoolId: filter.schoolId }, order: { id: 'DESC' }, take: filter.limit });
    } else if (filter.schools) {
      const schools = [...filter.schools];
      if (schools.length === 0) return [];
      rows = await repo
        .createQueryBuilder('a')
        .where('a.school_id = ANY(:schools)', { schools })
        .andWhere(filter.action ? 'a.action = :action' : 'TRUE', { action: filter.action })
        .andWhere(filter.before ? 'a.id < :before' : 'TRUE', { before: filter.before })
        .orderBy('a.id', 'DESC')
        .limit(filter.limit)
        .getMany();
    } else {
      rows = await repo.find({ where: base, order: { id: 'DESC' }, take: filter.limit });
    }
    return rows.map((r) => ({
      id: String(r.id),
      at: r.at.toISOString(),
      actorType: r.actorType,
      actorId: r.actorId,
      schoolId: r.schoolId,
      requestId: r.requestId,
      action: r.action,
      params: r.params,
      result: r.result,
    }));
  }

  /** Deletes entries older than the retention; returns how many went. */
  async prune(retentionDays: number): Promise<number> {
    const cutoff = new Date(this.now().getTime() - retentionDays * DAY_MS);
    const result = await this.dataSource.getRepository(AuditEntryRow).delete({ at: LessThan(cutoff) });
    return result.affected ?? 0;
  }

  /** Prunes now and then every `everyMs`; failures are logged and retried at the next run. */
  startRetention(retentionDays: number, everyMs = 6 * 3600_000): void {
    const run = () =>
      this.prune(retentionDays).then(
        (deleted) => deleted > 0 && this.logger.info('audit entries pruned', { deleted, retentionDays }),
        (error: unknown) => this.logger.warn('audit pruning failed', { error }),
      );
    void run();
    this.timer = setInterval(() => void run(), everyMs);
    this.timer.unref();
  }

  stopRetention(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
