import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A school's LAN agent credential: only its SHA-256 is stored; the token itself is shown once, when issued. */
@Entity('agent_token')
export class AgentTokenRow {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', name: 'school_id' })
  schoolId!: string;

  @Column({ type: 'text' })
  label!: string;

  @Column({ type: 'bytea', name: 'token_hash' })
  tokenHash!: Buffer;

  /** The account that issued it, accountable for what the agent proposes. */
  @Column({ type: 'uuid', name: 'issued_by' })
  issuedBy!: string;

  @Column({ type: 'text', name: 'issued_by_username' })
  issuedByUsername!: string;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'expires_at' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  /** The paired agent this short-lived token was issued to; null for a token an admin issued by hand. */
  @Column({ type: 'uuid', name: 'family_id', nullable: true })
  familyId!: string | null;
}
