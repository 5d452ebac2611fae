// Pairing a LAN agent: a school admin shows a short code, the agent trades it once for a school-scoped access token
// (15 minutes, checked against the database on every call) and a rotating refresh token. Showing a spent refresh
// token again is theft or a replay and revokes the agent; so does the admin, at once.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ConflictError, NotFoundError, TooManyRequestsError, UnauthorizedError } from '../../../lib/errors/index.js';
import type { Principal } from '../access.js';
import { AGENT_TOKEN_PREFIX } from '../identity/agent-tokens.js';

/** No 0/O, 1/I/L: a code read aloud or typed from a screen has one spelling. */
export const PAIRING_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const PAIRING_CODE_LENGTH = 8;
export const PAIRING_CODE_TTL_MS = 10 * 60_000;
/** Codes a school may hold unused at once. */
export const MAX_LIVE_PAIRING_CODES = 10;
/** The agent's access token lives as long as an admin's: short, so a copied one is soon worthless. */
export const AGENT_ACCESS_TTL_MS = 15 * 60_000;
export const AGENT_REFRESH_TTL_MS = 7 * 86_400_000;
/** However often it refreshes, a paired agent is paired again after this. */
export const AGENT_FAMILY_TTL_MS = 30 * 86_400_000;
/** The refresh token shares the admin sessions' prefix, so the logger redacts it by the same rule. */
const REFRESH_PREFIX = 'prt_';

export interface PairingThrottle {
  /** Failed attempts from one client address within the window before every attempt from it is refused. */
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_PAIRING_THROTTLE: PairingThrottle = { maxFailures: 5, windowMs: 15 * 60_000 };

export type PairingRefusal = 'unknown' | 'used' | 'expired' | 'throttled';
export type AgentRefreshRefusal = 'unknown' | 'revoked' | 'expired' | 'reuse';

/** A refused code, with the reason kept for the audit log (the caller only learns that the code did not work). */
export class PairingRefused extends UnauthorizedError {
  constructor(
    readonly reason: Exclude<PairingRefusal, 'throttled'>,
    readonly schoolId: string | null,
  ) {
    super('pairing code: unknown, used or expired; ask the school admin for a new one');
  }
}

export class PairingThrottled extends TooManyRequestsError {
  readonly reason = 'throttled';
  constructor(retryAfterSeconds: number) {
    super('pairing code: too many failed attempts from this address; wait and try again', retryAfterSeconds);
  }
}

export class AgentRefreshRefused extends UnauthorizedError {
  constructor(
    readonly reason: AgentRefreshRefusal,
    readonly familyId: string | null,
    readonly schoolId: string | null,
  ) {
    super('agent refresh token: invalid, expired or revoked; pair the agent again');
  }
}

export interface PairingCode {
  /** Shown once, to the admin who asked for it, as XXXX-XXXX. */
  code: string;
  schoolId: string;
  expiresAt: string;
}

export interface AgentTokens {
  agentId: string;
  schoolId: string;
  accessToken: string;
  accessExpiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
}

export interface PairedAgentView {
  id: string;
  schoolId: string;
  label: string;
  pairedBy: string;
  createdAt: string;
  expiresAt: string;
  lastRefreshedAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
}

interface FamilyRow {
  id: string;
  school_id: string;
  label: string;
  paired_by: string;
  paired_by_username: string;
  created_at: Date;
  expires_at: Date;
  last_refreshed_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Upper case without separators or spaces: what the admin sees and what the agent types compare equal. */
export const normalizeCode = (code: string): string => code.toUpperCase().replace(/[\s-]/g, '');

export function newPairingCode(): string {
  let code = '';
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return code;
}

const displayCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

const view = (row: FamilyRow): PairedAgentView => ({
  id: row.id,
  schoolId: row.school_id,
  label: row.label,
  pairedBy: row.paired_by_username,
  createdAt: row.created_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  lastRefreshedAt: row.last_refreshed_at?.toISOString() ?? null,
  revokedAt: row.revoked_at?.toISOString() ?? null,
  revokedReason: row.revoked_reason,
});

export class AgentPairing {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly throttle: PairingThrottle,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; throttle?: PairingThrottle; now?: () => Date }): AgentPairing {
    return new AgentPairing(deps.dataSource, deps.throttle ?? DEFAULT_PAIRING_THROTTLE, deps.now ?? (() => new Date()));
  }

