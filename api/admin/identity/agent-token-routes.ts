// LAN agent tokens of a school: issued once, listed without the token, revoked.
import type { FleetView } from '../fleet-view/fleet-view.js';
import { notFound, route, type Route } from '../routes.js';
import * as s from '../schemas.js';
import type { AgentTokens } from './agent-tokens.js';

export function agentTokenRoutes(deps: { fleet: FleetView; agentTokens: AgentTokens }): Route[] {
  const { fleet, agentTokens } = deps;
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
        return agentTokens.issue(principal, requestId, params.schoolId, body.label, body.ttlHours);
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
        return agentTokens.revoke(principal, requestId, params.schoolId, params.tokenId);
      },
    }),
  ];
}
