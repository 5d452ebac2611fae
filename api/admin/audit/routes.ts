// The audit trail as the caller may read it.
import { authorize, SCOPED_ROLES } from '../access.js';
import { route, type Route } from '../routes.js';
import * as s from '../schemas.js';
import type { AuditLog } from './audit-log.js';

export function auditRoutes(deps: { audit: AuditLog }): Route[] {
  const { audit } = deps;
  return [
    route({
      method: 'get',
      path: '/audit',
      summary: 'Audit entries the caller may read: all for SUPER_ADMIN, their schools\' for SCHOOL_ADMIN',
      tag: 'audit',
      auth: 'audit:read',
      query: s.auditQuery,
      response: s.auditList,
      handler: async ({ query, principal }) => {
        if (query.schoolId !== undefined) authorize(principal, 'audit:read', query.schoolId);
        const scoped = SCOPED_ROLES.has(principal.role);
        return {
          items: await audit.list({
            ...(scoped ? { schools: principal.schools } : {}),
            ...(query.schoolId !== undefined ? { schoolId: query.schoolId } : {}),
            ...(query.action !== undefined ? { action: query.action } : {}),
            ...(query.before !== undefined ? { before: query.before } : {}),
            limit: query.limit,
          }),
        };
      },
    }),
  ];
}
