import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AccountsAudit1763900000000 implements MigrationInterface {
  name = 'AccountsAudit1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER')),
        schools text[] NOT NULL DEFAULT '{}',
        totp_sealed bytea,
        totp_last_step bigint,
        failed_logins integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE session (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason text,
        user_agent text
      )`);
    await q.query('CREATE INDEX session_account ON session (account_id, created_at)');
    await q.query(`
      CREATE TABLE refresh_token (
        token_hash bytea PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES session (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        replaced_at timestamptz
      )`);
    await q.query('CREATE INDEX refresh_token_session ON refresh_token (session_id)');
    await q.query(`
      CREATE TABLE audit_entry (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor_type text NOT NULL CHECK (actor_type IN ('user', 'agent', 'device', 'system')),
        actor_id text NOT NULL,
        school_id text,
        request_id text,
        action text NOT NULL,
        params jsonb NOT NULL,
        result text NOT NULL
      )`);
    await q.query('CREATE INDEX audit_entry_at ON audit_entry (at)');
    await q.query('CREATE INDEX audit_entry_school ON audit_entry (school_id, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_entry');
    await q.query('DROP TABLE refresh_token');
    await q.query('DROP TABLE session');
    await q.query('DROP TABLE account');
  }
}
