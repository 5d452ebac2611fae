import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Who did what, to which school, with which (redacted) parameters, and how it ended. */
@Entity('audit_entry')
export class AuditEntryRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'text', name: 'actor_type' })
  actorType!: 'user' | 'agent' | 'device' | 'system';

  @Column({ type: 'text', name: 'actor_id' })
  actorId!: string;

  @Column({ type: 'text', name: 'school_id', nullable: true })
  schoolId!: string | null;

  @Column({ type: 'text', name: 'request_id', nullable: true })
  requestId!: string | null;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'jsonb' })
  params!: Record<string, unknown>;

  @Column({ type: 'text' })
  result!: string;
}
