// Request and response shapes of agent pairing; the OpenAPI document is generated from them.
import { z } from 'zod';
import { resourceId } from '../schemas.js';

export const pairedAgentParams = z.object({ schoolId: resourceId('school'), agentId: z.uuid('must be a paired agent id (UUID)') });

export const pairingCode = z
  .object({
    code: z.string().describe('XXXX-XXXX from an alphabet without 0/O or 1/I/L; single use; shown once.'),
    schoolId: z.string(),
    expiresAt: z.string(),
  })
  .meta({ id: 'PairingCode' });

export const pairRequest = z
  .object({
    code: z
      .string()
      .trim()
      .transform((v) => v.toUpperCase().replace(/[\s-]/g, ''))
      .pipe(z.string().regex(/^[2-9A-HJKMNP-Z]{8}$/, 'must be the 8-character code the school admin shows (XXXX-XXXX)')),
    label: z.string().trim().min(1, 'required').max(80, 'at most 80 characters').default('LAN agent'),
  })
  .strict()
  .meta({ id: 'PairRequest' });

export const agentRefreshRequest = z.object({ refreshToken: z.string().min(1, 'required').max(200) }).strict().meta({ id: 'AgentRefreshRequest' });

export const agentTokens = z
  .object({
    agentId: z.string(),
    schoolId: z.string(),
    accessToken: z.string().describe('Bearer token of the AGENT role on this school; refused at once when the agent is revoked.'),
    accessExpiresAt: z.string(),
    refreshToken: z.string().describe('Single use: each refresh returns a new one; a spent one shown again revokes the agent.'),
    refreshExpiresAt: z.string(),
  })
  .meta({ id: 'AgentTokens' });

export const pairedAgent = z
  .object({
    id: z.string(),
    schoolId: z.string(),
    label: z.string(),
    pairedBy: z.string().describe('The admin whose code paired it, accountable for what it proposes.'),
    createdAt: z.string(),
    expiresAt: z.string(),
    lastRefreshedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    revokedReason: z.string().nullable(),
  })
  .meta({ id: 'PairedAgent' });

export const pairedAgentList = z.object({ items: z.array(pairedAgent) });
