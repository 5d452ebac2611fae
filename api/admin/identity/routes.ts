// Accounts and their lifecycle: password change (forced after a generated password), and, for SUPER_ADMIN only,
// creation, role and scope edits, disable, delete and credential resets, each audited, refused attempts too.
import type { Response } from 'express';
import type { z } from 'zod';
import { actorOf, type Principal } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import { route, type Route } from '../routes.js';
import * as s from '../schemas.js';
import { EnrolmentCodeRefused, LoginThrottled, PasswordRefused, type Accounts, type Revoked } from './accounts.js';
import * as a from './schemas.js';
import type { IssuedTokens, Sessions } from './sessions.js';

export interface AccountRouteDeps {
  accounts: Accounts;
  sessions: Sessions;
  audit: AuditLog;
  /** How the HTTP layer hands out tokens (cookies in production, the body otherwise). */
  sendTokens(res: Response, tokens: IssuedTokens): z.output<typeof s.tokenPair>;
}

// Agent token ids go under `revokedAgents`: the audit log redacts any key that names a token.
const counts = (revoked: Revoked) => ({ revokedSessions: revoked.sessions.length, revokedAgents: revoked.agentTokens });

export function accountRoutes(deps: AccountRouteDeps): Route[] {
  const { accounts, sessions, audit, sendTokens } = deps;
  const record = (principal: Principal, requestId: string, action: string, params: Record<string, unknown>, result = 'ok') =>
    audit.record({ ...actorOf(principal), requestId, action, params, result });
  // A refused attempt to administer accounts is part of the record too.
  const admin = (action: string) => ({
    tag: 'accounts',
    denied: (ctx: { principal: Principal; params: unknown; requestId: string; reason: string }) =>
      record(ctx.principal, ctx.requestId, action, { ...(ctx.params as Record<string, unknown>), reason: ctx.reason }, 'denied'),
  });

  return [
    route({
      method: 'post',
      path: '/auth/password',
      summary: 'Change the caller\'s password (required after a generated one): every session ends and a new one starts',
      tag: 'auth',
      auth: 'self:password',
      body: a.changePasswordRequest,
      response: s.tokenPair,
      errors: [429],
      handler: async ({ principal, body, req, res, requestId }) => {
        let account;
        try {
          account = await accounts.changePassword(principal.accountId, body.currentPassword, body.newPassword);
        } catch (error) {
          if (error instanceof PasswordRefused || error instanceof LoginThrottled) {
            await record(principal, requestId, 'auth.password', {}, error instanceof LoginThrottled ? error.reason : 'bad-password');
          }
          throw error;
        }
        const ended = await sessions.revokeAll(principal.accountId, 'password-changed');
        const tokens = await sessions.start(account, req.get('user-agent'));
        await record(principal, requestId, 'auth.password', { endedSessions: ended.length, sessionId: tokens.sessionId });
        return sendTokens(res, tokens);
      },
    }),
    route({
      method: 'post',
      path: '/auth/totp/enrolment',
      summary: 'Offer the caller a second factor (a role that needs one and has none yet); it counts once a code from it is confirmed',
      tag: 'auth',
      auth: 'self:totp',
      response: a.totpEnrolment,
      status: 201,
      errors: [409],
      handler: async ({ principal, requestId }) => {
        const offer = await accounts.beginTotpEnrolment(principal.accountId);
        await record(principal, requestId, 'auth.totp-enrol', { step: 'offered' });
        return offer;
      },
    }),
    route({
      method: 'post',
      path: '/auth/totp/enrolment/confirm',
      summary: 'Confirm the offered second factor with a code from it: every session ends and a new one starts',
      tag: 'auth',
      auth: 'self:totp',
      body: a.confirmTotpRequest,
      response: s.tokenPair,
      errors: [409, 429],
      handler: async ({ principal, body, req, res, requestId }) => {
        let account;
        try {
          account = await accounts.confirmTotpEnrolment(principal.accountId, body.code);
        } catch (error) {
          if (error instanceof EnrolmentCodeRefused || error instanceof LoginThrottled) {
            await record(principal, requestId, 'auth.totp-enrol', { step: 'confirm' }, error instanceof LoginThrottled ? error.reason : 'bad-code');
          }
          throw error;
        }
        const ended = await sessions.revokeAll(principal.accountId, 'second-factor-enrolled');
        const tokens = await sessions.start(account, req.get('user-agent'));
        await record(principal, requestId, 'auth.totp-enrol', { step: 'confirmed', endedSessions: ended.length, sessionId: tokens.sessionId });
        return sendTokens(res, tokens);
      },
    }),
    route({
      method: 'get',
      path: '/accounts',
      summary: 'Every account',
      tag: 'accounts',
      auth: 'account:read',
      response: s.accountList,
      handler: async () => ({ items: await accounts.list() }),
    }),
    route({
      ...admin('account.create'),
      method: 'post',
      path: '/accounts',
      summary: 'Create an account; its initial password is shown once and must be changed at first login, where roles that need a second factor enrol one',
      auth: 'account:write',
      body: s.createAccountRequest,
      response: s.createdAccount,
      status: 201,
      errors: [409],
      handler: async ({ body, principal, requestId }) => {
        const created = await accounts.create({ ...body, secondFactor: 'at-first-login' });
        await record(principal, requestId, 'account.create', { accountId: created.account.id, username: body.username, role: body.role, schools: body.schools });
        return { account: created.account, initialPassword: created.initialPassword };
      },
    }),
    route({
      ...admin('account.update'),
      method: 'patch',
      path: '/accounts/:accountId',
      summary: 'Change an account\'s role or schools; its sessions end, and agent tokens it issued for schools it no longer reaches are revoked',
      auth: 'account:write',
      params: a.accountParams,
      body: a.updateAccountRequest,
      response: a.accountChange,
      errors: [404, 409],
      handler: async ({ params, body, principal, requestId }) => {
        const { before, after, revoked } = await accounts.update(params.accountId, body);
        await record(principal, requestId, 'account.update', {
          accountId: params.accountId,
          username: after.username,
          before: { role: before.role, schools: before.schools },
          after: { role: after.role, schools: after.schools },
          ...counts(revoked),
        });
        return { account: after, revoked };
      },
    }),
    route({
      ...admin('account.disable'),
      method: 'post',
      path: '/accounts/:accountId/disable',
      summary: 'Disable an account: no login or refresh; its sessions and the agent tokens it issued end now',
      auth: 'account:write',
      params: a.accountParams,
      response: a.accountChange,
      errors: [404, 409],
      handler: async ({ params, principal, requestId }) => {
        const { account, revoked } = await accounts.disable(params.accountId);
        await record(principal, requestId, 'account.disable', { accountId: account.id, username: account.username, ...counts(revoked) });
        return { account, revoked };
      },
    }),
    route({
      ...admin('account.enable'),
      method: 'post',
      path: '/accounts/:accountId/enable',
      summary: 'Enable a disabled account again',
      auth: 'account:write',
      params: a.accountParams,
      response: s.account,
      errors: [404],
      handler: async ({ params, principal, requestId }) => {
        const account = await accounts.enable(params.accountId);
        await record(principal, requestId, 'account.enable', { accountId: account.id, username: account.username });
        return account;
      },
    }),
    route({
      ...admin('account.delete'),
      method: 'delete',
      path: '/accounts/:accountId',
      summary: 'Delete an account, ending its sessions and the agent tokens it issued',
      auth: 'account:write',
      params: a.accountParams,
      response: a.accountChange,
      errors: [404, 409],
      handler: async ({ params, principal, requestId }) => {
        const { account, revoked } = await accounts.remove(params.accountId);
        await record(principal, requestId, 'account.delete', { accountId: account.id, username: account.username, role: account.role, schools: account.schools, ...counts(revoked) });
        return { account, revoked };
      },
    }),
    route({
      ...admin('account.reset-credentials'),
      method: 'post',
      path: '/accounts/:accountId/reset-credentials',
      summary: 'Set a new generated password, shown once, and clear the second factor so the holder enrols a new one at next login; sessions end and the throttle lifts',
      auth: 'account:write',
      params: a.accountParams,
      response: a.resetCredentials,
      errors: [404],
      handler: async ({ params, principal, requestId }) => {
        const reset = await accounts.resetCredentials(params.accountId, 'at-first-login');
        await record(principal, requestId, 'account.reset-credentials', { accountId: reset.account.id, username: reset.account.username, ...counts(reset.revoked) });
        return { account: reset.account, initialPassword: reset.initialPassword, revoked: reset.revoked };
      },
    }),
    route({
      ...admin('account.unlock'),
      method: 'post',
      path: '/accounts/:accountId/unlock',
      summary: 'Lift an account\'s login throttle',
      auth: 'account:write',
      params: a.accountParams,
      response: s.account,
      errors: [404],
      handler: async ({ params, principal, requestId }) => {
        const account = await accounts.unlock(params.accountId);
        await record(principal, requestId, 'account.unlock', { accountId: account.id, username: account.username });
        return account;
      },
    }),
  ];
}
