// Read routes over AttendanceReader; the admin API mounts this behind its authentication and passes the caller's scope.
import { Router, type Request } from 'express';
import { z } from 'zod';
import { ForbiddenError, InputError } from '../../lib/errors/index.js';
import type { AttendanceReader, SchoolScope } from './reader.js';
import { attendanceList, type AttendanceList } from './schemas.js';

export interface AttendanceRouterDeps {
  reader: AttendanceReader;
  /** The scope of the request's caller. */
  scopeOf: (req: Request) => SchoolScope;
  /** The school's IANA zone, from the School resource. */
  timezoneOf: (schoolId: string) => string | undefined;
}

const dayParams = z.object({ schoolId: z.string().min(1).max(63), day: z.string() });
const pupilParams = z.object({
  schoolId: z.string().min(1).max(63),
  personId: z.string().regex(/^[\p{L}\p{N}._:@-]{1,64}$/u, 'expected 1-64 letters, digits or ._:@-'),
});
const rangeQuery = z.object({ from: z.string().max(40), to: z.string().max(40) });

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new InputError(issue?.path.join('.') || 'request', issue?.message ?? 'invalid');
}

export function attendanceRouter(deps: AttendanceRouterDeps): Router {
  const router = Router();
  router.get('/schools/:schoolId/days/:day', async (req, res) => {
    const { schoolId, day } = parse(dayParams, req.params);
    const scope = deps.scopeOf(req);
    // Scope before existence: a school outside the caller's scope answers the same whether it exists or not.
    if (!scope(schoolId)) throw new ForbiddenError(`schoolId: not allowed to read attendance of ${schoolId}`);
    const timezone = deps.timezoneOf(schoolId);
    if (!timezone) throw new InputError('schoolId', `no school ${schoolId}`, 404);
    const body: AttendanceList = { events: await deps.reader.schoolDay(scope, schoolId, day, timezone) };
    res.json(attendanceList.parse(body));
  });
  router.get('/schools/:schoolId/pupils/:personId', async (req, res) => {
    const { schoolId, personId } = parse(pupilParams, req.params);
    const { from, to } = parse(rangeQuery, req.query);
    const events = await deps.reader.pupilRange(deps.scopeOf(req), schoolId, personId, new Date(from), new Date(to));
    res.json(attendanceList.parse({ events } satisfies AttendanceList));
  });
  return router;
}
