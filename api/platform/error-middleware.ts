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
  // body-parser and busboy errors for malformed or oversized input carry a 4xx status and are safe to show.
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

export function errorMiddleware(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    const { status, body } = errorResponse(error, res.locals.requestId as string | undefined);
    const log = (res.locals.log as Logger | undefined) ?? logger;
    // A dependency's outage is logged once per episode where it is detected (OutageLog), not once per refused request.
    if (status >= 500 && !(error instanceof UnavailableError))
      log.error('request failed', { method: req.method, url: req.originalUrl, status, error });
    // A refusal's requestId, shown to the caller, must lead to a line. Neither the query nor a body parser's message
    // (which may quote the body) is logged: either can carry a secret.
    else if (status < 500) log.info('request refused', { method: req.method, path: req.path, status, reason: error instanceof PosbonError ? body.error : 'malformed request' });
    if (res.headersSent) {
      next(error);
      return;
    }
    // A client still sending a body we rejected early must not keep the socket half-read.
    if (!req.complete) res.setHeader('connection', 'close');
    if (error instanceof TooManyRequestsError && error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(error.retryAfterSeconds));
    res.status(status).json(body);
  };
}
