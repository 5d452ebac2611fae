// attendance_event's monthly partitions (UTC months on occurred_at): names, creation ahead, and which have expired.
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

type Queryable = Pick<DataSource | EntityManager | QueryRunner, 'query'>;

export const PARENT = 'attendance_event';
export const DEFAULT_PARTITION = 'attendance_event_default';

export interface MonthPartition {
  name: string;
  /** First instant of the month, UTC; the partition holds [from, to). */
  from: Date;
  to: Date;
}

export const monthStart = (at: Date): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
export const addMonths = (month: Date, n: number): Date =>
  new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + n, 1));

export function monthPartition(at: Date): MonthPartition {
  const from = monthStart(at);
  const name = `${PARENT}_y${from.getUTCFullYear()}m${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
  return { name, from, to: addMonths(from, 1) };
}

const NAME = /^attendance_event_y(\d{4})m(\d{2})$/;

/** The month partitions attached now, oldest first. */
export async function listMonthPartitions(db: Queryable): Promise<MonthPartition[]> {
  const rows = (await db.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass($1)`,
    [PARENT],
  )) as { name: string }[];
  return rows
    .map((r) => NAME.exec(r.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => monthPartition(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))))
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}

/**
 * Creates the month's partition if missing. Rows already in the default partition for that month (a clock far ahead)
 * move into it in the same transaction, so attaching never fails on them and none is lost or doubled.
 */
export async function ensureMonthPartition(db: DataSource, month: MonthPartition): Promise<boolean> {
  return db.transaction(async (tx) => {
    // One creator at a time: two maintenance runs would both find the month missing.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('posbon.attendance_event.partitions'))`);
    const [exists] = (await tx.query('SELECT to_regclass($1) AS t', [month.name])) as { t: string | null }[];
    if (exists?.t) return false;
    await createMonthPartition(tx, month);
    return true;
  });
}

/** The statements of one month's creation; the caller holds a transaction. */
export async function createMonthPartition(db: Queryable, month: MonthPartition): Promise<void> {
  const range = [month.from.toISOString(), month.to.toISOString()];
  await db.query(
    `CREATE TABLE ${month.name} (LIKE ${PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE)`,
  );
  const [hasDefault] = (await db.query('SELECT to_regclass($1) AS t', [DEFAULT_PARTITION])) as { t: string | null }[];
  if (hasDefault?.t) {
    await db.query(
      `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)
       INSERT INTO ${month.name} SELECT * FROM moved`,
      range,
    );
  }
  // The bounds as a constraint first: ATTACH then skips its own scan of the new table.
  await db.query(
    `ALTER TABLE ${month.name} ADD CONSTRAINT ${month.name}_range CHECK (occurred_at IS NOT NULL AND occurred_at >= '${range[0]}' AND occurred_at < '${range[1]}')`,
  );
  await db.query(
    `ALTER TABLE ${PARENT} ATTACH PARTITION ${month.name} FOR VALUES FROM ('${range[0]}') TO ('${range[1]}')`,
  );
  await db.query(`ALTER TABLE ${month.name} DROP CONSTRAINT ${month.name}_range`);
}

/** This month and the next `ahead` months; returns the names created. */
export async function createPartitionsAhead(db: DataSource, now: Date, ahead: number): Promise<string[]> {
  const created: string[] = [];
  for (let n = 0; n <= ahead; n++) {
    const month = monthPartition(addMonths(monthStart(now), n));
    if (await ensureMonthPartition(db, month)) created.push(month.name);
  }
  return created;
}
