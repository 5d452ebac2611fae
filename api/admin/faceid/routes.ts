// A FaceID terminal's push credential and settings, issued or rotated through the admin API.
import { actorOf } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import { route, type Route } from '../routes.js';
import * as s from '../schemas.js';
import type { WebhookCredentials } from './webhook-credentials.js';

export function webhookCredentialRoutes(deps: { webhookCredentials: WebhookCredentials; audit: AuditLog }): Route[] {
  const { webhookCredentials, audit } = deps;
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
        const issued = await webhookCredentials.issue(params.schoolId, params.name, body.overlapHours);
        await audit.record({ ...actorOf(principal), schoolId: params.schoolId, requestId, action: 'faceid.webhook-credential', params: { device: params.name, rotated: issued.rotated, overlapHours: body.overlapHours }, result: 'ok' });
        return issued;
      },
    }),
  ];
}
