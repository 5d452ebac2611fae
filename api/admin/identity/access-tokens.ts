// Short-lived access tokens: HS256 JWTs carrying the caller's role and schools, checked without a database round trip.
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { UnauthorizedError } from '../../../lib/errors/index.js';
import { ROLES, type Principal, type Role } from '../access.js';

const ISSUER = 'posbon-api';
const AUDIENCE = 'posbon-admin';
/** The issue caps access tokens at 15 minutes; a longer setting is a configuration error. */
export const MAX_ACCESS_TTL_SECONDS = 15 * 60;

export interface AccessTokenClaims {
  accountId: string;
  username: string;
  role: Role;
  schools: string[];
  sessionId: string;
  /** Carried so that every route can refuse a generated password without a database round trip. */
  mustChangePassword?: boolean;
  /** Likewise for a role that needs a second factor and has none yet. */
  mustEnrolTotp?: boolean;
}

/** Verified tokens kept in memory; a client sends the same token for its whole life, so most requests hit. */
const VERIFIED_CACHE_SIZE = 10_000;

export class AccessTokens {
  /** token → who it names and when it expires (ms). A token cannot be revoked before expiry, so caching changes nothing. */
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();

  private constructor(
    private readonly key: Uint8Array,
    private readonly ttlSeconds: number,
    private readonly now: () => Date,
  ) {}

  static create(deps: { secret: Buffer; ttlSeconds: number; now?: () => Date }): AccessTokens {
    if (deps.secret.length < 32) throw new Error('the access token secret must be at least 32 bytes');
    if (deps.ttlSeconds < 1 || deps.ttlSeconds > MAX_ACCESS_TTL_SECONDS) {
      throw new Error(`access tokens live 1 to ${MAX_ACCESS_TTL_SECONDS} seconds`);
    }
    return new AccessTokens(new Uint8Array(deps.secret), deps.ttlSeconds, deps.now ?? (() => new Date()));
  }

  async sign(claims: AccessTokenClaims): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const expiresAt = new Date((issuedAt + this.ttlSeconds) * 1000);
    const token = await new SignJWT({
      usr: claims.username,
      role: claims.role,
      schools: claims.schools,
      sid: claims.sessionId,
      ...(claims.mustChangePassword ? { pwc: true } : {}),
      ...(claims.mustEnrolTotp ? { tte: true } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(claims.accountId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt };
  }

  async verify(token: string): Promise<Principal> {
    const cached = this.verified.get(token);
    if (cached) {
      if (this.now().getTime() < cached.expiresAtMs) return cached.principal;
      this.verified.delete(token);
      throw new UnauthorizedError('access token: expired');
    }
    const entry = await this.verifySignature(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, entry);
    return entry.principal;
  }

  private async verifySignature(token: string): Promise<{ principal: Principal; expiresAtMs: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: 'at+jwt',
        currentDate: this.now(),
      });
      const role = payload.role as Role;
      if (!ROLES.includes(role) || typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
        throw new UnauthorizedError('access token: malformed claims');
      }
      const schools = Array.isArray(payload.schools) ? payload.schools.filter((s): s is string => typeof s === 'string') : [];
      const principal: Principal = {
        accountId: payload.sub,
        username: typeof payload.usr === 'string' ? payload.usr : '',
        role,
        schools: new Set(schools),
        sessionId: payload.sid,
        ...(payload.pwc === true ? { mustChangePassword: true } : {}),
        ...(payload.tte === true ? { mustEnrolTotp: true } : {}),
      };
      return { principal, expiresAtMs: (payload.exp ?? 0) * 1000 };
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError('access token: expired');
      throw new UnauthorizedError('access token: invalid');
    }
  }
}
