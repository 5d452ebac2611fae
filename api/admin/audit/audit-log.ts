// The audit trail: logins, token issues, stream tokens and every mutating call, with redacted parameters.
import { LessThan, type DataSource, type FindOptionsWhere } from 'typeorm';
import { AuditEntryRow } from '../../db/entities/audit-entry.js';
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

export class AuditLog {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; logger: Logger; now?: () => Date }): AuditLog {
    return new AuditLog(deps.dataSource, deps.logger, deps.now ?? (() => new Date()));
  }

  /** Written before the caller answers: an action that cannot be audited is not done. */
  async record(entry: AuditRecord): Promise<void> {
    const repo = this.dataSource.getRepository(AuditEntryRow);
    const row = repo.create({
      at: this.now(),
      actorType: entry.actorType,
      actorId: entry.actorId,
      schoolId: entry.schoolId ?? null,
      requestId: entry.requestId ?? null,
      action: entry.action,
      params: redact(entry.params ?? {}) as Record<string, unknown>,
      result: entry.result,
    });
    await repo.save(row);
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
