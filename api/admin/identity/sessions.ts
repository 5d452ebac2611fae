// Sessions: a login starts a family of rotating refresh tokens; a spent token shown again revokes the whole family.
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AccountRow } from '../../db/entities/account.js';
import { RefreshTokenRow } from '../../db/entities/refresh-token.js';
import { SessionRow } from '../../db/entities/session.js';
import { NotFoundError, UnauthorizedError } from '../../../lib/errors/index.js';
import { TOTP_ROLES, type Role } from '../access.js';
import type { AccessTokens } from './access-tokens.js';

/** The prefix makes a leaked refresh token recognisable, and lets the logger redact it anywhere. */
const REFRESH_PREFIX = 'prt_';

export interface IssuedTokens {
  accessToken: string;
  accessExpiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
  sessionId: string;
  accountId: string;
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
  current: boolean;
  userAgent: string | null;
}

/** A refused refresh, with the reason kept for the audit log. */
export class RefreshRefused extends UnauthorizedError {
  constructor(
    readonly reason: 'unknown' | 'revoked' | 'expired' | 'reuse' | 'disabled',
    readonly accountId?: string,
    readonly sessionId?: string,
  ) {
    super('refresh token: invalid, expired or revoked');
  }
}

const hashOf = (token: string) => createHash('sha256').update(token).digest();

/** Whom a session's tokens name. */
export interface SessionAccount {
  id: string;
  username: string;
  role: Role;
  schools: string[];
  mustChangePassword?: boolean;
  mustEnrolTotp?: boolean;
}

/** Revokes every live session of an account in the caller's transaction; returns their ids. */
export async function revokeSessionsOf(tx: EntityManager, accountId: string, reason: string, at: Date): Promise<string[]> {
  const rows = (await tx.query(
    'UPDATE session SET revoked_at = $2, revoked_reason = $3 WHERE account_id = $1 AND revoked_at IS NULL RETURNING id',
    [accountId, at, reason],
  )) as [Array<{ id: string }>, number];
  return rows[0].map((r) => r.id).sort();
}
const newRefreshToken = () => `${REFRESH_PREFIX}${randomBytes(32).toString('base64url')}`;

export class Sessions {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly accessTokens: AccessTokens,
    private readonly refreshTtlMs: number,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; accessTokens: AccessTokens; refreshTtlMs: number; now?: () => Date }): Sessions {
    return new Sessions(deps.dataSource, deps.accessTokens, deps.refreshTtlMs, deps.now ?? (() => new Date()));
  }

  /** Starts a session for an account whose credentials were just verified. */
  async start(account: SessionAccount, userAgent: string | undefined): Promise<IssuedTokens> {
    return this.dataSource.transaction(async (tx) => {
      const now = this.now();
      const session = tx.getRepository(SessionRow).create({
        accountId: account.id,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + this.refreshTtlMs),
        revokedAt: null,
        revokedReason: null,
        userAgent: userAgent?.slice(0, 256) ?? null,
      });
      await tx.getRepository(SessionRow).insert(session);
      return this.issue(tx, account, session, now);
    });
  }

  /** Rotates a refresh token. Showing a spent one is theft or a replay: the family is revoked. */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const outcome = await this.dataSource.transaction(async (tx) => {
      const token = await tx
        .getRepository(RefreshTokenRow)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.token_hash = :hash', { hash: hashOf(refreshToken) })
        .getOne();
      if (!token) return new RefreshRefused('unknown');
      const session = await tx.getRepository(SessionRow).findOneBy({ id: token.sessionId });
      if (!session) return new RefreshRefused('unknown');
      const now = this.now();
      if (session.revokedAt) return new RefreshRefused('revoked', session.accountId, session.id);
      if (session.expiresAt <= now) return new RefreshRefused('expired', session.accountId, session.id);
      if (token.replacedAt) {
        await tx.getRepository(SessionRow).update({ id: session.id }, { revokedAt: now, revokedReason: 'refresh-token-reuse' });
        return new RefreshRefused('reuse', session.accountId, session.id);
      }
      const account = await tx.getRepository(AccountRow).findOneBy({ id: session.accountId });
      if (!account) return new RefreshRefused('unknown');
      if (account.disabledAt) return new RefreshRefused('disabled', account.id, session.id);
      await tx.getRepository(RefreshTokenRow).update({ tokenHash: token.tokenHash }, { replacedAt: now });
      await tx.getRepository(SessionRow).update({ id: session.id }, { lastUsedAt: now });
      return this.issue(
        tx,
        {
          id: account.id,
          username: account.username,
          role: account.role as Role,
          schools: account.schools,
          mustChangePassword: account.mustChangePassword,
          mustEnrolTotp: TOTP_ROLES.has(account.role as Role) && account.totpSealed === null,
        },
        session,
        now,
      );
    });
    // Thrown outside the transaction so that the family's revocation commits.
    if (outcome instanceof RefreshRefused) throw outcome;
    return outcome;
  }

  async list(accountId: string, currentSessionId: string): Promise<SessionView[]> {
    const rows = await this.dataSource.getRepository(SessionRow).find({ where: { accountId }, order: { createdAt: 'DESC' }, take: 200 });
    return rows.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      revokedAt: s.revokedAt?.toISOString() ?? null,
      revokedReason: s.revokedReason,
      current: s.id === currentSessionId,
      userAgent: s.userAgent,
    }));
  }

  /** Ends every live session of an account (after a password change, for one); returns their ids. */
  async revokeAll(accountId: string, reason: string): Promise<string[]> {
    return this.dataSource.transaction((tx) => revokeSessionsOf(tx, accountId, reason, this.now()));
  }

  /** Revokes one of the account's own sessions; its refresh tokens stop at once, its access token at expiry. */
  async revoke(accountId: string, sessionId: string, reason: string): Promise<void> {
    const result = await this.dataSource
      .getRepository(SessionRow)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: this.now(), revokedReason: reason })
      .where('id = :sessionId AND account_id = :accountId AND revoked_at IS NULL', { sessionId, accountId })
      .execute();
    if (!result.affected) {
      const exists = await this.dataSource.getRepository(SessionRow).existsBy({ id: sessionId, accountId });
      if (!exists) throw new NotFoundError('sessionId', `no session ${sessionId}`);
    }
  }

  private async issue(
    tx: EntityManager,
    account: SessionAccount,
    session: SessionRow,
    now: Date,
  ): Promise<IssuedTokens> {
    const refreshToken = newRefreshToken();
    await tx.getRepository(RefreshTokenRow).insert({ tokenHash: hashOf(refreshToken), sessionId: session.id, createdAt: now, replacedAt: null });
    const access = await this.accessTokens.sign({
      accountId: account.id,
      username: account.username,
      role: account.role,
      schools: account.schools,
      sessionId: session.id,
      ...(account.mustChangePassword ? { mustChangePassword: true } : {}),
      ...(account.mustEnrolTotp ? { mustEnrolTotp: true } : {}),
    });
    return {
      accessToken: access.token,
      accessExpiresAt: access.expiresAt,
      refreshToken,
      refreshExpiresAt: session.expiresAt,
      sessionId: session.id,
      accountId: account.id,
    };
  }
}
