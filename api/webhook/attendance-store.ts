// Stores attendance events exactly once: one transaction per group of concurrent requests, each answered after its commit.
import type { EventEmitter } from 'node:events';
import type { DataSource, QueryRunner } from 'typeorm';
import { ConflictError, InputError, UnavailableError } from '../../lib/errors/index.js';
import type { Logger } from '../../lib/log/logger.js';
import { OutageLog } from '../platform/outage-log.js';
import { timeFlags, type AuthenticatedEvent, type TimePolicy } from './attendance.js';

export interface WebhookReceipt {
  schoolId: string;
  deviceId: string;
  webhookId: string;
}

export interface StoreResult {
  /** New events counted as attendance. */
  stored: number;
  /** Already stored: a re-sent event, acknowledged again and not kept twice. */
  duplicates: number;
  /** New, but within the per-pupil rate limit of a counted pass: kept, flagged, not counted as attendance. */
  rateLimited: number;
}

export interface AttendanceStoreDeps {
  dataSource: DataSource;
  logger: Logger;
  policy?: Partial<TimePolicy>;
  /** One accepted event per pupil per direction within this window; the rest are kept as duplicates. */
  rateLimitMs?: number;
  maxBatchEvents?: number;
  /** How long an idle store waits for more requests to join a batch; a busy one batches whatever arrived meanwhile. */
  lingerMs?: number;
  /** Beyond this many waiting events new requests get 503 at once rather than queueing without bound. */
  maxQueuedEvents?: number;
  now?: () => Date;
  /** Shared with other users of the database, so one outage is one warning. */
  outage?: OutageLog;
}

interface Submission {
  events: AuthenticatedEvent[];
  receivedAt: Date;
  webhook: WebhookReceipt | undefined;
  resolve(result: StoreResult): void;
  reject(error: unknown): void;
}

interface Row extends AuthenticatedEvent {
  receivedAt: Date;
  late: boolean;
  futureSkew: boolean;
  batchDuplicate: boolean;
}

