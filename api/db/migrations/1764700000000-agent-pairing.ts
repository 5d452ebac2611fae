import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pairing a LAN agent by a short code: codes (hashed, single use), failed attempts per client address (throttle and
 * record), agent families (one per paired machine, revocable) and their rotating refresh tokens. The family's
 * short-lived access tokens are agent_token rows, so a revocation applies to the next call. Also the diagnostic
 * reports agents upload.
 */
export class AgentPairing1764700000000 implements MigrationInterface {
  name = 'AgentPairing1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE agent_pairing_code (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      school_id text NOT NULL,
      code_hash bytea NOT NULL,
      created_by uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
      created_by_username text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    )`);
    await q.query('CREATE UNIQUE INDEX agent_pairing_code_hash ON agent_pairing_code (code_hash)');
    await q.query('CREATE INDEX agent_pairing_code_school ON agent_pairing_code (school_id, created_at DESC)');
    await q.query(`CREATE TABLE agent_pairing_failure (
      id bigserial PRIMARY KEY,
      address text NOT NULL,
      at timestamptz NOT NULL
    )`);
    await q.query('CREATE INDEX agent_pairing_failure_address ON agent_pairing_failure (address, at)');
    await q.query(`CREATE TABLE agent_family (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      school_id text NOT NULL,
      label text NOT NULL,
      paired_by uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
      paired_by_username text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      last_refreshed_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text
    )`);
    await q.query('CREATE INDEX agent_family_school ON agent_family (school_id, created_at DESC)');
    await q.query(`CREATE TABLE agent_refresh_token (
      token_hash bytea PRIMARY KEY,
      family_id uuid NOT NULL REFERENCES agent_family (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      replaced_at timestamptz
    )`);
    await q.query('CREATE INDEX agent_refresh_token_family ON agent_refresh_token (family_id)');
    await q.query('ALTER TABLE agent_token ADD COLUMN family_id uuid REFERENCES agent_family (id) ON DELETE CASCADE');
    await q.query('CREATE INDEX agent_token_family ON agent_token (family_id) WHERE family_id IS NOT NULL');
    // Diagnostics a school's agent uploads (already redacted by the agent, and again by the API) for its admins.
    await q.query(`CREATE TABLE agent_diagnostic_report (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      school_id text NOT NULL,
      uploaded_by text NOT NULL,
      client_address text NOT NULL,
      created_at timestamptz NOT NULL,
      report jsonb NOT NULL
    )`);
    await q.query('CREATE INDEX agent_diagnostic_report_school ON agent_diagnostic_report (school_id, created_at DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE agent_diagnostic_report');
    await q.query('ALTER TABLE agent_token DROP COLUMN family_id');
    await q.query('DROP TABLE agent_refresh_token');
    await q.query('DROP TABLE agent_family');
    await q.query('DROP TABLE agent_pairing_failure');
    await q.query('DROP TABLE agent_pairing_code');
  }
}
