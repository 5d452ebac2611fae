// The FaceID webhook ingress as its own Express app, deployable and scalable apart from the admin API.
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { errorMiddleware } from '../platform/error-middleware.js';
import { InputError } from '../platform/errors.js';
import { redactPathSegment, type Logger } from '../../lib/log/logger.js';
import { requestContext } from '../platform/request-id.js';
import { emptyPush, utf8, type Direction, type ParsedPush } from './attendance.js';
import type { WebhookIngress } from './ingress.js';
import { readEventParts } from './multipart.js';
import { inflateDahuaBody, parseDahuaUpload } from './vendors/dahua.js';
import { parseHikvisionEvent } from './vendors/hikvision.js';
import { parseSignedAttendance } from './vendors/standard-webhooks.js';
import { parseZktecoAttlog, zktecoOptions, zktecoSerial } from './vendors/zkteco.js';

export interface BodyLimits {
  /** A Hikvision push with its picture; pictures are discarded while streaming but still bound the request. */
  hikvisionBytes: number;
  eventPartBytes: number;
  zktecoBytes: number;
  /** Dahua bodies after inflating. */
  dahuaBytes: number;
  signedBytes: number;
}

export const DEFAULT_LIMITS: BodyLimits = {
  hikvisionBytes: 2 * 1024 * 1024,
  eventPartBytes: 64 * 1024,
  zktecoBytes: 1024 * 1024,
  dahuaBytes: 256 * 1024,
  signedBytes: 256 * 1024,
};

export interface WebhookAppDeps {
  ingress: WebhookIngress;
  logger: Logger;
  limits?: Partial<BodyLimits>;
}

