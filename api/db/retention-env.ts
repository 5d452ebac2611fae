// The retention figures from the environment, shared by `posbon maintain` and `npm start`.
import { z } from 'zod';
import { DEFAULT_RETENTION, type RetentionPolicy } from './maintenance.js';

const count = (name: string, fallback: number, min = 1) =>
  z.coerce
    .number({ message: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .default(fallback);

const environment = z.object({
  POSBON_ATTENDANCE_RETENTION_MONTHS: count('POSBON_ATTENDANCE_RETENTION_MONTHS', DEFAULT_RETENTION.attendanceMonths),
  POSBON_AUDIT_RETENTION_DAYS: count('POSBON_AUDIT_RETENTION_DAYS', DEFAULT_RETENTION.auditDays),
  POSBON_EXPIRED_CREDENTIAL_DAYS: count('POSBON_EXPIRED_CREDENTIAL_DAYS', DEFAULT_RETENTION.expiredCredentialDays),
  POSBON_ATTENDANCE_MONTHS_AHEAD: count('POSBON_ATTENDANCE_MONTHS_AHEAD', DEFAULT_RETENTION.monthsAhead, 0),
});

/** Throws one line naming every bad variable. */
export function retentionFromEnv(env: NodeJS.ProcessEnv): RetentionPolicy {
  const result = environment.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!result.success) throw new Error(result.error.issues.map((i) => i.message).join('; '));
  const e = result.data;
  return {
    attendanceMonths: e.POSBON_ATTENDANCE_RETENTION_MONTHS,
    auditDays: e.POSBON_AUDIT_RETENTION_DAYS,
    expiredCredentialDays: e.POSBON_EXPIRED_CREDENTIAL_DAYS,
    monthsAhead: e.POSBON_ATTENDANCE_MONTHS_AHEAD,
    batch: DEFAULT_RETENTION.batch,
  };
}
