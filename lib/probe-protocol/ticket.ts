// Probe tickets: the API's signed, short-lived permission for one node to probe a proposed (not yet merged) NVR.
// The sidecar admits a ticket's target exactly like an allowlist entry; the guard, rate limit and audit line still apply.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { allowlistTargetSchema, type Admission, type AllowlistTarget } from './allowlist.js';

/** A ticket lives at most this long; a longer one is refused even when its signature is good. */
export const MAX_TICKET_SECONDS = 120;
/** Tickets name proposed NVRs only, so a ticket can never stand in for (or shadow) an NVR of the allowlist. */
export const PROPOSED_PREFIX = 'proposed-';
const VERSION = 'v1';
const DOMAIN = 'posbon-probe-ticket';
const MIN_KEY_BYTES = 32;

export const ticketClaimsSchema = z
  .object({
    nvr: allowlistTargetSchema.shape.nvr.refine((n) => n.split('/')[1]!.startsWith(PROPOSED_PREFIX), `must name a ${PROPOSED_PREFIX}<id> NVR`),
    host: allowlistTargetSchema.shape.host,
    ports: allowlistTargetSchema.shape.ports,
    rtspPort: allowlistTargetSchema.shape.rtspPort,
    onvifPort: allowlistTargetSchema.shape.onvifPort,
    node: z.string().min(1),
    /** Seconds since the epoch. */
    exp: z.number().int().positive(),
  })
  .strict();

export type TicketClaims = z.infer<typeof ticketClaimsSchema>;

const mac = (key: Buffer, payload: string): Buffer => createHmac('sha256', key).update(`${DOMAIN}.${VERSION}.${payload}`).digest();

function checkKey(key: Buffer): void {
  if (key.length < MIN_KEY_BYTES) throw new Error(`a probe ticket key must be at least ${MIN_KEY_BYTES} bytes`);
}

/** `v1.<claims as base64url JSON>.<base64url HMAC-SHA256>`. It never carries credentials. */
export function signProbeTicket(key: Buffer, claims: TicketClaims): string {
  checkKey(key);
  const parsed = ticketClaimsSchema.parse(claims);
  const payload = Buffer.from(JSON.stringify(parsed), 'utf8').toString('base64url');
  return `${VERSION}.${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * Admits `nvr` on `port` when the ticket is signed by one of `keys`, is for this node and this NVR, has not
 * expired, and declares the port. Refusals name the reason but never echo the ticket.
 */
export function admitTicket(ticket: string, keys: Buffer[], node: string, nvr: string, port: number | undefined, nowMs: number): Admission {
  if (keys.length === 0) return { admitted: false, message: 'ticket: this sidecar accepts no tickets (no ticket key)' };
  const [version, payload, signature, ...rest] = ticket.split('.');
  if (version !== VERSION || !payload || !signature || rest.length > 0) return { admitted: false, message: 'ticket: malformed' };
  const presented = Buffer.from(signature, 'base64url');
  let signed = false;
  for (const key of keys) {
    const expected = mac(key, payload);
    signed = (presented.length === expected.length && timingSafeEqual(presented, expected)) || signed;
  }
  if (!signed) return { admitted: false, message: 'ticket: bad signature' };
  let claims: TicketClaims;
  try {
    claims = ticketClaimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    return { admitted: false, message: 'ticket: malformed claims' };
  }
  const now = Math.floor(nowMs / 1000);
  if (claims.exp <= now) return { admitted: false, message: 'ticket: expired' };
  if (claims.exp > now + MAX_TICKET_SECONDS) return { admitted: false, message: `ticket: lives longer than ${MAX_TICKET_SECONDS} s` };
  if (claims.node !== node) return { admitted: false, message: `ticket: issued for node ${claims.node}, not ${node}` };
  if (claims.nvr !== nvr) return { admitted: false, message: `ticket: issued for ${claims.nvr}, not ${nvr}` };
  const target: AllowlistTarget = {
    nvr: claims.nvr,
    host: claims.host,
    ports: claims.ports,
    ...(claims.rtspPort !== undefined ? { rtspPort: claims.rtspPort } : {}),
    ...(claims.onvifPort !== undefined ? { onvifPort: claims.onvifPort } : {}),
  };
  if (port !== undefined && !target.ports.includes(port)) return { admitted: false, message: `port ${port} is not declared for ${nvr}` };
  return { admitted: true, target };
}

/** Ticket keys as the sidecar and the API read them: base64, at least 32 bytes each. */
export function parseTicketKeys(text: string): Buffer[] {
  return text
    .split(/\r?\n|,/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const key = Buffer.from(line, 'base64');
      checkKey(key);
      return key;
    });
}
