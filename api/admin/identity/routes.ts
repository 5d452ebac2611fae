// Accounts and their lifecycle: password change (forced after a generated password), and, for SUPER_ADMIN only,
// creation, role and scope edits, disable, delete and credential resets; the service audits each, refusals too.
import type { Response } from 'express';
import type { z } from 'zod';
import type { Principal } from '../access.js';
import { route, type Route } from '../routes.js';
import * as s from '../schemas.js';
import type { AccountAdministration, Caller } from './account-administration.js';
import type { Accounts } from './accounts.js';
import * as a from './schemas.js';
import type { IssuedTokens } from './sessions.js';

export interface AccountRouteDeps {
  accounts: Accounts;
  administration: AccountAdministration;
  /** How the HTTP layer hands out tokens (cookies in production, the body otherwise). */
  sendTokens(res: Response, tokens: IssuedTokens): z.output<typeof s.tokenPair>;
}

export function accountRoutes(deps: AccountRouteDeps): Route[] {
  const { accounts, administration, sendTokens } = deps;
  const admin = (action: string) => ({
    tag: 'accounts',
    denied: (ctx: { principal: Principal; params: unknown; requestId: string; reason: string }) =>
      administration.denied(ctx, action, ctx.params as Record<string, unknown>, ctx.reason),
  });
  const caller = (ctx: { principal: Principal; requestId: string; req?: { get(name: string): string | undefined } }): Caller => ({
    principal: ctx.principal,
    requestId: ctx.requestId,
    userAgent: ctx.req?.get('user-agent'),
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
      handler: async (ctx) => sendTokens(ctx.res, await administration.changePassword(caller(ctx), ctx.body.currentPassword, ctx.body.newPassword)),
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
      handler: (ctx) => administration.beginTotpEnrolment(caller(ctx)),
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
      handler: async (ctx) => sendTokens(ctx.res, await administration.confirmTotpEnrolment(caller(ctx), ctx.body.code)),
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
      handler: async (ctx) => {
        const created = await administration.create(caller(ctx), ctx.body);
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
      handler: (ctx) => administration.update(caller(ctx), ctx.params.accountId, ctx.body),
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
      handler: (ctx) => administration.disable(caller(ctx), ctx.params.accountId),
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
      handler: (ctx) => administration.enable(caller(ctx), ctx.params.accountId),
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
      handler: (ctx) => administration.remove(caller(ctx), ctx.params.accountId),
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
      handler: async (ctx) => {
        const reset = await administration.resetCredentials(caller(ctx), ctx.params.accountId);
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
      handler: (ctx) => administration.unlock(caller(ctx), ctx.params.accountId),
    }),
  ];
}
