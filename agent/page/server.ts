// The agent's local page on 127.0.0.1: the flow pair → scan → pick → credentials and cameras → router guidance →
// test from the media node → submit → provision → diagnose for a school admin, each step calling the same library
// code as the CLI. Every request passes the gate in guard.ts; device credentials pass through, never stored.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentSession, credentialsPath, pairAgent } from '../credentials.js';
import { collectDiagnostics, NAT_VERDICT_TEXT } from '../diagnose/report.js';
import { provisionFaceId } from '../faceid/provision.js';
import { parsePairingLink } from '../cli/pair.js';
import { PosbonClient } from '../api-client.js';
import { inventory } from '../inventory.js';
import { DeviceProblem, submitNvr } from '../submit.js';
import { hasDefaultGateway, localInterfaces } from '../scan/interfaces.js';
import { scanLan, type ScanProgress, type ScanReport } from '../scan/scan.js';
import { planScan } from '../scan/subnets.js';
import { refusalOf } from './guard.js';
import { routerGuidance, type ChosenDevice } from './guidance.js';
import { pageHtml } from './ui.js';

export interface LocalPage {
  url: string;
  port: number;
  close(): Promise<void>;
}

class PageInputError extends Error {}

const MAX_BODY = 64 * 1024;

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_BODY) throw new PageInputError('body: too large');
  }
  if (!text) return {};
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new PageInputError('content-type: application/json only');
  return JSON.parse(text) as Record<string, unknown>;
}

const str = (body: Record<string, unknown>, key: string): string => {
  const value = body[key];
  if (typeof value !== 'string' || !value) throw new PageInputError(`${key}: required`);
  return value;
};

const port = (body: Record<string, unknown>, key: string): number => {
  const value = Number(body[key]);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new PageInputError(`${key}: a port number (1-65535)`);
  return value;
};

const optionalPort = (body: Record<string, unknown>, key: string): number | undefined => (body[key] === undefined || body[key] === null || body[key] === '' ? undefined : port(body, key));

const credentialsOf = (body: Record<string, unknown>) => ({ username: str(body, 'username'), password: str(body, 'password') });

/** A mapping that passed the media node's test is remembered this long, so submitting it does not test it again. */
const TESTED_FOR_MS = 10 * 60_000;

const mappingKey = (m: { publicHost: string; rtspPort: number; onvifPort: number | undefined; username: string; password: string }) =>
  createHash('sha256').update(JSON.stringify([m.publicHost, m.rtspPort, m.onvifPort ?? null, m.username, m.password])).digest('hex');

