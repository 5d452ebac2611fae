import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A second factor offered at first login and kept aside until the user proves it with a code. */
export class TotpEnrolment1764600000000 implements MigrationInterface {
  name = 'TotpEnrolment1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE account ADD COLUMN totp_pending_sealed bytea');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE account DROP COLUMN totp_pending_sealed');
  }
}
