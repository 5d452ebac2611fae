// Accounts: argon2id password hashes, sealed TOTP secrets, per-account login throttling, and the account lifecycle.
import { randomBytes, randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { DataSource, EntityManager } from 'typeorm';
import { AccountRow } from '../../db/entities/account.js';
import { ConflictError, InputError, NotFoundError, TooManyRequestsError, UnauthorizedError } from '../../../lib/errors/index.js';
import { SCOPED_ROLES, TOTP_ROLES, type Role } from '../access.js';
import { revokeAgentTokensIssuedBy } from './agent-tokens.js';
import { DEFAULT_LOGIN_THROTTLE, MAX_DOUBLINGS, retryAfterSeconds, throttleDelayMs, type LoginThrottlePolicy } from './login-throttle.js';
import { seal, unseal } from './sealing.js';
import { revokeSessionsOf } from './sessions.js';
import { matchTotp, newTotpSecret, totpUri } from './totp.js';

export interface AccountView {
  id: string;
  username: string;
  role: Role;
  schools: string[];
  totpEnrolled: boolean;
  /** The role needs a second factor the account has not set up yet: it may only enrol one (and change its password). */
  mustEnrolTotp: boolean;
  mustChangePassword: boolean;
  disabled: boolean;
  throttledUntil: string | null;
  createdAt: string;
}

export interface NewAccount {
  account: AccountView;
  initialPassword: string;
  totpUri: string | null;
  /** The base32 TOTP secret, for the one-time bootstrap print and tests; never logged. */
  totpSecret: string | null;
}

/** What ending or narrowing an account took away with it, for the audit log. */
export interface Revoked {
  sessions: string[];
  agentTokens: string[];
}

/** Why a login failed, for the audit log only: the caller always sees the same answer. */
export class LoginRefused extends UnauthorizedError {
  constructor(
    readonly reason: 'unknown-user' | 'disabled' | 'bad-password' | 'totp-missing' | 'bad-totp' | 'totp-replay',
    readonly accountId?: string,
  ) {
    super('invalid username, password or one-time code');
  }
}

/** A login refused before its password was checked: the account is waiting out failures, or has too many logins in flight. */
export class LoginThrottled extends TooManyRequestsError {
  constructor(
    readonly reason: 'throttled' | 'busy',
    readonly accountId: string | undefined,
    retryAfter: number,
  ) {
    super(`login: too many attempts for this account; retry in ${retryAfter} s`, retryAfter);
  }
}

/** How a role that needs a second factor gets one: issued with the account (shown once to whoever made it), or enrolled by its user at first login. */
export type SecondFactor = 'issue' | 'at-first-login';

/** A one-time code that did not match the second factor being enrolled: counted like a failed login. */
export class EnrolmentCodeRefused extends InputError {
  constructor(readonly accountId: string) {
    super('code', 'does not match the new second factor; check the device clock and try the next code');
  }
}

/** A current password that did not match, on a password change: counted like a failed login. */
export class PasswordRefused extends InputError {
  constructor(readonly accountId: string) {
    super('currentPassword', 'does not match');
  }
}

const view = (row: AccountRow, now: Date): AccountView => ({
  id: row.id,
  username: row.username,
  role: row.role as Role,
  schools: [...row.schools].sort(),
  totpEnrolled: row.totpSealed !== null,
  mustEnrolTotp: TOTP_ROLES.has(row.role as Role) && row.totpSealed === null,
  mustChangePassword: row.mustChangePassword,
  disabled: row.disabledAt !== null,
  throttledUntil: row.throttledUntil && row.throttledUntil > now ? row.throttledUntil.toISOString() : null,
  createdAt: row.createdAt.toISOString(),
});

/** The columns of a reserved attempt, as PostgreSQL returns them. */
interface ReservedRow {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  schools: string[];
  totp_sealed: Buffer | null;
  totp_pending_sealed: Buffer | null;
  totp_last_step: string | null;
  failed_logins: number;
}

/** A generated password: 128 bits, readable. */
const newPassword = () => randomBytes(16).toString('base64url');

/** An in-flight count older than this is left over from a process that died mid-login. */
const STALE_LOGIN_MS = 60_000;
/** Unknown usernames whose failures are remembered, the least recently tried forgotten first. */
const MAX_DECOYS = 10_000;

/** A pending secret is sealed under its own context, so it can never be mistaken for the enrolled one. */
const pendingContext = (accountId: string) => `${accountId}:pending`;

const isUniqueViolation = (error: unknown) => (error as { driverError?: { code?: string } }).driverError?.code === '23505';

function checkScope(role: Role, schools: string[]): void {
  if (SCOPED_ROLES.has(role) && schools.length === 0) throw new InputError('schools', `a ${role} needs at least one school`);
  if (!SCOPED_ROLES.has(role) && schools.length > 0) throw new InputError('schools', `a ${role} reaches every school; list none`);
}

export class Accounts {
  /** Verified when the username is unknown, so that a miss costs as much as a hit. */
  private decoy: Promise<string> = hash(randomBytes(16).toString('hex'));
  /**
   * Failures of unknown and disabled usernames, throttled like real ones so that a 429 does not tell that an account
   * exists. Kept per process: the real accounts' count is the one that must hold across replicas.
   */
  private readonly decoys = new Map<string, { failures: number; untilMs: number }>();

  private constructor(
    private readonly dataSource: DataSource,
    private readonly sealingKey: Buffer,
    private readonly throttle: LoginThrottlePolicy,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; sealingKey: Buffer; throttle?: LoginThrottlePolicy; now?: () => Date }): Accounts {
    if (deps.sealingKey.length !== 32) throw new Error('the sealing key must be 32 bytes');
    return new Accounts(deps.dataSource, deps.sealingKey, deps.throttle ?? DEFAULT_LOGIN_THROTTLE, deps.now ?? (() => new Date()));
  }

  private get repo() {
    return this.dataSource.getRepository(AccountRow);
  }

  async count(): Promise<number> {
    return this.repo.count();
  }

  async list(): Promise<AccountView[]> {
    const now = this.now();
    return (await this.repo.find({ order: { username: 'ASC' } })).map((row) => view(row, now));
  }

  async get(id: string): Promise<AccountView | undefined> {
    const row = await this.repo.findOneBy({ id });
    return row ? view(row, this.now()) : undefined;
  }

  async byUsername(username: string): Promise<AccountView | undefined> {
    const row = await this.repo.findOneBy({ username });
    return row ? view(row, this.now()) : undefined;
  }

  /**
   * Creates an account with a generated password (and a TOTP secret for roles that need one), returned once. A
   * generated password must be changed at first login unless the caller says otherwise.
   */
  async create(input: { username: string; role: Role; schools: string[]; password?: string; mustChangePassword?: boolean; secondFactor?: SecondFactor }): Promise<NewAccount> {
    checkScope(input.role, input.schools);
    const id = randomUUID();
    const password = input.password ?? newPassword();
    const totpSecret = TOTP_ROLES.has(input.role) && input.secondFactor !== 'at-first-login' ? newTotpSecret() : null;
    const row = this.repo.create({
      id,
      username: input.username,
      passwordHash: await hash(password),
      role: input.role,
      schools: [...new Set(input.schools)].sort(),
      totpSealed: totpSecret ? seal(this.sealingKey, totpSecret, id) : null,
      failedLogins: 0,
      throttledUntil: null,
      loginsInFlight: 0,
      loginStartedAt: null,
      mustChangePassword: input.mustChangePassword ?? true,
      passwordChangedAt: null,
      disabledAt: null,
      totpLastStep: null,
      createdAt: this.now(),
    });
    try {
      await this.repo.insert(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('username', `${input.username} is taken`);
      throw error;
    }
    return { account: view(row, this.now()), initialPassword: password, totpUri: totpSecret ? totpUri('Posbon', input.username, totpSecret) : null, totpSecret };
  }

  /**
   * Checks a password (and a TOTP code for roles that need one). The attempt is counted as a failure in the same
   * statement that lets it through, before argon2 runs, so concurrent attempts cannot outrun the count; success
   * takes back this attempt's count and those before it. Every refusal looks the same to the caller.
   */
  async verifyLogin(username: string, password: string, totp: string | undefined): Promise<AccountView> {
    const attempt = await this.reserve('username', username);
    let ok = false;
    try {
      if (!(await verify(attempt.password_hash, password))) throw new LoginRefused('bad-password', attempt.id);
      const step = this.checkTotp(attempt, totp);
      const row = await this.succeed(attempt, step);
      if (!row) throw new LoginRefused('totp-replay', attempt.id);
      ok = true;
      return view(row, this.now());
    } finally {
      if (!ok) await this.release(attempt.id);
    }
  }

  /**
   * Offers a new second factor to an account whose role needs one and that has none yet; it takes effect only when
   * a code from it is confirmed. Asking again replaces the offer, so a lost QR code costs nothing.
   */
  async beginTotpEnrolment(accountId: string): Promise<{ totpUri: string }> {
    const row = await this.repo.findOneBy({ id: accountId });
    if (!row || row.disabledAt) throw new NotFoundError('accountId', `no account ${accountId}`);
    if (!TOTP_ROLES.has(row.role as Role)) throw new ConflictError('totp', `a ${row.role} signs in without a second factor`);
    if (row.totpSealed) throw new ConflictError('totp', 'a second factor is already set up; an administrator can reset it');
    const secret = newTotpSecret();
    await this.repo.update({ id: accountId }, { totpPendingSealed: seal(this.sealingKey, secret, pendingContext(accountId)) });
    return { totpUri: totpUri('Posbon', row.username, secret) };
  }

  /** Makes the offered second factor the account's own once a code from it matches; throttled like a login. */
  async confirmTotpEnrolment(accountId: string, code: string): Promise<AccountView> {
    // Nothing to confirm is not a guess: refused before the attempt is counted.
    const row = await this.repo.findOneBy({ id: accountId });
    if (row?.totpSealed) throw new ConflictError('totp', 'a second factor is already set up');
    if (row && !row.totpPendingSealed) throw new ConflictError('totp', 'no second factor is being set up; start again');
    const attempt = await this.reserve('id', accountId);
    let ok = false;
    try {
      if (attempt.totp_sealed || !attempt.totp_pending_sealed) throw new ConflictError('totp', 'the second factor changed meanwhile; start again');
      const secret = unseal(this.sealingKey, attempt.totp_pending_sealed, pendingContext(accountId));
      const step = matchTotp(secret, code, this.now());
      if (step === undefined) throw new EnrolmentCodeRefused(accountId);
      const row = await this.succeed(attempt, step, { totpSealed: seal(this.sealingKey, secret, accountId) });
      if (!row) throw new EnrolmentCodeRefused(accountId);
      ok = true;
      return view(row, this.now());
    } finally {
      if (!ok) await this.release(attempt.id);
    }
  }

  /** Replaces the password after checking the current one (throttled like a login); clears the forced change. */
  async changePassword(accountId: string, current: string, next: string): Promise<AccountView> {
    if (next === current) throw new InputError('newPassword', 'must differ from the current password');
    const attempt = await this.reserve('id', accountId);
    let ok = false;
    try {
      if (!(await verify(attempt.password_hash, current))) throw new PasswordRefused(accountId);
      if (next.toLowerCase().includes(attempt.username.toLowerCase())) throw new InputError('newPassword', 'must not contain the username');
      const row = await this.succeed(attempt, undefined, { passwordHash: await hash(next) });
      if (!row) throw new NotFoundError('accountId', `no account ${accountId}`);
      ok = true;
      return view(row, this.now());
    } finally {
      if (!ok) await this.release(attempt.id);
    }
  }

  /**
   * Counts one attempt and lets it through, or says why not. One conditional UPDATE checks the throttle, counts the
   * attempt and takes an in-flight slot, so every replica and every concurrent request sees the same count. An
   * attempt refused for too many logins in flight is counted too: sending many at once buys no extra guesses.
   */
  private async reserve(by: 'username' | 'id', value: string): Promise<ReservedRow> {
    const now = this.now();
    const { freeFailures, baseDelayMs, maxDelayMs, maxInFlight } = this.throttle;
    const [rows] = (await this.dataSource.query(
      `UPDATE account a SET
         failed_logins = a.failed_logins + 1,
         throttled_until = CASE WHEN a.failed_logins + 1 >= $3
           THEN $2::timestamptz + LEAST($5::float8, $4::float8 * power(2, LEAST(a.failed_logins + 1 - $3, $8))) * interval '1 millisecond'
           ELSE a.throttled_until END,
         logins_in_flight = CASE WHEN NOT o.admitted THEN a.logins_in_flight WHEN o.stale THEN 1 ELSE a.logins_in_flight + 1 END,
         login_started_at = CASE WHEN o.admitted THEN $2::timestamptz ELSE a.login_started_at END
       FROM (
         SELECT id, COALESCE(login_started_at < $7::timestamptz, false) AS stale,
           (logins_in_flight < $6 OR COALESCE(login_started_at < $7::timestamptz, false)) AS admitted
         FROM account WHERE ${by === 'id' ? 'id = $1::uuid' : 'username = $1'} FOR UPDATE
       ) o
       WHERE a.id = o.id AND a.disabled_at IS NULL
         AND (a.failed_logins < $3 OR a.throttled_until IS NULL OR a.throttled_until <= $2::timestamptz)
       RETURNING a.id, a.username, a.password_hash, a.role, a.schools, a.totp_sealed, a.totp_pending_sealed, a.totp_last_step, a.failed_logins, o.admitted`,
      [value, now, freeFailures, baseDelayMs, maxDelayMs, maxInFlight, new Date(now.getTime() - STALE_LOGIN_MS), MAX_DOUBLINGS],
    )) as [Array<ReservedRow & { admitted: boolean }>, number];
    const reserved = rows[0];
    if (reserved?.admitted) return reserved;
    if (reserved) throw new LoginThrottled('busy', reserved.id, 1);
    const row = await this.repo.findOneBy(by === 'id' ? { id: value } : { username: value });
    if (!row || row.disabledAt) {
      this.countDecoy(value, row?.id, now);
      await verify(await this.decoy, randomBytes(8).toString('hex'));
      throw new LoginRefused(row ? 'disabled' : 'unknown-user', row?.id);
    }
    throw new LoginThrottled('throttled', row.id, retryAfterSeconds(row.throttledUntil ?? now, now));
  }

  /** Counts a failure of a name with no usable account, or refuses it as a real account would be refused. */
  private countDecoy(name: string, accountId: string | undefined, now: Date): void {
    const entry = this.decoys.get(name) ?? { failures: 0, untilMs: 0 };
    if (entry.failures >= this.throttle.freeFailures && entry.untilMs > now.getTime()) {
      throw new LoginThrottled('throttled', accountId, retryAfterSeconds(new Date(entry.untilMs), now));
    }
    entry.failures += 1;
    entry.untilMs = now.getTime() + throttleDelayMs(this.throttle, entry.failures);
    this.decoys.delete(name);
    this.decoys.set(name, entry);
    if (this.decoys.size > MAX_DECOYS) this.decoys.delete(this.decoys.keys().next().value!);
  }

  /**
   * The TOTP step a code matches, for roles that need one; a missing code counts as a wrong one. A role without a
   * second factor yet signs in with the password alone into a session that may only enrol one.
   */
  private checkTotp(attempt: ReservedRow, totp: string | undefined): number | undefined {
    if (!TOTP_ROLES.has(attempt.role as Role)) return undefined;
    if (!attempt.totp_sealed) return undefined;
    if (totp === undefined) throw new LoginRefused('totp-missing', attempt.id);
    const last = attempt.totp_last_step === null ? undefined : Number(attempt.totp_last_step);
    const step = matchTotp(unseal(this.sealingKey, attempt.totp_sealed, attempt.id), totp, this.now(), last);
    if (step === undefined) throw new LoginRefused('bad-totp', attempt.id);
    return step;
  }

  /**
   * Ends a good attempt: consumes the TOTP step (once: a step already used loses the race and yields undefined),
   * takes back the failures counted up to this attempt, and frees its in-flight slot, in one statement.
   */
  private async succeed(
    attempt: ReservedRow,
    step: number | undefined,
    change?: { passwordHash: string } | { totpSealed: Buffer },
  ): Promise<AccountRow | undefined> {
    const now = this.now();
    const [set, values] =
      change === undefined
        ? ['', []]
        : 'passwordHash' in change
          ? [', password_hash = $5, must_change_password = false, password_changed_at = $6', [change.passwordHash, now]]
          : [', totp_sealed = $5, totp_pending_sealed = NULL', [change.totpSealed]];
    const [rows] = (await this.dataSource.query(
      `UPDATE account SET
         failed_logins = GREATEST(failed_logins - $2, 0),
         throttled_until = CASE WHEN failed_logins - $2 >= $3 THEN throttled_until ELSE NULL END,
         logins_in_flight = GREATEST(logins_in_flight - 1, 0),
         totp_last_step = COALESCE($4::bigint, totp_last_step)
         ${set}
       WHERE id = $1 AND disabled_at IS NULL AND ($4::bigint IS NULL OR totp_last_step IS NULL OR totp_last_step < $4::bigint)
       RETURNING id`,
      [attempt.id, attempt.failed_logins, this.throttle.freeFailures, step ?? null, ...values],
    )) as [Array<{ id: string }>, number];
    if (!rows[0]) return undefined;
    return (await this.repo.findOneBy({ id: attempt.id })) ?? undefined;
  }

  /** Frees the in-flight slot of a failed attempt; its failure stays counted. */
  private async release(id: string): Promise<void> {
    await this.dataSource.query('UPDATE account SET logins_in_flight = GREATEST(logins_in_flight - 1, 0) WHERE id = $1', [id]);
  }

  /**
   * Changes role and schools. Sessions end (their tokens carry the old role), and agent tokens the account issued
   * for schools it no longer reaches are revoked.
   */
  async update(id: string, change: { role?: Role | undefined; schools?: string[] | undefined }): Promise<{ before: AccountView; after: AccountView; revoked: Revoked }> {
    return this.dataSource.transaction(async (tx) => {
      const row = await this.locked(tx, id);
      const now = this.now();
      const before = view(row, now);
      const role = change.role ?? before.role;
      const schools = [...new Set(change.schools ?? (SCOPED_ROLES.has(role) === SCOPED_ROLES.has(before.role) ? before.schools : []))].sort();
      checkScope(role, schools);
      if (before.role === 'SUPER_ADMIN' && role !== 'SUPER_ADMIN') await this.keepOneSuperAdmin(tx, row, 'demoted');
      await tx.getRepository(AccountRow).update({ id }, { role, schools });
      const after = view({ ...row, role, schools } as AccountRow, now);
      const revoked = {
        sessions: await revokeSessionsOf(tx, id, 'account-changed', now),
        agentTokens: await revokeAgentTokensIssuedBy(tx, id, now, SCOPED_ROLES.has(role) ? schools : []),
      };
      return { before, after, revoked };
    });
  }

  /** Disables an account: it cannot log in or refresh, and its sessions and the agent tokens it issued end now. */
  async disable(id: string): Promise<{ account: AccountView; revoked: Revoked }> {
    return this.dataSource.transaction(async (tx) => {
      const row = await this.locked(tx, id);
      if (row.role === 'SUPER_ADMIN' && !row.disabledAt) await this.keepOneSuperAdmin(tx, row, 'disabled');
      const now = this.now();
      row.disabledAt ??= now;
      await tx.getRepository(AccountRow).update({ id }, { disabledAt: row.disabledAt });
      return { account: view(row, now), revoked: await this.revokeAll(tx, id, 'account-disabled', now) };
    });
  }

  async enable(id: string): Promise<AccountView> {
    return this.dataSource.transaction(async (tx) => {
      const row = await this.locked(tx, id);
      await tx.getRepository(AccountRow).update({ id }, { disabledAt: null });
      return view({ ...row, disabledAt: null } as AccountRow, this.now());
    });
  }

  /** Deletes an account after ending its sessions and the agent tokens it issued. */
  async remove(id: string): Promise<{ account: AccountView; revoked: Revoked }> {
    return this.dataSource.transaction(async (tx) => {
      const row = await this.locked(tx, id);
      if (row.role === 'SUPER_ADMIN' && !row.disabledAt) await this.keepOneSuperAdmin(tx, row, 'deleted');
      const now = this.now();
      const revoked = await this.revokeAll(tx, id, 'account-deleted', now);
      await tx.getRepository(AccountRow).delete({ id });
      return { account: view(row, now), revoked };
    });
  }

  /**
   * Sets a new generated password (to be changed at next login) and, for roles that need one, a new TOTP secret;
   * lifts the throttle and ends every session. For an admin who lost a password or an authenticator.
   */
  async resetCredentials(id: string, secondFactor: SecondFactor = 'issue'): Promise<NewAccount & { revoked: Revoked }> {
    const password = newPassword();
    const passwordHash = await hash(password);
    return this.dataSource.transaction(async (tx) => {
      const row = await this.locked(tx, id);
      const now = this.now();
      const totpSecret = TOTP_ROLES.has(row.role as Role) && secondFactor === 'issue' ? newTotpSecret() : null;
      const changed = {
        passwordHash,
        totpSealed: totpSecret ? seal(this.sealingKey, totpSecret, id) : null,
        totpPendingSealed: null,
        totpLastStep: null,
        mustChangePassword: true,
        failedLogins: 0,
        throttledUntil: null,
        loginsInFlight: 0,
      };
      await tx.getRepository(AccountRow).update({ id }, changed);
      return {
        account: view({ ...row, ...changed } as AccountRow, now),
        initialPassword: password,
        totpUri: totpSecret ? totpUri('Posbon', row.username, totpSecret) : null,
        totpSecret,
        revoked: { sessions: await revokeSessionsOf(tx, id, 'credentials-reset', now), agentTokens: [] },
      };
    });
  }

  /** Lifts the login throttle of an account, e.g. after a burst of guesses that has stopped. */
  async unlock(id: string): Promise<AccountView> {
    const row = await this.repo.findOneBy({ id });
    if (!row) throw new NotFoundError('accountId', `no account ${id}`);
    await this.repo.update({ id }, { failedLogins: 0, throttledUntil: null, loginsInFlight: 0 });
    return view({ ...row, failedLogins: 0, throttledUntil: null } as AccountRow, this.now());
  }

  private async locked(tx: EntityManager, id: string): Promise<AccountRow> {
    // Lifecycle changes are rare: one at a time, so that two admins cannot remove each other at once.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('posbon.account-lifecycle'))");
    const row = await tx.getRepository(AccountRow).createQueryBuilder('a').setLock('pessimistic_write').where('a.id = :id', { id }).getOne();
    if (!row) throw new NotFoundError('accountId', `no account ${id}`);
    return row;
  }

  /** Refuses to take away the last enabled SUPER_ADMIN: nobody could administer accounts any more. */
  private async keepOneSuperAdmin(tx: EntityManager, row: AccountRow, what: string): Promise<void> {
    const others = (await tx.query(
      `SELECT id FROM account WHERE role = 'SUPER_ADMIN' AND disabled_at IS NULL AND id <> $1`,
      [row.id],
    )) as Array<{ id: string }>;
    if (others.length === 0) throw new ConflictError('accountId', `${row.username} is the last enabled SUPER_ADMIN and cannot be ${what}`);
  }

  private async revokeAll(tx: EntityManager, id: string, reason: string, at: Date): Promise<Revoked> {
    return { sessions: await revokeSessionsOf(tx, id, reason, at), agentTokens: await revokeAgentTokensIssuedBy(tx, id, at) };
  }
}
