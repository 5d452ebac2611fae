// A route is data: its schemas, the action it needs and the school it touches. Mounting checks all three in one
// wrapper, and the OpenAPI document is generated from the same objects.
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../lib/errors/index.js';
import { parseInput } from '../platform/parse.js';
import { markRoute } from '../../lib/metrics/index.js';
import { authorize, type Action, type Principal } from './access.js';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  requestId: string;
  req: Request;
  res: Response;
}

export interface Route<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax (`/schools/:schoolId`). */
  path: string;
  summary: string;
  tag: string;
  /** `public` routes need no token; every other route names the action it performs. */
  auth: Action | 'public';
  /** The school the request touches, checked against the caller's scope before the handler runs. */
  school?: (params: P) => string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response: z.ZodType<R>;
  status?: number;
  /** Errors the route can answer besides 400, 401 and 403. */
  errors?: number[];
  before?: RequestHandler[];
  /** Called when the caller's role or scope refuses the request, before the 403 goes out (mutating routes audit it). */
  denied?(ctx: { principal: Principal; params: unknown; requestId: string; reason: string }): Promise<void>;
  handler(ctx: RouteContext<P, Q, B>): Promise<R> | R;
}

export const route = <P, Q, B, R>(r: Route<P, Q, B, R>): Route => r as unknown as Route;

/** A 404 naming the path parameter: `nvrId: no nvr x`. */
export function notFound(field: string, id: string): never {
  throw new NotFoundError(field, `no ${field.replace(/Id$/, '')} ${id}`);
}


export type Authenticate = (req: Request) => Promise<Principal>;

export function mountRoutes(router: Router, routes: Route[], authenticate: Authenticate): void {
  for (const r of routes) {
    router[r.method](r.path, (_req, res, next) => (markRoute(res, r.path), next()), ...(r.before ?? []), async (req: Request, res: Response) => {
      const principal = r.auth === 'public' ? undefined : await authenticate(req);
      const params = r.params ? parseInput(r.params, req.params, 'path') : req.params;
      if (principal && r.auth !== 'public') {
        try {
          authorize(principal, r.auth, r.school?.(params));
        } catch (error) {
          if (error instanceof ForbiddenError) await r.denied?.({ principal, params, requestId: res.locals.requestId as string, reason: error.message });
          throw error;
        }
      }
      const query = r.query ? parseInput(r.query, req.query, 'query') : {};
      const body = r.body ? parseInput(r.body, req.body ?? {}, 'body') : undefined;
      const result = await r.handler({
        params,
        query,
        body,
        principal: principal ?? (undefined as unknown as Principal),
        requestId: res.locals.requestId as string,
        req,
        res,
      });
      // Responses are checked too: a shape the document does not promise is a bug, not a leak.
      res.status(r.status ?? 200).json(r.response.parse(result));
    });
  }
}

export const requirePrincipal = (principal: Principal | undefined): Principal => {
  if (!principal) throw new UnauthorizedError('authentication required');
  return principal;
};

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, unknown>): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema: _schema, $defs, ...rest } = generated;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) components[id] = def;
  return rest;
}

const rewriteRefs = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/'));

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad input; the message names the field.',
  401: 'No valid access token.',
  403: 'The caller\'s role or school scope does not allow this.',
  404: 'Not found.',
  409: 'Conflict.',
  415: 'A request that changes something was not sent as application/json.',
  429: 'Too many requests.',
  503: 'A dependency (the Git host, a probe sidecar, the database) is not configured or cannot be reached.',
};

export function openApiDocument(routes: Route[], info: { title: string; version: string }): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  const errorSchema = jsonSchema(z.object({ error: z.string(), field: z.string().optional().describe('The request field, parameter or header the error is about'), code: z.string().optional(), requestId: z.string().optional() }), 'output', components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema || !(schema instanceof z.ZodObject)) continue;
      for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        parameters.push({ name, in: where, required: where === 'path' || !field.safeParse(undefined).success, schema: jsonSchema(field, 'input', components) });
      }
    }
    // Writes are JSON only, and cookie-authenticated ones same-origin only (http/request-forgery.ts).
    const forgery = r.method === 'get' ? [] : [403, 415];
    const errors = [...new Set([400, ...(r.auth === 'public' ? [] : [401, 403]), ...forgery, ...(r.errors ?? [])])].sort();
    const operation: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${r.path.replace(/[/:.-]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
      parameters,
      responses: {
        [String(r.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: jsonSchema(r.response, 'output', components) } } },
        ...Object.fromEntries(
          errors.map((status) => [String(status), { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/json': { schema: errorSchema } } }]),
        ),
      },
    };
    // An empty list says "no authentication" to clients and linters; a missing one would inherit nothing and say nothing.
    operation.security = r.auth === 'public' ? [] : [{ bearer: [] }, { cookie: [] }];
    if (r.auth !== 'public') operation['x-posbon-action'] = r.auth;
    if (r.body) operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input', components) } } };
    (paths[toOpenApiPath(r.path)] ??= {})[r.method] = operation;
  }
  return rewriteRefs({
    openapi: '3.1.0',
    info,
    // Relative: the document is served by the API it describes, at whatever address it is reached.
    servers: [{ url: '/', description: 'the API serving this document' }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'posbon_access' },
      },
    },
  }) as Record<string, unknown>;
}