const schoolParams = z.object({ schoolId: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/) });
const hikvisionParams = schoolParams.extend({
  direction: z.enum(['in', 'out']),
  deviceToken: z.string().min(1).max(200).optional(),
});
const dahuaParams = schoolParams.extend({ deviceToken: z.string().min(1).max(200) });
const signedParams = schoolParams.extend({ deviceId: z.string().min(1).max(253) });
const iclockQuery = z.object({
  SN: z.unknown(),
  table: z.string().max(32).optional(),
  options: z.string().max(32).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new InputError(issue?.path.join('.') || 'request', issue?.message ?? 'invalid');
}

function merge(pushes: ParsedPush[]): ParsedPush {
  const all = emptyPush();
  for (const p of pushes) {
    all.events.push(...p.events);
    all.heartbeats += p.heartbeats;
    all.ignored += p.ignored;
  }
  return all;
}

/** The address the request came from, as the socket (or a trusted proxy) reports it. */
const sourceOf = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? '';

const bodyOf = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

export function createWebhookApp(deps: WebhookAppDeps): express.Express {
  const { ingress, logger } = deps;
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = express();
  app.disable('x-powered-by');
  // Devices never revalidate an acknowledgement; hashing every body for an ETag is wasted work at the morning peak.
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(logger));

  const raw = (limit: number) => express.raw({ type: () => true, limit, inflate: true });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/metrics', (_req, res) => {
    res.type('text/plain').send(ingress.metrics());
  });

  // Hikvision ISAPI: the token in the path, or in ?secret= as the original design had it.
  const hikvision = async (req: Request, res: Response) => {
    const params = parse(hikvisionParams, req.params);
    const token = params.deviceToken ?? (typeof req.query.secret === 'string' ? req.query.secret : undefined);
    if (!token) throw new InputError('deviceToken', 'missing: put the device token in the URL path');
    const { device, auth } = await ingress.deviceByToken(params.schoolId, token, 'hikvision', sourceOf(req));
    if (device.direction !== 'both' && device.direction !== params.direction) {
      throw new InputError('direction', `this device records only '${device.direction}'`);
    }
    const direction: Direction = params.direction;
    let texts: string[];
    if (/^multipart\//i.test(req.get('content-type') ?? '')) {
      texts = await readEventParts(req, {
        bodyBytes: limits.hikvisionBytes,
        eventPartBytes: limits.eventPartBytes,
        parts: 8,
      });
      if (texts.length === 0) throw new InputError('event', 'the multipart body has no event JSON part');
    } else {
      await new Promise<void>((resolve, reject) =>
        raw(limits.eventPartBytes)(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
      );
      texts = [utf8(bodyOf(req), 'body')];
    }
    res.json(
      await ingress.accept('hikvision', merge(texts.map((text) => parseHikvisionEvent(text, device, direction))), auth),
    );
  };
  redactPathSegment('/webhook/:schoolId/:direction/:deviceToken', 'deviceToken');
  redactPathSegment('/dahua/:schoolId/:deviceToken', 'deviceToken');
  app.post('/webhook/:schoolId/:direction/:deviceToken', hikvision);
  app.post('/webhook/:schoolId/:direction', hikvision);

  // ZKTeco ADMS: a registered serial number, counted only from an address the device's school declares.
  app.get('/iclock/cdata', (req, res) => {
    const query = parse(iclockQuery, req.query);
    const serial = zktecoSerial(query.SN);
    ingress.deviceBySerial(serial, sourceOf(req));
    res.type('text/plain').send(zktecoOptions(serial));
  });
  app.post('/iclock/cdata', raw(limits.zktecoBytes), async (req, res) => {
    const query = parse(iclockQuery, req.query);
    const serial = zktecoSerial(query.SN);
    const { device, auth } = ingress.deviceBySerial(serial, sourceOf(req));
    const text = utf8(bodyOf(req), 'body');
    if (query.table !== 'ATTLOG') {
      // Operation logs, user lists and photos are acknowledged but not kept.
      const lines = text.split('\n').filter((line) => line.trim() !== '').length;
      await ingress.accept('zkteco', { events: [], heartbeats: 0, ignored: lines }, auth);
      res.type('text/plain').send(`OK: ${lines}`);
      return;
    }
    const push = parseZktecoAttlog(text, device, serial);
    await ingress.accept('zkteco', push, auth);
    res.type('text/plain').send(`OK: ${push.events.length}`);
  });
  const zktecoPoll = (req: Request, res: Response) => {
    ingress.deviceBySerial(zktecoSerial(parse(iclockQuery, req.query).SN), sourceOf(req));
    res.type('text/plain').send('OK');
  };
  app.get('/iclock/getrequest', zktecoPoll);
  app.post('/iclock/devicecmd', raw(64 * 1024), zktecoPoll);

  // Dahua EventHttpUpload, with the token in the upload path; the body may be deflated with or without a header.
  app.post('/dahua/:schoolId/:deviceToken', async (req, res) => {
    const params = parse(dahuaParams, req.params);
    const { device, auth } = await ingress.deviceByToken(params.schoolId, params.deviceToken, 'dahua', sourceOf(req));
    await new Promise<void>((resolve, reject) =>
      raw(limits.dahuaBytes)(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
    );
    const text = utf8(inflateDahuaBody(bodyOf(req), limits.dahuaBytes), 'body');
    res.json(await ingress.accept('dahua', parseDahuaUpload(text, device), auth));
  });

  // Standard Webhooks: signed by a sender that can sign; the id is remembered in the same transaction as the events.
  app.post('/signed/:schoolId/:deviceId', raw(limits.signedBytes), async (req, res) => {
    const params = parse(signedParams, req.params);
    const body = bodyOf(req);
    const { device, receipt } = await ingress.verifySigned(params.schoolId, params.deviceId, {
      id: req.get('webhook-id'),
      timestamp: req.get('webhook-timestamp'),
      signature: req.get('webhook-signature'),
      body,
    });
    const text = utf8(body, 'body');
    res.json(await ingress.accept('standard-webhooks', parseSignedAttendance(text, device), 'signature', receipt));
  });

  app.use((req, _res, next) => next(new InputError('path', `no webhook route ${req.method} ${req.path}`, 404)));
  app.use(errorMiddleware(logger));
  return app;
}
