// The write endpoints: each call becomes a pull request (202 with the proposal); without a Git host they answer 503.
import { UnavailableError } from '../../../lib/errors/index.js';
import type { KindName } from '../../../crds/index.js';
import { actorOf, authorize, type Principal } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import { route, type Route } from '../routes.js';
import { schoolParams } from '../schemas.js';
import { auditAction, type Proposals } from './proposals.js';
import * as p from './schemas.js';

const NO_HOST =
  'proposals: no Git host is configured; set POSBON_GIT_HOST, POSBON_GIT_URL, POSBON_GIT_REPO, POSBON_GIT_TOKEN and POSBON_GIT_BOT';

type Action = 'create' | 'update' | 'delete';

export function proposalRoutes(deps: { proposals: Proposals | undefined; audit: AuditLog }): Route[] {
  const { proposals, audit } = deps;
  const service = (): Proposals => {
    if (!proposals) throw new UnavailableError(NO_HOST);
    return proposals;
  };
  // Refused attempts are part of the record too: the target school's audit shows who tried.
  const write = (kind: KindName, action: Action) => ({
    tag: 'proposals',
    response: p.proposalResult,
    status: 202,
    errors: [404, 409, 503],
    denied: async (ctx: { principal: Principal; params: unknown; requestId: string; reason: string }) => {
      const { schoolId, name } = ctx.params as { schoolId?: string; name?: string };
      await audit.record({
        ...actorOf(ctx.principal),
        schoolId: schoolId ?? null,
        requestId: ctx.requestId,
        action: auditAction(kind, action),
        params: { kind, ...(name ? { name } : {}), ...(schoolId ? { schoolId } : {}), reason: ctx.reason },
        result: 'denied',
      });
    },
  });
  return [
    route({
      ...write('Nvr', 'create'),
      method: 'post',
      path: '/schools/:schoolId/nvrs',
      summary: 'Propose a new NVR; its credentials become an immutable Secret and Git names only that Secret',
      auth: 'nvr:write',
      params: schoolParams,
      school: (params) => params.schoolId,
      body: p.nvrCreate,
      handler: ({ principal, requestId, params, body }) => service().createNvr(principal, requestId, params.schoolId, body),
    }),
    route({
      ...write('Nvr', 'update'),
      method: 'put',
      path: '/schools/:schoolId/nvrs/:name',
      summary: 'Propose a replacement of an NVR\'s spec; new credentials are optional',
      auth: 'nvr:write',
      params: p.nvrPathParams,
      school: (params) => params.schoolId,
      body: p.nvrUpdate,
      handler: ({ principal, requestId, params, body }) => service().updateNvr(principal, requestId, params.schoolId, params.name, body),
    }),
    route({
      ...write('Nvr', 'delete'),
      method: 'delete',
      path: '/schools/:schoolId/nvrs/:name',
      summary: 'Propose removing an NVR',
      auth: 'nvr:write',
      params: p.nvrPathParams,
      school: (params) => params.schoolId,
      handler: ({ principal, requestId, params }) => service().deleteNvr(principal, requestId, params.schoolId, params.name),
    }),
    route({
      ...write('FaceIdDevice', 'create'),
      method: 'post',
      path: '/schools/:schoolId/faceid-devices',
      summary: 'Propose a new FaceID terminal',
      auth: 'faceid:write',
      params: schoolParams,
      school: (params) => params.schoolId,
      body: p.faceIdCreate,
      handler: ({ principal, requestId, params, body }) => service().createFaceIdDevice(principal, requestId, params.schoolId, body),
    }),
    route({
      ...write('FaceIdDevice', 'update'),
      method: 'put',
      path: '/schools/:schoolId/faceid-devices/:name',
      summary: 'Propose a replacement of a FaceID terminal\'s spec',
      auth: 'faceid:write',
      params: p.faceIdPathParams,
      school: (params) => params.schoolId,
      body: p.faceIdUpdate,
      handler: ({ principal, requestId, params, body }) => service().updateFaceIdDevice(principal, requestId, params.schoolId, params.name, body),
    }),
    route({
      ...write('FaceIdDevice', 'delete'),
      method: 'delete',
      path: '/schools/:schoolId/faceid-devices/:name',
      summary: 'Propose removing a FaceID terminal',
      auth: 'faceid:write',
      params: p.faceIdPathParams,
      school: (params) => params.schoolId,
      handler: ({ principal, requestId, params }) => service().deleteFaceIdDevice(principal, requestId, params.schoolId, params.name),
    }),
    route({
      ...write('School', 'update'),
      method: 'patch',
      path: '/schools/:schoolId',
      summary: 'Propose a change of a school\'s settings (display name, time zone, network mode)',
      auth: 'school:write',
      params: schoolParams,
      school: (params) => params.schoolId,
      body: p.schoolPatch,
      handler: ({ principal, requestId, params, body }) => service().updateSchool(principal, requestId, params.schoolId, body),
    }),
    route({
      ...write('School', 'update'),
      method: 'put',
      path: '/schools/:schoolId/tunnel',
      summary: 'Propose tunnel mode for a school behind CGNAT, with its WireGuard gateway\'s public key and LAN exposure',
      auth: 'school:tunnel',
      params: schoolParams,
      school: (params) => params.schoolId,
      body: p.schoolTunnelRequest,
      handler: ({ principal, requestId, params, body }) => service().proposeTunnel(principal, requestId, params.schoolId, body),
    }),
    route({
      ...write('MediaNode', 'create'),
      method: 'post',
      path: '/media-nodes',
      summary: 'Propose a new media node',
      auth: 'media-node:write',
      body: p.mediaNodeCreate,
      handler: ({ principal, requestId, body }) => service().createMediaNode(principal, requestId, body),
    }),
    route({
      ...write('MediaNode', 'update'),
      method: 'put',
      path: '/media-nodes/:name',
      summary: 'Propose a replacement of a media node\'s spec',
      auth: 'media-node:write',
      params: p.mediaNodePathParams,
      body: p.mediaNodeUpdate,
      handler: ({ principal, requestId, params, body }) => service().updateMediaNode(principal, requestId, params.name, body),
    }),
    route({
      ...write('MediaNode', 'delete'),
      method: 'delete',
      path: '/media-nodes/:name',
      summary: 'Propose removing a media node (it must be cordoned on the default branch and pinned by no school)',
      auth: 'media-node:write',
      params: p.mediaNodePathParams,
      handler: ({ principal, requestId, params }) => service().deleteMediaNode(principal, requestId, params.name),
    }),
    route({
      method: 'get',
      path: '/proposals',
      summary: 'Open proposals the caller may see, with approvals counted by the two-person rule (head commit, not the authors or the bot)',
      tag: 'proposals',
      auth: 'proposal:read',
      query: p.proposalsQuery,
      response: p.proposalList,
      errors: [503],
      handler: async ({ principal, query }) => {
        if (query.schoolId !== undefined) authorize(principal, 'proposal:read', query.schoolId);
        return service().list(principal, query);
      },
    }),
    route({
      method: 'get',
      path: '/proposals/:number',
      summary: 'One proposal the caller may see, with its approval state and the rendered MediaMTX diff (for fleet-wide roles)',
      tag: 'proposals',
      auth: 'proposal:read',
      params: p.proposalParams,
      response: p.proposalDetail,
      errors: [404, 503],
      handler: ({ principal, params }) => service().detail(principal, params.number),
    }),
  ];
}