export async function startLocalPage(options: { port?: number; credentials?: string } = {}): Promise<LocalPage> {
  const token = randomBytes(24).toString('base64url');
  const path = options.credentials ?? credentialsPath();
  let scan: { progress: ScanProgress; report?: ScanReport; error?: string } | undefined;
  let listening = 0;
  const tested = new Map<string, number>();

  const session = async () => {
    if (!existsSync(path)) throw new PageInputError('not paired yet: pair first');
    const s = await AgentSession.open(path);
    return { session: s, client: new PosbonClient(s.apiUrl, s.accessToken) };
  };

  const routes: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    'GET status': async () => {
      if (!existsSync(path)) return { paired: false };
      const { session: s, client } = await session();
      const school = await client.school(s.schoolId);
      const view = await client.networkView(s.schoolId);
      return { paired: true, schoolId: school.id, mediaNode: school.mediaNode, allowlistIPs: school.allowlistIPs, publicAddress: view.clientAddress.replace(/^::ffff:/, '') };
    },
    'POST pair': async (body) => {
      const link = str(body, 'link');
      const { api, code } = link.startsWith('posbon:') ? parsePairingLink(link) : { api: str(body, 'api'), code: link };
      return pairAgent({ apiUrl: api, code, label: 'LAN agent page', path });
    },
    'POST scan': async () => {
      const plan = planScan(localInterfaces(), await hasDefaultGateway());
      if (!plan.lan) throw new PageInputError(`scan is off: ${plan.reason}`);
      if (plan.subnets.length === 0) throw new PageInputError(`scan is off: ${plan.refused[0]?.reason ?? 'no subnet to scan'}`);
      const current: NonNullable<typeof scan> = { progress: { phase: 'ports', done: 0, total: 0 } };
      scan = current;
      void scanLan({ subnets: plan.subnets, onProgress: (p) => (current.progress = p) }).then(
        (report) => (current.report = report),
        (error: unknown) => (current.error = (error as Error).message),
      );
      return { started: true };
    },
    'GET scan': async () => scan ?? { progress: { phase: 'ports', done: 0, total: 0 } },
    'POST guidance': async (body) => {
      const { client, session: s } = await session();
      const school = await client.school(s.schoolId);
      return routerGuidance((body.devices ?? []) as ChosenDevice[], school.allowlistIPs);
    },
    'POST cameras': async (body) => {
      try {
        const found = await inventory({ host: str(body, 'host'), port: port(body, 'onvifPort'), ...credentialsOf(body) });
        return { device: found.device, cameras: found.cameras };
      } catch (error) {
        if (error instanceof PageInputError) throw error;
        throw new DeviceProblem(`ONVIF on ${String(body.host)}:${String(body.onvifPort)}: ${(error as Error).message}`);
      }
    },
    'POST test': async (body) => {
      const { client, session: s } = await session();
      const publicHost = str(body, 'publicHost');
      const rtspPort = port(body, 'rtspPort');
      const onvifPort = optionalPort(body, 'onvifPort');
      const credentials = credentialsOf(body);
      const rtsp = await client.testFromNode(s.schoolId, { kind: 'rtsp', host: publicHost, rtspPort, path: str(body, 'path'), credentials });
      // A mapping that does not carry RTSP is wrong as a whole: the node's per-NVR probe budget is kept for the retest.
      const onvif = onvifPort === undefined || rtsp.reason !== 'Ok' ? undefined : await client.testFromNode(s.schoolId, { kind: 'onvif', host: publicHost, rtspPort, onvifPort, credentials });
      if (rtsp.reason === 'Ok' && (onvif === undefined ? onvifPort === undefined : onvif.reason === 'Ok')) tested.set(mappingKey({ publicHost, rtspPort, onvifPort, ...credentials }), Date.now());
      const brief = (r: { reason: string; message?: string }) => ({ reason: r.reason, ...(r.message ? { message: r.message } : {}) });
      return { rtsp: brief(rtsp), ...(onvif ? { onvif: brief(onvif) } : {}) };
    },
    'POST submit': async (body) => {
      const { client, session: s } = await session();
      const onvifPort = optionalPort(body, 'publicOnvifPort');
      const mapping = { publicHost: str(body, 'publicHost'), rtspPort: port(body, 'publicRtspPort'), ...(onvifPort !== undefined ? { onvifPort } : {}) };
      const credentials = credentialsOf(body);
      const testedAt = tested.get(mappingKey({ ...mapping, onvifPort, ...credentials }));
      return submitNvr(
        client,
        { schoolId: s.schoolId, name: str(body, 'name'), lan: { host: str(body, 'lanHost'), onvifPort: port(body, 'lanOnvifPort') }, mapping, credentials },
        { mappingTested: testedAt !== undefined && Date.now() - testedAt < TESTED_FOR_MS },
      );
    },
    'POST provision': async (body) => {
      const { client, session: s } = await session();
      const vendor = str(body, 'vendor') as 'hikvision' | 'dahua' | 'zkteco';
      if (!['hikvision', 'dahua', 'zkteco'].includes(vendor)) throw new PageInputError('vendor: hikvision, dahua or zkteco');
      return provisionFaceId(
        client,
        {
          vendor,
          schoolId: s.schoolId,
          device: str(body, 'device'),
          direction: 'in',
          lan: { host: vendor === 'zkteco' ? '' : str(body, 'host'), port: Number(body.port ?? 80) },
          credentials: { username: String(body.username ?? ''), password: String(body.password ?? '') },
        },
        { timeoutMs: Math.min(Number(body.waitS ?? 120), 600) * 1000 },
      );
    },
    'POST diagnose': async () => {
      const { session: s, client } = await session();
      const report = await collectDiagnostics(client, s.schoolId);
      const uploaded = await client.uploadDiagnostics(s.schoolId, report);
      const plan = planScan(localInterfaces(), await hasDefaultGateway());
      return {
        clockSkewSeconds: report.clock.skewSeconds,
        lan: plan.lan ? plan.subnets.map((x) => x.cidr).join(', ') || 'no subnet of /22 or smaller' : plan.reason,
        nat: report.publicAddress.nat,
        natText: NAT_VERDICT_TEXT[report.publicAddress.nat],
        uploaded: uploaded.id,
        report,
      };
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

  const server: Server = createServer((req, res) => {
    const refused = refusalOf(req, listening, token);
    if (refused) return send(res, 403, { error: `refused: ${refused === 'token' ? 'open the address the agent printed (with its launch token)' : `foreign ${refused}`}` });
    const url = new URL(req.url ?? '/', 'http://page');
    if (url.pathname === '/' && req.method === 'GET') {
      const nonce = randomBytes(16).toString('base64');
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      });
      return res.end(pageHtml(nonce));
    }
    const handler = routes[`${req.method} ${url.pathname.replace(/^\/api\//, '')}`];
    if (!handler) return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    bodyOf(req)
      .then(handler)
      .then(
        (out) => send(res, 200, out),
        // A device or mapping problem is the admin's to fix, like bad input; anything else is the API's or the network's.
        (error: unknown) => send(res, error instanceof PageInputError || error instanceof SyntaxError || error instanceof DeviceProblem ? 400 : 502, { error: (error as Error).message.split('\n')[0] }),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  listening = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${listening}/?t=${token}`,
    port: listening,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
