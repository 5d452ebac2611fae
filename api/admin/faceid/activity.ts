// When a FaceID terminal last reached the webhook: what the agent waits for after provisioning it, so a setup is
// done only when the first push has really arrived. Times only; never who passed.
import type { DataSource } from 'typeorm';

export interface FaceIdActivityView {
  schoolId: string;
  device: string;
  /** When the newest stored event was received, and when it happened by the terminal's clock. */
  lastReceivedAt: string | null;
  lastEventAt: string | null;
}

export class FaceIdActivity {
  private constructor(private readonly dataSource: DataSource) {}

  static create(deps: { dataSource: DataSource }): FaceIdActivity {
    return new FaceIdActivity(deps.dataSource);
  }

  async lastEvent(schoolId: string, device: string): Promise<FaceIdActivityView> {
    const [row] = (await this.dataSource.query(
      `SELECT received_at, occurred_at FROM attendance_event WHERE school_id = $1 AND device_id = $2 ORDER BY received_at DESC LIMIT 1`,
      [schoolId, device],
    )) as { received_at: Date; occurred_at: Date }[];
    return { schoolId, device, lastReceivedAt: row?.received_at.toISOString() ?? null, lastEventAt: row?.occurred_at.toISOString() ?? null };
  }
}
