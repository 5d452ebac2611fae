// The audit trail: logins, token issues, stream tokens and every mutating call, with redacted parameters.
import { LessThan, type DataSource, type FindOptionsWhere } from 'typeorm';
import { AuditEntryRow } from '../../db/entities/audit-entry.js';
import { UnavailableError } from '../../../lib/errors/index.js';
import { redact } from '../../../lib/log/logger.js';
import type { Logger } from '../../../lib/log/logger.js';

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
  /** Absent for a queued entry: nobody waits for it, and a failed write retries it instead of refusing. */
  resolve?: () => void;
  reject?: (error: unknown) => void;
}

/** One multi-row INSERT: one statement, one commit, however many entries waited for it. */
const INSERT = `INSERT INTO audit_entry (at, actor_type, actor_id, school_id, request_id, action, params, result)
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[])`;

export interface AuditBatching {
  /** Entries in one INSERT at most. */
  maxBatch: number;
  /** Entries waiting at most; beyond it a request is refused (503) rather than answered unaudited. */
  maxWaiting: number;
  /** The first pause before a failed write of queued entries is retried; it doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** How long queued entries wait for others before their INSERT starts, when nobody waits for them (default 10). */
  queuedLingerMs?: number;
}

const behind = () => new UnavailableError('the audit log is behind; try again shortly');
const failing = () => new UnavailableError('the audit log cannot be written; try again shortly');

export class AuditLog {
  private timer: NodeJS.Timeout | undefined;
  private linger: NodeJS.Timeout | undefined;
  private waiting: Waiting[] = [];
  private writing = false;
  /** Set while queued entries fail to commit: no new queued entry is taken until one write succeeds. */
  private failure: unknown;
  private idle: (() => void)[] = [];

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
   * an INSERT is in flight are committed together by the next one (group commit, docs/adr/0008-audit-commits.md).
   */
  record(entry: AuditRecord): Promise<void> {
    if (this.waiting.length >= this.batching.maxWaiting) return Promise.reject(behind());
    return new Promise<void>((resolve, reject) => this.push({ values: this.row(entry), resolve, reject }));
  }

  /**
   * Takes the entry into the next group commit without waiting for it (the stream-token path, ADR 0008). Throws
   * instead of taking it while the log is failing or full, so the caller's action fails before it is done. A taken
   * entry is retried until committed; `close` waits for every taken entry.
   */
  enqueue(entry: AuditRecord): void {
    if (this.failure !== undefined) throw failing();
    if (this.waiting.length >= this.batching.maxWaiting) throw behind();
    this.push({ values: this.row(entry) });
  }

  /** Resolves when every entry taken so far is committed, or at once while the log is failing. */
  settled(): Promise<void> {
    if ((this.waiting.length === 0 && !this.writing) || this.failure !== undefined) return Promise.resolve();
    // A reader does not wait out the linger of queued entries.
    if (!this.writing) void this.write();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops retention and waits up to `timeoutMs` for the queued entries; returns how many were left unwritten. */
  async close(timeoutMs = 10_000): Promise<number> {
    this.stopRetention();
    const deadline = Date.now() + timeoutMs;
    while ((this.waiting.length > 0 || this.writing) && Date.now() < deadline) {
      await Promise.race([this.settled(), new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    const lost = this.waiting.filter((w) => !w.resolve).length;
    if (lost > 0) this.logger.error('audit entries left unwritten at shutdown', { entries: lost });
    return lost;
  }

  private row(entry: AuditRecord): Waiting['values'] {
    return [
      this.now(),
      entry.actorType,
      entry.actorId,
      entry.schoolId ?? null,
      entry.requestId ?? null,
      entry.action,
      JSON.stringify(redact(entry.params ?? {})),
      entry.result,
    ];
  }

  private push(waiting: Waiting): void {
    this.waiting.push(waiting);
    if (this.writing) return;
    // Queued entries (stream tokens) answer nobody: they wait a few milliseconds for company, one INSERT for many
    // instead of one per token. An entry somebody awaits starts the write at once, and takes them along.
    const lingerMs = this.batching.queuedLingerMs ?? 10;
    if (waiting.resolve || lingerMs <= 0) void this.write();
    else this.linger ??= setTimeout(() => void this.write(), lingerMs);
  }

  private async write(): Promise<void> {
    clearTimeout(this.linger);
    this.linger = undefined;
    if (this.writing) return;
    this.writing = true;
    let pauseMs = this.batching.retryMs ?? 100;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.batching.maxBatch);
        const columns = batch[0]!.values.map((_, i) => batch.map((w) => w.values[i]));
        try {
          await this.dataSource.query(INSERT, columns);
          for (const w of batch) w.resolve?.();
          if (this.failure !== undefined) this.logger.info('audit log writable again');
          this.failure = undefined;
          pauseMs = this.batching.retryMs ?? 100;
        } catch (error) {
          for (const w of batch) w.reject?.(error);
          const queued = batch.filter((w) => !w.resolve);
          if (queued.length === 0) continue;
          // Queued entries were promised to nobody but must not be lost: back to the front, retried after a pause.
          if (this.failure === undefined) this.logger.warn('audit log write failed; retrying queued entries', { entries: queued.length, error });
          this.failure = error;
          this.waiting.unshift(...queued);
          this.wakeIdle();
          await new Promise((resolve) => setTimeout(resolve, pauseMs).unref());
          pauseMs = Math.min(pauseMs * 2, this.batching.maxRetryMs ?? 5000);
        }
      }
    } finally {
      this.writing = false;
      this.wakeIdle();
    }
  }

  private wakeIdle(): void {
    for (const resolve of this.idle.splice(0)) resolve();
  }

  async list(filter: AuditFilter): Promise<AuditView[]> {
    // A reader sees every entry this process took before the read, queued ones included.
    await this.settled();
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
