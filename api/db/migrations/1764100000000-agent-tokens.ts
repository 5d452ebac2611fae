import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Short-lived, school-scoped credentials of the LAN agents, stored as hashes. */
export class AgentTokens1764100000000 implements MigrationInterface {
  name = 'AgentTokens1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE agent_token (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      school_id text NOT NULL,
      label text NOT NULL,
      token_hash bytea NOT NULL,
      issued_by uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
      issued_by_username text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      last_used_at timestamptz,
      revoked_at timestamptz
    )`);
    await q.query('CREATE UNIQUE INDEX agent_token_hash ON agent_token (token_hash)');
    await q.query('CREATE INDEX agent_token_school ON agent_token (school_id, created_at DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE agent_token');
  }
}
