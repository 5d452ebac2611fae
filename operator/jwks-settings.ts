// Where media nodes fetch the viewer JWKS, from the operator's environment: only over TLS, pinned when a fingerprint
// is given, since whoever can answer that fetch can sign viewer tokens for every camera.
import { DEFAULT_RENDER_OPTIONS, type RenderOptions } from './core/mediamtx.js';

export function jwksSettings(env: NodeJS.ProcessEnv): Pick<RenderOptions, 'jwksUrl' | 'jwksFingerprint'> {
  const jwksUrl = env.POSBON_JWKS_URL || DEFAULT_RENDER_OPTIONS.jwksUrl;
  if (!jwksUrl.startsWith('https://')) {
    throw new Error('POSBON_JWKS_URL must be an https:// URL: over plain HTTP anyone on the path could add a signing key');
  }
  const given = env.POSBON_JWKS_FINGERPRINT;
  if (!given) return { jwksUrl };
  const jwksFingerprint = given.replaceAll(':', '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(jwksFingerprint)) throw new Error('POSBON_JWKS_FINGERPRINT must be the SHA-256 of the API\'s JWKS certificate (64 hex digits)');
  return { jwksUrl, jwksFingerprint };
}
