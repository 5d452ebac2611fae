// Reads attendance for people allowed to see a school: one school's day, or one pupil over a range.
import type { DataSource } from 'typeorm';
import { ForbiddenError, InputError } from '../../lib/errors/index.js';
import { localTimeToInstant } from '../webhook/attendance.js';
import type { AttendanceRecord } from './schemas.js';

export type { AttendanceRecord } from './schemas.js';

/** Whether the caller may read a school's attendance; the admin API supplies it from the caller's role. */
export type SchoolScope = (schoolId: string) => boolean;

const MAX_RANGE_MS = 92 * 24 * 3600_000;

const PUPIL_RANGE = `
  SELECT person_id, direction, occurred_at, device_id, late, future_skew FROM attendance_event
   WHERE school_id || '/' || person_id || '/' || direction IN ($1, $2)
     AND occurred_at BETWEEN $3 AND $4 AND NOT duplicate
   ORDER BY occurred_at, id`;

// Answered from the covering (school, time) index alone (migration 1764650000000), with no entity hydration.
const SCHOOL_DAY = `
  SELECT person_id, direction, occurred_at, device_id, late, future_skew FROM attendance_event
   WHERE school_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND NOT duplicate
   ORDER BY occurred_at, id`;

interface EventRow {
  person_id: string;
  direction: 'in' | 'out';
  occurred_at: Date;
  device_id: string;
  late: boolean;
  future_skew: boolean;
}

const record = (row: EventRow): AttendanceRecord => ({
  personId: row.person_id,
  direction: row.direction,
  occurredAt: row.occurred_at.toISOString(),
  deviceId: row.device_id,
  late: row.late,
  futureSkew: row.future_skew,
});

export class AttendanceReader {
  private constructor(private readonly dataSource: DataSource) {}

  static create(deps: { dataSource: DataSource }): AttendanceReader {
    return new AttendanceReader(deps.dataSource);
  }

  /** Counted events (not rate-limited repeats) of a school on a local calendar day in the school's zone. */
  async schoolDay(scope: SchoolScope, schoolId: string, day: string, timezone: string): Promise<AttendanceRecord[]> {
    if (!scope(schoolId)) throw new ForbiddenError('schoolId', `not allowed to read attendance of ${schoolId}`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new InputError('day', 'expected YYYY-MM-DD');
    const from = localTimeToInstant(`${day} 00:00:00`, timezone, 'day');
    const next = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)) + 1));
    const to = localTimeToInstant(`${next.toISOString().slice(0, 10)} 00:00:00`, timezone, 'day');
    const rows = (await this.dataSource.query(SCHOOL_DAY, [schoolId, from.toISOString(), to.toISOString()])) as EventRow[];
    return rows.map(record);
  }

  async pupilRange(
    scope: SchoolScope,
    schoolId: string,
    personId: string,
    from: Date,
    to: Date,
  ): Promise<AttendanceRecord[]> {
    if (!scope(schoolId)) throw new ForbiddenError('schoolId', `not allowed to read attendance of ${schoolId}`);
    if (Number.isNaN(from.getTime())) throw new InputError('from', 'expected an ISO 8601 date-time');
    if (Number.isNaN(to.getTime())) throw new InputError('to', 'expected an ISO 8601 date-time');
    if (to < from) throw new InputError('to', 'must not be before from');
    if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw new InputError('to', 'a range spans at most 92 days');
    // Both directions of one pupil through the pupil-key index (migration 1763900000000).
    const rows = (await this.dataSource.query(PUPIL_RANGE, [
      `${schoolId}/${personId}/in`,
      `${schoolId}/${personId}/out`,
      from.toISOString(),
      to.toISOString(),
    ])) as EventRow[];
    return rows.map(record);
  }
}
