import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A Standard Webhooks message id already stored, remembered to refuse a replay. */
@Entity('seen_webhook_id')
export class SeenWebhookIdRow {
  @PrimaryColumn({ type: 'text', name: 'school_id' })
  schoolId!: string;

  @PrimaryColumn({ type: 'text', name: 'device_id' })
  deviceId!: string;

  @PrimaryColumn({ type: 'text', name: 'webhook_id' })
  webhookId!: string;

  @Column({ type: 'timestamptz', name: 'seen_at' })
  seenAt!: Date;
}
