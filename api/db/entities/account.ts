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

  /** A second factor offered at first login, sealed; it replaces `totpSealed` once a code from it is shown. */
  @Column({ type: 'bytea', name: 'totp_pending_sealed', nullable: true })
  totpPendingSealed!: Buffer | null;

  /** Failed logins in a row; an attempt counts as failed from the moment it is let through until it succeeds. */
  @Column({ type: 'integer', name: 'failed_logins', default: 0 })
  failedLogins!: number;

  /** The next login attempt waits until then. */
  @Column({ type: 'timestamptz', name: 'throttled_until', nullable: true })
  throttledUntil!: Date | null;

  @Column({ type: 'integer', name: 'logins_in_flight', default: 0 })
  loginsInFlight!: number;

  /** When the latest attempt was let through; an in-flight count older than a login can take is stale. */
  @Column({ type: 'timestamptz', name: 'login_started_at', nullable: true })
  loginStartedAt!: Date | null;

  /** Set on a generated password (bootstrap, created by an admin, reset); only a password change clears it. */
  @Column({ type: 'boolean', name: 'must_change_password', default: false })
  mustChangePassword!: boolean;

  @Column({ type: 'timestamptz', name: 'password_changed_at', nullable: true })
  passwordChangedAt!: Date | null;

  @Column({ type: 'timestamptz', name: 'disabled_at', nullable: true })
  disabledAt!: Date | null;

  /** The last TOTP time step accepted, so a code cannot be replayed within its window. */
  @Column({ type: 'bigint', name: 'totp_last_step', nullable: true })
  totpLastStep!: string | null;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;
}
