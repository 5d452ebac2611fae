// The fleet as the caller may read it: schools, NVRs, cameras and media nodes from memory, connection tests, streams.
import type { RequestHandler } from 'express';
import { NotFoundError } from '../../../lib/errors/index.js';
import { reaches, SCOPED_ROLES } from '../access.js';
import type { ConnectionTests } from '../connection-tests/connection-tests.js';
import { notFound, route, type Route } from '../routes.js';
import * as s from '../schemas.js';
import type { StreamGrants } from '../streams/stream-grants.js';
import type { FleetView } from './fleet-view.js';

export function fleetRoutes(deps: { fleet: FleetView; connectionTests: ConnectionTests; streams: StreamGrants; streamLimit: RequestHandler }): Route[] {
  const { fleet, connectionTests, streams, streamLimit } = deps;
  return [
    route({
      method: 'get',
      path: '/schools',
      summary: 'Schools the caller may see, with assigned node, allowlist IPs and conditions',
      tag: 'fleet',
      auth: 'school:read',
      response: s.schoolList,
      handler: ({ principal }) => {
        if (!SCOPED_ROLES.has(principal.role)) return { items: [...fleet.schools()] };
        const items = [...principal.schools].sort().flatMap((id) => fleet.school(id) ?? []);
        return { items };
      },
    }),
    route({
      method: 'get',
      path: '/schools/:schoolId',
      summary: 'One school',
      tag: 'fleet',
      auth: 'school:read',
      params: s.schoolParams,
      school: (p) => p.schoolId,
      response: s.school,
      errors: [404],
      handler: ({ params }) => fleet.school(params.schoolId) ?? notFound('schoolId', params.schoolId),
    }),
    route({
      method: 'get',
      path: '/schools/:schoolId/nvrs',
      summary: 'NVRs of a school, with their cameras and reachability',
      tag: 'fleet',
      auth: 'nvr:read',
      params: s.schoolParams,
      school: (p) => p.schoolId,
      response: s.nvrList,
      errors: [404],
      handler: ({ params }) => {
        if (!fleet.school(params.schoolId)) notFound('schoolId', params.schoolId);
        return { items: [...fleet.nvrsOf(params.schoolId)] };
      },
    }),
    route({
      method: 'get',
      path: '/schools/:schoolId/cameras',
      summary: 'Cameras a school publishes',
      tag: 'fleet',
      auth: 'camera:read',
      params: s.schoolParams,
      school: (p) => p.schoolId,
      response: s.cameraList,
      errors: [404],
      handler: ({ params }) => {
        if (!fleet.school(params.schoolId)) notFound('schoolId', params.schoolId);
        return { items: [...fleet.camerasOf(params.schoolId)] };
      },
    }),
    route({
      method: 'get',
      path: '/nvrs/:nvrId',
      summary: 'One NVR',
      tag: 'fleet',
      auth: 'nvr:read',
      params: s.nvrParams,
      response: s.nvr,
      errors: [404],
      handler: ({ params, principal }) => {
        const nvr = fleet.nvr(params.nvrId);
        // The school is known only after the lookup; an NVR outside the scope answers as if it did not exist.
        if (!nvr || !reaches(principal, nvr.schoolId)) notFound('nvrId', params.nvrId);
        return nvr!;
      },
    }),
    route({
      method: 'post',
      path: '/nvrs/:nvrId/test-connection',
      summary: 'Probe an NVR from the sidecar of the media node serving it (the only address its router admits); audited, rate-limited per school',
      tag: 'fleet',
      auth: 'nvr:test',
      params: s.nvrParams,
      body: s.nvrTestRequest,
      response: s.connectionTest,
      errors: [404, 409, 429, 503],
      handler: ({ params, body, principal, requestId }) => connectionTests.testNvr(principal, params.nvrId, body, requestId),
    }),
    route({
      method: 'post',
      path: '/schools/:schoolId/test-connection',
      summary: 'Test from node: probe a proposed (not yet merged) NVR from the media node serving the school, under a short-lived signed ticket',
      tag: 'fleet',
      auth: 'nvr:test',
      params: s.schoolParams,
      school: (p) => p.schoolId,
      body: s.proposedTestRequest,
      response: s.connectionTest,
      errors: [404, 409, 429, 503],
      handler: ({ params, body, principal, requestId }) => connectionTests.testProposed(principal, params.schoolId, body, requestId),
    }),
    route({
      method: 'get',
      path: '/cameras/:cameraId',
      summary: 'One camera',
      tag: 'fleet',
      auth: 'camera:read',
      params: s.cameraParams,
      school: (p) => p.cameraId.split('.')[0]!,
      response: s.camera,
      errors: [404],
      handler: ({ params }) => fleet.camera(params.cameraId)?.view ?? notFound('cameraId', params.cameraId),
    }),
    route({
      method: 'get',
      path: '/cameras/:cameraId/stream',
      summary: 'WHEP and HLS URLs on the camera\'s own media node, with a viewer token for this camera only (at most 5 minutes)',
      tag: 'streams',
      auth: 'stream:watch',
      params: s.cameraParams,
      school: (p) => p.cameraId.split('.')[0]!,
      response: s.streamGrant,
      errors: [404, 409, 429],
      before: [streamLimit],
      handler: ({ params, principal, requestId }) => streams.grant(principal, params.cameraId, requestId),
    }),
    route({
      method: 'get',
      path: '/media-nodes',
      summary: 'Media nodes and their health',
      tag: 'fleet',
      auth: 'media-node:read',
      response: s.mediaNodeList,
      handler: () => ({ items: [...fleet.nodes()] }),
    }),
    route({
      method: 'get',
      path: '/media-nodes/:name',
      summary: 'One media node',
      tag: 'fleet',
      auth: 'media-node:read',
      params: s.nodeParams,
      response: s.mediaNode,
      errors: [404],
      handler: ({ params }) => {
        const node = fleet.node(params.name);
        if (!node) throw new NotFoundError('name', `no media node ${params.name}`);
        return node;
      },
    }),
  ];
}
