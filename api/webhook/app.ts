// The FaceID webhook ingress's request listener, deployable and scalable apart from the admin API: the vendors'
// routes (vendors/registry.ts) and the health check over the ingress's lean HTTP layer (http.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log/logger.js';
import { requestRecorder } from '../../lib/metrics/index.js';
import { webhookListener, type HttpRoute } from './http.js';
import type { WebhookIngress } from './ingress.js';
import { DEFAULT_LIMITS, WEBHOOK_VENDORS, type BodyLimits } from './vendors/registry.js';

export { DEFAULT_LIMITS, type BodyLimits } from './vendors/registry.js';

export interface WebhookAppDeps {
  ingress: WebhookIngress;
  logger: Logger;
  /** Where the request durations go; the metrics port serves it, never this app. */
  metrics: Registry;
  limits?: Partial<BodyLimits>;
}

export function createWebhookApp(deps: WebhookAppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { ingress, logger } = deps;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const routes: HttpRoute[] = [{ method: 'get', path: '/healthz', handler: () => ({ json: { ok: true } }) }];
  for (const vendor of WEBHOOK_VENDORS) {
    for (const route of vendor.routes)
      routes.push({ method: route.method, path: route.path, handler: route.handler({ ingress, limits }) });
  }
  return webhookListener({ routes, logger, record: requestRecorder(deps.metrics, 'posbon_webhook') });
}
