// RFC 6238 time-based one-time passwords (HMAC-SHA1, 6 digits, 30 s steps), as every authenticator app speaks them,
// through otpauth; what it does not do is ours: the step a code matched, so a code is refused a second time.
import { randomBytes } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

export const TOTP_STEP_SECONDS = 30;
const ALGORITHM = 'SHA1';
const DIGITS = 6;

export const base32Encode = (bytes: Buffer): string => new Secret({ buffer: Uint8Array.from(bytes).buffer }).base32;

export function base32Decode(text: string): Buffer {
  return Buffer.from(Secret.fromBase32(text.replace(/=+$/, '')).bytes);
}

/** A new 160-bit secret, base32 as authenticator apps expect it. */
export const newTotpSecret = (): string => base32Encode(randomBytes(20));

export const totpStep = (at: Date): number => Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS);

/** The code of one time step (RFC 4226 dynamic truncation). */
export function totpCode(secret: Buffer, step: number, digits = DIGITS): string {
  return HOTP.generate({ secret: new Secret({ buffer: Uint8Array.from(secret).buffer }), counter: step, digits, algorithm: ALGORITHM });
}

/**
 * The step a code matches, allowing one step of clock drift either way, or undefined.
 * Steps at or before `notAfterStep` are refused so that a code cannot be used twice.
 */
export function matchTotp(secretBase32: string, code: string, at: Date, notAfterStep?: number): number | undefined {
  if (!/^\d{6,8}$/.test(code)) return undefined;
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secretBase32),
    algorithm: ALGORITHM,
    digits: code.length,
    period: TOTP_STEP_SECONDS,
    timestamp: at.getTime(),
    window: 1,
  });
  if (delta === null) return undefined;
  const step = totpStep(at) + delta;
  return notAfterStep !== undefined && step <= notAfterStep ? undefined : step;
}

export const totpUri = (issuer: string, username: string, secretBase32: string): string =>
  new TOTP({ issuer, label: username, secret: Secret.fromBase32(secretBase32), algorithm: ALGORITHM, digits: DIGITS, period: TOTP_STEP_SECONDS }).toString();
