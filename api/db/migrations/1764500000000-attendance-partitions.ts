import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addMonths, DEFAULT_PARTITION, monthPartition, monthStart } from '../attendance-partitions.js';

/** Months created ahead at conversion; the maintenance job keeps this many ready from then on. */
const AHEAD = 2;
const WRITER_LOCK = `hashtext('posbon.attendance_event.writer')`;

/**
 * attendance_event becomes partitioned by UTC month on occurred_at. The table is copied as it is (LIKE, SELECT *), so
 * columns added by earlier migrations come along unnamed. The bulk copy reads under ACCESS SHARE, which writers do
 * not wait for; only the rows written meanwhile are copied under the exclusive lock, right before the swap.
 *
 * The idempotency key stays unique across partitions: the unique index is (idempotency_key, occurred_at), and the
 * ingress, whose batches are serialised by the writer lock, also looks a key up over the neighbouring day, so a
 * replay whose time moved (a fallback key's jitter, a device's clock step over midnight of a month's end) is found.
 */
export class AttendancePartitions1764500000000 implements MigrationInterface {
  name = 'AttendancePartitions1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE attendance_event_partitioned (LIKE attendance_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS
      INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (occurred_at)`);
    await q.query(`CREATE TABLE ${DEFAULT_PARTITION} PARTITION OF attendance_event_partitioned DEFAULT`);
    const months = (await q.query(
      `SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month FROM attendance_event`,
    )) as { month: Date }[];
    const wanted = new Map<string, ReturnType<typeof monthPartition>>();
    for (const { month } of months) wanted.set(monthPartition(month).name, monthPartition(month));
    for (let n = 0; n <= AHEAD; n++) {
      const month = monthPartition(addMonths(monthStart(new Date()), n));
      wanted.set(month.name, month);
    }
    for (const month of wanted.values()) await createMonthPartitionOf(q, month);

    // A batch in flight holds the writer lock from before its ids are drawn: once it is free, every id up to the
    // maximum is committed, and whatever comes later has a greater id.
    await q.query(`SELECT pg_advisory_lock(${WRITER_LOCK})`);
    const [{ max }] = (await q.query('SELECT coalesce(max(id), 0)::text AS max FROM attendance_event')) as [
      { max: string },
    ];
    await q.query(`SELECT pg_advisory_unlock(${WRITER_LOCK})`);
    await q.query('INSERT INTO attendance_event_partitioned SELECT * FROM attendance_event WHERE id <= $1', [max]);

    await q.query(
      'ALTER TABLE attendance_event_partitioned ADD CONSTRAINT attendance_event_partitioned_pkey PRIMARY KEY (id, occurred_at)',
    );
    await q.query(
      'CREATE UNIQUE INDEX attendance_event_idempotency_partitioned ON attendance_event_partitioned (idempotency_key, occurred_at)',
    );
    // Every other index as it is now, whoever added it.
    const indexes = (await q.query(
      `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'attendance_event'::regclass AND NOT i.indisunique AND NOT i.indisprimary`,
    )) as { name: string; def: string }[];
    for (const index of indexes) {
      const prefix = `CREATE INDEX ${index.name} ON public.attendance_event USING `;
      if (!index.def.startsWith(prefix)) throw new Error(`index ${index.name} cannot be carried over: ${index.def}`);
      await q.query(
        `CREATE INDEX ${index.name}_partitioned ON attendance_event_partitioned USING ${index.def.slice(prefix.length)}`,
      );
    }

    // The only window in which writers wait: the rows that came during the copy, and the swap.
    await q.query('LOCK TABLE attendance_event IN ACCESS EXCLUSIVE MODE');
    await q.query('INSERT INTO attendance_event_partitioned SELECT * FROM attendance_event WHERE id > $1', [max]);
    await q.query('ALTER SEQUENCE attendance_event_id_seq OWNED BY NONE');
    await q.query('DROP TABLE attendance_event');
    await q.query('ALTER TABLE attendance_event_partitioned RENAME TO attendance_event');
    await q.query('ALTER SEQUENCE attendance_event_id_seq OWNED BY attendance_event.id');
    await q.query(
      'ALTER TABLE attendance_event RENAME CONSTRAINT attendance_event_partitioned_pkey TO attendance_event_pkey',
    );
    await q.query('ALTER INDEX attendance_event_idempotency_partitioned RENAME TO attendance_event_idempotency_key');
    for (const index of indexes) await q.query(`ALTER INDEX ${index.name}_partitioned RENAME TO ${index.name}`);
  }

  async down(): Promise<void> {
    throw new Error('attendance_event stays partitioned: restore from a backup taken before the migration to go back');
  }
}

/** A month of the new table, created as the maintenance job does but on the table being built. */
async function createMonthPartitionOf(q: QueryRunner, month: ReturnType<typeof monthPartition>): Promise<void> {
  const range = [month.from.toISOString(), month.to.toISOString()];
  await q.query(
    `CREATE TABLE ${month.name} PARTITION OF attendance_event_partitioned FOR VALUES FROM ('${range[0]}') TO ('${range[1]}')`,
  );
}
