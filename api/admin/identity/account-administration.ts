// What an account's holder and a SUPER_ADMIN do to accounts, each step written to the audit log here, refused
// credential attempts too: the routes only parse and answer.
import { actorOf, type Principal, type Role } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import { EnrolmentCodeRefused, LoginThrottled, PasswordRefused, type AccountView, type Accounts, type NewAccount, type Revoked } from './accounts.js';
import type { IssuedTokens, Sessions } from './sessions.js';

/** Who asks, and the request the audit row points back to. */
export interface Caller {
  principal: Principal;
  requestId: string;
  userAgent?: string | undefined;
}

// Agent token ids go under `revokedAgents`: the audit log redacts any key that names a token.
const counts = (revoked: Revoked) => ({ revokedSessions: revoked.sessions.length, revokedAgents: revoked.agentTokens });

export class AccountAdministration {
  private constructor(
    private readonly accounts: Accounts,
    private readonly sessions: Sessions,
    private readonly audit: AuditLog,
  ) {}

  static create(deps: { accounts: Accounts; sessions: Sessions; audit: AuditLog }): AccountAdministration {
    return new AccountAdministration(deps.accounts, deps.sessions, deps.audit);
  }

  private record(caller: Caller, action: string, params: Record<string, unknown>, result = 'ok'): Promise<void> {
    return this.audit.record({ ...actorOf(caller.principal), requestId: caller.requestId, action, params, result });
  }

  /** A refused attempt to administer accounts is part of the record too. */
  denied(caller: Caller, action: string, params: Record<string, unknown>, reason: string): Promise<void> {
    return this.record(caller, action, { ...params, reason }, 'denied');
  }

  /** The caller's new password: every session ends and a new one starts. */
  async changePassword(caller: Caller, current: string, next: string): Promise<IssuedTokens> {
    const id = caller.principal.accountId;
    const account = await this.refusalsRecorded(caller, 'auth.password', {}, 'bad-password', PasswordRefused, () => this.accounts.changePassword(id, current, next));
    const ended = await this.sessions.revokeAll(id, 'password-changed');
    const tokens = await this.sessions.start(account, caller.userAgent);
    await this.record(caller, 'auth.password', { endedSessions: ended.length, sessionId: tokens.sessionId });
    return tokens;
  }

  async beginTotpEnrolment(caller: Caller): Promise<{ totpUri: string }> {
    const offer = await this.accounts.beginTotpEnrolment(caller.principal.accountId);
    await this.record(caller, 'auth.totp-enrol', { step: 'offered' });
    return offer;
  }

  /** The offered second factor confirmed by a code from it: every session ends and a new one starts. */
  async confirmTotpEnrolment(caller: Caller, code: string): Promise<IssuedTokens> {
    const id = caller.principal.accountId;
    const account = await this.refusalsRecorded(caller, 'auth.totp-enrol', { step: 'confirm' }, 'bad-code', EnrolmentCodeRefused, () => this.accounts.confirmTotpEnrolment(id, code));
    const ended = await this.sessions.revokeAll(id, 'second-factor-enrolled');
    const tokens = await this.sessions.start(account, caller.userAgent);
    await this.record(caller, 'auth.totp-enrol', { step: 'confirmed', endedSessions: ended.length, sessionId: tokens.sessionId });
    return tokens;
  }

  async create(caller: Caller, input: { username: string; role: Role; schools: string[] }): Promise<NewAccount> {
    const created = await this.accounts.create({ ...input, secondFactor: 'at-first-login' });
    await this.record(caller, 'account.create', { accountId: created.account.id, username: input.username, role: input.role, schools: input.schools });
    return created;
  }

  async update(caller: Caller, id: string, change: { role?: Role | undefined; schools?: string[] | undefined }): Promise<{ account: AccountView; revoked: Revoked }> {
    const { before, after, revoked } = await this.accounts.update(id, change);
    await this.record(caller, 'account.update', {
      accountId: id,
      username: after.username,
      before: { role: before.role, schools: before.schools },
      after: { role: after.role, schools: after.schools },
      ...counts(revoked),
    });
    return { account: after, revoked };
  }

  async disable(caller: Caller, id: string): Promise<{ account: AccountView; revoked: Revoked }> {
    const { account, revoked } = await this.accounts.disable(id);
    await this.record(caller, 'account.disable', { accountId: account.id, username: account.username, ...counts(revoked) });
    return { account, revoked };
  }

  async enable(caller: Caller, id: string): Promise<AccountView> {
    const account = await this.accounts.enable(id);
    await this.record(caller, 'account.enable', { accountId: account.id, username: account.username });
    return account;
  }

  async remove(caller: Caller, id: string): Promise<{ account: AccountView; revoked: Revoked }> {
    const { account, revoked } = await this.accounts.remove(id);
    await this.record(caller, 'account.delete', { accountId: account.id, username: account.username, role: account.role, schools: account.schools, ...counts(revoked) });
    return { account, revoked };
  }

  async resetCredentials(caller: Caller, id: string): Promise<NewAccount & { revoked: Revoked }> {
    const reset = await this.accounts.resetCredentials(id, 'at-first-login');
    await this.record(caller, 'account.reset-credentials', { accountId: reset.account.id, username: reset.account.username, ...counts(reset.revoked) });
    return reset;
  }

  async unlock(caller: Caller, id: string): Promise<AccountView> {
    const account = await this.accounts.unlock(id);
    await this.record(caller, 'account.unlock', { accountId: account.id, username: account.username });
    return account;
  }

  /** Runs a credential check; a wrong credential or a throttled attempt is recorded before it propagates. */
  private async refusalsRecorded<T>(caller: Caller, action: string, params: Record<string, unknown>, refusedAs: string, Refused: abstract new (...args: never[]) => Error, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (error instanceof Refused || error instanceof LoginThrottled) await this.record(caller, action, params, error instanceof LoginThrottled ? error.reason : refusedAs);
      throw error;
    }
  }
}
