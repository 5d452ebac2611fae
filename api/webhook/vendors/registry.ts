// Every push protocol the ingress speaks, in one place: its routes, parser, push settings and token path. Adding a
// vendor is one entry here (and its parser beside this file); the logger redacts its token path from this entry.
import { z } from 'zod';
import { redactPathSegment } from '../../../lib/log/logger.js';
import { InputError } from '../../../lib/errors/index.js';
import { parseInput } from '../../platform/parse.js';
import { emptyPush, utf8, type Direction, type EventSource, type ParsedPush } from '../attendance.js';
import { readBody, type WebhookHandler } from '../http.js';
import type { WebhookIngress } from '../ingress.js';
import { readEventParts } from '../multipart.js';
import { inflateDahuaBody, parseDahuaUpload } from './dahua.js';
import { parseHikvisionEvent } from './hikvision.js';
import { parseSignedAttendance } from './standard-webhooks.js';
import { parseZktecoAttlog, zktecoOptions, zktecoSerial } from './zkteco.js';

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

export interface VendorDeps {
  ingress: WebhookIngress;
  limits: BodyLimits;
}

export interface WebhookRoute {
  method: 'get' | 'post';
  /** A path template: literal segments and `:name` parameters. */
  path: string;
  /** The path parameter that carries the device token: every log line of the process redacts it. */
  tokenParam?: string;
  handler(deps: VendorDeps): WebhookHandler;
}

/** What the admin API needs to know about a device to build its push settings. */
export interface PushTarget {
  schoolId: string;
  direction: Direction | 'both';
}

