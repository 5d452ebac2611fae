// The one error middleware: typed errors and body-parser errors become 4xx; anything else is a logged 5xx.
import type { NextFunction, Request, Response } from 'express';
import { PosbonError, TooManyRequestsError, UnavailableError } from '../../lib/errors/index.js';
import type { Logger } from '../../lib/log/logger.js';

interface HttpishError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  message?: unknown;
}

function statusOf(error: unknown): { status: number; message: string } {
  if (error instanceof PosbonError) return { status: error.status, message: error.message };
  const e = (error ?? {}) as HttpishError;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  // body-parser errors for malformed or oversized input carry a 4xx status and are safe to show.
  if (status >= 400 && status < 500)
    return { status, message: typeof e.message === 'string' ? e.message : 'bad request' };
  return { status: status >= 500 && status < 600 ? status : 500, message: 'internal error' };
}

export interface ErrorBody {
  /** The whole message, which starts with the field when there is one. */
  error: string;
  /** The request field, parameter or header the error is about: a client branches on it, not on the message. */
  field?: string;
  code?: string;
  requestId?: string | undefined;
}

/** The status and JSON body an error answers with. */
export function errorResponse(error: unknown, requestId: string | undefined): { status: number; body: ErrorBody } {
  const { status, message } = statusOf(error);
  const typed = error instanceof PosbonError ? error : undefined;
  return {
    status,
    body: {
      error: message,
      ...(typed?.field !== undefined ? { field: typed.field } : {}),
      ...(typed?.code ? { code: typed.code } : {}),
      requestId,
    },
  };
}

/** The request line a failure is logged with: never the query or a body parser's message, either may hold a secret. */
export interface FailedRequest {
  method: string;
  url: string;
  path: string;
}

/**
 * Logs a failed request and returns what it answers, for every server of the project. A dependency's outage is
 * logged once per episode where it is detected (OutageLog), not once per refused request; a refusal's requestId,
 * shown to the caller, must lead to a line.
 */
export function failRequest(
  log: Logger,
  error: unknown,
  request: FailedRequest,
  requestId: string | undefined,
): { status: number; body: ErrorBody } {
  const answer = errorResponse(error, requestId);
  const { status, body } = answer;
  if (status >= 500 && !(error instanceof UnavailableError))
    log.error('request failed', { method: request.method, url: request.url, status, error });
  else if (status < 500)
    log.info('request refused', {
      method: request.method,
      path: request.path,
      status,
      reason: error instanceof PosbonError ? body.error : 'malformed request',
    });
  return answer;
}

export function errorMiddleware(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    const log = (res.locals.log as Logger | undefined) ?? logger;
    const { status, body } = failRequest(
      log,
      error,
      { method: req.method, url: req.originalUrl, path: req.path },
      res.locals.requestId as string | undefined,
    );
    if (res.headersSent) {
      next(error);
      return;
    }
    // A client still sending a body we rejected early must not keep the socket half-read.
    if (!req.complete) res.setHeader('connection', 'close');
    if (error instanceof TooManyRequestsError && error.retryAfterSeconds !== undefined)
      res.setHeader('retry-after', String(error.retryAfterSeconds));
    res.status(status).json(body);
  };
}
