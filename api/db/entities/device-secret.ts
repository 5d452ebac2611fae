import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type DeviceSecretKind = 'path-token' | 'signing-secret';

/** A device's credential: a keyed hash of a path token, or an encrypted signing secret. Never the plaintext. */
@Entity('device_secret')
export class DeviceSecretRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text', name: 'school_id' })
  schoolId!: string;

  @Column({ type: 'text', name: 'device_id' })
  deviceId!: string;

  @Column({ type: 'text' })
  kind!: DeviceSecretKind;

  @Column({ type: 'bytea', name: 'token_hash', nullable: true })
  tokenHash!: Buffer | null;

  @Column({ type: 'bytea', name: 'sealed_secret', nullable: true })
  sealedSecret!: Buffer | null;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  /** Set when a rotation retires this secret: it keeps working until then. */
  @Column({ type: 'timestamptz', name: 'expires_at', nullable: true })
  expiresAt!: Date | null;
}
