import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-pupil lookups (rate limit on insert, one pupil's range on read) go through one expression key that only
 * this index carries: with plain columns the planner picked the school/time index on a table without statistics
 * and scanned every pass of the school in the window, for each inserted row.
 */
export class PupilWindowIndex1764000000000 implements MigrationInterface {
  name = 'PupilWindowIndex1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX attendance_event_pupil_window ON attendance_event ((school_id || '/' || person_id || '/' || direction), occurred_at)`,
    );
    await q.query('DROP INDEX attendance_event_pupil_time');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE INDEX attendance_event_pupil_time ON attendance_event (school_id, person_id, direction, occurred_at)',
    );
    await q.query('DROP INDEX attendance_event_pupil_window');
  }
}
