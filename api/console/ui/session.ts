// Who is signed in, and what their role may reach: the API's own role table, so the console hides exactly what the
// API would refuse (the API still decides; a forged address shows its refusal).
import { holds, SCOPED_ROLES, type Action, type PrincipalRole } from '../../admin/access.js';
import { signal } from './state.js';

export interface Me {
  id: string;
  username: string;
  role: PrincipalRole;
  schools: string[];
  sessionId: string;
  mustChangePassword: boolean;
  mustEnrolTotp: boolean;
}

export const me = signal<Me | null | undefined>(undefined);

export const can = (action: Action): boolean => {
  const current = me.get();
  return !!current && holds(current.role, action);
};

export const scoped = (): boolean => {
  const current = me.get();
  return !!current && SCOPED_ROLES.has(current.role);
};
