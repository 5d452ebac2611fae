// Every request gets an id (the caller's, when it is sane) echoed in `x-request-id` and carried by its logger.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../lib/log/logger.js';

const SANE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface RequestLocals {
  requestId: string;
  log: Logger;
}

export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && SANE_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.locals.requestId = requestId;
    // Most requests never log: the child logger is made on first use, not for every request.
    let log: Logger | undefined;
    Object.defineProperty(res.locals, 'log', { get: () => (log ??= logger.child({ requestId })), enumerable: true, configurable: true });
    if (logger.isLevelEnabled('http')) {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        (res.locals as RequestLocals).log.http('request', { method: req.method, url: req.originalUrl, status: res.statusCode, ms });
      });
    }
    next();
  };
}

export const requestLog = (res: Response): Logger => (res.locals as RequestLocals).log;
