// WireGuard key pairs with Node's own crypto: Curve25519 keys in the base64 form `wg` reads and prints.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

const b64 = (base64url: string) => Buffer.from(base64url, 'base64url').toString('base64');

export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey: b64(privateKey.export({ format: 'jwk' }).d!), publicKey: b64(publicKey.export({ format: 'jwk' }).x!) };
}

/** The public key of a WireGuard private key, as `wg pubkey` prints it. */
export function publicKeyOf(privateKey: string): string {
  const d = Buffer.from(privateKey.trim(), 'base64');
  if (d.length !== 32) throw new Error('a WireGuard private key is 32 bytes of base64');
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: d.toString('base64url'), x: '' }, format: 'jwk' });
  return b64(createPublicKey(key).export({ format: 'jwk' }).x!);
}
