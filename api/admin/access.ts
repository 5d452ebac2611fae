// Who may do what: every route names an action, and this is the one place that decides it, school scope included.
import { ForbiddenError } from '../../lib/errors/index.js';

export const ROLES = ['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that must present a TOTP code at login: every role that can change the fleet, its accounts or its agents. */
export const TOTP_ROLES: ReadonlySet<Role> = new Set<Role>(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN']);

/** Who can call: an account's role, or AGENT, a school's LAN agent holding a token a school admin issued. */
export type PrincipalRole = Role | 'AGENT';

/** Roles whose reach is the schools listed on the account (or the agent token's one school); the others see the whole fleet. */
export const SCOPED_ROLES: ReadonlySet<PrincipalRole> = new Set<PrincipalRole>(['SCHOOL_ADMIN', 'VIEWER', 'AGENT']);

export interface Principal {
  /** The account id, or `agent:<token id>` for an agent. */
  accountId: string;
  /** The account's username; for an agent, the username of the admin who issued its token. */
  username: string;
  role: PrincipalRole;
  /** Schools of a scoped role; empty for fleet-wide roles. */
  schools: ReadonlySet<string>;
  /** The session id, or the agent token's id. */
  sessionId: string;
  /** The account still holds a generated password: only the actions in BEFORE_PASSWORD_CHANGE are open to it. */
  mustChangePassword?: boolean;
  /** The role needs a second factor the account has not set up: likewise, only BEFORE_PASSWORD_CHANGE is open. */
  mustEnrolTotp?: boolean;
}

/** How the audit log names the caller. */
export const actorOf = (principal: Principal): { actorType: 'user' | 'agent'; actorId: string } => ({
  actorType: principal.role === 'AGENT' ? 'agent' : 'user',
  actorId: principal.accountId,
});

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
  | 'school:tunnel'
  | 'nvr:write'
  | 'faceid:write'
  | 'proposal:read'
  | 'account:read'
  | 'account:write'
  | 'agent-token:read'
  | 'agent-token:write'
  | 'self'
  | 'self:whoami'
  | 'self:logout'
  | 'self:password'
  | 'self:totp';

/**
 * Which roles hold each action; school-scoped roles hold it only within their schools. An AGENT reads its school's
 * NVRs and cameras, tests them from the media node and proposes NVRs, FaceID devices and its school's tunnel
 * gateway key: it never watches, reads
 * attendance or the audit log, touches accounts, tokens or sessions, or changes the school itself.
 */
const GRANTS: Record<Action, ReadonlySet<PrincipalRole>> = {
  'school:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER', 'AGENT']),
  'nvr:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER', 'AGENT']),
  // Probing leaves from a media node toward a school's router: admins of that school, its agent, and the platform's operators.
  'nvr:test': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'AGENT']),
  'camera:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER', 'AGENT']),
  'stream:watch': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  'attendance:read': new Set(['SUPER_ADMIN', 'SCHOOL_ADMIN']),
  'audit:read': new Set(['SUPER_ADMIN', 'SCHOOL_ADMIN']),
  'media-node:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN']),
  'media-node:write': new Set(['STREAM_ADMIN']),
  // Proposals for a school come from its own admins; SUPER_ADMIN administers accounts and reads, it does not author fleet changes.
  'school:write': new Set(['SCHOOL_ADMIN']),
  // The agent makes the gateway's key pair at the school and proposes only its public half.
  'school:tunnel': new Set(['SCHOOL_ADMIN', 'AGENT']),
  'nvr:write': new Set(['SCHOOL_ADMIN', 'AGENT']),
  'faceid:write': new Set(['SCHOOL_ADMIN', 'AGENT']),
  'proposal:read': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'AGENT']),
  'account:read': new Set(['SUPER_ADMIN']),
  'account:write': new Set(['SUPER_ADMIN']),
  // A school's own admin issues and revokes its agents' tokens; SUPER_ADMIN sees them.
  'agent-token:read': new Set(['SUPER_ADMIN', 'SCHOOL_ADMIN']),
  'agent-token:write': new Set(['SCHOOL_ADMIN']),
  self: new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  'self:whoami': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  'self:logout': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  'self:password': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
  'self:totp': new Set(['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER']),
};

/**
 * What an account may do while it still holds a generated password or lacks the second factor its role needs: say
 * who it is, leave, replace the password, or enrol the second factor.
 */
export const BEFORE_PASSWORD_CHANGE: ReadonlySet<Action> = new Set<Action>(['self:whoami', 'self:logout', 'self:password', 'self:totp']);
export const PASSWORD_CHANGE_REQUIRED = 'PASSWORD_CHANGE_REQUIRED';
export const TOTP_ENROLMENT_REQUIRED = 'TOTP_ENROLMENT_REQUIRED';

export const holds = (role: PrincipalRole, action: Action): boolean => GRANTS[action].has(role);

/** Whether the principal reaches this school at all (fleet-wide roles reach every school). */
export const reaches = (principal: Principal, schoolId: string): boolean =>
  !SCOPED_ROLES.has(principal.role) || principal.schools.has(schoolId);

/**
 * Throws unless the principal may perform the action, on the given school when the action targets one.
 * Scope is checked before existence, so a scoped caller cannot learn which other schools exist.
 */
export function authorize(principal: Principal, action: Action, schoolId?: string): void {
  if (principal.mustChangePassword && !BEFORE_PASSWORD_CHANGE.has(action)) {
    throw new ForbiddenError('password', 'change the generated password first (POST /auth/password)', PASSWORD_CHANGE_REQUIRED);
  }
  if (principal.mustEnrolTotp && !BEFORE_PASSWORD_CHANGE.has(action)) {
    throw new ForbiddenError('totp', 'set up the second factor first (POST /auth/totp/enrolment)', TOTP_ENROLMENT_REQUIRED);
  }
  if (!holds(principal.role, action)) throw new ForbiddenError(undefined, `role ${principal.role} may not ${action}`);
  if (schoolId !== undefined && !reaches(principal, schoolId)) {
    throw new ForbiddenError('schoolId', `school ${schoolId} is outside this account's scope`);
  }
}

/** The school filter of a list: everything for fleet-wide roles, the listed schools otherwise. */
export const schoolFilter = (principal: Principal) => (schoolId: string | undefined | null): boolean =>
  schoolId !== undefined && schoolId !== null ? reaches(principal, schoolId) : !SCOPED_ROLES.has(principal.role);
