import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Attendance1763800000000 implements MigrationInterface {
  name = 'Attendance1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attendance_event (
        id bigserial PRIMARY KEY,
        idempotency_key text NOT NULL,
        school_id text NOT NULL,
        device_id text NOT NULL,
        person_id text NOT NULL,
        direction text NOT NULL CHECK (direction IN ('in', 'out')),
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        late boolean NOT NULL,
        future_skew boolean NOT NULL,
        duplicate boolean NOT NULL DEFAULT false,
        source text NOT NULL,
        raw_event_type text NOT NULL
      )`);
    await q.query('CREATE UNIQUE INDEX attendance_event_idempotency_key ON attendance_event (idempotency_key)');
    await q.query('CREATE INDEX attendance_event_school_time ON attendance_event (school_id, occurred_at)');
    await q.query(
      'CREATE INDEX attendance_event_pupil_time ON attendance_event (school_id, person_id, direction, occurred_at)',
    );
    await q.query(`
      CREATE TABLE device_secret (
        id bigserial PRIMARY KEY,
        school_id text NOT NULL,
        device_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('path-token', 'signing-secret')),
        token_hash bytea,
        sealed_secret bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        CHECK ((kind = 'path-token') = (token_hash IS NOT NULL AND sealed_secret IS NULL)),
        CHECK ((kind = 'signing-secret') = (sealed_secret IS NOT NULL AND token_hash IS NULL))
      )`);
    await q.query(
      'CREATE UNIQUE INDEX device_secret_token_hash ON device_secret (token_hash) WHERE token_hash IS NOT NULL',
    );
    await q.query('CREATE INDEX device_secret_device ON device_secret (school_id, device_id, kind)');
    await q.query(`
      CREATE TABLE seen_webhook_id (
        school_id text NOT NULL,
        device_id text NOT NULL,
        webhook_id text NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (school_id, device_id, webhook_id)
      )`);
    await q.query('CREATE INDEX seen_webhook_id_seen_at ON seen_webhook_id (seen_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE seen_webhook_id');
    await q.query('DROP TABLE device_secret');
    await q.query('DROP TABLE attendance_event');
  }
}
