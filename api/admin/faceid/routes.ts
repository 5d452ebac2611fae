// A FaceID terminal's push credential and settings, issued or rotated through the admin API.
import { route, type Route } from '../routes.js';
import * as s from '../schemas.js';
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
