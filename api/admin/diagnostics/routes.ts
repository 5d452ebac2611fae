// Diagnostics: what the agent needs to know about itself from outside (the address the API sees, the API's clock,
// its media node's public URLs), the upload of its report (audited), and the school admins' reading of reports.
import { z } from 'zod';
import { NotFoundError } from '../../../lib/errors/index.js';
import { actorOf } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { FleetView } from '../fleet-view/fleet-view.js';
import { route, type Route } from '../routes.js';
import { schoolParams } from '../schemas.js';
import type { DiagnosticReports } from './diagnostic-reports.js';

const networkView = z
  .object({
    clientAddress: z.string().describe('The address this request came from, as the API sees it (the school\'s public address behind its router).'),
    serverTime: z.string(),
    mediaNode: z.string().nullable(),
    webrtcBaseUrl: z.string().nullable(),
    hlsBaseUrl: z.string().nullable(),
  })
  .meta({ id: 'NetworkView' });

const report = z
  .object({
    id: z.string(),
    schoolId: z.string(),
    uploadedBy: z.string(),
    clientAddress: z.string(),
    createdAt: z.string(),
    report: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'DiagnosticReport' });

const upload = z.object({ report: z.record(z.string(), z.unknown()) }).strict().meta({ id: 'DiagnosticUpload' });

export function diagnosticRoutes(deps: { reports: DiagnosticReports; audit: AuditLog; fleet: FleetView }): Route[] {
  const { reports, audit, fleet } = deps;
  const exists = (schoolId: string) => {
    if (!fleet.school(schoolId)) throw new NotFoundError('schoolId', `no school ${schoolId}`);
  };
  return [
    route({
      method: 'get',
      path: '/schools/:schoolId/network-view',
      summary: 'The caller\'s address as the API sees it, the API\'s clock and the school\'s media node URLs, for diagnostics',
      tag: 'diagnostics',
      auth: 'school:read',
      school: (p) => p.schoolId,
      params: schoolParams,
      response: networkView,
      errors: [404],
      handler: ({ params, req }) => {
        exists(params.schoolId);
        const node = fleet.school(params.schoolId)?.mediaNode ?? null;
        const spec = node ? fleet.nodes().find((n) => n.id === node) : undefined;
        return {
          clientAddress: req.ip ?? 'unknown',
          serverTime: new Date().toISOString(),
          mediaNode: node,
          webrtcBaseUrl: spec?.webrtcBaseUrl ?? null,
          hlsBaseUrl: spec?.hlsBaseUrl ?? null,
        };
      },
    }),
    route({
      method: 'post',
      path: '/schools/:schoolId/diagnostics',
      summary: 'Upload a redacted diagnostic report for the school\'s admins (audited)',
      tag: 'diagnostics',
      auth: 'nvr:test',
      school: (p) => p.schoolId,
      params: schoolParams,
      body: upload,
      response: report,
      status: 201,
      errors: [404],
      handler: async ({ params, body, principal, req, requestId }) => {
        exists(params.schoolId);
        const stored = await reports.upload(params.schoolId, principal.accountId, req.ip ?? 'unknown', body.report);
        await audit.record({ ...actorOf(principal), schoolId: params.schoolId, requestId, action: 'agent.diagnostics', params: { report: stored.id }, result: 'ok' });
        return stored;
      },
    }),
    route({
      method: 'get',
      path: '/schools/:schoolId/diagnostics',
      summary: 'The school\'s uploaded diagnostic reports, newest first',
      tag: 'diagnostics',
      auth: 'audit:read',
      school: (p) => p.schoolId,
      params: schoolParams,
      response: z.object({ items: z.array(report) }),
      handler: async ({ params }) => ({ items: await reports.list(params.schoolId) }),
    }),
  ];
}
