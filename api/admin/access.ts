// Who may do what: every route names an action, and this is the one place that decides it, school scope included.
import { ForbiddenError } from '../platform/errors.js';

export const ROLES = ['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that must present a TOTP code at login. */
export const TOTP_ROLES: ReadonlySet<Role> = new Set<Role>(['SUPER_ADMIN', 'STREAM_ADMIN']);

/** Roles whose reach is the schools listed on the account; the others see the whole fleet. */
export const SCOPED_ROLES: ReadonlySet<Role> = new Set<Role>(['SCHOOL_ADMIN', 'VIEWER']);

export interface Principal {
  accountId: string;
  username: string;
  role: Role;
  /** Schools of a scoped role; empty for fleet-wide roles. */
  schools: ReadonlySet<string>;
  sessionId: string;
}

export type Action =
  | 'school:read'
  | 'nvr:read'
  | 'nvr:test'
  | 'camera:read'
  | 'stream:watch'
  | 'attendance:read'
  | 'audit:read'
  | 'media-node:read'
  | 'media-node:write'
  | 'school:write'
  | 'nvr:write'
  | 'faceid:write'
  | 'proposal:read'
  | 'account:read'
  | 'account:write'
  | 'self';

/** Which roles hold each action; school-scoped roles hold it only within their schools. */
const GRANTS: Record<Action, ReadonlySet<Role>> = {
  'school:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  'nvr:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  // Probing leaves from a media node toward a school's router: admins of that school, and the platform's operators.
  'nvr:test': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN']),
  'camera:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  'stream:watch': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  'attendance:read': new Set(['SUPER_ADMIN', 'SCHOOL_ADMIN']),
  'audit:read': new Set(['SUPER_ADMIN', 'SCHOOL_ADMIN']),
  'media-node:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN']),
  'media-node:write': new Set(['STREAM_ADMIN']),
  // Proposals for a school come from its own admins; SUPER_ADMIN administers accounts and reads, it does not author fleet changes.
  'school:write': new Set(['SCHOOL_ADMIN']),
  'nvr:write': new Set(['SCHOOL_ADMIN']),
  'faceid:write': new Set(['SCHOOL_ADMIN']),
  'proposal:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN']),
  'account:read': new Set(['SUPER_ADMIN']),
  'account:write': new Set(['SUPER_ADMIN']),
  self: new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
};

export const holds = (role: Role, action: Action): boolean => GRANTS[action].has(role);

/** Whether the principal reaches this school at all (fleet-wide roles reach every school). */
export const reaches = (principal: Principal, schoolId: string): boolean =>
  !SCOPED_ROLES.has(principal.role) || principal.schools.has(schoolId);

/**
 * Throws unless the principal may perform the action, on the given school when the action targets one.
 * Scope is checked before existence, so a scoped caller cannot learn which other schools exist.
 */
export function authorize(principal: Principal, action: Action, schoolId?: string): void {
  if (!holds(principal.role, action)) throw new ForbiddenError(`role ${principal.role} may not ${action}`);
  if (schoolId !== undefined && !reaches(principal, schoolId)) {
    throw new ForbiddenError(`school ${schoolId} is outside this account's scope`);
  }
}

/** The school filter of a list: everything for fleet-wide roles, the listed schools otherwise. */
export const schoolFilter = (principal: Principal) => (schoolId: string | undefined | null): boolean =>
  schoolId !== undefined && schoolId !== null ? reaches(principal, schoolId) : !SCOPED_ROLES.has(principal.role);
