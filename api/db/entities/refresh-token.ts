import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One refresh token of a session, stored as a hash; `replacedAt` marks it spent, so presenting it again is reuse. */
@Entity('refresh_token')
export class RefreshTokenRow {
  @PrimaryColumn({ type: 'bytea', name: 'token_hash' })
  tokenHash!: Buffer;

  @Column({ type: 'uuid', name: 'session_id' })
  sessionId!: string;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'replaced_at', nullable: true })
  replacedAt!: Date | null;
}