  async createCode(issuer: Principal, schoolId: string): Promise<PairingCode> {
    const now = this.now();
    const [{ live }] = (await this.dataSource.query(
      'SELECT count(*)::int AS live FROM agent_pairing_code WHERE school_id = $1 AND used_at IS NULL AND expires_at > $2',
      [schoolId, now],
    )) as [{ live: number }];
    if (live >= MAX_LIVE_PAIRING_CODES) throw new ConflictError('schoolId', `${schoolId} already has ${live} unused pairing codes; wait for them to expire`);
    const code = newPairingCode();
    const expiresAt = new Date(now.getTime() + PAIRING_CODE_TTL_MS);
    await this.dataSource.query(
      `INSERT INTO agent_pairing_code (school_id, code_hash, created_by, created_by_username, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [schoolId, sha256(code), issuer.accountId, issuer.username, now, expiresAt],
    );
    return { code: displayCode(code), schoolId, expiresAt: expiresAt.toISOString() };
  }

  /** Trades a code for the agent's first tokens; a refused attempt counts against the client's address. */
  async pair(code: string, label: string, address: string): Promise<AgentTokens> {
    const now = this.now();
    await this.assertNotThrottled(address, now);
    const outcome = await this.dataSource.transaction(async (tx) => {
      const [row] = (await tx.query(
        `SELECT id, school_id, created_by, created_by_username, expires_at, used_at FROM agent_pairing_code
         WHERE code_hash = $1 FOR UPDATE`,
        [sha256(normalizeCode(code))],
      )) as { id: string; school_id: string; created_by: string; created_by_username: string; expires_at: Date; used_at: Date | null }[];
      if (!row) return new PairingRefused('unknown', null);
      if (row.used_at) return new PairingRefused('used', row.school_id);
      if (row.expires_at <= now) return new PairingRefused('expired', row.school_id);
      await tx.query('UPDATE agent_pairing_code SET used_at = $2 WHERE id = $1', [row.id, now]);
      const [family] = (await tx.query(
        `INSERT INTO agent_family (school_id, label, paired_by, paired_by_username, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [row.school_id, label, row.created_by, row.created_by_username, now, new Date(now.getTime() + AGENT_FAMILY_TTL_MS)],
      )) as FamilyRow[];
      return this.issue(tx, family!, now);
    });
    if (outcome instanceof PairingRefused) {
      await this.dataSource.query('INSERT INTO agent_pairing_failure (address, at) VALUES ($1, $2)', [address, now]);
      throw outcome;
    }
    return outcome;
  }

  /** Rotates the refresh token; a spent one shown again revokes the agent (its access token stops at once too). */
  async refresh(refreshToken: string): Promise<AgentTokens> {
    const outcome = await this.dataSource.transaction(async (tx) => {
      const [token] = (await tx.query('SELECT family_id, expires_at, replaced_at FROM agent_refresh_token WHERE token_hash = $1 FOR UPDATE', [
        sha256(refreshToken),
      ])) as { family_id: string; expires_at: Date; replaced_at: Date | null }[];
      if (!token) return new AgentRefreshRefused('unknown', null, null);
      const [family] = (await tx.query('SELECT * FROM agent_family WHERE id = $1 FOR UPDATE', [token.family_id])) as FamilyRow[];
      const now = this.now();
      if (family!.revoked_at) return new AgentRefreshRefused('revoked', family!.id, family!.school_id);
      if (token.replaced_at) {
        await revokeFamily(tx, family!.id, now, 'refresh-token-reuse');
        return new AgentRefreshRefused('reuse', family!.id, family!.school_id);
      }
      if (token.expires_at <= now || family!.expires_at <= now) return new AgentRefreshRefused('expired', family!.id, family!.school_id);
      await tx.query('UPDATE agent_refresh_token SET replaced_at = $2 WHERE token_hash = $1', [sha256(refreshToken), now]);
      // The previous access token ends with its refresh token: one live credential per agent.
      await tx.query('UPDATE agent_token SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL', [family!.id, now]);
      await tx.query('UPDATE agent_family SET last_refreshed_at = $2 WHERE id = $1', [family!.id, now]);
      return this.issue(tx, family!, now);
    });
    // Thrown outside the transaction so that a reuse's revocation commits.
    if (outcome instanceof AgentRefreshRefused) throw outcome;
    return outcome;
  }

  async list(schoolId: string): Promise<PairedAgentView[]> {
    const rows = (await this.dataSource.query('SELECT * FROM agent_family WHERE school_id = $1 ORDER BY created_at DESC LIMIT 200', [schoolId])) as FamilyRow[];
    return rows.map(view);
  }

  /** Revokes a paired agent of this school; one of another school is as absent as one that never existed. */
  async revoke(schoolId: string, agentId: string): Promise<PairedAgentView> {
    return this.dataSource.transaction(async (tx) => {
      const [row] = (await tx.query('SELECT * FROM agent_family WHERE id = $1 AND school_id = $2 FOR UPDATE', [agentId, schoolId])) as FamilyRow[];
      if (!row) throw new NotFoundError('agentId', `no paired agent ${agentId} for school ${schoolId}`);
      if (row.revoked_at) return view(row);
      const at = this.now();
      await revokeFamily(tx, agentId, at, 'revoked-by-admin');
      return view({ ...row, revoked_at: at, revoked_reason: 'revoked-by-admin' });
    });
  }

  private async assertNotThrottled(address: string, now: Date): Promise<void> {
    const since = new Date(now.getTime() - this.throttle.windowMs);
    const [{ failures, oldest }] = (await this.dataSource.query(
      'SELECT count(*)::int AS failures, min(at) AS oldest FROM agent_pairing_failure WHERE address = $1 AND at > $2',
      [address, since],
    )) as [{ failures: number; oldest: Date | null }];
    if (failures < this.throttle.maxFailures) return;
    const until = (oldest ?? now).getTime() + this.throttle.windowMs;
    throw new PairingThrottled(Math.max(1, Math.ceil((until - now.getTime()) / 1000)));
  }

  private async issue(tx: EntityManager, family: FamilyRow, now: Date): Promise<AgentTokens> {
    const accessToken = `${AGENT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const refreshToken = `${REFRESH_PREFIX}${randomBytes(32).toString('base64url')}`;
    const accessExpiresAt = new Date(Math.min(now.getTime() + AGENT_ACCESS_TTL_MS, family.expires_at.getTime()));
    const refreshExpiresAt = new Date(Math.min(now.getTime() + AGENT_REFRESH_TTL_MS, family.expires_at.getTime()));
    await tx.query(
      `INSERT INTO agent_token (school_id, label, token_hash, issued_by, issued_by_username, created_at, expires_at, family_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [family.school_id, family.label, sha256(accessToken), family.paired_by, family.paired_by_username, now, accessExpiresAt, family.id],
    );
    await tx.query('INSERT INTO agent_refresh_token (token_hash, family_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
      sha256(refreshToken),
      family.id,
      now,
      refreshExpiresAt,
    ]);
    return {
      agentId: family.id,
      schoolId: family.school_id,
      accessToken,
      accessExpiresAt: accessExpiresAt.toISOString(),
      refreshToken,
      refreshExpiresAt: refreshExpiresAt.toISOString(),
    };
  }
}

async function revokeFamily(tx: EntityManager, familyId: string, at: Date, reason: string): Promise<void> {
  await tx.query('UPDATE agent_family SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL', [familyId, at, reason]);
  await tx.query('UPDATE agent_token SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL', [familyId, at]);
}
