// A viewer of MediaMTX: a JWKS that MediaMTX trusts, tokens for paths, and an HLS reader.
import { createServer } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { VIEWER_TOKEN_ISSUER, viewerTokenAudience } from '../../operator/core/viewer-token.js';
import { freePort } from './process.js';

export interface Jwks {
  url: string;
  /** A viewer token granting `read` on one path, valid for `expiresIn` (e.g. '5m', '-1m' for an expired one). */
  sign(path: string, expiresIn?: string): Promise<string>;
  stop(): Promise<void>;
}

/** A JWKS and the tokens the API would sign for media node `node` (its issuer and that node as audience). */
export async function startJwks(node: string): Promise<Jwks> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    sign: (path, expiresIn = '5m') =>
      new SignJWT({ mediamtx_permissions: [{ action: 'read', path }] })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(VIEWER_TOKEN_ISSUER)
        .setAudience(viewerTokenAudience(node))
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(privateKey),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Reads one HLS segment of `path` from a MediaMTX HLS server: the HTTP status of the first refusal, or 200 once a
 * non-empty segment arrived; throws while the stream is still starting.
 */
export async function readHlsSegment(hlsPort: number, path: string, token: string | undefined, host = '127.0.0.1'): Promise<number> {
  const base = `http://${host}:${hlsPort}/${path}`;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const index = await fetch(`${base}/index.m3u8`, { headers });
  if (index.status !== 200) return index.status;
  const variant = (await index.text()).split('\n').find((l) => /\.m3u8(\?|$)/.test(l));
  const media = await (await fetch(`${base}/${variant}`, { headers })).text();
  const segment = media.split('\n').find((l) => /\.(mp4|m4s|ts)(\?|$)/.test(l));
  if (!segment) throw new Error('no segment yet');
  const res = await fetch(`${base}/${segment}`, { headers });
  return (await res.arrayBuffer()).byteLength > 0 ? res.status : 0;
}
