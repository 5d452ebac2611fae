import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Login throttling in place of the hard lock, logins in flight, forced password change, and disabled accounts. */
export class AccountLifecycle1764200000000 implements MigrationInterface {
  name = 'AccountLifecycle1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE account RENAME COLUMN locked_until TO throttled_until');
    await q.query(`ALTER TABLE account
      ADD COLUMN logins_in_flight integer NOT NULL DEFAULT 0,
      ADD COLUMN login_started_at timestamptz,
      ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
      ADD COLUMN password_changed_at timestamptz,
      ADD COLUMN disabled_at timestamptz`);
    await q.query('CREATE INDEX agent_token_issuer ON agent_token (issued_by) WHERE revoked_at IS NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX agent_token_issuer');
    await q.query(`ALTER TABLE account
      DROP COLUMN disabled_at,
      DROP COLUMN password_changed_at,
      DROP COLUMN must_change_password,
      DROP COLUMN login_started_at,
      DROP COLUMN logins_in_flight`);
    await q.query('ALTER TABLE account RENAME COLUMN throttled_until TO locked_until');
  }
}
