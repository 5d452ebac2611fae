// The viewer JWKS over TLS, for MediaMTX: it pins this listener's certificate, so no one on the path between a media
// node and the API can add a key of their own (plain HTTP would let them sign any viewer token).
import { X509Certificate, createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { ViewerKeys } from './viewer-keys.js';

export const JWKS_PATH = '/.well-known/jwks.json';

export interface JwksServer {
  server: Server;
  port: number;
  url: string;
  /** SHA-256 of the certificate (lower-case hex): the operator's POSBON_JWKS_FINGERPRINT. */
  fingerprint: string;
  close(): Promise<void>;
}

/** The fingerprint MediaMTX compares (authJWTJWKSFingerprint): SHA-256 of the leaf certificate's DER bytes. */
export const certificateFingerprint = (certPem: string | Buffer): string =>
  createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');

export async function listenJwks(options: { viewerKeys: ViewerKeys; cert: Buffer; key: Buffer; host: string; port: number }): Promise<JwksServer> {
  const server = createServer({ cert: options.cert, key: options.key, minVersion: 'TLSv1.2' }, (req, res) => {
    if (req.method !== 'GET' || req.url !== JWKS_PATH) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(options.viewerKeys.jwks()));
  });
  server.listen(options.port, options.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    server,
    port,
    url: `https://${host}:${port}${JWKS_PATH}`,
    fingerprint: certificateFingerprint(options.cert),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
