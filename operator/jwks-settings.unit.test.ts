import { jwksSettings } from './jwks-settings.js';

describe('the JWKS media nodes fetch', () => {
  it('is the API\'s TLS listener, pinned by the fingerprint given in any common spelling', () => {
    expect(jwksSettings({})).toEqual({ jwksUrl: 'https://posbon-api.posbon-system.svc:8443/.well-known/jwks.json' });
    const colons = Array(32).fill('AB').join(':');
    expect(jwksSettings({ POSBON_JWKS_URL: 'https://api.internal:8443/.well-known/jwks.json', POSBON_JWKS_FINGERPRINT: colons })).toEqual({
      jwksUrl: 'https://api.internal:8443/.well-known/jwks.json',
      jwksFingerprint: 'ab'.repeat(32),
    });
  });

  it('refuses plain HTTP and a malformed fingerprint in one line', () => {
    expect(() => jwksSettings({ POSBON_JWKS_URL: 'http://posbon-api:8080/.well-known/jwks.json' })).toThrow(
      'POSBON_JWKS_URL must be an https:// URL: over plain HTTP anyone on the path could add a signing key',
    );
    expect(() => jwksSettings({ POSBON_JWKS_FINGERPRINT: 'sha256:abc' })).toThrow("POSBON_JWKS_FINGERPRINT must be the SHA-256 of the API's JWKS certificate (64 hex digits)");
  });
});
