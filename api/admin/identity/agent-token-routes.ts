// LAN agent tokens of a school: issued once, listed without the token, revoked.
import { actorOf } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { FleetView } from '../fleet/fleet-view.js';
import { notFound, route, type Route } from '../routes.js';
import * as s from '../schemas.js';
import type { AgentTokens } from './agent-tokens.js';

export function agentTokenRoutes(deps: { fleet: FleetView; agentTokens: AgentTokens; audit: AuditLog }): Route[] {
  const { fleet, agentTokens, audit } = deps;
  return [
    route({
      method: 'post',
      path: '/schools/:schoolId/agent-tokens',
      summary: 'Issue a LAN agent token for the school: it proposes and tests this school\'s devices only; shown once',
      tag: 'agents',
      auth: 'agent-token:write',
      school: (p) => p.schoolId,
      params: s.schoolParams,
      body: s.issueAgentTokenRequest,
      response: s.issuedAgentToken,
      status: 201,
      errors: [404, 409],
      handler: async ({ params, body, principal, requestId }) => {
        if (!fleet.school(params.schoolId)) notFound('schoolId', params.schoolId);
        const issued = await agentTokens.issue(principal, params.schoolId, body.label, body.ttlHours);
        await audit.record({ ...actorOf(principal), schoolId: params.schoolId, requestId, action: 'agent-token.issue', params: { agent: issued.id, label: body.label, expiresAt: issued.expiresAt }, result: 'ok' });
        return issued;
      },
    }),
    route({
      method: 'get',
      path: '/schools/:schoolId/agent-tokens',
      summary: 'The school\'s agent tokens, newest first (never the tokens themselves)',
      tag: 'agents',
      auth: 'agent-token:read',
      school: (p) => p.schoolId,
      params: s.schoolParams,
      response: s.agentTokenList,
      handler: async ({ params }) => ({ items: await agentTokens.list(params.schoolId) }),
    }),
    route({
      method: 'delete',
      path: '/schools/:schoolId/agent-tokens/:tokenId',
      summary: 'Revoke an agent token; its next call is refused',
      tag: 'agents',
      auth: 'agent-token:write',
      school: (p) => p.schoolId,
      params: s.agentTokenParams,
      response: s.agentToken,
      errors: [404],
      handler: async ({ params, principal, requestId }) => {
        const revoked = await agentTokens.revoke(params.schoolId, params.tokenId);
        await audit.record({ ...actorOf(principal), schoolId: params.schoolId, requestId, action: 'agent-token.revoke', params: { agent: params.tokenId }, result: 'ok' });
        return revoked;
      },
    }),
  ];
}