export interface WebhookVendor {
  source: EventSource;
  /** How a device proves who it is: a token in its URL path, its serial number from a declared address, a signature. */
  credential: 'path-token' | 'serial' | 'signing-secret';
  routes: readonly WebhookRoute[];
  /** The URLs a terminal's push screen takes, from the ingress's public URL (`at`) and, for path tokens, the token. */
  pushUrls?(at: (path: string) => string, device: PushTarget, token: string): Record<string, string>;
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

function merge(pushes: ParsedPush[]): ParsedPush {
  const all = emptyPush();
  for (const p of pushes) {
    all.events.push(...p.events);
    all.heartbeats += p.heartbeats;
    all.ignored += p.ignored;
  }
  return all;
}

// Hikvision ISAPI: the token in the path, or in ?secret= as the original design had it.
const hikvisionPush =
  ({ ingress, limits }: VendorDeps): WebhookHandler =>
  async (req) => {
    const params = parseInput(hikvisionParams, req.params);
    const secret = req.query.secret;
    const token = params.deviceToken ?? (typeof secret === 'string' ? secret : undefined);
    if (!token) throw new InputError('deviceToken', 'missing: put the device token in the URL path');
    const { device, auth } = await ingress.deviceByToken(params.schoolId, token, 'hikvision', req.source);
    if (device.direction !== 'both' && device.direction !== params.direction) {
      throw new InputError('direction', `this device records only '${device.direction}'`);
    }
    const direction: Direction = params.direction;
    let texts: string[];
    if (/^multipart\//i.test(req.header('content-type') ?? '')) {
      texts = await readEventParts(req.raw, {
        bodyBytes: limits.hikvisionBytes,
        eventPartBytes: limits.eventPartBytes,
        parts: 8,
      });
      if (texts.length === 0) throw new InputError('event', 'the multipart body has no event JSON part');
    } else {
      texts = [utf8(await readBody(req.raw, limits.eventPartBytes), 'body')];
    }
    return {
      json: await ingress.accept(
        'hikvision',
        merge(texts.map((text) => parseHikvisionEvent(text, device, direction))),
        auth,
      ),
    };
  };

const zktecoPoll =
  ({ ingress }: VendorDeps): WebhookHandler =>
  (req) => {
    ingress.deviceBySerial(zktecoSerial(parseInput(iclockQuery, req.query).SN), req.source);
    return { text: 'OK' };
  };

const hikvision: WebhookVendor = {
  source: 'hikvision',
  credential: 'path-token',
  routes: [
    {
      method: 'post',
      path: '/webhook/:schoolId/:direction/:deviceToken',
      tokenParam: 'deviceToken',
      handler: hikvisionPush,
    },
    { method: 'post', path: '/webhook/:schoolId/:direction', handler: hikvisionPush },
  ],
  pushUrls: (at, device, token) => {
    const directions = device.direction === 'both' ? (['in', 'out'] as const) : [device.direction];
    return Object.fromEntries(
      directions.map((d) => [d, at(`/webhook/${encodeURIComponent(device.schoolId)}/${d}/${token}`)]),
    );
  },
};

// ZKTeco ADMS: a registered serial number, counted only from an address the device's school declares.
const zkteco: WebhookVendor = {
  source: 'zkteco',
  credential: 'serial',
  routes: [
    {
      method: 'get',
      path: '/iclock/cdata',
      handler:
        ({ ingress }) =>
        (req) => {
          const serial = zktecoSerial(parseInput(iclockQuery, req.query).SN);
          ingress.deviceBySerial(serial, req.source);
          return { text: zktecoOptions(serial) };
        },
    },
    {
      method: 'post',
      path: '/iclock/cdata',
      handler:
        ({ ingress, limits }) =>
        async (req) => {
          const body = await readBody(req.raw, limits.zktecoBytes);
          const query = parseInput(iclockQuery, req.query);
          const serial = zktecoSerial(query.SN);
          const { device, auth } = ingress.deviceBySerial(serial, req.source);
          const text = utf8(body, 'body');
          if (query.table !== 'ATTLOG') {
            // Operation logs, user lists and photos are acknowledged but not kept.
            const lines = text.split('\n').filter((line) => line.trim() !== '').length;
            await ingress.accept('zkteco', { events: [], heartbeats: 0, ignored: lines }, auth);
            return { text: `OK: ${lines}` };
          }
          const push = parseZktecoAttlog(text, device, serial);
          await ingress.accept('zkteco', push, auth);
          return { text: `OK: ${push.events.length}` };
        },
    },
    { method: 'get', path: '/iclock/getrequest', handler: zktecoPoll },
    {
      method: 'post',
      path: '/iclock/devicecmd',
      handler: (deps) => async (req) => {
        await readBody(req.raw, 64 * 1024);
        return zktecoPoll(deps)(req);
      },
    },
  ],
  pushUrls: (at) => ({ server: at('/') }),
};

// Dahua EventHttpUpload, with the token in the upload path; the body may be deflated with or without a header.
const dahua: WebhookVendor = {
  source: 'dahua',
  credential: 'path-token',
  routes: [
    {
      method: 'post',
      path: '/dahua/:schoolId/:deviceToken',
      tokenParam: 'deviceToken',
      handler:
        ({ ingress, limits }) =>
        async (req) => {
          const params = parseInput(dahuaParams, req.params);
          const { device, auth } = await ingress.deviceByToken(
            params.schoolId,
            params.deviceToken,
            'dahua',
            req.source,
          );
          const text = utf8(inflateDahuaBody(await readBody(req.raw, limits.dahuaBytes), limits.dahuaBytes), 'body');
          return { json: await ingress.accept('dahua', parseDahuaUpload(text, device), auth) };
        },
    },
  ],
  pushUrls: (at, device, token) => ({ upload: at(`/dahua/${encodeURIComponent(device.schoolId)}/${token}`) }),
};

// Standard Webhooks: signed by a sender that can sign; the id is remembered in the same transaction as the events.
const standardWebhooks: WebhookVendor = {
  source: 'standard-webhooks',
  credential: 'signing-secret',
  routes: [
    {
      method: 'post',
      path: '/signed/:schoolId/:deviceId',
      handler:
        ({ ingress, limits }) =>
        async (req) => {
          const params = parseInput(signedParams, req.params);
          const body = await readBody(req.raw, limits.signedBytes);
          const { device, receipt } = await ingress.verifySigned(params.schoolId, params.deviceId, {
            id: req.header('webhook-id'),
            timestamp: req.header('webhook-timestamp'),
            signature: req.header('webhook-signature'),
            body,
          });
          const text = utf8(body, 'body');
          return {
            json: await ingress.accept('standard-webhooks', parseSignedAttendance(text, device), 'signature', receipt),
          };
        },
    },
  ],
};

export const WEBHOOK_VENDORS: readonly WebhookVendor[] = [hikvision, zkteco, dahua, standardWebhooks];

export function vendorOf(source: EventSource): WebhookVendor {
  const vendor = WEBHOOK_VENDORS.find((v) => v.source === source);
  if (!vendor) throw new Error(`no webhook vendor ${source}`);
  return vendor;
}

// Derived, not listed by hand: a vendor's token path is redacted because the vendor declares it.
for (const vendor of WEBHOOK_VENDORS) {
  for (const route of vendor.routes) if (route.tokenParam) redactPathSegment(route.path, route.tokenParam);
}
