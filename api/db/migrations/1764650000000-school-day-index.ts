import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A school's day is read by index alone: the (school, time) index carries every column the read returns, so the
 * rows of one school, scattered over a month's partition among every other school's, cost no heap visit. The build
 * takes each partition's write lock for as long as its index takes; run it where a pause of ingest is acceptable.
 */
export class SchoolDayIndex1764650000000 implements MigrationInterface {
  name = 'SchoolDayIndex1764650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX attendance_event_school_day ON attendance_event (school_id, occurred_at, id)
         INCLUDE (person_id, direction, device_id, late, future_skew, duplicate)`,
    );
    await q.query('DROP INDEX attendance_event_school_time');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX attendance_event_school_time ON attendance_event (school_id, occurred_at)');
    await q.query('DROP INDEX attendance_event_school_day');
  }
}
