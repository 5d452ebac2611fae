import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A group commit of attendance as one server-side call, so one round trip stores a batch and commits it. The writer
 * lock is held only while PostgreSQL itself works, not across client round trips, so batches of several workers
 * queue on it in the server and the next one starts the moment the previous one commits.
 *
 * Under the lock, in this order: webhook ids are remembered (a replayed one loses its events), then the events are
 * inserted. Each statement takes its snapshot after the lock is held, so it sees every batch committed before it:
 * the per-pupil rate limit and the idempotency key's look-up over the neighbouring day (across partitions) cannot
 * race another batch. Returns the ordinals of the fresh webhook ids, then each inserted event's key and its flag.
 */
export class AttendanceRecordBatch1764800000000 implements MigrationInterface {
  name = 'AttendanceRecordBatch1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION attendance_record_batch(
        idempotency_keys text[], school_ids text[], device_ids text[], person_ids text[], directions text[],
        occurred_ats timestamptz[], received_ats timestamptz[], lates bool[], future_skews bool[],
        batch_duplicates bool[], sources text[], raw_event_types text[], auths text[], receipts int[],
        rate_limit_ms int, webhook_school_ids text[], webhook_device_ids text[], webhook_ids text[])
      RETURNS TABLE (fresh_receipt int, idempotency_key text, duplicate boolean)
      LANGUAGE plpgsql VOLATILE AS $fn$
      #variable_conflict use_column
      DECLARE
        fresh int[] := '{}';
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('posbon.attendance_event.writer'));
        IF cardinality(webhook_ids) > 0 THEN
          WITH w AS (
            SELECT * FROM unnest(webhook_school_ids, webhook_device_ids, webhook_ids) WITH ORDINALITY
              AS t(school_id, device_id, webhook_id, n)
          ), inserted AS (
            INSERT INTO seen_webhook_id (school_id, device_id, webhook_id)
            SELECT w.school_id, w.device_id, w.webhook_id FROM w
            ON CONFLICT DO NOTHING
            RETURNING seen_webhook_id.school_id, seen_webhook_id.device_id, seen_webhook_id.webhook_id
          )
          SELECT coalesce(array_agg(w.n::int), '{}') INTO fresh
            FROM w JOIN inserted i
              ON i.school_id = w.school_id AND i.device_id = w.device_id AND i.webhook_id = w.webhook_id;
          RETURN QUERY SELECT r, NULL::text, NULL::boolean FROM unnest(fresh) AS r;
        END IF;
        RETURN QUERY
        WITH input AS (
          SELECT * FROM unnest(idempotency_keys, school_ids, device_ids, person_ids, directions, occurred_ats,
                               received_ats, lates, future_skews, batch_duplicates, sources, raw_event_types, auths,
                               receipts)
            AS t(idempotency_key, school_id, device_id, person_id, direction, occurred_at, received_at, late,
                 future_skew, batch_duplicate, source, raw_event_type, auth, receipt)
        ), inserted AS (
          INSERT INTO attendance_event AS e (idempotency_key, school_id, device_id, person_id, direction, occurred_at,
                                             received_at, late, future_skew, duplicate, source, raw_event_type, auth)
          SELECT i.idempotency_key, i.school_id, i.device_id, i.person_id, i.direction, i.occurred_at, i.received_at,
                 i.late, i.future_skew,
                 i.batch_duplicate OR EXISTS (
                   -- The pupil key as the index attendance_event_pupil_window has it: no other index serves it.
                   SELECT 1 FROM attendance_event a
                    WHERE a.school_id || '/' || a.person_id || '/' || a.direction
                          = i.school_id || '/' || i.person_id || '/' || i.direction
                      AND NOT a.duplicate
                      AND a.occurred_at > i.occurred_at - rate_limit_ms * interval '1 millisecond'
                      AND a.occurred_at < i.occurred_at + rate_limit_ms * interval '1 millisecond'),
                 i.source, i.raw_event_type, i.auth
            FROM input i
           WHERE (i.receipt IS NULL OR i.receipt = ANY (fresh))
             -- A scalar subquery, not NOT EXISTS: that one becomes an anti-join that may scan every partition.
             AND (SELECT 1 FROM attendance_event k
                   WHERE k.idempotency_key = i.idempotency_key
                     AND k.occurred_at > i.occurred_at - interval '1 day'
                     AND k.occurred_at < i.occurred_at + interval '1 day'
                   LIMIT 1) IS NULL
          ON CONFLICT (idempotency_key, occurred_at) DO NOTHING
          RETURNING e.idempotency_key, e.duplicate
        )
        SELECT NULL::int, inserted.idempotency_key, inserted.duplicate FROM inserted;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION attendance_record_batch(text[], text[], text[], text[], text[], timestamptz[], timestamptz[], bool[],
         bool[], bool[], text[], text[], text[], int[], int, text[], text[], text[])`,
    );
  }
}
