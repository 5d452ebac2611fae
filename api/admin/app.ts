// The admin API: identity, the fleet from memory, stream grants and the audit trail, behind one error middleware.
import { parseCookie } from 'cookie';
import cors from 'cors';
import express, { Router, type CookieOptions, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import { requestDuration } from '../../lib/metrics/index.js';
import { attendanceRoutes } from '../attendance/routes.js';
import { consoleCsp, consoleRouter, originsOf } from '../console/static.js';
import type { AttendanceReader } from '../attendance/reader.js';
import { errorMiddleware } from '../platform/error-middleware.js';
import { InputError, TooManyRequestsError, UnauthorizedError } from '../../lib/errors/index.js';
import { TokenBucketLimiter } from '../../lib/rate/token-bucket.js';
import type { Logger } from '../../lib/log/logger.js';
import { requestContext } from '../platform/request-id.js';
import { fixedHeaders } from '../platform/fixed-headers.js';
import { requestForgeryGuard } from './http/request-forgery.js';
import { schoolFilter, type Principal } from './access.js';
import { isAgentToken } from './identity/agent-tokens.js';
import { LoginRefused, LoginThrottled } from './identity/accounts.js';
import { AccountAdministration } from './identity/account-administration.js';
import { accountRoutes } from './identity/routes.js';
import { agentTokenRoutes } from './identity/agent-token-routes.js';
import { auditRoutes } from './audit/routes.js';
import { faceIdActivityRoutes, webhookCredentialRoutes } from './faceid/routes.js';
import { fleetRoutes } from './fleet-view/routes.js';
import { proposalRoutes } from './proposals/routes.js';
import { pairingRoutes } from './pairing/routes.js';
import { diagnosticRoutes } from './diagnostics/routes.js';
import { RefreshRefused, type IssuedTokens } from './identity/sessions.js';
import { mountRoutes, openApiDocument, route, type Route } from './routes.js';
import * as s from './schemas.js';
import type { ApiServices } from './server.js';

export interface ApiHttpConfig {
  /** Tokens travel only in httpOnly Secure SameSite=Strict cookies, never in bodies. */
  production: boolean;
  corsOrigins: string[];
  loginPerMinute: number;
  /** Refresh and stream-token requests per minute and client address. */
  tokensPerMinute: number;
  /** Express `trust proxy`: how many hops (or which) to trust for the client address. */
  trustProxy: string | number | false;
  /** The built console served at `/` (dist/console); absent, `/` answers 404. */
  consoleDir?: string;
}

/** The services `createApiServices` builds, and what only the HTTP layer needs. */
export interface ApiAppDeps extends ApiServices {
  config: ApiHttpConfig;
  logger: Logger;
  attendance?: AttendanceReader;
  /** Where request durations go; the metrics port serves it, never this app. */
  metrics?: Registry;
}

const ACCESS_COOKIE = 'posbon_access';
const REFRESH_COOKIE = 'posbon_refresh';

/** One cookie of the request; a value that is not valid percent-encoding is kept as sent rather than failing the request. */
const cookieOf = (req: Request, name: string): string | undefined => parseCookie(req.get('cookie') ?? '')[name];

export function createApiApp(deps: ApiAppDeps): express.Express {
  const { config, logger, fleet, accounts, sessions, accessTokens, agentTokens, webhookCredentials, viewerKeys, streams, audit, connectionTests } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  // No client revalidates an API answer; hashing every body for an ETag is work on every response (the console's
  // static files keep theirs: serve-static sets its own).
  app.set('etag', false);
  app.use(requestContext(logger));
  if (deps.metrics) app.use(requestDuration(deps.metrics, 'posbon_api'));
  // The console's CSP: WHEP and HLS may reach the fleet's media nodes, nothing else leaves the origin.
  // Parsed again only when a rebuild replaces the node list, not on every request: the header is on every response.
  let originsOfNodes: { nodes: unknown; origins: string[] } | undefined;
  const mediaOrigins = () => {
    const nodes = fleet.nodes();
    if (originsOfNodes?.nodes !== nodes)
      originsOfNodes = { nodes, origins: originsOf([...nodes].flatMap((n) => [n.webrtcBaseUrl, n.hlsBaseUrl])) };
    return originsOfNodes.origins;
  };
  app.use(fixedHeaders(() => helmet({ contentSecurityPolicy: consoleCsp(mediaOrigins, config.production) }), () => fleet.nodes()));
  app.use(cors({ origin: config.corsOrigins, credentials: true }));
  app.use(requestForgeryGuard({ allowedOrigins: config.corsOrigins }));
  app.use(express.json({ limit: '64kb' }));

  // Token buckets per client address (lib/rate, as the webhook and the probes limit): a burst of a minute's
  // allowance, then that rate; a refusal says when the next request will be taken.
  const limiter = (perMinute: number, what: string): RequestHandler => {
    const buckets = new TokenBucketLimiter({ perMinute, burst: perMinute });
    const retryAfter = Math.max(1, Math.ceil(60 / perMinute));
    return (req, _res, next) => {
      if (buckets.take(req.ip ?? '')) next();
      else next(new TooManyRequestsError(`${what}: too many requests, slow down`, retryAfter));
    };
  };
  const loginLimit = limiter(config.loginPerMinute, 'login');
  const refreshLimit = limiter(config.tokensPerMinute, 'refresh');
  const streamLimit = limiter(config.tokensPerMinute, 'stream token');

  const authenticate = async (req: Request): Promise<Principal> => {
    const header = req.get('authorization');
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const token = bearer ?? cookieOf(req, ACCESS_COOKIE);
    if (!token) throw new UnauthorizedError('authentication required: send a Bearer access token');
    return bearer && isAgentToken(bearer) ? agentTokens.verify(bearer) : accessTokens.verify(token);
  };

  const cookieOptions = (expires: Date, path: string): CookieOptions => ({
    httpOnly: true,
    // A browser keeps a Secure cookie from http://127.0.0.1 too, but `npm start` may be opened by another name.
    secure: config.production,
    sameSite: 'strict',
    expires,
    path,
  });

  // The console's session is these cookies; outside production the tokens also come in the body, for scripts.
  const sendTokens = (res: Response, tokens: IssuedTokens) => {
    const times = { accessExpiresAt: tokens.accessExpiresAt.toISOString(), refreshExpiresAt: tokens.refreshExpiresAt.toISOString() };
    res.cookie(ACCESS_COOKIE, tokens.accessToken, cookieOptions(tokens.accessExpiresAt, '/'));
    res.cookie(REFRESH_COOKIE, tokens.refreshToken, cookieOptions(tokens.refreshExpiresAt, '/auth'));
    if (!config.production) return { ...times, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    return times;
  };

  const refreshTokenOf = (req: Request, body: { refreshToken?: string | undefined }): string => {
    const token = config.production ? cookieOf(req, REFRESH_COOKIE) : (body.refreshToken ?? cookieOf(req, REFRESH_COOKIE));
    if (!token) throw new InputError('refreshToken', config.production ? 'missing: the refresh cookie was not sent' : 'required');
    return token;
  };

  const routes: Route[] = [
    route({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness, and whether the fleet cache has loaded',
      tag: 'platform',
      auth: 'public',
      response: s.health,
      handler: () => ({ ok: true, fleetSynced: fleet.isSynced() }),
    }),
    route({
      method: 'get',
      path: '/.well-known/jwks.json',
      summary: 'Public keys of viewer tokens, for MediaMTX (authJWTJWKS)',
      tag: 'streams',
      auth: 'public',
      response: s.jwks,
      handler: () => viewerKeys.jwks() as { keys: Record<string, unknown>[] },
    }),
    route({
      method: 'post',
      path: '/auth/login',
      summary: 'Log in with a password (and a TOTP code for every role but VIEWER); repeated failures make the account wait (429, Retry-After)',
      tag: 'auth',
      auth: 'public',
      body: s.loginRequest,
      response: s.tokenPair,
      errors: [429],
      before: [loginLimit],
      handler: async ({ body, req, res, requestId }) => {
        try {
          const account = await accounts.verifyLogin(body.username, body.password, body.totp);
          const tokens = await sessions.start(account, req.get('user-agent'));
          await audit.record({ actorType: 'user', actorId: account.id, requestId, action: 'auth.login', params: { username: body.username, sessionId: tokens.sessionId }, result: 'ok' });
          return sendTokens(res, tokens);
        } catch (error) {
          if (error instanceof LoginRefused || error instanceof LoginThrottled) {
            await audit.record({ actorType: 'user', actorId: error.accountId ?? `unknown:${body.username.slice(0, 64)}`, requestId, action: 'auth.login', params: { username: body.username }, result: error.reason });
          }
          throw error;
        }
      },
    }),
    route({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Rotate the refresh token; a spent one shown again revokes the whole session',
      tag: 'auth',
      auth: 'public',
      body: s.refreshRequest,
      response: s.tokenPair,
      errors: [429],
      before: [refreshLimit],
      handler: async ({ body, req, res, requestId }) => {
        try {
          const tokens = await sessions.refresh(refreshTokenOf(req, body));
          await audit.record({ actorType: 'user', actorId: tokens.accountId, requestId, action: 'auth.refresh', params: { sessionId: tokens.sessionId }, result: 'ok' });
          return sendTokens(res, tokens);
        } catch (error) {
          if (error instanceof RefreshRefused) {
            await audit.record({ actorType: 'user', actorId: error.accountId ?? 'unknown', requestId, action: 'auth.refresh', params: { sessionId: error.sessionId ?? null }, result: error.reason });
          }
          throw error;
        }
      },
    }),
    route({
      method: 'post',
      path: '/auth/logout',
      summary: 'End the current session',
      tag: 'auth',
      auth: 'self:logout',
      response: s.ok,
      handler: async ({ principal, res, requestId }) => {
        await sessions.revoke(principal.accountId, principal.sessionId, 'logout');
        await audit.record({ actorType: 'user', actorId: principal.accountId, requestId, action: 'auth.logout', params: { sessionId: principal.sessionId }, result: 'ok' });
        res.clearCookie(ACCESS_COOKIE, { path: '/' });
        res.clearCookie(REFRESH_COOKIE, { path: '/auth' });
        return { ok: true as const };
      },
    }),
    route({
      method: 'get',
      path: '/auth/sessions',
      summary: 'The caller\'s sessions',
      tag: 'auth',
      auth: 'self',
      response: s.sessionList,
      handler: async ({ principal }) => ({ items: await sessions.list(principal.accountId, principal.sessionId) }),
    }),
    route({
      method: 'delete',
      path: '/auth/sessions/:sessionId',
      summary: 'Revoke one of the caller\'s sessions: its refresh token stops at once, its access token at expiry',
      tag: 'auth',
      auth: 'self',
      params: s.sessionParams,
      response: s.ok,
      errors: [404],
      handler: async ({ principal, params, requestId }) => {
        await sessions.revoke(principal.accountId, params.sessionId, 'revoked-by-user');
        await audit.record({ actorType: 'user', actorId: principal.accountId, requestId, action: 'session.revoke', params: { sessionId: params.sessionId }, result: 'ok' });
        return { ok: true as const };
      },
    }),
    route({
      method: 'get',
      path: '/me',
      summary: 'Who the caller is, and whether they must change a generated password or enrol a second factor first',
      tag: 'auth',
      auth: 'self:whoami',
      response: s.me,
      handler: ({ principal }) => ({
        id: principal.accountId,
        username: principal.username,
        role: principal.role,
        schools: [...principal.schools].sort(),
        sessionId: principal.sessionId,
        mustChangePassword: principal.mustChangePassword === true,
        mustEnrolTotp: principal.mustEnrolTotp === true,
      }),
    }),
    ...fleetRoutes({ fleet, connectionTests, streams, streamLimit }),
    ...auditRoutes({ audit }),
    ...accountRoutes({ accounts, administration: AccountAdministration.create({ accounts, sessions, audit }), sendTokens }),
    ...agentTokenRoutes({ fleet, agentTokens }),
    ...webhookCredentialRoutes({ webhookCredentials }),
    ...faceIdActivityRoutes({ fleet, activity: deps.faceIdActivity }),
    ...proposalRoutes({ proposals: deps.proposals, audit }),
    ...diagnosticRoutes({ reports: deps.diagnosticReports, audit, fleet }),
    ...pairingRoutes({ pairing: deps.pairing, audit, schoolExists: (id) => fleet.school(id) !== undefined, limit: refreshLimit }),
    ...(deps.attendance ? attendanceRoutes({ reader: deps.attendance, scopeOf: schoolFilter, timezoneOf: (schoolId) => fleet.timezoneOf(schoolId) }) : []),
  ];

  const document = openApiDocument(routes, { title: 'Posbon admin API', version: '0.1.0' });
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  mountRoutes(router, routes, authenticate);
  app.use(router);
  if (config.consoleDir) app.use(consoleRouter(config.consoleDir));
  app.use((req, _res, next) => next(new InputError('path', `no route ${req.method} ${req.path}`, 404)));
  app.use(errorMiddleware(logger));
  return app;
}
