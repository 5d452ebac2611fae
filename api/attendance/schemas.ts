// The shapes the attendance read routes answer with; the OpenAPI document is generated from these.
import { z } from 'zod';

export const attendanceRecord = z.object({
  personId: z.string(),
  direction: z.enum(['in', 'out']),
  occurredAt: z.string().datetime(),
  deviceId: z.string(),
  /** Received long after it happened: a terminal replaying its buffer. */
  late: z.boolean(),
  /** Stamped further in the future than the allowed clock skew. */
  futureSkew: z.boolean(),
});

export const attendanceList = z.object({ events: z.array(attendanceRecord) });

export type AttendanceRecord = z.infer<typeof attendanceRecord>;
export type AttendanceList = z.infer<typeof attendanceList>;
