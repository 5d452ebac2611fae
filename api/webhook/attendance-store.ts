// Stores attendance events exactly once: concurrent requests share a batch, each batch one committed statement, several in flight.
import type pg from 'pg';
import type { DataSource } from 'typeorm';
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
  /** Batches committing at once, each on its own connection; PostgreSQL orders them by the writer lock. */
  maxBatchesInFlight?: number;
  /** How long an idle store waits for more requests to join a batch; a busy one batches whatever arrived meanwhile. */
  lingerMs?: number;
  /** Beyond this many waiting events new requests get 503 at once rather than queueing without bound. */
  maxQueuedEvents?: number;
  now?: () => Date;
  /** Shared with other users of the database, so one outage is one warning. */
  outage?: OutageLog;
}

interface Submission {
  events: readonly AuthenticatedEvent[];
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
  /** The ordinal of the webhook id whose events these are, or null. */
  receipt: number | null;
}

/**
 * One round trip per batch: the server takes the writer lock, remembers webhook ids, inserts the events and the
 * statement's implicit transaction commits before the answer is sent (migration 1764800000000). Prepared once per
 * connection, by name.
 */
const RECORD_BATCH = {
  name: 'posbon_attendance_record_batch',
  text: 'SELECT * FROM attendance_record_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)',
};

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
  private inFlight = 0;
  private linger: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];

  private constructor(
    private readonly pool: pg.Pool,
    private readonly policy: TimePolicy,
    private readonly rateLimitMs: number,
    private readonly maxBatchEvents: number,
    private readonly maxInFlight: number,
    private readonly lingerMs: number,
    private readonly maxQueuedEvents: number,
    private readonly now: () => Date,
    private readonly outage: OutageLog,
  ) {}

  static create(deps: AttendanceStoreDeps): AttendanceStore {
    return new AttendanceStore(
      // The driver's own pool: a batch is one named prepared statement, which TypeORM's query runner cannot send.
      (deps.dataSource.driver as unknown as { master: pg.Pool }).master,
      { lateAfterMs: deps.policy?.lateAfterMs ?? 10 * 60_000, futureSkewMs: deps.policy?.futureSkewMs ?? 5 * 60_000 },
      deps.rateLimitMs ?? 60_000,
      deps.maxBatchEvents ?? 1000,
      deps.maxBatchesInFlight ?? 3,
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
      this.queue.push({ events, receivedAt: this.now(), webhook, resolve, reject });
      this.queuedEvents += events.length;
      if (this.inFlight >= this.maxInFlight) return;
      if (this.queuedEvents >= this.maxBatchEvents || this.lingerMs <= 0) this.startBatches();
      else this.linger ??= setTimeout(() => this.startBatches(), this.lingerMs);
    });
  }

  /** Resolves when every submission received so far has been answered. */
  drain(): Promise<void> {
    this.startBatches();
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Starts batches while connections allow; what arrives meanwhile waits for the next free slot and joins one batch. */
  private startBatches(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      let count = 0;
      let size = 0;
      while (
        count < this.queue.length &&
        (count === 0 || size + this.queue[count]!.events.length <= this.maxBatchEvents)
      )
        size += this.queue[count++]!.events.length;
      const batch = this.queue.splice(0, count);
      this.queuedEvents -= size;
      this.inFlight += 1;
      void this.commitBatch(batch).finally(() => {
        this.inFlight -= 1;
        this.startBatches();
        if (this.inFlight === 0 && this.queue.length === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  private async commitBatch(batch: Submission[]): Promise<void> {
    try {
      const started = performance.now();
      const outcomes = await this.commit(batch);
      this.stats.commitMs += performance.now() - started;
      this.stats.batches += 1;
      for (const submission of batch) this.stats.events += submission.events.length;
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

  /**
   * One statement, committed before it answers: webhook ids (a replayed one loses its events) and events, counted
   * per submission. Nothing resolves unless the whole batch committed.
   */
  private async commit(batch: Submission[]): Promise<(StoreResult | Error)[]> {
    const replayed = new Set<number>();
    /** A fresh receipt's ordinal (1-based, as the server returns it) to the submission carrying it. */
    const receiptOwners: number[] = [];
    const webhookSchools: string[] = [];
    const webhookDevices: string[] = [];
    const webhookIds: string[] = [];
    const receiptOf = new Map<number, number>();
    const seen = new Set<string>();
    batch.forEach((submission, index) => {
      const receipt = submission.webhook;
      if (!receipt) return;
      const key = receiptKey(receipt);
      if (seen.has(key)) {
        replayed.add(index);
        return;
      }
      seen.add(key);
      webhookSchools.push(receipt.schoolId);
      webhookDevices.push(receipt.deviceId);
      webhookIds.push(receipt.webhookId);
      receiptOwners.push(index);
      receiptOf.set(index, receiptOwners.length);
    });
    const rows = this.rows(batch, replayed, receiptOf);
    const { rows: returned } = await this.pool.query<{
      fresh_receipt: number | null;
      idempotency_key: string | null;
      duplicate: boolean | null;
    }>({
      ...RECORD_BATCH,
      values: [
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
        rows.map((r) => r.auth),
        rows.map((r) => r.receipt),
        this.rateLimitMs,
        webhookSchools,
        webhookDevices,
        webhookIds,
      ],
    });
    const fresh = new Set<number>();
    const storedKeys = new Map<string, boolean>();
    for (const r of returned) {
      if (r.fresh_receipt !== null) fresh.add(receiptOwners[r.fresh_receipt - 1]!);
      else storedKeys.set(r.idempotency_key!, r.duplicate!);
    }
    for (const index of receiptOwners) if (!fresh.has(index)) replayed.add(index);
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

  /**
   * Rows with their flags; repeats of one key collapse, and the rate limit is applied within the batch by time. A
   * signed submission's rows carry its receipt's ordinal, so the server drops them when the webhook id is a replay.
   */
  private rows(batch: Submission[], replayed: ReadonlySet<number>, receiptOf: ReadonlyMap<number, number>): Row[] {
    const byKey = new Map<string, Row>();
    batch.forEach((submission, index) => {
      if (replayed.has(index)) return;
      const receipt = receiptOf.get(index) ?? null;
      for (const event of submission.events) {
        if (byKey.has(event.idempotencyKey)) continue;
        byKey.set(event.idempotencyKey, {
          ...event,
          receivedAt: submission.receivedAt,
          ...timeFlags(event.occurredAt, submission.receivedAt, this.policy),
          batchDuplicate: false,
          receipt,
        });
      }
    });
    const rows = [...byKey.values()].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
    const lastAccepted = new Map<string, number>();
    for (const row of rows) {
      const pupil = `${row.schoolId}/${row.personId}/${row.direction}`;
      const last = lastAccepted.get(pupil);
      if (last !== undefined && row.occurredAt.getTime() - last < this.rateLimitMs) row.batchDuplicate = true;
      else lastAccepted.set(pupil, row.occurredAt.getTime());
    }
    return rows;
  }
}
