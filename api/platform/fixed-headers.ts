// Response headers that are the same for every response (helmet's), computed once rather than on every response.
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Sets the headers `make()`'s middleware sets, taken from it once per `key()` (the node list the CSP names):
 * helmet joins its CSP directives and checks a dozen header values again on every response otherwise.
 * `make()` must set headers synchronously and read nothing of the request.
 */
export function fixedHeaders(make: () => RequestHandler, key: () => unknown): RequestHandler {
  let taken: { key: unknown; headers: [string, string][] } | undefined;
  return (_req: Request, res: Response, next: NextFunction): void => {
    const current = key();
    const fixed = taken !== undefined && taken.key === current ? taken : (taken = { key: current, headers: headersOf(make()) });
    for (const [name, value] of fixed.headers) res.setHeader(name, value);
    next();
  };
}

function headersOf(middleware: RequestHandler): [string, string][] {
  const headers: [string, string][] = [];
  const recorder = { setHeader: (name: string, value: unknown) => headers.push([name, String(value)]), removeHeader: () => undefined };
  let done = false;
  void middleware({} as Request, recorder as unknown as Response, () => (done = true));
  if (!done) throw new Error('a fixed-headers middleware must call next at once');
  return headers;
}
