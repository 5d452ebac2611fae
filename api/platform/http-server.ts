// The HTTP server of an Express app, whose requests and responses are born with the app's own prototypes.
import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Express } from 'express';

/**
 * Express re-parents every request and response with `Object.setPrototypeOf(req, app.request)`. On an object
 * already built that is V8's slow path: it made a third of the API's CPU per request, and kept each request's
 * garbage alive into the old generation (bench/api saw a quarter of the young generation promoted at every
 * scavenge, and mark-compacts of the fleet cache's heap every few seconds). Here Node builds them as subclasses
 * whose prototypes *are* `app.request` and `app.response`, so Express's call finds nothing to change.
 */
export function createAppServer(app: Express): Server {
  class AppRequest extends IncomingMessage {}
  class AppResponse extends ServerResponse {}
  adopt(app, 'request', AppRequest.prototype);
  adopt(app, 'response', AppResponse.prototype);
  return createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}

/** Makes `prototype` the app's request (or response) prototype: Express's methods and `app` above Node's class. */
function adopt(app: Express, which: 'request' | 'response', prototype: object): void {
  const current = app[which] as object;
  // Once, at start-up: the per-request re-parenting is what this avoids.
  Object.setPrototypeOf(prototype, Object.getPrototypeOf(current) as object);
  Object.defineProperties(prototype, Object.getOwnPropertyDescriptors(current));
  (app as unknown as Record<string, object>)[which] = prototype;
}
