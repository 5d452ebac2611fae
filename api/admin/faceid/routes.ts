// A FaceID terminal's push credential and settings, issued or rotated through the admin API.
import { route, type Route } from '../routes.js';
import * as s from '../schemas.js';
import { NotFoundError } from '../../../lib/errors/index.js';
import type { FleetView } from '../fleet-view/fleet-view.js';
import type { FaceIdActivity } from './activity.js';
import type { WebhookCredentials } from './webhook-credentials.js';

export function webhookCredentialRoutes(deps: { webhookCredentials: WebhookCredentials }): Route[] {
  const { webhookCredentials } = deps;
  return [
    route({
      method: 'post',
      path: '/schools/:schoolId/faceid-devices/:name/webhook-credential',
      summary: 'Issue (or rotate) the path token a FaceID terminal pushes with, and its push URLs; shown once',
      tag: 'faceid',
      auth: 'faceid:write',
      school: (p) => p.schoolId,
      params: s.faceIdDeviceParams,
      body: s.webhookCredentialRequest,
      response: s.webhookCredential,
      status: 201,
      errors: [404, 409, 503],
      handler: async ({ params, body, principal, requestId }) => {
        return webhookCredentials.issue(principal, requestId, params.schoolId, params.name, body.overlapHours);
      },
    }),
  ];
}

/** When a terminal last reached the webhook, for the agent that just pointed it there. */
export function faceIdActivityRoutes(deps: { fleet: FleetView; activity: FaceIdActivity }): Route[] {
  const { fleet, activity } = deps;
  return [
    route({
      method: 'get',
      path: '/schools/:schoolId/faceid-devices/:name/last-event',
      summary: 'When the terminal\'s newest event reached the webhook (times only): how the agent sees a provisioned terminal push',
      tag: 'faceid',
      auth: 'faceid:write',
      school: (p) => p.schoolId,
      params: s.faceIdDeviceParams,
      response: s.faceIdActivity,
      errors: [404],
      handler: async ({ params }) => {
        if (!fleet.faceIdDevice(params.schoolId, params.name)) throw new NotFoundError('name', `school ${params.schoolId} has no FaceIdDevice ${params.name} in the fleet`);
        return activity.lastEvent(params.schoolId, params.name);
      },
    }),
  ];
}
