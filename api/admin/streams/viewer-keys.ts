// The keys that sign viewer tokens for MediaMTX. A rotated-out key stays in the JWKS until every token it signed
// has expired, so rotation never cuts a live viewer off. MediaMTX caches the JWKS it fetched, so a new key is
// published (staged) before it signs.
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import {
  MAX_VIEWER_TOKEN_SECONDS,
  VIEWER_TOKEN_ISSUER,
  viewerTokenAudience,
  viewerTokenSubject,
} from '../../../operator/core/index.js';

const ALG = 'ES256';
/** Viewer tokens live at most five minutes; the media nodes' session expiry relies on the same bound. */
export const MAX_VIEWER_TTL_SECONDS = MAX_VIEWER_TOKEN_SECONDS;

interface SigningKey {
  kid: string;
  /** Imported once; signing is synchronous node:crypto, no WebCrypto job per token. */
  privateKey: KeyObject;
  /** The JWS protected header, encoded once. */
  header: string;
  publicJwk: JWK;
  /** When it stopped signing; published until this plus the token lifetime. */
  retiredAt?: Date;
}

export interface ViewerGrant {
  token: string;
  expiresAt: Date;
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
  if (!jwk.kid) throw new Error('every viewer signing key needs a kid');
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) throw new Error(`viewer signing key ${jwk.kid}: expected a private EC P-256 JWK`);
  const privateKey = createPrivateKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x!, y: jwk.y!, d: jwk.d }, format: 'jwk' });
  const header = base64url({ alg: ALG, kid: jwk.kid, typ: 'JWT' });
  const { d: _d, ...publicPart } = jwk;
  return { kid: jwk.kid, privateKey, header, publicJwk: { ...publicPart, alg: ALG, use: 'sig' } };
}

/** A new private key as a JWK, for `npm run keys` and the embedded default. */
export async function generateViewerKeyJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ALG };
}

export class ViewerKeys {
  private constructor(
    private keys: SigningKey[],
    readonly ttlSeconds: number,
    private readonly now: () => Date,
  ) {}

  /**
   * `jwks` are private JWKs: the first signs, the others are published only — the previous key while its tokens
   * live, or the next key staged ahead of a rotation. Keys from the configuration stay published while configured.
   * Without any, one key is generated in memory (the embedded default; refused in production by the config).
   */
  static async create(deps: { jwks?: JWK[]; ttlSeconds?: number; now?: () => Date }): Promise<ViewerKeys> {
    const ttl = deps.ttlSeconds ?? MAX_VIEWER_TTL_SECONDS;
    if (ttl < 1 || ttl > MAX_VIEWER_TTL_SECONDS) throw new Error(`viewer tokens live 1 to ${MAX_VIEWER_TTL_SECONDS} seconds`);
    const now = deps.now ?? (() => new Date());
    const given = deps.jwks && deps.jwks.length > 0 ? deps.jwks : [await generateViewerKeyJwk()];
    return new ViewerKeys(await Promise.all(given.map(fromPrivateJwk)), ttl, now);
  }

  private staged: SigningKey | undefined;

  /** Publishes the next key without signing with it, so media nodes fetch it before the first token needs it. */
  async stage(next?: JWK): Promise<string> {
    this.staged = await fromPrivateJwk(next ?? (await generateViewerKeyJwk()));
    return this.staged.kid;
  }

  /** Starts signing with the staged key (or a new one); the old one stays published for one token lifetime. */
  async rotate(next?: JWK): Promise<string> {
    const key = next ? await fromPrivateJwk(next) : (this.staged ?? (await fromPrivateJwk(await generateViewerKeyJwk())));
    this.staged = undefined;
    const now = this.now();
    this.keys[0]!.retiredAt ??= now;
    this.keys = [key, ...this.keys.filter((k) => k.kid !== key.kid)];
    this.prune();
    return key.kid;
  }

  /** The public keys MediaMTX needs: the signing key and every retired key whose tokens may still be live. */
  jwks(): { keys: JWK[] } {
    this.prune();
    return { keys: [...this.keys, ...(this.staged ? [this.staged] : [])].map((k) => ({ ...k.publicJwk })) };
  }

  currentKid(): string {
    return this.keys[0]!.kid;
  }

  /** A token granting `read` on exactly these MediaMTX paths of one media node. */
  async sign(accountId: string, paths: string[], node: string): Promise<ViewerGrant> {
    const key = this.keys[0]!;
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const exp = issuedAt + this.ttlSeconds;
    const expiresAt = new Date(exp * 1000);
    const claims = {
      mediamtx_permissions: paths.map((path) => ({ action: 'read', path })),
      iss: VIEWER_TOKEN_ISSUER,
      aud: viewerTokenAudience(node),
      sub: viewerTokenSubject(accountId, exp),
      iat: issuedAt,
      exp,
    };
    const signingInput = `${key.header}.${base64url(claims)}`;
    // ES256 in JWS is the raw r||s pair (IEEE P1363), not DER.
    const signature = sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return { token: `${signingInput}.${signature}`, expiresAt };
  }

  private prune(): void {
    const cutoff = this.now().getTime() - this.ttlSeconds * 1000;
    this.keys = this.keys.filter((k, i) => i === 0 || !k.retiredAt || k.retiredAt.getTime() > cutoff);
  }
}
