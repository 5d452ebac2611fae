import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { ViewerKeys } from './viewer-keys.js';

describe('viewer tokens', () => {
  it('are ES256 JWTs for one media node that verify against the published JWKS, granting read on exactly the given paths', async () => {
    const now = new Date('2026-11-22T08:00:00Z');
    const keys = await ViewerKeys.create({ ttlSeconds: 300, now: () => now });
    const { token, expiresAt } = await keys.sign('account-1', ['school-a/gate/entrance', 'school-a/gate/entrance_sub'], 'node-a');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: keys.currentKid(), typ: 'JWT' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks() as never), {
      algorithms: ['ES256'],
      currentDate: now,
      issuer: 'posbon-api',
      audience: 'posbon-media-node:node-a',
    });
    expect(payload).toEqual({
      iss: 'posbon-api',
      aud: 'posbon-media-node:node-a',
      sub: `account-1@${now.getTime() / 1000 + 300}`,
      iat: now.getTime() / 1000,
      exp: now.getTime() / 1000 + 300,
      mediamtx_permissions: [
        { action: 'read', path: 'school-a/gate/entrance' },
        { action: 'read', path: 'school-a/gate/entrance_sub' },
      ],
    });
    expect(expiresAt).toEqual(new Date(now.getTime() + 300_000));
  });

  it('stop verifying after they expire, and a token of a key that is no longer published does not verify', async () => {
    let now = new Date('2026-11-22T08:00:00Z');
    const keys = await ViewerKeys.create({ ttlSeconds: 60, now: () => now });
    const { token } = await keys.sign('a', ['p'], 'node-a');
    now = new Date(now.getTime() + 61_000);
    await expect(jwtVerify(token, createLocalJWKSet(keys.jwks() as never), { currentDate: now })).rejects.toThrow('"exp" claim timestamp check failed');
    const other = await ViewerKeys.create({});
    await expect(jwtVerify(token, createLocalJWKSet(other.jwks() as never))).rejects.toThrow();
  });
});
