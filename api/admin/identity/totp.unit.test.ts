import { base32Decode, base32Encode, matchTotp, totpCode } from './totp.js';

// RFC 6238 appendix B, SHA-1 column, truncated to 6 digits (the test vectors' last six digits).
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
const VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP', () => {
  it.each(VECTORS)('matches the RFC 6238 vector at t=%i', (seconds, eight) => {
    expect(totpCode(RFC_SECRET, Math.floor(seconds / 30), 8)).toBe(eight);
    expect(totpCode(RFC_SECRET, Math.floor(seconds / 30))).toBe(eight.slice(2));
  });

  it('round-trips base32 secrets', () => {
    expect(base32Encode(RFC_SECRET)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(RFC_SECRET);
  });

  it('accepts one step of drift, refuses two, and refuses a step already used', () => {
    const secret = base32Encode(RFC_SECRET);
    const at = new Date(1111111111_000);
    const step = Math.floor(1111111111 / 30);
    expect(matchTotp(secret, totpCode(RFC_SECRET, step), at)).toBe(step);
    expect(matchTotp(secret, totpCode(RFC_SECRET, step - 1), at)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(RFC_SECRET, step - 2), at)).toBeUndefined();
    expect(matchTotp(secret, totpCode(RFC_SECRET, step), at, step)).toBeUndefined();
    expect(matchTotp(secret, '000000', at)).toBeUndefined();
  });
});