const INSERT_EVENTS = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                         $8::bool[], $9::bool[], $10::bool[], $11::text[], $12::text[], $14::text[])
      AS t(idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at, late, future_skew, batch_duplicate, source, raw_event_type, auth)
  )
  INSERT INTO attendance_event (idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at, late, future_skew, duplicate, source, raw_event_type, auth)
  SELECT i.idempotency_key, i.school_id, i.device_id, i.person_id, i.direction, i.occurred_at, i.received_at, i.late, i.future_skew,
         i.batch_duplicate OR EXISTS (
           -- The pupil key as the index attendance_event_pupil_window has it: no other index can serve this lookup,
           -- so the planner cannot pick the school/time index on a table without statistics yet.
           SELECT 1 FROM attendance_event a
            WHERE a.school_id || '/' || a.person_id || '/' || a.direction = i.school_id || '/' || i.person_id || '/' || i.direction
              AND NOT a.duplicate
              AND a.occurred_at > i.occurred_at - $13 * interval '1 millisecond'
              AND a.occurred_at < i.occurred_at + $13 * interval '1 millisecond'),
         i.source, i.raw_event_type, i.auth
    FROM input i
   -- Unique per partition by the index; across partitions by this look-up, made race-free by the writer lock. A scalar
   -- subquery, not NOT EXISTS: that one becomes an anti-join the planner may answer by scanning every partition.
   WHERE (SELECT 1 FROM attendance_event k
           WHERE k.idempotency_key = i.idempotency_key
             AND k.occurred_at > i.occurred_at - interval '1 day' AND k.occurred_at < i.occurred_at + interval '1 day'
           LIMIT 1) IS NULL
  ON CONFLICT (idempotency_key, occurred_at) DO NOTHING
  RETURNING idempotency_key, duplicate`;

const INSERT_WEBHOOK_IDS = `
  INSERT INTO seen_webhook_id (school_id, device_id, webhook_id)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
  ON CONFLICT DO NOTHING
  RETURNING school_id, device_id, webhook_id`;

/**
 * One batch at a time across every worker and replica: the per-pupil rate limit reads committed rows, so two
 * concurrent batches could both count the same pupil's passes. Only the commit is serialised; parsing is not.
 */
const TAKE_WRITER_LOCK = `SELECT pg_advisory_xact_lock(hashtext('posbon.attendance_event.writer'))`;

/** The transaction's start and the writer lock in one round trip: the commit path is serial, so each one counts. */
const BEGIN_WITH_WRITER_LOCK = `START TRANSACTION; ${TAKE_WRITER_LOCK}`;

const receiptKey = (r: WebhookReceipt): string => JSON.stringify([r.schoolId, r.deviceId, r.webhookId]);

/** A PostgreSQL error about the data itself (class 22), not about the server being reachable. */
const isDataError = (error: unknown): boolean => /^22/.test(String((error as { code?: unknown }).code ?? ''));

export interface StoreStats {
  /** Transactions committed, the events in them, and the time spent committing. */
  batches: number;
  events: number;
  commitMs: number;
}

export class AttendanceStore {
  readonly stats: StoreStats = { batches: 0, events: 0, commitMs: 0 };
  private queue: Submission[] = [];
  private queuedEvents = 0;
  private flushing = false;
  private linger: NodeJS.Timeout | undefined;
  private flushed: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dataSource: DataSource,
    private readonly policy: TimePolicy,
    private readonly rateLimitMs: number,
    private readonly maxBatchEvents: number,
    private readonly lingerMs: number,
    private readonly maxQueuedEvents: number,
    private readonly now: () => Date,
    private readonly outage: OutageLog,
  ) {}

  static create(deps: AttendanceStoreDeps): AttendanceStore {
    return new AttendanceStore(
      deps.dataSource,
      { lateAfterMs: deps.policy?.lateAfterMs ?? 10 * 60_000, futureSkewMs: deps.policy?.futureSkewMs ?? 5 * 60_000 },
      deps.rateLimitMs ?? 60_000,
      deps.maxBatchEvents ?? 2000,
      deps.lingerMs ?? 2,
      deps.maxQueuedEvents ?? 50_000,
      deps.now ?? (() => new Date()),
      deps.outage ?? OutageLog.create({ logger: deps.logger, dependency: 'database' }),
    );
  }

  /** Resolves once the events are committed (or known to be stored already); rejects with 503 when they are not. */
  record(events: readonly AuthenticatedEvent[], webhook?: WebhookReceipt): Promise<StoreResult> {
    if (events.length === 0 && !webhook) return Promise.resolve({ stored: 0, duplicates: 0, rateLimited: 0 });
    if (this.queuedEvents + events.length > this.maxQueuedEvents) {
      return Promise.reject(new UnavailableError('too many events waiting to be stored; retry later'));
    }
    return new Promise<StoreResult>((resolve, reject) => {
      this.queue.push({ events: [...events], receivedAt: this.now(), webhook, resolve, reject });
      this.queuedEvents += events.length;
      if (this.flushing) return;
      if (this.queuedEvents >= this.maxBatchEvents || this.lingerMs <= 0) this.startFlush();
      else this.linger ??= setTimeout(() => this.startFlush(), this.lingerMs);
    });
  }

  /** Resolves when every submission received so far has been answered. */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.length > 0) {
      this.startFlush();
      await this.flushed;
    }
  }

  private startFlush(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
    if (this.flushing) return;
    this.flushing = true;
    this.flushed = this.flush();
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let count = 0;
        let size = 0;
        while (
          count < this.queue.length &&
          (count === 0 || size + this.queue[count]!.events.length <= this.maxBatchEvents)
        )
          size += this.queue[count++]!.events.length;
        const batch = this.queue.splice(0, count);
        this.queuedEvents -= size;
        await this.commitBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commitBatch(batch: Submission[]): Promise<void> {
    try {
      const started = performance.now();
      const outcomes = await this.commit(batch);
      this.stats.commitMs += performance.now() - started;
      this.stats.batches += 1;
      this.stats.events += batch.reduce((n, s) => n + s.events.length, 0);
      this.outage.succeeded();
      batch.forEach((submission, index) => {
        const outcome = outcomes[index]!;
        if (outcome instanceof Error) submission.reject(outcome);
        else submission.resolve(outcome);
      });
    } catch (error) {
      // One request's bad data must not fail the others grouped with it: retry them one by one.
      if (batch.length > 1 && isDataError(error)) {
        for (const submission of batch) await this.commitBatch([submission]);
        return;
      }
      const failure = isDataError(error)
        ? new InputError('body', 'an event could not be stored as sent')
        : new UnavailableError('attendance could not be stored; retry later');
      if (!isDataError(error)) this.outage.failed(error, { events: batch.reduce((n, s) => n + s.events.length, 0) });
      for (const submission of batch) submission.reject(failure);
    }
  }

  /** One transaction: remember webhook ids (a replayed one loses its events), insert events, count per submission. */
  private async commit(batch: Submission[]): Promise<(StoreResult | Error)[]> {
    const manager = this.dataSource.createQueryRunner();
    const client = (await manager.connect()) as EventEmitter;
    // A connection dropped between two statements is reported on the client, where no pool listener is attached
    // while it is checked out; the next statement fails with it, so here it only must not crash the process.
    const ignore = () => undefined;
    client.on('error', ignore);
    let begun = false;
    try {
      // No parameters: one simple-protocol message carrying both statements.
      begun = true;
      await manager.query(BEGIN_WITH_WRITER_LOCK);
      const outcomes = await this.commitWith(manager, batch);
      await manager.query('COMMIT');
      begun = false;
      return outcomes;
    } catch (error) {
      if (begun) await manager.query('ROLLBACK').catch(ignore);
      throw error;
    } finally {
      client.off('error', ignore);
      await manager.release();
    }
  }

  private async commitWith(manager: QueryRunner, batch: Submission[]): Promise<(StoreResult | Error)[]> {
    const replayed = new Set<number>();
    const receipts = batch.map((s, index) => ({ index, receipt: s.webhook })).filter((r) => r.receipt !== undefined);
    if (receipts.length > 0) {
      const firstIndex = new Map<string, number>();
      for (const { index, receipt } of receipts) {
        const key = receiptKey(receipt!);
        if (firstIndex.has(key)) replayed.add(index);
        else firstIndex.set(key, index);
      }
      const unique = [...firstIndex.keys()].map((key) => JSON.parse(key) as [string, string, string]);
      const inserted = (await manager.query(INSERT_WEBHOOK_IDS, [
        unique.map((u) => u[0]),
        unique.map((u) => u[1]),
        unique.map((u) => u[2]),
      ])) as {
        school_id: string;
        device_id: string;
        webhook_id: string;
      }[];
      const fresh = new Set(
        inserted.map((r) => receiptKey({ schoolId: r.school_id, deviceId: r.device_id, webhookId: r.webhook_id })),
      );
      for (const [key, index] of firstIndex) if (!fresh.has(key)) replayed.add(index);
    }
    const rows = this.rows(batch.filter((_, index) => !replayed.has(index)));
    const storedKeys = new Map<string, boolean>();
    if (rows.length > 0) {
      const returned = (await manager.query(INSERT_EVENTS, [
        rows.map((r) => r.idempotencyKey),
        rows.map((r) => r.schoolId),
        rows.map((r) => r.deviceId),
        rows.map((r) => r.personId),
        rows.map((r) => r.direction),
        rows.map((r) => r.occurredAt.toISOString()),
        rows.map((r) => r.receivedAt.toISOString()),
        rows.map((r) => r.late),
        rows.map((r) => r.futureSkew),
        rows.map((r) => r.batchDuplicate),
        rows.map((r) => r.source),
        rows.map((r) => r.rawEventType),
        this.rateLimitMs,
        rows.map((r) => r.auth),
      ])) as { idempotency_key: string; duplicate: boolean }[];
      for (const r of returned) storedKeys.set(r.idempotency_key, r.duplicate);
    }
    return batch.map((submission, index) => {
      if (replayed.has(index)) return new ConflictError('webhook-id', 'this message was already received');
      let stored = 0;
      let rateLimited = 0;
      for (const event of submission.events) {
        const flagged = storedKeys.get(event.idempotencyKey);
        if (flagged === undefined) continue;
        if (flagged) rateLimited += 1;
        else stored += 1;
        // A key repeated within one request is new once; its repeats are duplicates.
        storedKeys.delete(event.idempotencyKey);
      }
      return { stored, rateLimited, duplicates: submission.events.length - stored - rateLimited };
    });
  }

  /** Rows with their flags; repeats of one key collapse, and the rate limit is applied within the batch by time. */
  private rows(batch: Submission[]): Row[] {
    const byKey = new Map<string, Row>();
    for (const submission of batch) {
      for (const event of submission.events) {
        if (byKey.has(event.idempotencyKey)) continue;
        byKey.set(event.idempotencyKey, {
          ...event,
          receivedAt: submission.receivedAt,
          ...timeFlags(event.occurredAt, submission.receivedAt, this.policy),
          batchDuplicate: false,
        });
      }
    }
    const rows = [...byKey.values()].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
    const lastAccepted = new Map<string, number>();
    for (const row of rows) {
      const pupil = JSON.stringify([row.schoolId, row.personId, row.direction]);
      const last = lastAccepted.get(pupil);
      if (last !== undefined && row.occurredAt.getTime() - last < this.rateLimitMs) row.batchDuplicate = true;
      else lastAccepted.set(pupil, row.occurredAt.getTime());
    }
    return rows;
  }
}
