import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How each attendance event's sender was authenticated; rows stored before this column existed stay NULL. */
export class EventAuth1764300000000 implements MigrationInterface {
  name = 'EventAuth1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE attendance_event ADD COLUMN auth text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE attendance_event DROP COLUMN auth');
  }
}
