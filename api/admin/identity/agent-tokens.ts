// The LAN agent's credential: a random token a school admin issues for one school, shown once, stored as a hash,
// living hours (not days), revocable at once. The agent it authenticates holds the AGENT role on that school only.
import { createHash, randomBytes } from 'node:crypto';
import { IsNull, MoreThan, type DataSource, type EntityManager } from 'typeorm';
import { AgentTokenRow } from '../../db/entities/agent-token.js';
import { ConflictError, NotFoundError, UnauthorizedError } from '../../../lib/errors/index.js';
import { actorOf, type Principal } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';

/** The prefix makes a leaked agent token recognisable, and lets the logger redact it anywhere. */
export const AGENT_TOKEN_PREFIX = 'pag_';
export const MAX_AGENT_TOKEN_HOURS = 24;
export const DEFAULT_AGENT_TOKEN_HOURS = 8;
/** Live tokens a school may hold at once: enough for every machine an admin would run the agent on. */
export const MAX_LIVE_AGENT_TOKENS = 20;
/** `last_used_at` is written at most this often per token, so an agent's calls do not each cost a write. */
const TOUCH_EVERY_MS = 60_000;

export interface AgentTokenView {
  id: string;
  schoolId: string;
  label: string;
  issuedBy: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface IssuedAgentToken extends AgentTokenView {
  /** Shown once, in the answer to the request that issued it. */
  token: string;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest();

export const isAgentToken = (token: string): boolean => token.startsWith(AGENT_TOKEN_PREFIX);

const view = (row: AgentTokenRow): AgentTokenView => ({
  id: row.id,
  schoolId: row.schoolId,
  label: row.label,
  issuedBy: row.issuedByUsername,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

/**
 * Revokes, in the caller's transaction, the live agent tokens an account issued (only those of schools outside
 * `keepSchools` when given); returns their ids.
 */
export async function revokeAgentTokensIssuedBy(tx: EntityManager, accountId: string, at: Date, keepSchools: string[] = []): Promise<string[]> {
  const rows = (await tx.query(
    `UPDATE agent_token SET revoked_at = $2
     WHERE issued_by = $1 AND revoked_at IS NULL AND NOT (school_id = ANY($3::text[])) RETURNING id`,
    [accountId, at, keepSchools],
  )) as [Array<{ id: string }>, number];
  return rows[0].map((r) => r.id).sort();
}

export class AgentTokens {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; audit: AuditLog; now?: () => Date }): AgentTokens {
    return new AgentTokens(deps.dataSource, deps.audit, deps.now ?? (() => new Date()));
  }

  private get repo() {
    return this.dataSource.getRepository(AgentTokenRow);
  }

  /** Issues a token and records it in the audit trail (never the token itself). */
  async issue(issuer: Principal, requestId: string, schoolId: string, label: string, hours = DEFAULT_AGENT_TOKEN_HOURS): Promise<IssuedAgentToken> {
    if (!(hours >= 1 && hours <= MAX_AGENT_TOKEN_HOURS)) throw new RangeError(`agent tokens live 1 to ${MAX_AGENT_TOKEN_HOURS} hours`);
    const now = this.now();
    const live = await this.repo.count({ where: { schoolId, revokedAt: IsNull(), expiresAt: MoreThan(now) } });
    if (live >= MAX_LIVE_AGENT_TOKENS) {
      throw new ConflictError('schoolId', `${schoolId} already has ${live} live agent tokens; revoke one first`);
    }
    const token = `${AGENT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row = await this.repo.save(
      this.repo.create({
        schoolId,
        label,
        tokenHash: hashOf(token),
        issuedBy: issuer.accountId,
        issuedByUsername: issuer.username,
        createdAt: now,
        expiresAt: new Date(now.getTime() + hours * 3600_000),
        lastUsedAt: null,
        revokedAt: null,
      }),
    );
    const issued = { ...view(row), token };
    await this.audit.record({ ...actorOf(issuer), schoolId, requestId, action: 'agent-token.issue', params: { agent: issued.id, label, expiresAt: issued.expiresAt }, result: 'ok' });
    return issued;
  }

  async list(schoolId: string): Promise<AgentTokenView[]> {
    return (await this.repo.find({ where: { schoolId }, order: { createdAt: 'DESC' }, take: 200 })).map(view);
  }

  /** Revokes a token of this school; a token of another school is as absent as one that never existed. */
  async revoke(principal: Principal, requestId: string, schoolId: string, id: string): Promise<AgentTokenView> {
    const row = await this.repo.findOne({ where: { id, schoolId } });
    if (!row) throw new NotFoundError('tokenId', `no agent token ${id} for school ${schoolId}`);
    if (!row.revokedAt) {
      const at = this.now();
      const { affected } = await this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: at });
      // Another request revoked it in between: its time stands.
      row.revokedAt = affected ? at : ((await this.repo.findOne({ where: { id } }))?.revokedAt ?? at);
    }
    await this.audit.record({ ...actorOf(principal), schoolId, requestId, action: 'agent-token.revoke', params: { agent: id }, result: 'ok' });
    return view(row);
  }

  /** The principal a presented agent token stands for; one indexed lookup, so a revocation applies to the next call. */
  async verify(token: string): Promise<Principal> {
    const row = await this.repo.findOne({ where: { tokenHash: hashOf(token) } });
    if (!row) throw new UnauthorizedError('agent token: invalid');
    const now = this.now();
    if (row.revokedAt) throw new UnauthorizedError('agent token: revoked');
    if (now >= row.expiresAt) throw new UnauthorizedError('agent token: expired');
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
      await this.repo.update({ id: row.id }, { lastUsedAt: now });
    }
    // A paired agent keeps one name across its rotating tokens, so its audit trail reads as one actor.
    const id = row.familyId ?? row.id;
    return {
      accountId: `agent:${id}`,
      username: row.issuedByUsername,
      role: 'AGENT',
      schools: new Set([row.schoolId]),
      sessionId: id,
    };
  }
}
