// Browsers send cookies with requests other sites make them send; a mutating request must prove it is not one.
import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, InputError } from '../../../lib/errors/index.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** `none` is a navigation the user typed; `same-origin` a page of the API itself. */
const OWN_SITE = new Set(['same-origin', 'none']);

const hasBody = (req: Request) => req.get('content-type') !== undefined || Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;

const hostOf = (origin: string): string | undefined => {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
};

/** Whether the request comes from a page of another origin than the API and the allowed (CORS) origins. */
function crossSite(req: Request, allowedOrigins: ReadonlySet<string>): boolean {
  const origin = req.get('origin');
  if (origin !== undefined) return !allowedOrigins.has(origin) && hostOf(origin) !== req.get('host');
  const site = req.get('sec-fetch-site');
  return site !== undefined && !OWN_SITE.has(site);
}

/**
 * Mutating requests carry JSON or nothing (an HTML form can send neither), and a request that would be
 * authenticated by cookie must come from the API's own origin or an allowed one. A Bearer token is never sent by a
 * browser on its own, so Bearer requests (the LAN agent, scripts) skip the origin check.
 */
export function requestForgeryGuard(options: { allowedOrigins: string[] }) {
  const allowed = new Set(options.allowedOrigins);
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!MUTATING.has(req.method)) return next();
    if (hasBody(req) && !req.is('application/json')) {
      return next(new InputError('content-type', 'a request that changes something must be sent as application/json', 415));
    }
    const bearer = /^Bearer\s+\S+$/i.test(req.get('authorization') ?? '');
    if (!bearer && crossSite(req, allowed)) return next(new ForbiddenError('origin', 'cross-site requests are refused; send a Bearer token or use the API from its own origin'));
    next();
  };
}
