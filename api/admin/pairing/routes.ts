// Pairing routes: the admin's code, the agent's exchange and refresh (public, throttled, every refusal audited),
// and the admin's list and revocation of paired agents.
import type { RequestHandler } from 'express';
import { actorOf, type Principal } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import { route, type Route } from '../routes.js';
import { schoolParams } from '../schemas.js';
import { NotFoundError } from '../../../lib/errors/index.js';
import { AgentRefreshRefused, PairingRefused, PairingThrottled, type AgentPairing } from './agent-pairing.js';
import * as p from './schemas.js';

export function pairingRoutes(deps: {
  pairing: AgentPairing;
  audit: AuditLog;
  schoolExists(schoolId: string): boolean;
  /** Per-address request limits in front of the public exchange and refresh. */
  limit: RequestHandler;
}): Route[] {
  const { pairing, audit, schoolExists, limit } = deps;
  const denied = (action: string) => (ctx: { principal: Principal; params: unknown; requestId: string; reason: string }) =>
    audit.record({
      ...actorOf(ctx.principal),
      schoolId: (ctx.params as { schoolId?: string }).schoolId ?? null,
      requestId: ctx.requestId,
      action,
      params: { ...(ctx.params as Record<string, unknown>), reason: ctx.reason },
      result: 'denied',
    });
  return [
    route({
      method: 'post',
      path: '/schools/:schoolId/agent-pairing-codes',
      summary: 'Create a pairing code for the school\'s LAN agent: 8 characters, single use, 10 minutes; shown once',
      tag: 'agents',
      auth: 'agent-token:write',
      school: (params) => params.schoolId,
      params: schoolParams,
      response: p.pairingCode,
      status: 201,
      errors: [404, 409],
      denied: denied('agent.pairing-code'),
      handler: async ({ params, principal, requestId }) => {
        if (!schoolExists(params.schoolId)) throw new NotFoundError('schoolId', `no school ${params.schoolId}`);
        const code = await pairing.createCode(principal, params.schoolId);
        await audit.record({ ...actorOf(principal), schoolId: params.schoolId, requestId, action: 'agent.pairing-code', params: { expiresAt: code.expiresAt }, result: 'ok' });
        return code;
      },
    }),
    route({
      method: 'post',
      path: '/agent/pair',
      summary: 'Trade a pairing code for the agent\'s tokens; failed attempts from one address are throttled (429) and audited',
      tag: 'agents',
      auth: 'public',
      body: p.pairRequest,
      response: p.agentTokens,
      status: 201,
      errors: [429],
      before: [limit],
      handler: async ({ body, req, requestId }) => {
        const address = req.ip ?? 'unknown';
        try {
          const tokens = await pairing.pair(body.code, body.label, address);
          await audit.record({ actorType: 'agent', actorId: `agent:${tokens.agentId}`, schoolId: tokens.schoolId, requestId, action: 'agent.pair', params: { agent: tokens.agentId, label: body.label, address }, result: 'ok' });
          return tokens;
        } catch (error) {
          if (error instanceof PairingRefused || error instanceof PairingThrottled) {
            const schoolId = error instanceof PairingRefused ? error.schoolId : null;
            await audit.record({ actorType: 'agent', actorId: `address:${address}`, schoolId, requestId, action: 'agent.pair', params: { label: body.label, address }, result: error.reason });
          }
          throw error;
        }
      },
    }),
    route({
      method: 'post',
      path: '/agent/refresh',
      summary: 'Rotate the agent\'s refresh token; a spent one shown again revokes the agent',
      tag: 'agents',
      auth: 'public',
      body: p.agentRefreshRequest,
      response: p.agentTokens,
      errors: [429],
      before: [limit],
      handler: async ({ body, requestId }) => {
        try {
          const tokens = await pairing.refresh(body.refreshToken);
          await audit.record({ actorType: 'agent', actorId: `agent:${tokens.agentId}`, schoolId: tokens.schoolId, requestId, action: 'agent.refresh', params: { agent: tokens.agentId }, result: 'ok' });
          return tokens;
        } catch (error) {
          if (error instanceof AgentRefreshRefused) {
            await audit.record({ actorType: 'agent', actorId: error.familyId ? `agent:${error.familyId}` : 'unknown', schoolId: error.schoolId, requestId, action: 'agent.refresh', params: { agent: error.familyId }, result: error.reason });
          }
          throw error;
        }
      },
    }),
    route({
      method: 'get',
      path: '/schools/:schoolId/agents',
      summary: 'The school\'s paired agents, newest first (never their tokens)',
      tag: 'agents',
      auth: 'agent-token:read',
      school: (params) => params.schoolId,
      params: schoolParams,
      response: p.pairedAgentList,
      handler: async ({ params }) => ({ items: await pairing.list(params.schoolId) }),
    }),
    route({
      method: 'delete',
      path: '/schools/:schoolId/agents/:agentId',
      summary: 'Revoke a paired agent: its access token is refused at its next call, its refresh token at once',
      tag: 'agents',
      auth: 'agent-token:write',
      school: (params) => params.schoolId,
      params: p.pairedAgentParams,
      response: p.pairedAgent,
      errors: [404],
      denied: denied('agent.revoke'),
      handler: async ({ params, principal, requestId }) => {
        const revoked = await pairing.revoke(params.schoolId, params.agentId);
        await audit.record({ ...actorOf(principal), schoolId: params.schoolId, requestId, action: 'agent.revoke', params: { agent: params.agentId }, result: 'ok' });
        return revoked;
      },
    }),
  ];
}
