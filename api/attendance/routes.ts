// Read routes over AttendanceReader, as route() data like every admin route: in /openapi.json, behind one wrapper.
import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '../../lib/errors/index.js';
import type { Principal } from '../admin/access.js';
import { route, type Route } from '../admin/routes.js';
import type { AttendanceReader, SchoolScope } from './reader.js';
import { attendanceList, type AttendanceList } from './schemas.js';

export interface AttendanceRoutesDeps {
  reader: AttendanceReader;
  /** The schools the caller may read. */
  scopeOf: (principal: Principal) => SchoolScope;
  /** The school's IANA zone, from the School resource. */
  timezoneOf: (schoolId: string) => string | undefined;
}

const dayParams = z.object({ schoolId: z.string().min(1).max(63), day: z.string() });
const pupilParams = z.object({
  schoolId: z.string().min(1).max(63),
  personId: z.string().regex(/^[\p{L}\p{N}._:@-]{1,64}$/u, 'expected 1-64 letters, digits or ._:@-'),
});
const rangeQuery = z.object({ from: z.string().max(40), to: z.string().max(40) });

export function attendanceRoutes(deps: AttendanceRoutesDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/attendance/schools/:schoolId/days/:day',
      summary: "A school's attendance events of one day in its time zone, without rate-limited repeats",
      tag: 'attendance',
      auth: 'attendance:read',
      params: dayParams,
      response: attendanceList,
      errors: [404],
      handler: async ({ params: { schoolId, day }, principal }) => {
        const scope = deps.scopeOf(principal);
        // Scope before existence: a school outside the caller's scope answers the same whether it exists or not.
        if (!scope(schoolId)) throw new ForbiddenError('schoolId', `not allowed to read attendance of ${schoolId}`);
        const timezone = deps.timezoneOf(schoolId);
        if (!timezone) throw new NotFoundError('schoolId', `no school ${schoolId}`);
        return { events: await deps.reader.schoolDay(scope, schoolId, day, timezone) } satisfies AttendanceList;
      },
    }),
    route({
      method: 'get',
      path: '/attendance/schools/:schoolId/pupils/:personId',
      summary: "One pupil's attendance events over a time range",
      tag: 'attendance',
      auth: 'attendance:read',
      params: pupilParams,
      query: rangeQuery,
      response: attendanceList,
      handler: async ({ params: { schoolId, personId }, query: { from, to }, principal }) => ({
        events: await deps.reader.pupilRange(deps.scopeOf(principal), schoolId, personId, new Date(from), new Date(to)),
      }),
    }),
  ];
}
