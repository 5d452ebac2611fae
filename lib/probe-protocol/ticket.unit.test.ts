import { randomBytes } from 'node:crypto';
import { admitTicket, parseTicketKeys, signProbeTicket, type TicketClaims } from './ticket.js';

const key = randomBytes(32);
const NOW = 1_800_000_000_000;
const claims: TicketClaims = { nvr: 'school-a/proposed-abc', host: '198.51.100.7', ports: [80, 554], rtspPort: 554, onvifPort: 80, node: 'media-1', exp: NOW / 1000 + 60 };
const target = { nvr: 'school-a/proposed-abc', host: '198.51.100.7', ports: [80, 554], rtspPort: 554, onvifPort: 80 };

describe('probe tickets', () => {
  test('a good ticket admits its target on a declared port, like an allowlist entry', () => {
    expect(admitTicket(signProbeTicket(key, claims), [key], 'media-1', 'school-a/proposed-abc', 554, NOW)).toEqual({ admitted: true, target });
  });

  test('a ticket signed by a second (rotated-in) key is admitted', () => {
    const next = randomBytes(32);
    expect(admitTicket(signProbeTicket(next, claims), [key, next], 'media-1', 'school-a/proposed-abc', 554, NOW)).toMatchObject({ admitted: true });
  });

  const tampered = () => {
    const [v, payload, sig] = signProbeTicket(key, claims).split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...claims, host: '10.0.0.1' })).toString('base64url');
    return `${v}.${forged === payload ? payload : forged}.${sig}`;
  };

  test.each([
    ['expired', signProbeTicket(key, { ...claims, exp: NOW / 1000 }), 'media-1', 'school-a/proposed-abc', 554, 'ticket: expired'],
    ['too long-lived', signProbeTicket(key, { ...claims, exp: NOW / 1000 + 121 }), 'media-1', 'school-a/proposed-abc', 554, 'ticket: lives longer than 120 s'],
    ['for another node', signProbeTicket(key, claims), 'media-2', 'school-a/proposed-abc', 554, 'ticket: issued for node media-1, not media-2'],
    ['for another NVR', signProbeTicket(key, claims), 'media-1', 'school-a/proposed-xyz', 554, 'ticket: issued for school-a/proposed-abc, not school-a/proposed-xyz'],
    ['on an undeclared port', signProbeTicket(key, claims), 'media-1', 'school-a/proposed-abc', 22, 'port 22 is not declared for school-a/proposed-abc'],
    ['signed with another key', signProbeTicket(randomBytes(32), claims), 'media-1', 'school-a/proposed-abc', 554, 'ticket: bad signature'],
    ['with tampered claims', tampered(), 'media-1', 'school-a/proposed-abc', 554, 'ticket: bad signature'],
    ['malformed', 'v1.abc', 'media-1', 'school-a/proposed-abc', 554, 'ticket: malformed'],
  ])('refuses a ticket %s', (_what, ticket, node, nvr, port, message) => {
    expect(admitTicket(ticket, [key], node, nvr, port, NOW)).toEqual({ admitted: false, message });
  });

  test('a sidecar without ticket keys refuses every ticket', () => {
    expect(admitTicket(signProbeTicket(key, claims), [], 'media-1', 'school-a/proposed-abc', 554, NOW)).toEqual({
      admitted: false,
      message: 'ticket: this sidecar accepts no tickets (no ticket key)',
    });
  });

  test('a ticket can only name a proposed NVR, never one of the allowlist', () => {
    expect(() => signProbeTicket(key, { ...claims, nvr: 'school-a/gate' })).toThrow('must name a proposed-<id> NVR');
  });

  test('keys shorter than 32 bytes are refused', () => {
    expect(() => signProbeTicket(randomBytes(16), claims)).toThrow('at least 32 bytes');
    expect(() => parseTicketKeys(randomBytes(16).toString('base64'))).toThrow('at least 32 bytes');
    expect(parseTicketKeys(`${key.toString('base64')}\n`)).toEqual([key]);
  });
});
