// The FaceID webhook ingress as its own Express app, deployable and scalable apart from the admin API.
import express from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log/logger.js';
import { markRoute, requestDuration } from '../../lib/metrics/index.js';
import { errorMiddleware } from '../platform/error-middleware.js';
import { InputError } from '../../lib/errors/index.js';
import { requestContext } from '../platform/request-id.js';
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

export function createWebhookApp(deps: WebhookAppDeps): express.Express {
  const { ingress, logger } = deps;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = express();
  app.disable('x-powered-by');
  // Devices never revalidate an acknowledgement; hashing every body for an ETag is wasted work at the morning peak.
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(logger));
  app.use(requestDuration(deps.metrics, 'posbon_webhook'));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  for (const vendor of WEBHOOK_VENDORS) {
    for (const route of vendor.routes) {
      app[route.method](route.path, (_req, res, next) => (markRoute(res, route.path), next()), route.handler({ ingress, limits }));
    }
  }

  app.use((req, _res, next) => next(new InputError('path', `no webhook route ${req.method} ${req.path}`, 404)));
  app.use(errorMiddleware(logger));
  return app;
}
