import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One attendance event as stored: never a photo, only who passed which door when. */
@Entity('attendance_event')
@Index('attendance_event_idempotency_key', ['idempotencyKey', 'occurredAt'], { unique: true })
export class AttendanceEventRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text', name: 'idempotency_key' })
  idempotencyKey!: string;

  @Column({ type: 'text', name: 'school_id' })
  schoolId!: string;

  @Column({ type: 'text', name: 'device_id' })
  deviceId!: string;

  @Column({ type: 'text', name: 'person_id' })
  personId!: string;

  @Column({ type: 'text' })
  direction!: 'in' | 'out';

  @Column({ type: 'timestamptz', name: 'occurred_at' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz', name: 'received_at' })
  receivedAt!: Date;

  @Column({ type: 'boolean' })
  late!: boolean;

  @Column({ type: 'boolean', name: 'future_skew' })
  futureSkew!: boolean;

  /** Within the per-pupil rate limit of an earlier event: kept, but not counted as attendance. */
  @Column({ type: 'boolean' })
  duplicate!: boolean;

  @Column({ type: 'text' })
  source!: string;

  @Column({ type: 'text', name: 'raw_event_type' })
  rawEventType!: string;

  /** How the sender was authenticated (see EventAuth); NULL for events stored before it was recorded. */
  @Column({ type: 'text', nullable: true })
  auth!: string | null;
}
