// Accounts: argon2id password hashes, sealed TOTP secrets, and lockout after repeated failures.
import { randomBytes, randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { DataSource } from 'typeorm';
import { AccountRow } from '../../db/entities/account.js';
import { ConflictError, InputError, UnauthorizedError } from '../../platform/errors.js';
import { SCOPED_ROLES, TOTP_ROLES, type Role } from '../access.js';
import { seal, unseal } from './sealing.js';
import { matchTotp, newTotpSecret, totpUri } from './totp.js';

export interface LockoutPolicy {
  maxFailures: number;
  lockMs: number;
}

export interface AccountView {
  id: string;
  username: string;
  role: Role;
  schools: string[];
  totpEnrolled: boolean;
  lockedUntil: string | null;
  createdAt: string;
}

export interface NewAccount {
  account: AccountView;
  initialPassword: string;
  totpUri: string | null;
  /** The base32 TOTP secret, for the one-time bootstrap print and tests; never logged. */
  totpSecret: string | null;
}

/** Why a login failed, for the audit log only: the caller always sees the same answer. */
export class LoginRefused extends UnauthorizedError {
  constructor(
    readonly reason: 'unknown-user' | 'bad-password' | 'locked' | 'totp-required' | 'bad-totp',
    readonly accountId?: string,
  ) {
    super(reason === 'totp-required' ? 'totp: a one-time code is required for this role' : 'invalid username, password or one-time code');
  }
}

const view = (row: AccountRow): AccountView => ({
  id: row.id,
  username: row.username,
  role: row.role as Role,
  schools: [...row.schools].sort(),
  totpEnrolled: row.totpSealed !== null,
  lockedUntil: row.lockedUntil?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
});

/** A generated password: 128 bits, readable. */
const newPassword = () => randomBytes(16).toString('base64url');

export class Accounts {
  /** Verified when the username is unknown, so that a miss costs as much as a hit. */
  private decoy: Promise<string> = hash(randomBytes(16).toString('hex'));

  private constructor(
    private readonly dataSource: DataSource,
    private readonly sealingKey: Buffer,
    private readonly lockout: LockoutPolicy,
    private readonly now: () => Date,
  ) {}

  static create(deps: { dataSource: DataSource; sealingKey: Buffer; lockout?: LockoutPolicy; now?: () => Date }): Accounts {
    if (deps.sealingKey.length !== 32) throw new Error('the sealing key must be 32 bytes');
    return new Accounts(
      deps.dataSource,
      deps.sealingKey,
      deps.lockout ?? { maxFailures: 5, lockMs: 15 * 60_000 },
      deps.now ?? (() => new Date()),
    );
  }

  private get repo() {
    return this.dataSource.getRepository(AccountRow);
  }

  async count(): Promise<number> {
    return this.repo.count();
  }

  async list(): Promise<AccountView[]> {
    return (await this.repo.find({ order: { username: 'ASC' } })).map(view);
  }

  async get(id: string): Promise<AccountView | undefined> {
    const row = await this.repo.findOneBy({ id });
    return row ? view(row) : undefined;
  }

  /** Creates an account with a generated password (and TOTP secret for roles that need one), returned once. */
  async create(input: { username: string; role: Role; schools: string[]; password?: string }): Promise<NewAccount> {
    if (SCOPED_ROLES.has(input.role) && input.schools.length === 0) {
      throw new InputError('schools', `a ${input.role} needs at least one school`);
    }
    if (!SCOPED_ROLES.has(input.role) && input.schools.length > 0) {
      throw new InputError('schools', `a ${input.role} reaches every school; list none`);
    }
    const id = randomUUID();
    const password = input.password ?? newPassword();
    const totpSecret = TOTP_ROLES.has(input.role) ? newTotpSecret() : null;
    const row = this.repo.create({
      id,
      username: input.username,
      passwordHash: await hash(password),
      role: input.role,
      schools: [...new Set(input.schools)].sort(),
      totpSealed: totpSecret ? seal(this.sealingKey, totpSecret, id) : null,
      failedLogins: 0,
      lockedUntil: null,
      totpLastStep: null,
      createdAt: this.now(),
    });
    try {
      await this.repo.insert(row);
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23505') {
        throw new ConflictError(`username: ${input.username} is taken`);
      }
      throw error;
    }
    return {
      account: view(row),
      initialPassword: password,
      totpUri: totpSecret ? totpUri('Posbon', input.username, totpSecret) : null,
      totpSecret,
    };
  }

  /**
   * Checks a password (and a TOTP code for roles that need one). Failures count toward a lockout; a locked
   * account is refused even with the right password until the lock ends.
   */
  async verifyLogin(username: string, password: string, totp: string | undefined): Promise<AccountView> {
    const row = await this.repo.findOneBy({ username });
    if (!row) {
      await verify(await this.decoy, password);
      throw new LoginRefused('unknown-user');
    }
    const now = this.now();
    if (row.lockedUntil && row.lockedUntil > now) throw new LoginRefused('locked', row.id);
    if (!(await verify(row.passwordHash, password))) {
      await this.fail(row, now);
      throw new LoginRefused('bad-password', row.id);
    }
    if (TOTP_ROLES.has(row.role as Role)) {
      if (!row.totpSealed) throw new LoginRefused('bad-totp', row.id);
      if (totp === undefined) throw new LoginRefused('totp-required', row.id);
      const last = row.totpLastStep === null ? undefined : Number(row.totpLastStep);
      const step = matchTotp(unseal(this.sealingKey, row.totpSealed, row.id), totp, now, last);
      if (step === undefined) {
        await this.fail(row, now);
        throw new LoginRefused('bad-totp', row.id);
      }
      row.totpLastStep = String(step);
    }
    row.failedLogins = 0;
    row.lockedUntil = null;
    await this.repo.update({ id: row.id }, { failedLogins: 0, lockedUntil: null, totpLastStep: row.totpLastStep });
    return view(row);
  }

  private async fail(row: AccountRow, now: Date): Promise<void> {
    // Counted in the database so that every API replica sees the same count.
    const [updated] = (await this.dataSource.query(
      `UPDATE account SET failed_logins = failed_logins + 1,
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
       WHERE id = $1 RETURNING failed_logins`,
      [row.id, this.lockout.maxFailures, new Date(now.getTime() + this.lockout.lockMs)],
    )) as [Array<{ failed_logins: number }>, number];
    if ((updated?.[0]?.failed_logins ?? 0) >= this.lockout.maxFailures) {
      await this.repo.update({ id: row.id }, { failedLogins: 0 });
    }
  }
}
