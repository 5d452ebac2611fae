import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An admin API account: a password hash, never the password; a sealed TOTP secret, never the plain one. */
@Entity('account')
export class AccountRow {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  username!: string;

  @Column({ type: 'text', name: 'password_hash' })
  passwordHash!: string;

  @Column({ type: 'text' })
  role!: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  schools!: string[];

  @Column({ type: 'bytea', name: 'totp_sealed', nullable: true })
  totpSealed!: Buffer | null;

  @Column({ type: 'integer', name: 'failed_logins', default: 0 })
  failedLogins!: number;

  @Column({ type: 'timestamptz', name: 'locked_until', nullable: true })
  lockedUntil!: Date | null;

  /** The last TOTP time step accepted, so a code cannot be replayed within its window. */
  @Column({ type: 'bigint', name: 'totp_last_step', nullable: true })
  totpLastStep!: string | null;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;
}
